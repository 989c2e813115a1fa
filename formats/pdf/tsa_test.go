package pdf

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/internal/pdfsign"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// tsaCert makes a P-256 TSA certificate whose extended key usage is
// timeStamping, marked critical as RFC 3161 §2.3 requires (crypto/x509
// never marks it critical, so the extension is written by hand). parent nil
// means self-signed.
func tsaCert(t testing.TB, cn string, critical bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn, Country: []string{"NL"}},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: critical, Value: eku}},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// tsa is an RFC 3161 time-stamping authority on a local port. It signs
// each request's hash at time at with key, as the certificate signer, and
// puts bag in the token's certificate set in that order: a real TSA puts
// its own certificate; an attacker puts someone else's first.
type tsa struct {
	signer *x509.Certificate
	key    *ecdsa.PrivateKey
	bag    []*x509.Certificate
	at     time.Time
}

func (s tsa) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := s.respond(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		_, _ = w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (s tsa) respond(req *timestamp.Request) ([]byte, error) {
	type algID struct{ Algorithm asn1.ObjectIdentifier }
	type imprint struct {
		Alg    algID
		Hashed []byte
	}
	type info struct {
		Version  int
		Policy   asn1.ObjectIdentifier
		Imprint  imprint
		Serial   *big.Int
		GenTime  time.Time `asn1:"generalized"`
		Nonce    *big.Int  `asn1:"optional"`
		Ordering bool      `asn1:"optional"`
	}
	tst, err := asn1.Marshal(info{Version: 1, Policy: asn1.ObjectIdentifier{1, 2, 3, 4, 1}, Imprint: imprint{Alg: algID{oidSHA256}, Hashed: req.HashedMessage},
		Serial: big.NewInt(time.Now().UnixNano()), GenTime: s.at, Nonce: req.Nonce})
	if err != nil {
		return nil, err
	}
	sd, err := pkcs7.NewSignedData(tst)
	if err != nil {
		return nil, err
	}
	sd.SetContentType(oidTSTInfo)
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	for _, c := range s.bag {
		sd.AddCertificate(c)
	}
	if err := sd.AddSigner(s.signer, s.key, pkcs7.SignerInfoConfig{SkipCertificates: true}); err != nil {
		return nil, err
	}
	token, err := sd.Finish()
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct {
		Status struct{ Status int }
		Token  asn1.RawValue
	}{Token: asn1.RawValue{FullBytes: token}})
}

