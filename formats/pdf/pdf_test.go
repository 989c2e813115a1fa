package pdf

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/internal/pdfsign"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

var ekuDocSigning = []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 36}}

type signer struct {
	cert  *x509.Certificate
	key   *ecdsa.PrivateKey
	chain []*x509.Certificate
}

func newSigner(t testing.TB, cn string) signer {
	c, k := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: cn, Country: "NL", UnknownExtKeyUsage: ekuDocSigning})
	return signer{cert: c, key: k}
}

func (s signer) sign(t testing.TB, doc []byte, reason string) []byte {
	t.Helper()
	out, err := pdfsign.Sign(doc, pdfsign.Options{Key: s.key, Cert: s.cert, Chain: s.chain, Name: s.cert.Subject.CommonName, Reason: reason, Location: "Rotterdam"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pdfEntry(t testing.TB, c *x509.Certificate, ca bool, name string) *trustlist.Entry {
	t.Helper()
	e, err := trustlist.NewX509Entry(c.Raw, ca, []trustlist.DocType{trustlist.DocPDF}, name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func run(t testing.TB, set verify.TrustedMaterial, doc []byte) (*verify.Result, error) {
	t.Helper()
	return verify.New(set, verify.Options{}).Verify(context.Background(), doc)
}

func dump(t testing.TB, r *verify.Result) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}

// status returns the status of the named check in r or, if r has none, in
// its first part.
func status(r *verify.Result, part int, name string) verify.Status {
	if part >= 0 {
		if part >= len(r.Parts) {
			return "missing-part"
		}
		r = r.Parts[part]
	}
	if c := r.Check(name); c != nil {
		return c.Status
	}
	return "missing"
}

func want(t *testing.T, r *verify.Result, part int, name string, st verify.Status, detail string) {
	t.Helper()
	if got := status(r, part, name); got != st {
		t.Fatalf("part %d check %s = %s, want %s\n%s", part, name, got, st, dump(t, r))
	}
	if detail != "" {
		x := r
		if part >= 0 {
			x = r.Parts[part]
		}
		if d := x.Check(name).Detail; !strings.Contains(d, detail) {
			t.Fatalf("part %d check %s detail %q does not contain %q", part, name, d, detail)
		}
	}
}

func TestValidSingleSignature(t *testing.T) {
	s := newSigner(t, "Port of Rotterdam Authority")
	doc := s.sign(t, pdftest.Document(pdftest.Options{Pages: 2}), "Certificate of origin")
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Port of Rotterdam"))
	r, err := run(t, set, doc)
	if err != nil || !r.Valid {
		t.Fatalf("want valid, got err=%v\n%s", err, dump(t, r))
	}
	if r.Format != "pdf" || len(r.Parts) != 1 {
		t.Fatalf("format %q, %d parts", r.Format, len(r.Parts))
	}
	p := r.Parts[0]
	for _, n := range []string{verify.CheckIntegrity, verify.CheckSignature, verify.CheckKeyUsage, CheckCertificate, verify.CheckIssuerTrusted,
		verify.CheckKeyValidAtSigning, verify.CheckNotRevoked, verify.CheckListFresh} {
		want(t, r, 0, n, verify.Pass, "")
	}
	want(t, r, 0, verify.CheckKeyUsage, verify.Pass, "RFC 9336")
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Pass, "itself is listed")
	want(t, r, -1, CheckUnsignedChanges, verify.Pass, "")
	if p.Issuer == nil || p.Issuer.Country != "NL" || p.Issuer.Name != "Port of Rotterdam" || r.Issuer == nil {
		t.Fatalf("issuer %+v", p.Issuer)
	}
	fields := map[string]string{}
	for _, f := range p.Summary {
		fields[f.Label] = f.Value
	}
	if fields["Reason"] != "Certificate of origin" || fields["Location"] != "Rotterdam" || fields["Signer"] != "Port of Rotterdam Authority" ||
		!strings.Contains(fields["Signed at"], "signer's own claim") {
		t.Fatalf("summary %v", fields)
	}
	if len(p.Warnings) == 0 || !strings.Contains(p.Warnings[0], "signer's own claim") {
		t.Fatalf("want a warning that the time is the signer's claim, got %v", p.Warnings)
	}
}

func TestTwoSignatures(t *testing.T) {
	a, b := newSigner(t, "Exporter BV"), newSigner(t, "Chamber of Commerce")
	doc := b.sign(t, a.sign(t, pdftest.Document(pdftest.Options{}), "Exporter declaration"), "Certified origin")
	t.Run("both trusted", func(t *testing.T) {
		set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, a.cert, false, "Exporter"), pdfEntry(t, b.cert, false, "KvK"))
		r, err := run(t, set, doc)
		if err != nil || !r.Valid || len(r.Parts) != 2 {
			t.Fatalf("want valid with 2 parts, err=%v\n%s", err, dump(t, r))
		}
		want(t, r, 0, verify.CheckIntegrity, verify.Pass, "later revisions follow")
		want(t, r, 1, verify.CheckIntegrity, verify.Pass, "the whole file")
		if r.Parts[0].Issuer.Name != "Exporter" || r.Parts[1].Issuer.Name != "KvK" {
			t.Fatalf("issuers %v %v", r.Parts[0].Issuer, r.Parts[1].Issuer)
		}
	})
	t.Run("one untrusted", func(t *testing.T) {
		set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, b.cert, false, "KvK"))
		r, err := run(t, set, doc)
		if err != nil || r.Valid {
			t.Fatalf("want invalid, err=%v\n%s", err, dump(t, r))
		}
		want(t, r, 0, verify.CheckSignature, verify.Pass, "")
		want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, "not in any trust list")
		want(t, r, 1, verify.CheckIssuerTrusted, verify.Pass, "")
		if !r.Parts[1].Finish().Valid || r.Parts[0].Finish().Valid {
			t.Fatal("the trusted signature's part must be valid and the untrusted one's not")
		}
	})
}

