package vc

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// w3cVector reads one of the W3C ecdsa-sd-2023 test vectors
// (testdata/w3c-ecdsa-sd-2023/README.md).
func w3cVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "w3c-ecdsa-sd-2023", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestW3CVectors verifies the specification's own base and derived proofs
// with the issuer key of its key material.
func TestW3CVectors(t *testing.T) {
	for _, name := range []string{"addSignedSDBase.json", "derivedRevealDocument.json"} {
		c, err := Parse(w3cVector(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := c.Proofs[0]
		d, out, err := c.sdPrepare(p)
		if err != nil {
			t.Fatalf("%s: %v (%+v)", name, err, out)
		}
		key, err := didKeyP256(p.VerificationMethod)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.checkBase(key); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %+v", name, out)
	}
}

// edit decodes a credential, applies f to it and encodes it again.
func edit(t testing.TB, in []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(in, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func subject(m map[string]any) map[string]any { return m["credentialSubject"].(map[string]any) }

// TestAlteredCredential: any change to a signed credential fails integrity
// (a statement's own signature) or the issuer's signature (a mandatory
// statement), and names what changed where it can.
func TestAlteredCredential(t *testing.T) {
	is := newDIDKeyIssuer(t)
	trust := trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocVC))
	cred := signBase(t, testCredential(is.did), is.key, is.vm)
	for name, f := range map[string]func(map[string]any){
		"value changed": func(m map[string]any) { subject(m)["blNumber"] = "BL-2" },
		"field removed": func(m map[string]any) { delete(subject(m), "scac") },
		"field added":   func(m map[string]any) { subject(m)["consignee"] = "someone else" },
		"proof altered": func(m map[string]any) { m["proof"].(map[string]any)["created"] = "2026-01-01T00:00:00Z" },
	} {
		r := verifyWith(t, trust, edit(t, cred, f))
		if f := r.FirstFailure(); r.Valid || f == nil || (f.Name != verify.CheckIntegrity && f.Name != verify.CheckSignature) {
			t.Errorf("%s: valid %v, first failure %+v", name, r.Valid, f)
		}
	}

	// The specification's derived credential: a disclosed value changed
	// fails a statement signature (the first statement that no longer
	// matches is named), or the base signature; so does a removed one.
	der := w3cVector(t, "derivedRevealDocument.json")
	key, err := didKeyP256(mustParse(t, der).Proofs[0].VerificationMethod)
	if err != nil {
		t.Fatal(err)
	}
	if d, _, err := mustParse(t, der).sdPrepare(mustParse(t, der).Proofs[0]); err != nil || d.checkBase(key) != nil {
		t.Fatalf("unaltered: %v", err)
	}
	c := mustParse(t, edit(t, der, func(m map[string]any) { subject(m)["boards"].([]any)[1].(map[string]any)["brand"] = "Naish" }))
	if _, out, err := c.sdPrepare(c.Proofs[0]); !errors.Is(err, errStatementSig) || out.BadStatement == "" {
		t.Errorf("derived, disclosed value changed: %v %+v", err, out)
	}
	for _, f := range []func(m map[string]any){
		func(m map[string]any) { subject(m)["sailNumber"] = "Mars101" },
		func(m map[string]any) { subject(m)["sails"].([]any)[0].(map[string]any)["size"] = 6.2 },
	} {
		c = mustParse(t, edit(t, der, f))
		d, _, err := c.sdPrepare(c.Proofs[0])
		if err == nil {
			err = d.checkBase(key)
		}
		if !errors.Is(err, errStatementSig) && !errors.Is(err, errBaseSig) {
			t.Errorf("derived, mandatory value changed: %v", err)
		}
	}
	c = mustParse(t, edit(t, der, func(m map[string]any) {
		subject(m)["boards"] = subject(m)["boards"].([]any)[:1]
	}))
	if _, _, err := c.sdPrepare(c.Proofs[0]); err == nil {
		t.Error("derived, disclosed statements removed: no error")
	}
}

func mustParse(t testing.TB, b []byte) *Credential {
	t.Helper()
	c, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestContexts: a context that is not bundled is never fetched (integrity is
// skipped, naming it), and a term no context defines is an error rather than
// a statement silently left unsigned (JSON-LD safe mode).
func TestContexts(t *testing.T) {
	is := newDIDKeyIssuer(t)
	trust := trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocVC))
	cred := signBase(t, testCredential(is.did), is.key, is.vm)
	r := verifyWith(t, trust, edit(t, cred, func(m map[string]any) {
		m["@context"] = append(m["@context"].([]any), "https://example.org/contexts/unbundled.jsonld")
	}))
	if c := r.Check(verify.CheckIntegrity); r.Valid || c.Status != verify.Skip || !strings.Contains(c.Detail, "not bundled") || !strings.Contains(c.Detail, "unbundled.jsonld") {
		t.Errorf("unbundled context: valid %v, integrity %+v", r.Valid, c)
	}
	v1 := edit(t, w3cVector(t, "addSignedSDBase.json"), func(m map[string]any) {
		m["@context"] = []any{ContextV1, "https://w3id.org/security/data-integrity/v2"}
		m["issuanceDate"] = "2026-01-01T00:00:00Z"
		m["undefinedTerm"] = "not in any context"
	})
	r = verifyWith(t, trust, v1)
	if c := r.Check(verify.CheckIntegrity); r.Valid || c.Status != verify.Fail || !strings.Contains(c.Detail, "did not expand") {
		t.Errorf("undefined term: valid %v, integrity %+v", r.Valid, c)
	}
}

// TestConcurrent: the bundled contexts are parsed once and shared; verifying
// in parallel gives the same answers (run with -race).
func TestConcurrent(t *testing.T) {
	is := newDIDKeyIssuer(t)
	trust := trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocVC))
	cred := signBase(t, testCredential(is.did), is.key, is.vm)
	der := w3cVector(t, "derivedRevealDocument.json")
	key, err := didKeyP256(mustParse(t, der).Proofs[0].VerificationMethod)
	if err != nil {
		t.Fatal(err)
	}
	v := verify.New(trust, verify.Options{})
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			r, err := v.Verify(t.Context(), cred)
			if err == nil && !r.Valid {
				err = errors.New("base credential not valid")
			}
			var c *Credential
			if err == nil {
				c, err = Parse(der)
			}
			if err == nil {
				var d *sdVerifyData
				if d, _, err = c.sdPrepare(c.Proofs[0]); err == nil {
					err = d.checkBase(key)
				}
			}
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestStatusAndDates: every credentialStatus entry is reported, none
// passed; a status of any kind keeps the credential from being valid; dates
// outside validFrom..validUntil fail.
func TestStatusAndDates(t *testing.T) {
	is := newDIDKeyIssuer(t)
	trust := trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocVC))
	for name, tc := range map[string]struct {
		status any
		want   string
	}{
		"bitstring": {map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "94567",
			"statusListCredential": "https://example.com/credentials/status/3"}, "status list https://example.com/credentials/status/3"},
		"array, second unknown": {[]any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "1",
			"statusListCredential": "https://example.com/s/1"}, map[string]any{"id": "https://example.org/status/1", "type": "https://example.org/UnknownStatus"}}, "status list https://example.com/s/1"},
		"transferable record": {map[string]any{"type": "TransferableRecords", "tokenNetwork": map[string]any{"chain": "MATIC", "chainId": "80002"},
			"tokenRegistry": "0x71D28767662cB233F887aD2Bb65d048d760bA694", "tokenId": "ab"}, "token ab in token registry 0x71D28767662cB233F887aD2Bb65d048d760bA694 on Polygon Amoy"},
	} {
		doc := testCredential(is.did)
		doc["credentialStatus"] = tc.status
		doc["@context"] = append(doc["@context"].([]any), "https://trustvc.io/context/transferable-records-context.json")
		r := verifyWith(t, trust, signBase(t, doc, is.key, is.vm))
		if r.Valid || r.Verdict() != verify.VerdictCannotCheck || !strings.Contains(r.CannotCheck, tc.want) || r.Check(verify.CheckSignature).Status != verify.Pass {
			t.Errorf("%s: outcome %s %q, first failure %+v", name, r.Verdict(), r.CannotCheck, r.FirstFailure())
		}
		for _, c := range r.Checks {
			if c.Name == CheckStatus && c.Status == verify.Pass {
				t.Errorf("%s: status passed unchecked: %+v", name, c)
			}
		}
	}
	for name, f := range map[string]func(map[string]any){
		"expired":       func(m map[string]any) { m["validUntil"] = "2020-01-01T00:00:00Z" },
		"not yet valid": func(m map[string]any) { m["validFrom"] = "2099-01-01T00:00:00Z" },
	} {
		doc := testCredential(is.did)
		f(doc)
		r := verifyWith(t, trust, signBase(t, doc, is.key, is.vm))
		if f := r.FirstFailure(); r.Valid || f == nil || f.Name != verify.CheckNotExpired {
			t.Errorf("%s: first failure %+v", name, f)
		}
	}
}

