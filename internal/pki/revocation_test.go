package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// testCert makes a P-256 certificate signed by parent (self-signed when nil).
func testCert(t testing.TB, cn string, serial int64, ca bool, eku []x509.ExtKeyUsage, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		BasicConstraintsValid: true, IsCA: ca, ExtKeyUsage: eku,
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
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

func mustParse(t testing.TB, c *x509.Certificate) *Certificate {
	t.Helper()
	pc, err := Parse(c.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// revocationVectors returns OCSP responses and a CRL made by Go's own
// encoders (x/crypto/ocsp, crypto/x509) about leaf, issued by ca.
type revocationVectors struct {
	ca, leaf, responder      *x509.Certificate
	good, revoked, delegated []byte
	crl                      []byte
	now                      time.Time
}

func makeRevocationVectors(t testing.TB) revocationVectors {
	t.Helper()
	var v revocationVectors
	var caKey, respKey *ecdsa.PrivateKey
	v.ca, caKey = testCert(t, "Test CA", 1, true, nil, nil, nil)
	v.leaf, _ = testCert(t, "Signer", 77, false, nil, v.ca, caKey)
	v.responder, respKey = testCert(t, "Test OCSP", 78, false, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, v.ca, caKey)
	v.now = time.Now().UTC().Truncate(time.Second)
	mk := func(tmpl ocsp.Response, responder *x509.Certificate, key crypto.Signer) []byte {
		b, err := ocsp.CreateResponse(v.ca, responder, tmpl, key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	base := ocsp.Response{SerialNumber: big.NewInt(77), ThisUpdate: v.now.Add(-time.Hour), NextUpdate: v.now.Add(time.Hour), ProducedAt: v.now}
	good := base
	good.Status = ocsp.Good
	v.good = mk(good, v.ca, caKey)
	rev := base
	rev.Status, rev.RevokedAt, rev.RevocationReason = ocsp.Revoked, v.now.Add(-30*time.Minute), ocsp.KeyCompromise
	v.revoked = mk(rev, v.ca, caKey)
	del := good
	del.Certificate = v.responder
	v.delegated = mk(del, v.responder, respKey)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: v.now.Add(-time.Hour), NextUpdate: v.now.Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(5), RevocationTime: v.now.Add(-2 * time.Hour)}},
	}, v.ca, caKey)
	if err != nil {
		t.Fatal(err)
	}
	v.crl = crl
	return v
}

// TestOCSPAgainstXCrypto reads responses made by x/crypto/ocsp and checks
// every field against what that library reads, and the signature rules.
func TestOCSPAgainstXCrypto(t *testing.T) {
	v := makeRevocationVectors(t)
	ca, leaf, resp := mustParse(t, v.ca), mustParse(t, v.leaf), mustParse(t, v.responder)
	for name, der := range map[string][]byte{"good": v.good, "revoked": v.revoked, "delegated": v.delegated} {
		want, err := ocsp.ParseResponse(der, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseOCSPResponse(der)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got.Responses) != 1 {
			t.Fatalf("%s: %d responses", name, len(got.Responses))
		}
		sr := got.Responses[0]
		wantStatus := map[int]CertStatus{ocsp.Good: StatusGood, ocsp.Revoked: StatusRevoked, ocsp.Unknown: StatusUnknown}[want.Status]
		if sr.Status != wantStatus || !sr.ThisUpdate.Equal(want.ThisUpdate) || !sr.NextUpdate.Equal(want.NextUpdate) ||
			!got.ProducedAt.Equal(want.ProducedAt) || sr.SerialNumber.Cmp(want.SerialNumber) != 0 || !sr.RevokedAt.Equal(want.RevokedAt) {
			t.Errorf("%s: got %+v produced %s, x/crypto reads %+v", name, sr, got.ProducedAt, want)
		}
		if name == "revoked" && sr.Reason != ocsp.KeyCompromise {
			t.Errorf("reason %d", sr.Reason)
		}
		if !sr.For(leaf, ca) {
			t.Errorf("%s: the response is not recognised as about the signer", name)
		}
		if sr.For(ca, ca) {
			t.Errorf("%s: the response is taken as about the CA", name)
		}
		signer := ca
		if name == "delegated" {
			signer = resp
			if len(got.Certificates) != 1 {
				t.Errorf("delegated: %d certificates carried", len(got.Certificates))
			}
			if err := got.SignedBy(ca); err == nil {
				t.Error("delegated: a response signed by the responder verifies with the CA's key")
			}
		}
		if err := got.SignedBy(signer); err != nil {
			t.Errorf("%s: signature: %v", name, err)
		}
		bad := *got
		bad.RawTBSResponseData = append([]byte(nil), got.RawTBSResponseData...)
		bad.RawTBSResponseData[len(bad.RawTBSResponseData)-1] ^= 1
		if err := bad.SignedBy(signer); err == nil {
			t.Errorf("%s: a changed response still verifies", name)
		}
	}
	if _, err := ParseOCSPResponse([]byte{0x30, 0x03, 0x0a, 0x01, 0x01}); err == nil {
		t.Error("a malformedRequest status response was accepted")
	}
}

// TestCRLAgainstX509 reads a CRL made by crypto/x509 and checks it against
// what crypto/x509 reads, and the issuer rule.
func TestCRLAgainstX509(t *testing.T) {
	v := makeRevocationVectors(t)
	want, err := x509.ParseRevocationList(v.crl)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCRL(v.crl)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ThisUpdate.Equal(want.ThisUpdate) || !got.NextUpdate.Equal(want.NextUpdate) || len(got.Revoked) != len(want.RevokedCertificateEntries) {
		t.Errorf("got %+v, crypto/x509 reads %+v", got, want)
	}
	if e, ok := got.Revoked["5"]; !ok || !e.RevokedAt.Equal(want.RevokedCertificateEntries[0].RevocationTime) {
		t.Errorf("serial 5: %+v %v", e, ok)
	}
	if err := got.SignedBy(mustParse(t, v.ca)); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	if err := got.SignedBy(mustParse(t, v.leaf)); err == nil {
		t.Error("the CRL verifies as issued by the signer")
	}
}