func TestByteFlippedInSignedRange(t *testing.T) {
	s := newSigner(t, "Issuer")
	doc := s.sign(t, pdftest.Document(pdftest.Options{}), "r")
	i := bytes.Index(doc, []byte("Page 1 of 1"))
	doc[i+5] = '7' // "Page 7 of 1": still a well-formed PDF
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Issuer"))
	r, err := run(t, set, doc)
	if err != nil || r.Valid {
		t.Fatalf("want invalid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, verify.CheckIntegrity, verify.Fail, "altered after signing")
	want(t, r, 0, verify.CheckSignature, verify.Fail, "")
}

func TestIncrementalUpdateAfterSigning(t *testing.T) {
	s := newSigner(t, "Issuer")
	signed := s.sign(t, pdftest.Document(pdftest.Options{Pages: 2}), "r")
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Issuer"))
	for _, tc := range []struct {
		u    pdftest.Update
		want []string
	}{
		{pdftest.AddAnnotation, []string{"replaced object 5 (page 1)", "added object", "an annotation /Text"}},
		{pdftest.ReplaceContent, []string{"replaced object 6 (the content stream of page 1"}},
		{pdftest.RepointContent, []string{"replaced object 5 (page 1, with other content, resources or size)"}},
	} {
		doc, err := pdftest.Append(signed, tc.u)
		if err != nil {
			t.Fatal(err)
		}
		// An annotation is an allowed change (a warning); the strict policy
		// refuses it. Content changes fail either way.
		r, err := run(t, set, doc)
		if err != nil || r.Valid != (tc.u == pdftest.AddAnnotation) {
			t.Fatalf("valid=%v for update %d, err=%v\n%s", r.Valid, tc.u, err, dump(t, r))
		}
		SetStrict(true)
		r2, _ := run(t, set, doc)
		SetStrict(false)
		if r2.Valid {
			t.Fatalf("the strict policy accepted update %d\n%s", tc.u, dump(t, r2))
		}
		// The signature itself still verifies over what it covers.
		want(t, r, 0, verify.CheckSignature, verify.Pass, "")
		want(t, r2, -1, CheckUnsignedChanges, verify.Fail, "appended after the last signature")
		for _, w := range tc.want {
			want(t, r2, -1, CheckUnsignedChanges, verify.Fail, w)
		}
		if tc.u == pdftest.AddAnnotation {
			want(t, r, -1, CheckUnsignedChanges, verify.Pass, "allowed change")
			if len(r.Warnings) == 0 {
				t.Fatal("want a warning about the allowed change")
			}
		} else {
			want(t, r, -1, CheckUnsignedChanges, verify.Fail, "modifies the document")
		}
	}
}

func TestSignerNotListed(t *testing.T) {
	s, other := newSigner(t, "Stranger"), newSigner(t, "Listed")
	doc := s.sign(t, pdftest.Document(pdftest.Options{}), "r")
	// A trust list that names another key; and no trust material at all.
	for _, set := range []verify.TrustedMaterial{trustlisttest.TrustOne(t, "NL", pdfEntry(t, other.cert, false, "Listed")), trustlist.NewSet(trustlist.DefaultPolicy())} {
		r, err := run(t, set, doc)
		if err != nil || r.Valid {
			t.Fatalf("want invalid, err=%v\n%s", err, dump(t, r))
		}
		want(t, r, 0, verify.CheckSignature, verify.Pass, "")
		want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, "\"Stranger\"")
	}
	// Listed, but for another document type.
	e, err := trustlist.NewX509Entry(s.cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "Health")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := run(t, trustlisttest.TrustOne(t, "DE", e), doc)
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, "not allowed to sign pdf")
}

