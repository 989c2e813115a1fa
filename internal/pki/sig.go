package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	_ "crypto/sha1" // SHA-1 chains are verified; policy decides whether to accept them
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// KeyType names a public-key algorithm family.
type KeyType string

// Key types.
const (
	KeyRSA     KeyType = "RSA"
	KeyECDSA   KeyType = "ECDSA"
	KeyEd25519 KeyType = "Ed25519"
)

// Padding names an RSA signature scheme.
type Padding string

// RSA paddings.
const (
	PKCS1v15 Padding = "PKCS1v15"
	PSS      Padding = "PSS"
)

// SignatureAlgorithm is a decoded signature AlgorithmIdentifier.
type SignatureAlgorithm struct {
	OID asn1.ObjectIdentifier
	Key KeyType
	// Hash is the digest the identifier names, or 0 when it names none
	// (rsaEncryption and id-ecPublicKey in CMS, where the SignerInfo's digest
	// algorithm decides; Ed25519, which hashes internally).
	Hash       crypto.Hash
	Padding    Padding // RSA only
	SaltLength int     // RSASSA-PSS only
	// Plain marks ECDSA signatures encoded as r‖s (BSI TR-03111
	// ecdsa-plain-*) rather than as a DER SEQUENCE.
	Plain bool
}

// String names the algorithm for people, e.g. "ECDSA-SHA256" or "RSASSA-PSS-SHA256".
func (a SignatureAlgorithm) String() string {
	h := "?"
	if a.Hash != 0 {
		h = a.Hash.String()
	}
	switch {
	case a.Key == KeyEd25519:
		return "Ed25519"
	case a.Key == KeyRSA && a.Padding == PSS:
		return "RSASSA-PSS-" + h
	case a.Key == KeyRSA:
		return "RSA-PKCS1v15-" + h
	case a.Plain:
		return "ECDSA-plain-" + h
	default:
		return string(a.Key) + "-" + h
	}
}

var (
	oidRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidEC      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}

	hashOIDs = map[string]crypto.Hash{
		"1.3.14.3.2.26":          crypto.SHA1,
		"2.16.840.1.101.3.4.2.4": crypto.SHA224,
		"2.16.840.1.101.3.4.2.1": crypto.SHA256,
		"2.16.840.1.101.3.4.2.2": crypto.SHA384,
		"2.16.840.1.101.3.4.2.3": crypto.SHA512,
	}
	sigOIDs = map[string]SignatureAlgorithm{
		"1.2.840.113549.1.1.1":    {Key: KeyRSA, Padding: PKCS1v15},
		"1.2.840.113549.1.1.5":    {Key: KeyRSA, Padding: PKCS1v15, Hash: crypto.SHA1},
		"1.2.840.113549.1.1.14":   {Key: KeyRSA, Padding: PKCS1v15, Hash: crypto.SHA224},
		"1.2.840.113549.1.1.11":   {Key: KeyRSA, Padding: PKCS1v15, Hash: crypto.SHA256},
		"1.2.840.113549.1.1.12":   {Key: KeyRSA, Padding: PKCS1v15, Hash: crypto.SHA384},
		"1.2.840.113549.1.1.13":   {Key: KeyRSA, Padding: PKCS1v15, Hash: crypto.SHA512},
		"1.2.840.10045.2.1":       {Key: KeyECDSA},
		"1.2.840.10045.4.1":       {Key: KeyECDSA, Hash: crypto.SHA1},
		"1.2.840.10045.4.3.1":     {Key: KeyECDSA, Hash: crypto.SHA224},
		"1.2.840.10045.4.3.2":     {Key: KeyECDSA, Hash: crypto.SHA256},
		"1.2.840.10045.4.3.3":     {Key: KeyECDSA, Hash: crypto.SHA384},
		"1.2.840.10045.4.3.4":     {Key: KeyECDSA, Hash: crypto.SHA512},
		"0.4.0.127.0.7.1.1.4.1.1": {Key: KeyECDSA, Hash: crypto.SHA1, Plain: true},
		"0.4.0.127.0.7.1.1.4.1.2": {Key: KeyECDSA, Hash: crypto.SHA224, Plain: true},
		"0.4.0.127.0.7.1.1.4.1.3": {Key: KeyECDSA, Hash: crypto.SHA256, Plain: true},
		"0.4.0.127.0.7.1.1.4.1.4": {Key: KeyECDSA, Hash: crypto.SHA384, Plain: true},
		"0.4.0.127.0.7.1.1.4.1.5": {Key: KeyECDSA, Hash: crypto.SHA512, Plain: true},
		"1.3.101.112":             {Key: KeyEd25519},
	}
)

// HashFromOID returns the digest algorithm an AlgorithmIdentifier OID names
// (SHA-1, SHA-224, SHA-256, SHA-384, SHA-512), or 0.
func HashFromOID(oid asn1.ObjectIdentifier) crypto.Hash { return hashOIDs[oid.String()] }