// TestDerivedLabelMapInjective: a derived proof that gives two blank nodes
// one label (so that one signed statement could stand for two disclosed
// ones) is refused.
func TestDerivedLabelMapInjective(t *testing.T) {
	c := mustParse(t, w3cVector(t, "derivedRevealDocument.json"))
	v, err := parseDerivedProofValue(c.Proofs[0].ProofValue)
	if err != nil {
		t.Fatal(err)
	}
	v.CompressedLabelMap[1] = v.CompressedLabelMap[0]
	payload, err := cbor.Marshal([]any{v.BaseSignature, v.PublicKey, v.Signatures, v.CompressedLabelMap, v.MandatoryIndexes})
	if err != nil {
		t.Fatal(err)
	}
	pv := "u" + base64.RawURLEncoding.EncodeToString(append(append([]byte(nil), headerDerived...), payload...))
	if _, err := parseDerivedProofValue(pv); err == nil || !strings.Contains(err.Error(), "same label") {
		t.Fatalf("duplicate label accepted: %v", err)
	}
	if _, err := relabel([]string{"_:c14n0 <p> \"a\" .\n", "_:c14n1 <p> \"a\" .\n"}, func(string) (string, bool) { return "uX", true }); err == nil {
		t.Fatal("identical statements after relabelling accepted")
	}
}