func TestEmbeddedCertificatesAreNotRoots(t *testing.T) {
	// The PDF carries its own self-signed CA; nothing lists it.
	ca, caKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Self CA", IsCA: true})
	leaf, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Leaf", Parent: ca, ParentKey: caKey, UnknownExtKeyUsage: ekuDocSigning})
	doc := signer{cert: leaf, key: key, chain: []*x509.Certificate{ca}}.sign(t, pdftest.Document(pdftest.Options{}), "r")
	other, _ := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Listed CA", IsCA: true})
	r, err := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, other, true, "Listed CA")), doc)
	if err != nil || r.Valid {
		t.Fatalf("want invalid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, "")
}

func TestChainedToListedCA(t *testing.T) {
	root, rootKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL Document CA", IsCA: true})
	inter, interKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL Issuing CA", IsCA: true, Parent: root, ParentKey: rootKey})
	leaf, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Customs officer", Parent: inter, ParentKey: interKey,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}})
	doc := signer{cert: leaf, key: key, chain: []*x509.Certificate{inter}}.sign(t, pdftest.Document(pdftest.Options{}), "r")
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, root, true, "NL Document CA"))
	r, err := run(t, set, doc)
	if err != nil || !r.Valid {
		t.Fatalf("want valid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Pass, "through 1 intermediate")
	want(t, r, 0, verify.CheckKeyUsage, verify.Pass, "emailProtection")
	if r.Parts[0].Issuer.Name != "NL Document CA" {
		t.Fatalf("issuer %+v", r.Parts[0].Issuer)
	}
	// Without the intermediate in the PDF there is no path.
	doc2 := signer{cert: leaf, key: key}.sign(t, pdftest.Document(pdftest.Options{}), "r")
	r, _ = run(t, set, doc2)
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, "")
}

