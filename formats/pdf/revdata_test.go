package pdf

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/internal/pdfsign"
	"github.com/accord-network/accord/internal/pki/pkitest"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// revFixture is a listed CA, a signer it issued, a responder it
// authorised and an unauthorised certificate, for embedded revocation data.
type revFixture struct {
	ca                        *pkitest.CA
	leaf, responder, stranger *x509.Certificate
	leafKey, respKey, strKey  crypto.Signer
	signedAt                  time.Time
}

func newRevFixture(t *testing.T) *revFixture {
	f := &revFixture{signedAt: time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)}
	ca := pkitest.NewCA(t, pkix.Name{CommonName: "NL Document CA", Country: []string{"NL"}})
	leaf, leafKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Port of Rotterdam", UnknownExtKeyUsage: ekuDocSigning, Parent: ca.Cert, ParentKey: ca.Key})
	resp, respKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL OCSP", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, Parent: ca.Cert, ParentKey: ca.Key})
	str, strKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Someone", Parent: ca.Cert, ParentKey: ca.Key})
	f.ca, f.leaf, f.responder, f.stranger = ca, leaf, resp, str
	f.leafKey, f.respKey, f.strKey = leafKey, respKey, strKey
	return f
}

// ocsp makes a response about the signer, signed by the CA (responder nil)
// or by responder with key.
func (f *revFixture) ocsp(t *testing.T, status int, revokedAt, thisUpdate time.Time, responder *x509.Certificate, key crypto.Signer) []byte {
	t.Helper()
	return f.ca.OCSP(t, ocsp.Response{Status: status, SerialNumber: f.leaf.SerialNumber, ThisUpdate: thisUpdate, NextUpdate: thisUpdate.Add(2 * time.Hour),
		RevokedAt: revokedAt, ProducedAt: thisUpdate}, responder, key)
}

// crl makes the CA's CRL, valid from just after the signing time for a
// day, listing revoked (revoked at at) if it is not nil.
func (f *revFixture) crl(t *testing.T, revoked *big.Int, at time.Time) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	if revoked != nil {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: revoked, RevocationTime: at})
	}
	return f.ca.CRL(t, f.signedAt.Add(time.Minute), f.signedAt.Add(24*time.Hour), entries...)
}

// verify signs a document embedding the data and verifies it with the CA
// listed for pdf.
func (f *revFixture) verify(t *testing.T, ocsps, crls [][]byte) *verify.Result {
	return f.verifyStamped(t, ocsps, crls, false)
}

