package trustlist

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/accord-network/accord/internal/pki"
)

// EntrySPKI is an entry holding a bare public key (a DER
// SubjectPublicKeyInfo) with the kid its ecosystem gives it, for the
// ecosystems that publish keys without certificates (the key-only national
// DCC lists of CH, NL, FR, IT). Its KID is the source's, checked for length
// only; its Thumbprint is SHA-256 of the SPKI.
const EntrySPKI EntryKind = "spki"

// MaxKIDLen bounds the kid of an spki entry.
const MaxKIDLen = 64

// parseCertificate parses a DER certificate with crypto/x509 and, where
// crypto/x509 refuses it (brainpool keys, explicit EC parameters, negative
// serials …), with the government-PKI layer, whose result stands in as an
// *x509.Certificate (spec/trustlist.md §1.3).
func parseCertificate(der []byte) (*x509.Certificate, error) {
	if c, err := x509.ParseCertificate(der); err == nil {
		return c, nil
	}
	c, err := pki.Parse(der)
	if err != nil {
		return nil, err
	}
	return c.X509(), nil
}

// NewSPKIEntry makes an entry for a bare public key given as a DER
// SubjectPublicKeyInfo (RSA, EC on a NIST or brainpool curve, Ed25519), listed
// under kid as its ecosystem names it.
func NewSPKIEntry(spki, kid []byte, uses []DocType, name string, notBefore, notAfter time.Time) (*Entry, error) {
	if _, err := pki.ParsePublicKeyInfo(spki); err != nil {
		return nil, fmt.Errorf("%w: public key: %v", ErrMalformed, err)
	}
	sum := sha256.Sum256(spki)
	e := &Entry{KID: bytes.Clone(kid), Thumbprint: sum[:], Kind: EntrySPKI, Data: bytes.Clone(spki), Uses: uses,
		NotBefore: notBefore.UTC().Truncate(time.Second), NotAfter: notAfter.UTC().Truncate(time.Second), Status: StatusActive, Name: name}
	err := e.check()
	e.ready()
	return e, err
}

// oneDERSequence reports whether b is exactly one constructed element of
// tag number 16 (SEQUENCE) with a DER length, in one walk of its header and
// no allocation. It accepts exactly what asn1.Unmarshal into a RawValue
// with no bytes left, Tag TagSequence and IsCompound accepts (any class, as
// that check did), which TestOneDERSequence and FuzzOneDERSequence pin.
func oneDERSequence(b []byte) bool {
	if len(b) < 2 || b[0]&0x3f != 0x30 {
		return false
	}
	l, i := int(b[1]), 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 { // indefinite: not DER
			return false
		}
		l = 0
		for ; n > 0; n-- {
			if i >= len(b) || l >= 1<<23 {
				return false
			}
			l = l<<8 | int(b[i])
			i++
			if l == 0 { // a leading zero
				return false
			}
		}
		if l < 0x80 { // the short form was required
			return false
		}
	}
	return l == len(b)-i
}

func (e *Entry) checkSPKI() error {
	if e.CA {
		return fmt.Errorf("only x509 entries can be CAs")
	}
	if len(e.KID) == 0 || len(e.KID) > MaxKIDLen {
		return fmt.Errorf("kid of %d bytes (1 to %d)", len(e.KID), MaxKIDLen)
	}
	if !oneDERSequence(e.Data) {
		return fmt.Errorf("data is not a DER SubjectPublicKeyInfo (one SEQUENCE)")
	}
	sum := sha256.Sum256(e.Data)
	if !bytes.Equal(e.Thumbprint, sum[:]) {
		return fmt.Errorf("thumbprint must be SHA-256 of the SubjectPublicKeyInfo")
	}
	return nil
}

// PublicKey returns the entry's public key: the certificate's for x509, the
// key itself for cose_key, spki and did_key (parsed on each call: spki entries are few
// per lookup), nil for eth entries or data that does not parse.
func (e *Entry) PublicKey() crypto.PublicKey {
	switch e.Kind {
	case EntryX509:
		if c := e.Certificate(); c != nil {
			return c.PublicKey
		}
	case EntryCOSEKey:
		if k, err := ParsePublicKey(e.Data); err == nil {
			return k.Crypto()
		}
	case EntrySPKI, EntryDIDKey:
		if e.cert == nil { // an Entry built by hand
			if k, err := pki.ParsePublicKeyInfo(e.Data); err == nil {
				return k.Key
			}
			return nil
		}
		e.cert.keyOnce.Do(func() {
			if k, err := pki.ParsePublicKeyInfo(e.Data); err == nil {
				e.cert.key = k.Key
			}
		})
		return e.cert.key
	}
	return nil
}

// Provenance records where a relayed entry came from: the other ecosystem's
// list it was imported from, and what was found of that list's signature.
// The anchor signs it with the entry, so a verifier can say "relayed from the
// EU DCC gateway list of 2024-03-08".
type Provenance struct {
	Format     string    `json:"format" cbor:"1,keyasint"`                     // dccg, dcc-keys, etsi-tl, gdhcn, icao-ml
	FileSHA256 []byte    `json:"file_sha256" cbor:"2,keyasint"`                // SHA-256 of the source file as read
	Signer     string    `json:"signer,omitempty" cbor:"3,keyasint,omitempty"` // who signed the source (or the item), as its certificate names them
	Signature  string    `json:"signature" cbor:"4,keyasint"`                  // SourceVerified, SourceUnsigned or SourceUnverified
	Issued     time.Time `json:"issued,omitzero" cbor:"-"`                     // the source's own date, when it gives one
	IssuedUnix int64     `json:"-" cbor:"5,keyasint,omitempty"`
	Name       string    `json:"name,omitempty" cbor:"6,keyasint,omitempty"` // the source's name, e.g. "EU DCC gateway list (DE mirror)"
}

// Source signature states recorded in Provenance.Signature.
const (
	SourceVerified   = "verified"   // the source's (or the item's) signature verified against its signer
	SourceUnsigned   = "unsigned"   // the format or this file carries no signature
	SourceUnverified = "unverified" // a signature is present but was not or could not be verified
)

func (p *Provenance) check() error {
	if p == nil {
		return nil
	}
	if !isToken(p.Format) || len(p.FileSHA256) != 32 || len(p.Signer) > 512 || len(p.Name) > 256 {
		return fmt.Errorf("provenance: format token, 32-byte file hash, signer ≤ 512 bytes and name ≤ 256 required")
	}
	switch p.Signature {
	case SourceVerified, SourceUnsigned, SourceUnverified:
	default:
		return fmt.Errorf("provenance: signature state %q", p.Signature)
	}
	return nil
}

// String says where the entry came from, for people.
func (p *Provenance) String() string {
	if p == nil {
		return ""
	}
	s := "relayed from a " + p.Format + " list"
	if p.Name != "" {
		s = "relayed from " + p.Name
	}
	if !p.Issued.IsZero() {
		s += " of " + p.Issued.UTC().Format("2006-01-02")
	}
	s += fmt.Sprintf(" (file sha256 %x…; source signature %s", p.FileSHA256[:8], p.Signature)
	if p.Signer != "" {
		s += " by " + p.Signer
	}
	return s + ")"
}