// ParseSignatureAlgorithm decodes a signature AlgorithmIdentifier given as its
// OID and the DER of its parameters (nil or empty when absent).
func ParseSignatureAlgorithm(oid asn1.ObjectIdentifier, params []byte) (SignatureAlgorithm, error) {
	if oid.Equal(oidRSAPSS) {
		return parsePSSParams(params)
	}
	a, ok := sigOIDs[oid.String()]
	if !ok {
		return SignatureAlgorithm{}, fmt.Errorf("unsupported signature algorithm %s", oid)
	}
	a.OID = oid
	return a, nil
}

// parseAlgorithmIdentifier reads an AlgorithmIdentifier SEQUENCE.
func parseAlgorithmIdentifier(s *cryptobyte.String) (oid asn1.ObjectIdentifier, params []byte, ok bool) {
	var ai cryptobyte.String
	if !s.ReadASN1(&ai, cbasn1.SEQUENCE) || !ai.ReadASN1ObjectIdentifier(&oid) {
		return nil, nil, false
	}
	if !ai.Empty() {
		var p cryptobyte.String
		if !ai.ReadAnyASN1Element(&p, nil) || !ai.Empty() {
			return nil, nil, false
		}
		params = p
	}
	return oid, params, true
}

var nullParams = []byte{5, 0}

func parsePSSParams(der []byte) (SignatureAlgorithm, error) {
	a := SignatureAlgorithm{OID: oidRSAPSS, Key: KeyRSA, Padding: PSS, Hash: crypto.SHA1, SaltLength: 20}
	bad := func(what string) (SignatureAlgorithm, error) {
		return SignatureAlgorithm{}, fmt.Errorf("RSASSA-PSS parameters: %s", what)
	}
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
		return bad("not a SEQUENCE")
	}
	mgfHash := crypto.SHA1
	var f cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&f, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return bad("hashAlgorithm")
	}
	if present {
		oid, p, ok := parseAlgorithmIdentifier(&f)
		if !ok || !f.Empty() || (len(p) != 0 && string(p) != string(nullParams)) {
			return bad("hashAlgorithm")
		}
		if a.Hash = HashFromOID(oid); a.Hash == 0 {
			return bad("unsupported hash " + oid.String())
		}
	}
	if !seq.ReadOptionalASN1(&f, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return bad("maskGenAlgorithm")
	}
	if present {
		oid, p, ok := parseAlgorithmIdentifier(&f)
		if !ok || !f.Empty() || !oid.Equal(oidMGF1) {
			return bad("maskGenAlgorithm is not MGF1")
		}
		ps := cryptobyte.String(p)
		hoid, hp, ok := parseAlgorithmIdentifier(&ps)
		if !ok || !ps.Empty() || (len(hp) != 0 && string(hp) != string(nullParams)) {
			return bad("MGF1 hash")
		}
		if mgfHash = HashFromOID(hoid); mgfHash == 0 {
			return bad("unsupported MGF1 hash " + hoid.String())
		}
	}
	if !seq.ReadOptionalASN1(&f, &present, cbasn1.Tag(2).Constructed().ContextSpecific()) {
		return bad("saltLength")
	}
	if present {
		var salt int64
		if !f.ReadASN1Integer(&salt) || !f.Empty() || salt < 0 || salt > 1024 {
			return bad("saltLength")
		}
		a.SaltLength = int(salt)
	}
	if !seq.ReadOptionalASN1(&f, &present, cbasn1.Tag(3).Constructed().ContextSpecific()) {
		return bad("trailerField")
	}
	if present {
		var t int64
		if !f.ReadASN1Integer(&t) || !f.Empty() || t != 1 {
			return bad("trailerField must be 1")
		}
	}
	if !seq.Empty() {
		return bad("trailing data")
	}
	if mgfHash != a.Hash {
		return bad(fmt.Sprintf("MGF1 hash %v differs from message hash %v", mgfHash, a.Hash))
	}
	return a, nil
}

// ErrSignature is returned (wrapped) when a signature does not verify.
var ErrSignature = errors.New("signature does not verify")

