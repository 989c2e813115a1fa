package openattestation_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/ojson"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// The signer addresses of the third-party suite, bound to organisations by a
// test trust list as a country's anchor would bind them.
var suiteIssuers = []struct {
	addr, name, domain string
}{
	{"0x1245e5B64D785b25057f7438F715f4aA5D965733", "DEMO STORE", "demo-tradetrust.openattestation.com"},
	{"0xE712878f6E8d5d4F9e87E10DA604F9cB564C9a89", "Demo Issuer", ""},
	{"0xB26B4941941C51a4885E5B7D3A1B861E54405f90", "OCSP demo issuer", ""},
	{"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", "DEMO CARRIER LINES", "example.tradetrust.io"},
}

func ethEntry(t testing.TB, addr, name, domain string, uses ...trustlist.DocType) *trustlist.Entry {
	t.Helper()
	a, err := openattestation.ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(uses) == 0 {
		uses = []trustlist.DocType{trustlist.DocOA}
	}
	e, err := trustlist.NewEthEntry(a[:], uses, name, domain,
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func suiteTrust(t testing.TB) *trustlist.Set {
	var es []*trustlist.Entry
	for _, is := range suiteIssuers {
		es = append(es, ethEntry(t, is.addr, is.name, is.domain))
	}
	sg := trustlisttest.NewAnchor(t, "SG")
	sg.SignList(t, time.Time{}, 365*24*time.Hour, es...)
	// The same DEMO STORE key is also published for a second domain, by a
	// second anchor.
	au := trustlisttest.NewAnchor(t, "AU")
	au.SignList(t, time.Time{}, 365*24*time.Hour, ethEntry(t, suiteIssuers[0].addr, "DEMO STORE", "example.openattestation.com"))
	return trustlisttest.Set(t, sg, au)
}

// expectation for one fixture: overall validity, and the status of the
// integrity and signature checks ("" = not checked), or malformed.
type expectation struct {
	valid     bool
	integrity verify.Status
	signature verify.Status
	malformed bool
	failing   string // name of the first failing check, when invalid by a failure
	why       string
}

var (
	validDoc   = expectation{valid: true, integrity: verify.Pass, signature: verify.Pass}
	badSig     = expectation{integrity: verify.Pass, signature: verify.Fail, failing: verify.CheckSignature}
	storeDoc   = expectation{integrity: verify.Pass, signature: verify.Skip, why: "document store / token registry: cannot be confirmed offline"}
	rawDoc     = expectation{malformed: true, why: "raw (unwrapped) document"}
	notSigned  = expectation{integrity: verify.Pass, signature: verify.Fail, failing: verify.CheckSignature, why: "wrapped, no DID proof"}
	brokenHash = expectation{integrity: verify.Fail, failing: verify.CheckIntegrity}
)

// suiteExpect follows ../shared/fixtures/openattestation/README.md.
var suiteExpect = map[string]expectation{
	"oa-verify/v2/did-ocsp-revocation-signed.json":                 validDoc,
	"oa-verify/v2/did-revocation-store-signed-no-location.json":    validDoc,
	"oa-verify/v2/did-revocation-store-signed-not-revoked.json":    validDoc,
	"oa-verify/v2/did-revocation-store-signed-revoked.json":        validDoc, // revoked on chain only
	"oa-verify/v2/dnsdid-revocation-store-signed-not-revoked.json": validDoc,
	"oa-verify/v2/dnsdid-revocation-store-signed-revoked.json":     validDoc,
	"oa-verify/v2/documentDidMissingProof.json":                    notSigned,
	"oa-verify/v2/documentDidObfuscatedRevocation.json":            validDoc,
	"oa-verify/v2/documentDidSigned.json":                          validDoc,
	"oa-verify/v2/documentDidWrongSignature.json":                  badSig,
	"oa-verify/v2/documentDnsDidNoDnsTxt.json":                     badSig,
	"oa-verify/v2/documentDnsDidSigned.json":                       validDoc,

	// v3: "invalid-signed" name a domain (notinuse.tradetrust.io) that does
	// not vouch for the key; here the trust list binds the key to another
	// domain, so issuer_domain fails.
	"oa-verify/v3/did-invalid-signed.json":                         {integrity: verify.Pass, signature: verify.Pass, failing: openattestation.CheckIssuerDomain},
	"oa-verify/v3/dnsdid-invalid-signed.json":                      {integrity: verify.Pass, signature: verify.Pass, failing: openattestation.CheckIssuerDomain},
	"oa-verify/v3/did-ocsp-revocation-signed.json":                 validDoc,
	"oa-verify/v3/did-revocation-store-signed-no-location.json":    validDoc,
	"oa-verify/v3/did-revocation-store-signed-not-revoked.json":    validDoc,
	"oa-verify/v3/did-revocation-store-signed-revoked.json":        validDoc,
	"oa-verify/v3/did-signed.json":                                 validDoc,
	"oa-verify/v3/did-wrapped.json":                                notSigned,
	"oa-verify/v3/did.json":                                        rawDoc,
	"oa-verify/v3/dnsdid-revocation-store-signed-not-revoked.json": validDoc,
	"oa-verify/v3/dnsdid-revocation-store-signed-revoked.json":     validDoc,
	"oa-verify/v3/dnsdid-signed.json":                              validDoc,
	"oa-verify/v3/dnsdid-wrapped.json":                             notSigned,
	"oa-verify/v3/dnsdid.json":                                     rawDoc,
	"oa-verify/v3/documentStore-invalid-issued.json":               storeDoc,
	"oa-verify/v3/documentStore-issued.json":                       storeDoc,
	"oa-verify/v3/documentStore-revoked.json":                      storeDoc,
	"oa-verify/v3/documentStore-wrapped.json":                      storeDoc,
	"oa-verify/v3/documentStore.json":                              rawDoc,
	"oa-verify/v3/tokenRegistry-invalid-issued.json":               storeDoc,
	"oa-verify/v3/tokenRegistry-issued.json":                       storeDoc,
	"oa-verify/v3/tokenRegistry-wrapped.json":                      storeDoc,
	"oa-verify/v3/tokenRegistry.json":                              rawDoc,

	"open-attestation/v2/did-signed-ocsp-responder.json":     notSigned,
	"open-attestation/v2/did-wrapped.json":                   notSigned,
	"open-attestation/v2/not-obfuscated-wrapped.json":        storeDoc,
	"open-attestation/v2/obfuscated-wrapped.json":            brokenHash, // integrity invalid per the library too
	"open-attestation/v2/raw-document.json":                  rawDoc,
	"open-attestation/v2/raw-sample-did-document.json":       rawDoc,
	"open-attestation/v2/raw-sample-dns-did-document.json":   rawDoc,
	"open-attestation/v2/raw-sample-document.json":           rawDoc,
	"open-attestation/v2/raw-sample-token.json":              rawDoc,
	"open-attestation/v2/wrapped-transferable-document.json": storeDoc,
	"open-attestation/v3/did-wrapped.json":                   notSigned,
	"open-attestation/v3/not-obfuscated-wrapped.json":        storeDoc,
	"open-attestation/v3/obfuscated-wrapped.json":            storeDoc,
	"open-attestation/v3/raw-document.json":                  rawDoc,
	"open-attestation/v3/wrapped-transferable-document.json": storeDoc,
}

func verifier(t testing.TB, trust verify.TrustedMaterial) *verify.Verifier {
	return verify.New(trust, verify.Options{Formats: []string{openattestation.FormatName}})
}

func checkExpect(t *testing.T, name string, r *verify.Result, err error, want expectation) {
	t.Helper()
	if want.malformed {
		if !errors.Is(err, verify.ErrMalformed) {
			t.Errorf("%s: want malformed, got err=%v valid=%v", name, err, r.Valid)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if r.Valid != want.valid {
		t.Errorf("%s: valid=%v, want %v (%s); checks: %+v", name, r.Valid, want.valid, want.why, r.Checks)
	}
	for _, c := range []struct {
		n string
		s verify.Status
	}{{verify.CheckIntegrity, want.integrity}, {verify.CheckSignature, want.signature}} {
		if c.s == "" {
			continue
		}
		got := r.Check(c.n)
		if got == nil || got.Status != c.s {
			t.Errorf("%s: %s = %+v, want %s", name, c.n, got, c.s)
		}
	}
	if want.failing != "" {
		if f := r.FirstFailure(); f == nil || f.Name != want.failing {
			t.Errorf("%s: first failure %+v, want %s", name, f, want.failing)
		}
	}
	for _, c := range r.Checks {
		if c.Detail == "" || strings.Contains(c.Detail, "\n") {
			t.Errorf("%s: check %s must have a one-line reason, got %q", name, c.Name, c.Detail)
		}
	}
	if r.Check(verify.CheckIntegrity).Fragment != openattestation.FragmentIntegrity {
		t.Errorf("%s: integrity fragment %q", name, r.Check(verify.CheckIntegrity).Fragment)
	}
}

// TestSuite runs every third-party and generated fixture as it is.
func TestSuite(t *testing.T) {
	dir := fixtures.Shared(t, "openattestation")
	v := verifier(t, suiteTrust(t))
	seen := 0
	for name, want := range suiteExpect {
		in, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		seen++
		r, err := v.Verify(context.Background(), in)
		if want.malformed && errors.Is(err, verify.ErrUnknownFormat) {
			continue // raw documents are not even detected: also malformed
		}
		checkExpect(t, name, r, err, want)
	}
	// Every JSON document of the suite must be covered by the table.
	all, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.json"))
	for _, f := range all {
		rel, _ := filepath.Rel(dir, f)
		if _, ok := suiteExpect[filepath.ToSlash(rel)]; !ok {
			t.Errorf("fixture %s has no expectation", rel)
		}
	}
	t.Logf("%d upstream fixtures verified", seen)
}

// TestGenerated runs generated/ against its manifest.
func TestGenerated(t *testing.T) {
	dir := filepath.Join(fixtures.Shared(t, "openattestation"), "generated")
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Issuer string
		Files  []struct {
			File   string
			Expect struct {
				Integrity      bool
				SignatureValid bool
				Signer         string
			}
		}
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	v := verifier(t, suiteTrust(t))
	for _, f := range man.Files {
		in, err := os.ReadFile(filepath.Join(dir, f.File))
		if err != nil {
			t.Fatal(err)
		}
		r, err := v.Verify(context.Background(), in)
		if err != nil {
			t.Errorf("%s: %v", f.File, err)
			continue
		}
		integ := r.Check(verify.CheckIntegrity).Status == verify.Pass
		sig := r.Check(verify.CheckSignature).Status == verify.Pass
		if integ != f.Expect.Integrity {
			t.Errorf("%s: integrity %v, want %v: %s", f.File, integ, f.Expect.Integrity, r.Check(verify.CheckIntegrity).Detail)
		}
		if sig != f.Expect.SignatureValid {
			t.Errorf("%s: signature %v, want %v: %s", f.File, sig, f.Expect.SignatureValid, r.Check(verify.CheckSignature).Detail)
		}
		if r.Valid != (f.Expect.Integrity && f.Expect.SignatureValid) {
			t.Errorf("%s: valid %v; first failure %+v", f.File, r.Valid, r.FirstFailure())
		}
		if r.Valid {
			if r.Issuer == nil || r.Issuer.Country != "SG" || r.Issuer.Name != "DEMO CARRIER LINES" {
				t.Errorf("%s: issuer %+v", f.File, r.Issuer)
			}
			if !hasField(r, "B/L number") || !hasField(r, "Route") {
				t.Errorf("%s: summary lacks the B/L fields: %+v", f.File, r.Summary)
			}
		}
	}
}

func hasField(r *verify.Result, label string) bool {
	for _, f := range r.Summary {
		if f.Label == label && f.Value != "" {
			return true
		}
	}
	return false
}

// TestUnknownIssuer: a correctly signed document whose signer no trust list
// names is not valid, and says so.
func TestUnknownIssuer(t *testing.T) {
	dir := fixtures.Shared(t, "openattestation")
	in, err := os.ReadFile(filepath.Join(dir, "oa-verify/v2/documentDidSigned.json"))
	if err != nil {
		t.Fatal(err)
	}
	other := ethEntry(t, "0x"+hex.EncodeToString(make([]byte, 20)), "Someone else", "")
	r, err := verifier(t, trustlisttest.TrustOne(t, "NL", other)).Verify(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	f := r.FirstFailure()
	if r.Valid || f == nil || f.Name != verify.CheckIssuerTrusted || !strings.Contains(f.Detail, "unknown issuer") || f.Fragment != openattestation.FragmentIdentity {
		t.Fatalf("valid=%v first failure %+v", r.Valid, f)
	}
}

func suiteDir(t testing.TB) string { return fixtures.Shared(t, "openattestation") }

// TestV3Tampering: changing, adding or removing a field of a v3 credential
// breaks integrity with a reason naming what happened.
func TestV3Tampering(t *testing.T) {
	in, err := os.ReadFile(filepath.Join(suiteDir(t), "oa-verify/v3/did-signed.json"))
	if err != nil {
		t.Fatal(err)
	}
	set := suiteTrust(t)
	if r := verifyOne(t, set, in); !r.Valid {
		t.Fatalf("untouched: %+v", r.FirstFailure())
	}
	cases := map[string]struct {
		fn     func(v *ojson.Value)
		reason string
	}{
		"changed": {func(v *ojson.Value) { v.Set("reference", ojson.NewString("SERIAL_NUMBER_999")) }, "altered"},
		"added":   {func(v *ojson.Value) { v.Set("extra", ojson.NewString("x")) }, "has no salt"},
		"removed": {func(v *ojson.Value) { v.Del("reference") }, "removed"},
		"proof": {func(v *ojson.Value) {
			v.Get("proof").Set("proofs", ojson.NewArray(ojson.NewString(strings.Repeat("00", 32))))
		}, "merkle proof"},
	}
	for name, c := range cases {
		r := verifyOne(t, set, mutate(t, in, c.fn))
		f := r.FirstFailure()
		if r.Valid || f == nil || f.Name != verify.CheckIntegrity || !strings.Contains(f.Detail, c.reason) {
			t.Errorf("%s: valid=%v %+v", name, r.Valid, f)
		}
	}
}