func TestRevokedEntry(t *testing.T) {
	s := newSigner(t, "Issuer")
	doc := s.sign(t, pdftest.Document(pdftest.Options{}), "r")
	a := trustlisttest.NewAnchor(t, "NL")
	e := pdfEntry(t, s.cert, false, "Issuer")
	a.SignList(t, time.Time{}, 365*24*time.Hour, e)
	rev := *e
	rev.Status, rev.RevokedAt, rev.Reason = trustlist.StatusRevoked, time.Now().Add(-time.Hour).UTC().Truncate(time.Second), "key compromised"
	a.SignList(t, time.Now().Add(-30*time.Minute), 365*24*time.Hour, &rev)
	r, err := run(t, trustlisttest.Set(t, a), doc)
	if err != nil || r.Valid {
		t.Fatalf("want invalid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, verify.CheckNotRevoked, verify.Fail, "key compromised")
}

func TestExpiredCertificateAtSigning(t *testing.T) {
	// Listed directly: the entry's window ends before the claimed signing time.
	c, k := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Old", NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-48 * time.Hour), UnknownExtKeyUsage: ekuDocSigning})
	doc, err := pdfsign.Sign(pdftest.Document(pdftest.Options{}), pdfsign.Options{Key: k, Cert: c, Date: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, c, false, "Old")), doc)
	if err != nil || r.Valid {
		t.Fatalf("want invalid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, CheckCertificate, verify.Fail, "not at the signing time")
	want(t, r, 0, verify.CheckKeyValidAtSigning, verify.Fail, "outside the key's validity")

	// Chained to a listed CA: the CA is still named, the path fails in time.
	root, rootKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "CA", IsCA: true, NotBefore: time.Now().Add(-100 * time.Hour)})
	leaf, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Expired leaf", Parent: root, ParentKey: rootKey,
		NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-48 * time.Hour), UnknownExtKeyUsage: ekuDocSigning})
	doc, err = pdfsign.Sign(pdftest.Document(pdftest.Options{}), pdfsign.Options{Key: key, Cert: leaf})
	if err != nil {
		t.Fatal(err)
	}
	r, _ = run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, root, true, "CA")), doc)
	if r.Valid {
		t.Fatalf("want invalid\n%s", dump(t, r))
	}
	want(t, r, 0, CheckCertificate, verify.Fail, "not at the signing time")
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Pass, "chains to the listed CA")
}

func TestKeyUsage(t *testing.T) {
	c, k := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "TLS server", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	doc, err := pdfsign.Sign(pdftest.Document(pdftest.Options{}), pdfsign.Options{Key: k, Cert: c})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, c, false, "TLS")), doc)
	want(t, r, 0, verify.CheckKeyUsage, verify.Fail, "serverAuth does not allow signing documents")

	c, k = trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "No EKU"})
	doc, _ = pdfsign.Sign(pdftest.Document(pdftest.Options{}), pdfsign.Options{Key: k, Cert: c})
	r, _ = run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, c, false, "No EKU")), doc)
	want(t, r, 0, verify.CheckKeyUsage, verify.Pass, "no extended key usage")
	if !r.Valid {
		t.Fatalf("want valid\n%s", dump(t, r))
	}
}

func TestMalformedAndUnsigned(t *testing.T) {
	set := trustlisttest.TrustOne(t, "NL")
	s := newSigner(t, "Issuer")
	signed := s.sign(t, pdftest.Document(pdftest.Options{}), "r")
	for name, tc := range map[string]struct {
		in   []byte
		want string
	}{
		"not a pdf": {[]byte("hello, this is plain text and not a document"), "not a PDF"},
		"truncated": {signed[:len(signed)/2], "truncated PDF"},
		"garbage":   {append([]byte("%PDF-1.7\n garbage garbage\n"), []byte("%%EOF\n")...), "cannot read the PDF"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Verify(context.Background(), tc.in, &verify.Env{Trust: set, At: time.Now()})
			if !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrMalformed containing %q", err, tc.want)
			}
			if r == nil || r.Finish().Valid || status(r, -1, verify.CheckDecoded) != verify.Error {
				t.Fatalf("result %s", dump(t, r))
			}
		})
	}
	r, err := run(t, set, pdftest.Document(pdftest.Options{}))
	if err != nil || r.Valid {
		t.Fatalf("unsigned: err=%v valid=%v", err, r.Valid)
	}
	want(t, r, -1, verify.CheckDecoded, verify.Pass, "")
	want(t, r, -1, verify.CheckSignature, verify.Fail, "no digital signature")
}

func TestSizeLimit(t *testing.T) {
	defer SetMaxSize(0)
	doc := pdftest.Document(pdftest.Options{})
	SetMaxSize(100)
	_, err := Verify(context.Background(), doc, &verify.Env{At: time.Now()})
	if !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), "exceeds the 100 byte limit") {
		t.Fatalf("err = %v", err)
	}
}

