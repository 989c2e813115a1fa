// Package listimport reads the trust lists other ecosystems publish — the EU
// DCC gateway's (dccg), key-only national DCC lists (dcckeys), ETSI TS 119 612
// trusted lists (etsitl), WHO GDHCN DID trust lists (gdhcn) and ICAO CSCA
// master lists (icaoml) — into trust-list entries, one item at a time, with
// each item's and the source's signature checked and recorded.
//
// It is internal: it serves the anchor-side `accord list import`, and its
// shapes follow what that command reports. Applications verify documents
// against Accord lists (package verify), never against these formats.
package listimport

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// MaxSourceSize bounds one source file.
const MaxSourceSize = 64 << 20

// Item is one key or certificate of a source list.
type Item struct {
	// Ref is how the source names the item (its kid, or its position and
	// name), for reports.
	Ref string
	// Country is the item's country as the source gives it ("" when the
	// source does not say).
	Country string
	// Entry is the trust-list entry made from the item (its Country and
	// Source are set by the importer); nil when the item is refused.
	Entry *trustlist.Entry
	// Refused says why the item cannot be imported; nil when it can.
	Refused error
	// Signature, Signer and SignatureDetail describe the item's own
	// signature where the format signs items one by one (dccg); empty
	// Signature means the item carries none of its own.
	Signature       string
	Signer          string
	SignatureDetail string
	// SignedAt is the signing time the item's own signature signs (dccg's
	// CMS signingTime), when it has one and the signature verified.
	SignedAt time.Time
}

// Source is a parsed source list.
type Source struct {
	Format     string
	FileSHA256 []byte
	// Name describes the source for people ("EU DCC gateway trust list").
	Name string
	// Issued is the source's own date, when it gives one.
	Issued time.Time
	// Signature is trustlist.SourceVerified, SourceUnsigned or
	// SourceUnverified for the source as a whole; Signer names who signed
	// it; SignatureDetail says what was checked or why it failed.
	Signature       string
	Signer          string
	SignatureDetail string
	// SignerCert is the certificate whose signature verified (icao-ml's
	// master-list signer), when the format has one.
	SignerCert *pki.Certificate
	Items      []Item
}

// Options are the inputs a parser needs besides the file.
type Options struct {
	// Roots are the certificates trusted to sign sources (--source-root):
	// DCCG upload certificates, ETSI LOTL signers, the GDHCN trust-list
	// signer, ICAO CSCAs for master-list signers.
	Roots []*pki.Certificate
	// At is the time certificates are judged at (zero: now).
	At time.Time
}

// Now returns o.At or the current time.
func (o Options) Now() time.Time {
	if o.At.IsZero() {
		return time.Now()
	}
	return o.At
}

// NewSource starts a Source for file contents b.
func NewSource(format string, b []byte) *Source {
	sum := sha256.Sum256(b)
	return &Source{Format: format, FileSHA256: sum[:]}
}

// Provenance returns the provenance to record on it's item's entry.
func (s *Source) Provenance(it *Item) *trustlist.Provenance {
	p := &trustlist.Provenance{Format: s.Format, FileSHA256: s.FileSHA256, Signer: s.Signer, Signature: s.Signature,
		Issued: s.Issued.UTC().Truncate(time.Second), Name: s.Name}
	if it.Signature != "" {
		p.Signature, p.Signer = it.Signature, it.Signer
	}
	if len(p.Signer) > 512 {
		p.Signer = p.Signer[:512]
	}
	if len(p.Name) > 256 {
		p.Name = p.Name[:256]
	}
	return p
}

// Refuse appends a refused item.
func (s *Source) Refuse(ref, country string, format string, a ...any) {
	s.Items = append(s.Items, Item{Ref: ref, Country: country, Refused: fmt.Errorf(format, a...)})
}

// ChainsToRoot reports whether c is one of roots or is issued by one of them
// (one level: upload certificates, list signers and master-list signers are
// issued directly by the root the operator names).
func ChainsToRoot(c *pki.Certificate, roots []*pki.Certificate, at time.Time) (*pki.Certificate, error) {
	if len(roots) == 0 {
		return nil, fmt.Errorf("no --source-root given, so the signer %q is not trusted", c.Subject)
	}
	var why error
	for _, r := range roots {
		if string(r.Raw) == string(c.Raw) {
			return r, nil
		}
		if string(c.RawIssuer) != string(r.RawSubject) {
			continue
		}
		if err := c.CheckSignatureFrom(r); err != nil {
			why = err
			continue
		}
		return r, nil
	}
	if why != nil {
		return nil, fmt.Errorf("the signer %q names a --source-root as issuer, but %v", c.Subject, why)
	}
	return nil, fmt.Errorf("the signer %q is none of the %d --source-root certificates and not issued by one", c.Subject, len(roots))
}

// SignerName is how provenance names a signing certificate: its common
// name and country when it has them, else its whole subject.
func SignerName(c *pki.Certificate) string {
	if cn := c.Subject.CommonName; cn != "" {
		if len(c.Subject.Country) == 1 {
			return cn + " (" + c.Subject.Country[0] + ")"
		}
		return cn
	}
	return c.Subject.String()
}
