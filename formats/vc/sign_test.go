package vc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/mr-tron/base58"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// Test issuing: an ecdsa-sd-2023 base proof with no mandatory pointers, so
// every statement carries its own signature (W3C VC DI ECDSA §3.5.1–3.5.4
// with mandatoryPointers = []). Verifying never uses this code; it lets the
// tests make credentials for keys they hold.

// didKeyOf returns the did:key verification method id of a P-256 key.
func didKeyOf(t testing.TB, k *ecdsa.PublicKey) string {
	t.Helper()
	mk := append([]byte{0x80, 0x24}, compressed(t, k)...)
	id := "z" + base58.Encode(mk)
	return "did:key:" + id + "#" + id
}

// compressed encodes a P-256 public key as a 33-byte compressed point.
func compressed(t testing.TB, k *ecdsa.PublicKey) []byte {
	t.Helper()
	raw, err := k.Bytes()
	if err != nil || len(raw) != 65 {
		t.Fatalf("public key: %v", err)
	}
	return append([]byte{2 | raw[64]&1}, raw[1:33]...)
}

func sign64(t testing.TB, k *ecdsa.PrivateKey, msg []byte) []byte {
	t.Helper()
	h := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// signBase adds an ecdsa-sd-2023 base proof by issuer (verification method
// vm) to doc and returns the credential as JSON.
func signBase(t testing.TB, doc map[string]any, issuer *ecdsa.PrivateKey, vm string) []byte {
	t.Helper()
	proof, pq, quads := proofOptions(t, doc, SuiteECDSASD, vm)
	hmacKey := make([]byte, 32)
	rand.Read(hmacKey)
	labelled, err := relabel(quads, hmacLabeler(hmacKey))
	if err != nil {
		t.Fatal(err)
	}
	eph, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sigs := make([][]byte, len(labelled))
	for i, q := range labelled {
		sigs[i] = sign64(t, eph, []byte(q))
	}
	pk := append([]byte{0x80, 0x24}, compressed(t, &eph.PublicKey)...)
	d := sdVerifyData{proofHash: sha256.Sum256([]byte(joinAll(pq))), publicKey: pk}
	base := sign64(t, issuer, d.baseSignedMessage())
	payload, err := cbor.Marshal([]any{base, pk, hmacKey, sigs, []string{}})
	if err != nil {
		t.Fatal(err)
	}
	proof["proofValue"] = "u" + base64.RawURLEncoding.EncodeToString(append(append([]byte(nil), headerBase...), payload...))
	return withProof(t, doc, proof)
}

// proofOptions returns a Data Integrity proof of suite by verification
// method vm, created now, without its proofValue, and the canonical
// statements of its options (with doc's @context) and of doc.
func proofOptions(t testing.TB, doc map[string]any, suite, vm string) (proof map[string]any, options, statements []string) {
	t.Helper()
	proof = map[string]any{"type": "DataIntegrityProof", "cryptosuite": suite, "created": time.Now().UTC().Format(time.RFC3339),
		"verificationMethod": vm, "proofPurpose": "assertionMethod"}
	cfg := map[string]any{"@context": doc["@context"]}
	for k, v := range proof {
		cfg[k] = v
	}
	options, err := canonicalize(cfg)
	if err != nil {
		t.Fatal(err)
	}
	statements, err = canonicalize(doc)
	if err != nil {
		t.Fatal(err)
	}
	return proof, options, statements
}

// withProof returns doc with proof as JSON.
func withProof(t testing.TB, doc, proof map[string]any) []byte {
	t.Helper()
	out := map[string]any{"proof": proof}
	for k, v := range doc {
		out[k] = v
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func joinAll(q []string) string {
	s := ""
	for _, x := range q {
		s += x
	}
	return s
}

// testCredential is a VC 2.0 bill of lading issued by did.
func testCredential(did string) map[string]any {
	return map[string]any{
		"@context":          []any{ContextV2, "https://trustvc.io/context/bill-of-lading.json"},
		"type":              []any{"VerifiableCredential"},
		"issuer":            did,
		"validFrom":         "2026-01-01T00:00:00Z",
		"credentialSubject": map[string]any{"type": []any{"BillOfLading"}, "blNumber": "BL-1", "scac": "MAEU"},
	}
}

// didKeyIssuer is a did:key issuer with a key the test holds.
type didKeyIssuer struct {
	key *ecdsa.PrivateKey
	vm  string
	did string
}

func newDIDKeyIssuer(t testing.TB) didKeyIssuer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	vm := didKeyOf(t, &k.PublicKey)
	did, _, _ := splitVM(vm)
	return didKeyIssuer{k, vm, did}
}

// entry lists the issuer's key under vm for uses.
func (is didKeyIssuer) entry(t testing.TB, vm string, key *ecdsa.PublicKey, uses ...trustlist.DocType) *trustlist.Entry {
	t.Helper()
	spki, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	e, err := trustlist.NewDIDKeyEntry(vm, spki, uses, "Test Carrier", "", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func verifyWith(t testing.TB, trust verify.TrustedMaterial, in []byte) *verify.Result {
	t.Helper()
	r, err := verify.New(trust, verify.Options{}).Verify(t.Context(), in)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

// TestDIDKeyIssuer pins the trust rule: an ecdsa-sd-2023 credential is
// valid only when an anchor lists its verification method's key for vc.
func TestDIDKeyIssuer(t *testing.T) {
	is := newDIDKeyIssuer(t)
	cred := signBase(t, testCredential(is.did), is.key, is.vm)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	r := verifyWith(t, trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocVC)), cred)
	if !r.Valid {
		t.Fatalf("listed did:key: outcome %s, first failure %+v", r.Verdict(), r.FirstFailure())
	}

	for _, tc := range []struct {
		name      string
		trust     verify.TrustedMaterial
		sig       verify.Status
		failCheck string
	}{
		{"unlisted", trustlisttest.TrustOne(t, "SG", is.entry(t, didKeyOf(t, &other.PublicKey), &other.PublicKey, trustlist.DocVC)), verify.Pass, verify.CheckIssuerTrusted},
		{"listed for oa only", trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocOA)), verify.Pass, verify.CheckKeyUsage},
		{"listed with another key", trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &other.PublicKey, trustlist.DocVC)), verify.Fail, verify.CheckSignature},
	} {
		r := verifyWith(t, tc.trust, cred)
		if r.Valid || r.Check(verify.CheckSignature).Status != tc.sig || r.FirstFailure() == nil || r.FirstFailure().Name != tc.failCheck {
			t.Errorf("%s: valid %v, signature %+v, first failure %+v; want signature %s and %s failing", tc.name, r.Valid, r.Check(verify.CheckSignature), r.FirstFailure(), tc.sig, tc.failCheck)
		}
	}

	// A key listed for a did:web method verifies a did:web credential; the
	// same signature under another issuer name does not.
	web := "did:web:carrier.example"
	webCred := signBase(t, testCredential(web), is.key, web+"#keys-1")
	trust := trustlisttest.TrustOne(t, "SG", is.entry(t, web+"#keys-1", &is.key.PublicKey, trustlist.DocVC))
	if r := verifyWith(t, trust, webCred); !r.Valid {
		t.Fatalf("listed did:web: outcome %s, first failure %+v", r.Verdict(), r.FirstFailure())
	}
	if r := verifyWith(t, trustlisttest.TrustOne(t, "SG", mustOtherEntry(t, is)), webCred); r.Valid || r.Check(verify.CheckSignature).Status != verify.Skip || r.FirstFailure().Name != verify.CheckIssuerTrusted {
		t.Errorf("unlisted did:web: signature %+v first failure %+v; want skip and issuer_trusted failing", r.Check(verify.CheckSignature), r.FirstFailure())
	}
}

func mustOtherEntry(t testing.TB, is didKeyIssuer) *trustlist.Entry {
	return is.entry(t, "did:web:someone.example#k", &is.key.PublicKey, trustlist.DocVC)
}