func tsaEntry(t testing.TB, c *x509.Certificate, ca bool, name string) *trustlist.Entry {
	t.Helper()
	e, err := trustlist.NewX509Entry(c.Raw, ca, []trustlist.DocType{trustlist.DocTSA}, name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// revokedSigner returns a signer and its entry, revoked an hour ago.
func revokedSigner(t *testing.T) (signer, *trustlist.Entry) {
	s := newSigner(t, "Issuer")
	e := pdfEntry(t, s.cert, false, "Issuer")
	rev := *e
	rev.Status, rev.RevokedAt, rev.Reason = trustlist.StatusRevoked, time.Now().Add(-time.Hour).UTC().Truncate(time.Second), "key retired"
	return s, &rev
}

func stampedDoc(t *testing.T, s signer, url string) []byte {
	doc, err := pdfsign.Sign(pdftest.Document(pdftest.Options{}), pdfsign.Options{Key: s.key, Cert: s.cert, TSA: url})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestTimestamp(t *testing.T) {
	tsaC, tsaKey := tsaCert(t, "NL TSA", true, nil, nil)
	stampedAt := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	s, rev := revokedSigner(t)
	doc := stampedDoc(t, s, tsa{signer: tsaC, key: tsaKey, bag: []*x509.Certificate{tsaC}, at: stampedAt}.serve(t))

	// The key was revoked an hour ago: after the trusted timestamp, so the
	// signature made before stays valid.
	a := trustlisttest.NewAnchor(t, "NL")
	a.SignList(t, time.Time{}, 365*24*time.Hour, rev, tsaEntry(t, tsaC, false, "NL TSA"))
	r, err := run(t, trustlisttest.Set(t, a), doc)
	if err != nil || !r.Valid {
		t.Fatalf("want valid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, CheckTimestamp, verify.Pass, "critical timeStamping EKU")
	want(t, r, 0, verify.CheckNotRevoked, verify.Pass, "after the trusted signing time")
	want(t, r, 0, verify.CheckKeyValidAtSigning, verify.Pass, "RFC 3161 timestamp by TSA \"NL TSA\", verified")

	// The same TSA under a CA listed for tsa.
	caC, caKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL TSA CA", IsCA: true})
	subC, subKey := tsaCert(t, "NL TSA 2", true, caC, caKey)
	doc2 := stampedDoc(t, s, tsa{signer: subC, key: subKey, bag: []*x509.Certificate{subC}, at: stampedAt}.serve(t))
	c := trustlisttest.NewAnchor(t, "NL")
	c.SignList(t, time.Time{}, 365*24*time.Hour, rev, tsaEntry(t, caC, true, "NL TSA CA"))
	r, _ = run(t, trustlisttest.Set(t, c), doc2)
	if !r.Valid {
		t.Fatalf("want valid through a TSA CA\n%s", dump(t, r))
	}
	want(t, r, 0, CheckTimestamp, verify.Pass, "chains to the CA \"NL TSA CA\" listed for tsa")

	for _, tc := range []struct {
		name    string
		entries []*trustlist.Entry
		why     string
	}{
		{"TSA not listed", []*trustlist.Entry{rev}, "not listed for tsa"},
		// A TSA is not a document signer: listing it for pdf does not make it a TSA.
		{"TSA listed for pdf only", []*trustlist.Entry{rev, pdfEntry(t, tsaC, false, "NL TSA")}, "not listed for tsa"},
		{"TSA entry revoked", []*trustlist.Entry{rev, revoke(tsaEntry(t, tsaC, false, "NL TSA"), time.Now().Add(-time.Minute))}, "a revoked TSA vouches for no time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := trustlisttest.NewAnchor(t, "NL")
			b.SignList(t, time.Time{}, 365*24*time.Hour, tc.entries...)
			r, _ := run(t, trustlisttest.Set(t, b), doc)
			if r.Valid {
				t.Fatalf("want invalid without a trusted TSA\n%s", dump(t, r))
			}
			want(t, r, 0, verify.CheckNotRevoked, verify.Fail, "key retired")
			want(t, r, 0, CheckTimestamp, verify.Skip, tc.why)
			if len(r.Parts[0].Warnings) == 0 {
				t.Fatal("want a warning that the timestamp is not trusted")
			}
		})
	}
}

func revoke(e *trustlist.Entry, at time.Time) *trustlist.Entry {
	r := *e
	r.Status, r.RevokedAt, r.Reason = trustlist.StatusRevoked, at.UTC().Truncate(time.Second), "key compromise"
	return &r
}

// TestTimestampForgedBag is the attack of issue 10 item 4: the holder of a
// revoked key signs now and gets a backdated token from a throw-away key,
// with the public certificate of a listed TSA put first in the token's
// certificate bag. The token must not be trusted, so not_revoked fails.
func TestTimestampForgedBag(t *testing.T) {
	listed, _ := tsaCert(t, "NL TSA", true, nil, nil)
	throwaway, throwawayKey := tsaCert(t, "NL TSA", true, nil, nil) // same name, any key
	s, rev := revokedSigner(t)
	backdated := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	for _, tc := range []struct {
		name string
		bag  []*x509.Certificate
	}{
		{"listed certificate first", []*x509.Certificate{listed, throwaway}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := stampedDoc(t, s, tsa{signer: throwaway, key: throwawayKey, bag: tc.bag, at: backdated}.serve(t))
			a := trustlisttest.NewAnchor(t, "NL")
			both := trustlisttest.Must(trustlist.NewX509Entry(listed.Raw, false, []trustlist.DocType{trustlist.DocTSA, trustlist.DocPDF}, "NL TSA"))
			a.SignList(t, time.Time{}, 365*24*time.Hour, rev, both)
			r, err := run(t, trustlisttest.Set(t, a), doc)
			if err != nil {
				t.Fatal(err)
			}
			if r.Valid {
				t.Fatalf("a forged timestamp made a revoked key pass\n%s", dump(t, r))
			}
			want(t, r, 0, verify.CheckNotRevoked, verify.Fail, "key retired")
			want(t, r, 0, CheckTimestamp, verify.Skip, "")
		})
	}
}

// TestTimestampNonCriticalEKU: RFC 3161 §2.3 requires the timeStamping EKU
// to be critical; a TSA certificate without it gives no trusted time.
func TestTimestampNonCriticalEKU(t *testing.T) {
	c, k := tsaCert(t, "NL TSA", false, nil, nil)
	s, rev := revokedSigner(t)
	doc := stampedDoc(t, s, tsa{signer: c, key: k, bag: []*x509.Certificate{c}, at: time.Now().Add(-2 * time.Hour)}.serve(t))
	a := trustlisttest.NewAnchor(t, "NL")
	a.SignList(t, time.Time{}, 365*24*time.Hour, rev, tsaEntry(t, c, false, "NL TSA"))
	r, _ := run(t, trustlisttest.Set(t, a), doc)
	want(t, r, 0, CheckTimestamp, verify.Skip, "critical extended key usage timeStamping")
	want(t, r, 0, verify.CheckNotRevoked, verify.Fail, "")
}

// FuzzTimestampToken feeds arbitrary bytes to the CMS and TSTInfo readers
// and the token checks, seeded with a real token and a real PDF signature.
// They must never panic, and a token that is not exactly right is never
// trusted.
func FuzzTimestampToken(f *testing.F) {
	c, k := tsaCert(f, "NL TSA", true, nil, nil)
	sig := []byte("the signature value a token stamps")
	sum := sha256Sum(sig)
	resp, err := tsa{signer: c, key: k, bag: []*x509.Certificate{c}, at: time.Now().Add(-time.Hour)}.respond(&timestamp.Request{HashedMessage: sum})
	if err != nil {
		f.Fatal(err)
	}
	var tr struct {
		Status struct{ Status int }
		Token  asn1.RawValue
	}
	if _, err := asn1.Unmarshal(resp, &tr); err != nil {
		f.Fatal(err)
	}
	f.Add(tr.Token.FullBytes)
	s := newSigner(f, "Fuzz")
	doc := s.sign(f, pdftest.Document(pdftest.Options{}), "fuzz")
	if p7 := cmsOf(f, doc); p7 != nil {
		f.Add(p7)
	}
	env := &verify.Env{Trust: trustlisttest.TrustOne(f, "NL", tsaEntry(f, c, false, "NL TSA")), At: time.Now()}
	tr0 := newTrust(env)
	f.Fuzz(func(t *testing.T, in []byte) {
		if sd, err := parseCMS(in); err == nil && sd.Content != nil {
			_, _ = parseTSTInfo(sd.Content)
		}
		res := tr0.checkTimestampToken(in, sig)
		if !res.Trusted {
			return
		}
		// Only the listed TSA's own key can make a token trusted.
		sd, err := parseCMS(in)
		if err != nil || len(sd.Signers) != 1 {
			t.Fatalf("trusted a token that does not parse: %v", err)
		}
		if sc := sd.signerCertificate(&sd.Signers[0]); sc == nil || !bytes.Equal(sc.Raw, c.Raw) {
			t.Fatal("trusted a token not signed by the listed TSA certificate")
		}
	})
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// cmsOf returns the DER of the first signature's /Contents in doc.
func cmsOf(t testing.TB, doc []byte) []byte {
	i := bytes.Index(doc, []byte("/Contents <"))
	if i < 0 {
		return nil
	}
	j := bytes.IndexByte(doc[i+11:], '>')
	b, err := hex.DecodeString(string(doc[i+11 : i+11+j]))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(b, "\x00")
}

// TestDocumentTimestamp: a document timestamp (/DocTimeStamp, ETSI.RFC3161)
// is verified as a timestamp, by a TSA listed for tsa, not as a document
// signature; when trusted it is proof of existence for the signature it
// covers (a key revoked after it still passes); a PDF with only document
// timestamps is not signed.
func TestDocumentTimestamp(t *testing.T) {
	tsaC, tsaKey := tsaCert(t, "NL TSA", true, nil, nil)
	stampedAt := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	url := tsa{signer: tsaC, key: tsaKey, bag: []*x509.Certificate{tsaC}, at: stampedAt}.serve(t)
	s, rev := revokedSigner(t) // revoked an hour ago, after the stamp
	signed := s.sign(t, pdftest.Document(pdftest.Options{}), "signed, then stamped")
	stamped, err := pdfsign.Sign(signed, pdfsign.Options{DocumentTimestamp: true, TSA: url})
	if err != nil {
		t.Fatal(err)
	}
	year := 365 * 24 * time.Hour

	a := trustlisttest.NewAnchor(t, "NL")
	a.SignList(t, time.Time{}, year, rev, tsaEntry(t, tsaC, false, "NL TSA"))
	r, err := run(t, trustlisttest.Set(t, a), stamped)
	if err != nil || !r.Valid {
		t.Fatalf("want valid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 1, CheckTimestamp, verify.Pass, "proves the revision it covers existed")
	want(t, r, 1, verify.CheckIssuerTrusted, verify.Pass, "NL TSA")
	want(t, r, 0, verify.CheckNotRevoked, verify.Pass, "after the trusted signing time")
	want(t, r, 0, verify.CheckKeyValidAtSigning, verify.Pass, "proof of existence")

	// The TSA listed for pdf only: the stamp proves nothing, the revoked key fails.
	b := trustlisttest.NewAnchor(t, "NL")
	b.SignList(t, time.Time{}, year, rev, pdfEntry(t, tsaC, false, "NL TSA"))
	r, _ = run(t, trustlisttest.Set(t, b), stamped)
	if r.Valid {
		t.Fatalf("want invalid\n%s", dump(t, r))
	}
	want(t, r, 1, CheckTimestamp, verify.Skip, "not listed for tsa")
	want(t, r, 0, verify.CheckNotRevoked, verify.Fail, "key retired")

	// Only a document timestamp: not a signed document.
	only, err := pdfsign.Sign(pdftest.Document(pdftest.Options{}), pdfsign.Options{DocumentTimestamp: true, TSA: url})
	if err != nil {
		t.Fatal(err)
	}
	r, _ = run(t, trustlisttest.Set(t, a), only)
	if r.Valid {
		t.Fatalf("a document timestamp alone made a PDF valid\n%s", dump(t, r))
	}
	want(t, r, -1, verify.CheckSignature, verify.Fail, "only document timestamps")
}
