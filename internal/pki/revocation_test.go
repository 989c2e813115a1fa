package pki

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/accord-network/accord/internal/pki/pkitest"
)

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
	ca := pkitest.NewCA(t, pkix.Name{CommonName: "Test CA"})
	v.ca = ca.Cert
	v.leaf, _ = ca.Issue(t, "Signer", 77)
	var respKey crypto.Signer
	v.responder, respKey = ca.Issue(t, "Test OCSP", 78, x509.ExtKeyUsageOCSPSigning)
	v.now = time.Now().UTC().Truncate(time.Second)
	base := ocsp.Response{SerialNumber: big.NewInt(77), ThisUpdate: v.now.Add(-time.Hour), NextUpdate: v.now.Add(time.Hour), ProducedAt: v.now}
	good := base
	good.Status = ocsp.Good
	v.good = ca.OCSP(t, good, nil, nil)
	rev := base
	rev.Status, rev.RevokedAt, rev.RevocationReason = ocsp.Revoked, v.now.Add(-30*time.Minute), ocsp.KeyCompromise
	v.revoked = ca.OCSP(t, rev, nil, nil)
	v.delegated = ca.OCSP(t, good, v.responder, respKey)
	v.crl = ca.CRL(t, v.now.Add(-time.Hour), v.now.Add(time.Hour), x509.RevocationListEntry{SerialNumber: big.NewInt(5), RevocationTime: v.now.Add(-2 * time.Hour)})
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
