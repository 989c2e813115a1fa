package vc

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