// VerifySignature checks sig over signed with pub under alg. When alg names no
// digest (rsaEncryption or id-ecPublicKey as a CMS signatureAlgorithm), hash
// is used — the SignerInfo's digestAlgorithm; otherwise hash must be 0 or
// equal alg's. pub is an *rsa.PublicKey, *ecdsa.PublicKey (NIST or brainpool
// curve, as Certificate.PublicKey holds it) or ed25519.PublicKey. SHA-1 is
// verified like any other digest: whether a SHA-1 signature is acceptable is
// the caller's policy.
func VerifySignature(pub any, alg SignatureAlgorithm, hash crypto.Hash, signed, sig []byte) error {
	if alg.Key == KeyEd25519 {
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("%s signature but a %s key", alg, keyTypeOf(pub))
		}
		if !ed25519.Verify(k, signed, sig) {
			return fmt.Errorf("%w (%s)", ErrSignature, alg)
		}
		return nil
	}
	h := alg.Hash
	if h == 0 {
		h = hash
	} else if hash != 0 && hash != h {
		return fmt.Errorf("signature algorithm %s with digest algorithm %v", alg, hash)
	}
	if h == 0 || !h.Available() {
		return fmt.Errorf("%s: no usable digest algorithm", alg)
	}
	d := h.New()
	d.Write(signed)
	return VerifyDigest(pub, alg, h, d.Sum(nil), sig)
}

// VerifyDigest is VerifySignature for a message already hashed with h (not
// possible for Ed25519, which signs the message itself).
func VerifyDigest(pub any, alg SignatureAlgorithm, h crypto.Hash, digest, sig []byte) error {
	if alg.Hash != 0 && alg.Hash != h {
		return fmt.Errorf("signature algorithm %s with digest algorithm %v", alg, h)
	}
	if h == 0 || len(digest) != h.Size() {
		return fmt.Errorf("%s: digest of %d bytes", alg, len(digest))
	}
	switch alg.Key {
	case KeyRSA:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%s signature but a %s key", alg, keyTypeOf(pub))
		}
		var err error
		if alg.Padding == PSS {
			err = rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: alg.SaltLength, Hash: h})
		} else if err = rsa.VerifyPKCS1v15(k, h, digest, sig); err != nil && pkcs1v15AbsentNull(k, h, digest, sig) {
			err = nil
		}
		if err != nil {
			return fmt.Errorf("%w (%s, %d-bit key): %v", ErrSignature, alg, k.N.BitLen(), err)
		}
		return nil
	case KeyECDSA:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("%s signature but a %s key", alg, keyTypeOf(pub))
		}
		if alg.Plain {
			var err error
			if sig, err = plainToDER(sig); err != nil {
				return fmt.Errorf("%w (%s): %v", ErrSignature, alg, err)
			}
		}
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return fmt.Errorf("%w (%s on %s)", ErrSignature, alg, CurveName(k.Curve))
		}
		return nil
	case KeyEd25519:
		return errors.New("Ed25519 signs the message, not a digest")
	}
	return fmt.Errorf("unsupported signature algorithm %s", alg)
}

// pkcs1v15AbsentNull accepts a PKCS #1 v1.5 signature whose DigestInfo
// names the hash without the NULL parameters. RFC 8017 §B.1 requires
// implementations to accept SHA-2 AlgorithmIdentifiers with absent as well as
// NULL parameters; crypto/rsa and OpenSSL accept only NULL, which is why
// OpenSSL rejects the ICAO master lists signed by the United Nations (see
// spec/trustlist.md). The check re-encodes the expected block and compares it
// byte for byte, so no parsing of the decrypted block takes place.
func pkcs1v15AbsentNull(k *rsa.PublicKey, h crypto.Hash, digest, sig []byte) bool {
	size := (k.N.BitLen() + 7) / 8
	if len(sig) != size {
		return false
	}
	var oid asn1.ObjectIdentifier
	for o, hh := range hashOIDs {
		if hh == h {
			if err := oidFromString(o, &oid); err != nil {
				return false
			}
		}
	}
	if oid == nil {
		return false
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oid) })
		b.AddASN1OctetString(digest)
	})
	di, err := b.Bytes()
	if err != nil || len(di)+11 > size {
		return false
	}
	want := make([]byte, size)
	want[1] = 1
	for i := 2; i < size-len(di)-1; i++ {
		want[i] = 0xff
	}
	copy(want[size-len(di):], di)
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(k.N) >= 0 {
		return false
	}
	m := new(big.Int).Exp(s, big.NewInt(int64(k.E)), k.N)
	return subtle.ConstantTimeCompare(m.FillBytes(make([]byte, size)), want) == 1
}

func oidFromString(s string, out *asn1.ObjectIdentifier) error {
	var o asn1.ObjectIdentifier
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return err
		}
		o = append(o, n)
	}
	*out = o
	return nil
}

// plainToDER turns an r‖s ECDSA signature into the DER SEQUENCE crypto/ecdsa reads.
func plainToDER(sig []byte) ([]byte, error) {
	if len(sig) == 0 || len(sig)%2 != 0 || len(sig) > 256 {
		return nil, errors.New("plain ECDSA signature of odd or excessive length")
	}
	r := new(big.Int).SetBytes(sig[:len(sig)/2])
	s := new(big.Int).SetBytes(sig[len(sig)/2:])
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.Bytes()
}

func keyTypeOf(pub any) string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}
