package vc

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mr-tron/base58"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// signRDFC adds an ecdsa-rdfc-2019 proof by issuer (verification method
// vm) to doc, for tests: SHA-256(canonical proof options) ‖
// SHA-256(canonical credential), signed with P-256 and SHA-256.
func signRDFC(t testing.TB, doc map[string]any, issuer *ecdsa.PrivateKey, vm string) []byte {
	t.Helper()
	proof, pq, dq := proofOptions(t, doc, SuiteECDSARDFC, vm)
	a, b := sha256Of([]byte(joinAll(pq))), sha256Of([]byte(joinAll(dq)))
	proof["proofValue"] = "z" + base58.Encode(sign64(t, issuer, append(a, b...)))
	return withProof(t, doc, proof)
}

// TestRDFCVectors checks the ecdsa-rdfc-2019 signature format against the
// W3C specification's P-256 vectors: the specification's signature over its
// combined hash (SHA-256 of the canonical proof options ‖ SHA-256 of the
// canonical credential) verifies with the specification's key as
// rdfcData.verify checks it (ECDSA with SHA-256 over the combined hash,
// r‖s, base58btc). The vectors' canonical texts were made with an earlier
// credentials v2 context than the one bundled, so canonicalization is
// checked by the ecdsa-sd-2023 vectors and the round trips below.
func TestRDFCVectors(t *testing.T) {
	dir := filepath.Join("testdata", "w3c-ecdsa-rdfc-2019")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	combined, err := hex.DecodeString(strings.TrimSpace(string(read("combinedHashECDSAP256.txt"))))
	if err != nil || len(combined) != 64 {
		t.Fatalf("combined hash: %v", err)
	}
	sig, err := base58.Decode(strings.TrimPrefix(strings.TrimSpace(string(read("sigBTC58ECDSAP256.txt"))), "z"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := didKeyP256("did:key:zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP#zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP")
	if err != nil {
		t.Fatal(err)
	}
	if err := rdfcCheck(key, sha256Of(combined), sig); err != nil {
		t.Errorf("the specification's signature: %v", err)
	}
	combined[40] ^= 1
	if rdfcCheck(key, sha256Of(combined), sig) == nil {
		t.Error("the signature verifies over an altered hash")
	}
}

// TestRDFCCredential: an ecdsa-rdfc-2019 credential is valid only with its
// issuer's listed key, and an altered one is not.
func TestRDFCCredential(t *testing.T) {
	is := newDIDKeyIssuer(t)
	cred := signRDFC(t, testCredential(is.did), is.key, is.vm)
	listed := trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocVC))
	if r := verifyWith(t, listed, cred); !r.Valid || r.Check(verify.CheckIntegrity).Status != verify.Pass {
		t.Fatalf("listed: %s %+v", r.Verdict(), r.FirstFailure())
	}
	altered := bytes.Replace(cred, []byte(`"BL-1"`), []byte(`"BL-2"`), 1)
	if r := verifyWith(t, listed, altered); r.Valid || r.FirstFailure() == nil || r.FirstFailure().Name != verify.CheckSignature {
		t.Errorf("altered: %s %+v", r.Verdict(), r.FirstFailure())
	}
	other := newDIDKeyIssuer(t)
	r := verifyWith(t, trustlisttest.TrustOne(t, "SG", other.entry(t, other.vm, &other.key.PublicKey, trustlist.DocVC)), cred)
	if r.Valid || r.Check(verify.CheckSignature).Status != verify.Pass || r.FirstFailure().Name != verify.CheckIssuerTrusted {
		t.Errorf("unlisted did:key: signature %+v, first failure %+v", r.Check(verify.CheckSignature), r.FirstFailure())
	}
	bad := bytes.Replace(cred, []byte(`"proofValue":"z`), []byte(`"proofValue":"u`), 1)
	if r := verifyWith(t, listed, bad); r.Valid || r.Check(verify.CheckIntegrity).Status != verify.Fail {
		t.Errorf("non-base58 proofValue: %+v", r.Check(verify.CheckIntegrity))
	}
}

// TestStatusListRDFC: a status list signed with ecdsa-rdfc-2019 by the
// issuer's listed key decides as one signed with ecdsa-sd-2023.
func TestStatusListRDFC(t *testing.T) {
	f := newStatusFixture(t)
	url := f.srv.URL + "/rdfc"
	f.srv.put("/rdfc", signRDFC(t, listDoc(StatusBitstring, f.is.did, url, "revocation", encodeList(t, MinStatusListBits, true, 1), inAYear), f.is.key, f.is.vm))
	for i, valid := range []bool{true, false} {
		r := f.check(signBase(t, statusCredential(StatusBitstring, f.is.did, url, "revocation", i), f.is.key, f.is.vm))
		if r.Valid != valid {
			t.Errorf("bit %d: valid %v, %+v", i, r.Valid, r.Check(CheckStatus))
		}
	}
	other := newDIDKeyIssuer(t)
	f.srv.put("/rdfc-other", signRDFC(t, listDoc(StatusBitstring, f.is.did, f.srv.URL+"/rdfc-other", "revocation", encodeList(t, MinStatusListBits, true), inAYear), other.key, f.is.vm))
	r := f.check(signBase(t, statusCredential(StatusBitstring, f.is.did, f.srv.URL+"/rdfc-other", "revocation", 0), f.is.key, f.is.vm))
	if c := r.Check(CheckStatus); r.Valid || c.Status != verify.Fail || !strings.Contains(c.Detail, "not the issuer's") {
		t.Errorf("list signed with another key: %+v", c)
	}
}