func TestDetect(t *testing.T) {
	f, ok := verify.Lookup("pdf")
	if !ok || f.(Format).Priority() >= 100 {
		t.Fatal("pdf format not registered with priority < 100")
	}
	if !Detect(append(bytes.Repeat([]byte{' '}, 900), "%PDF-1.4"...)) || Detect(append(bytes.Repeat([]byte{' '}, 1100), "%PDF-1.4"...)) || Detect(nil) {
		t.Fatal("Detect must find %PDF- within the first 1024 bytes only")
	}
}

// TestUnterminatedArrayDoesNotHang pins a fuzz finding: digitorus/pdf loops
// forever on an array still open at endobj; prescan refuses it first.
func TestUnterminatedArrayDoesNotHang(t *testing.T) {
	s := newSigner(t, "Issuer")
	doc := s.sign(t, pdftest.Document(pdftest.Options{}), "r")
	bad := bytes.Replace(doc, []byte("/Kids [5 0 R ]"), []byte("/Kids [5 0 R  "), 1)
	done := make(chan error, 1)
	go func() {
		_, err := Verify(context.Background(), bad, &verify.Env{At: time.Now()})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), "an array") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Verify hung on an unterminated array")
	}
}

func TestCertifiedThenChanged(t *testing.T) {
	a, b := newSigner(t, "Certifier"), newSigner(t, "Later")
	doc, err := pdfsign.Sign(pdftest.Document(pdftest.Options{}), pdfsign.Options{Key: a.key, Cert: a.cert, Certify: true})
	if err != nil {
		t.Fatal(err)
	}
	doc = b.sign(t, doc, "later")
	r, err := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, a.cert, false, "A"), pdfEntry(t, b.cert, false, "B")), doc)
	if err != nil || r.Valid {
		t.Fatalf("want invalid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, verify.CheckIntegrity, verify.Fail, "certification (DocMDP) does not permit")
}

// TestChangesBetweenSignatures: a later signature covers an update made
// after the first one. Adding an annotation is allowed; replacing what the
// page shows (a shadow attack) fails the first signature's part.
func TestChangesBetweenSignatures(t *testing.T) {
	a, b := newSigner(t, "First"), newSigner(t, "Second")
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, a.cert, false, "A"), pdfEntry(t, b.cert, false, "B"))
	first := a.sign(t, pdftest.Document(pdftest.Options{}), "first")

	plain := b.sign(t, first, "second")
	r, _ := run(t, set, plain)
	want(t, r, 0, CheckLaterRevisions, verify.Pass, "a signature")
	if !r.Valid {
		t.Fatalf("want valid\n%s", dump(t, r))
	}

	annotated, err := pdftest.Append(first, pdftest.AddAnnotation)
	if err != nil {
		t.Fatal(err)
	}
	r, _ = run(t, set, b.sign(t, annotated, "second"))
	want(t, r, 0, CheckLaterRevisions, verify.Pass, "an annotation /Text")
	if !r.Valid {
		t.Fatalf("want valid\n%s", dump(t, r))
	}

	shadow, err := pdftest.Append(first, pdftest.ReplaceContent)
	if err != nil {
		t.Fatal(err)
	}
	r, _ = run(t, set, b.sign(t, shadow, "second"))
	if r.Valid {
		t.Fatalf("want invalid\n%s", dump(t, r))
	}
	want(t, r, 0, CheckLaterRevisions, verify.Fail, "the content stream of page 1")
	want(t, r, 1, verify.CheckSignature, verify.Pass, "")
	if status(r, 1, CheckLaterRevisions) != "missing" {
		t.Fatal("the last signature has no later revisions to judge")
	}
}

// TestSignedObjectStreamDocument: a PDF 1.5 file whose catalog, page tree
// and pages sit in a compressed object stream behind a cross-reference
// stream is signed and verified like any other (its signature is found by
// walking the pages, since /ByteRange could hide in an object stream).
func TestSignedObjectStreamDocument(t *testing.T) {
	s := newSigner(t, "Port of Rotterdam")
	doc := s.sign(t, pdftest.Document(pdftest.Options{ObjectStream: true, Pages: 2}), "object streams")
	r, err := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Port of Rotterdam")), doc)
	if err != nil || !r.Valid || len(r.Parts) != 1 {
		t.Fatalf("want valid with one signature, err=%v\n%s", err, dump(t, r))
	}
}