// verifyStamped is verify, with an RFC 3161 timestamp at the signing time
// from a listed TSA when stamped.
func (f *revFixture) verifyStamped(t *testing.T, ocsps, crls [][]byte, stamped bool) *verify.Result {
	t.Helper()
	o := pdfsign.Options{Key: f.leafKey, Cert: f.leaf, Chain: []*x509.Certificate{f.ca.Cert}, Date: f.signedAt, OCSP: ocsps, CRLs: crls}
	entries := []*trustlist.Entry{pdfEntry(t, f.ca.Cert, true, "NL Document CA")}
	if stamped {
		tsaC, tsaKey := tsaCert(t, "NL TSA", true, nil, nil)
		o.TSA = tsa{signer: tsaC, key: tsaKey, bag: []*x509.Certificate{tsaC}, at: f.signedAt}.serve(t)
		entries = append(entries, tsaEntry(t, tsaC, false, "NL TSA"))
	}
	doc, err := pdfsign.Sign(pdftest.Document(pdftest.Options{}), o)
	if err != nil {
		t.Fatal(err)
	}
	a := trustlisttest.NewAnchor(t, "NL")
	a.SignList(t, time.Time{}, 365*24*time.Hour, entries...)
	r, err := run(t, trustlisttest.Set(t, a), doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEmbeddedRevocationData pins spec/pdf.md §Embedded revocation data:
// who may sign a response, which times it must cover, and what a
// revocation does to the signature.
func TestEmbeddedRevocationData(t *testing.T) {
	f := newRevFixture(t)
	after := f.signedAt.Add(10 * time.Minute)
	before := f.signedAt.Add(-10 * time.Minute)

	t.Run("none", func(t *testing.T) {
		r := f.verify(t, nil, nil)
		want(t, r, 0, CheckRevocationData, verify.Skip, "carries no OCSP responses or CRLs")
		if !r.Valid {
			t.Fatalf("want valid\n%s", dump(t, r))
		}
	})
	t.Run("good by the CA", func(t *testing.T) {
		r := f.verify(t, [][]byte{f.ocsp(t, ocsp.Good, time.Time{}, after, nil, nil)}, nil)
		want(t, r, 0, CheckRevocationData, verify.Pass, `"Port of Rotterdam" not revoked (OCSP by the CA "NL Document CA"`)
		if !r.Valid {
			t.Fatalf("want valid\n%s", dump(t, r))
		}
	})
	t.Run("good by an authorised responder", func(t *testing.T) {
		r := f.verify(t, [][]byte{f.ocsp(t, ocsp.Good, time.Time{}, after, f.responder, f.respKey)}, nil)
		want(t, r, 0, CheckRevocationData, verify.Pass, `responder "NL OCSP" authorised by the CA`)
	})
	t.Run("revoked by a responder without OCSPSigning is ignored", func(t *testing.T) {
		r := f.verify(t, [][]byte{f.ocsp(t, ocsp.Revoked, before, after, f.stranger, f.strKey)}, nil)
		want(t, r, 0, CheckRevocationData, verify.Skip, "lacks the OCSPSigning extended key usage")
		if !r.Valid {
			t.Fatalf("an unauthorised response decided the outcome\n%s", dump(t, r))
		}
	})
	t.Run("stale good", func(t *testing.T) {
		r := f.verify(t, [][]byte{f.ocsp(t, ocsp.Good, time.Time{}, f.signedAt.Add(-5*time.Hour), nil, nil)}, nil)
		want(t, r, 0, CheckRevocationData, verify.Skip, "stale at the signing time")
	})
	t.Run("revoked before signing", func(t *testing.T) {
		r := f.verify(t, [][]byte{f.ocsp(t, ocsp.Revoked, before, after, nil, nil)}, nil)
		want(t, r, 0, CheckRevocationData, verify.Fail, "not after the signing time")
		wantIndication(t, r, Indeterminate, "REVOKED_NO_POE")
	})
	t.Run("revoked after a claimed signing time", func(t *testing.T) {
		r := f.verify(t, [][]byte{f.ocsp(t, ocsp.Revoked, after, after, nil, nil)}, nil)
		want(t, r, 0, CheckRevocationData, verify.Fail, "only the signer's claim")
		wantIndication(t, r, Indeterminate, "REVOKED_NO_POE")
	})
	t.Run("revoked after a trusted signing time", func(t *testing.T) {
		r := f.verifyStamped(t, [][]byte{f.ocsp(t, ocsp.Revoked, after, after, nil, nil)}, nil, true)
		want(t, r, 0, CheckRevocationData, verify.Pass, "revoked only after the signing time")
		if !r.Valid || len(r.Parts[0].Warnings) == 0 {
			t.Fatalf("want valid with a warning\n%s", dump(t, r))
		}
	})
	t.Run("revoked before a trusted signing time", func(t *testing.T) {
		r := f.verifyStamped(t, [][]byte{f.ocsp(t, ocsp.Revoked, before, after, nil, nil)}, nil, true)
		want(t, r, 0, CheckRevocationData, verify.Fail, "before the trusted signing time")
		wantIndication(t, r, TotalFailed, "REVOKED")
	})
	t.Run("revoked by the CRL", func(t *testing.T) {
		r := f.verify(t, nil, [][]byte{f.crl(t, f.leaf.SerialNumber, before)})
		want(t, r, 0, CheckRevocationData, verify.Fail, "CRL of \"NL Document CA\"")
	})
	t.Run("good by the CRL", func(t *testing.T) {
		r := f.verify(t, nil, [][]byte{f.crl(t, big.NewInt(999), before)})
		want(t, r, 0, CheckRevocationData, verify.Pass, "CRL of \"NL Document CA\"")
	})
	t.Run("a changed response is ignored", func(t *testing.T) {
		b := f.ocsp(t, ocsp.Revoked, before, after, nil, nil)
		b[len(b)-3] ^= 0xff // inside the signature
		r := f.verify(t, [][]byte{b}, nil)
		if c := r.Parts[0].Check(CheckRevocationData); c == nil || c.Status == verify.Fail {
			t.Fatalf("a response whose signature does not verify decided the outcome\n%s", dump(t, r))
		}
	})
}

func wantIndication(t *testing.T, r *verify.Result, ind, sub string) {
	t.Helper()
	c, _ := r.Parts[0].Claims.(map[string]any)
	if c[ClaimIndication] != ind || c[ClaimSubIndication] != sub {
		t.Fatalf("indication %v / %v, want %s / %s", c[ClaimIndication], c[ClaimSubIndication], ind, sub)
	}
}
