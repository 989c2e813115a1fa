package openattestation_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/ojson"
	oaissue "github.com/accord-network/accord/issue/openattestation"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

func sampleEBL(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/ebl-dcsa.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// variant returns the sample e-BL with its reference changed.
func variant(t testing.TB, ref string) []byte {
	return bytes.Replace(sampleEBL(t), []byte(`"HHL71800000"`), []byte(`"`+ref+`"`), 1)
}

type issued struct {
	key  *ecdsa.PrivateKey
	docs [][]byte
	set  *trustlist.Set
}

func issueBatch(t testing.TB, n int, o oaissue.IssueOptions, domain string) issued {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	for i := 0; i < n; i++ {
		raws = append(raws, variant(t, "HHL7180000"+string(rune('0'+i%10))))
	}
	docs, err := oaissue.IssueEBL(key, raws, o)
	if err != nil {
		t.Fatal(err)
	}
	addr := oaissue.AddressOf(key)
	set := trustlisttest.TrustOne(t, "DE", ethEntry(t, addr.Hex(), "Hapag-Lloyd AG", domain))
	return issued{key, docs, set}
}

func verifyOne(t testing.TB, set verify.TrustedMaterial, doc []byte) *verify.Result {
	t.Helper()
	r, err := verifier(t, set).Verify(context.Background(), doc)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func TestIssueBatchVerifies(t *testing.T) {
	b := issueBatch(t, 3, oaissue.IssueOptions{Domain: "hlag.example"}, "hlag.example")
	var root string
	for i, doc := range b.docs {
		r := verifyOne(t, b.set, doc)
		if !r.Valid {
			t.Fatalf("doc %d invalid: %+v", i, r.FirstFailure())
		}
		d, _ := openattestation.Parse(doc)
		if len(d.Proof) == 0 {
			t.Errorf("doc %d: batch of 3 must carry a merkle proof", i)
		}
		if root != "" && d.MerkleRoot != root {
			t.Errorf("doc %d: merkle root differs within the batch", i)
		}
		root = d.MerkleRoot
		if r.Issuer.Country != "DE" || r.Issuer.Name != "Hapag-Lloyd AG" {
			t.Errorf("issuer %+v", r.Issuer)
		}
		want := map[string]string{"B/L number": "HHL7180000" + string(rune('0'+i)), "Carrier": "Hapag-Lloyd AG",
			"Shipper": "Rotterdam Solar Exports B.V.", "Consignee": "Shanghai Green Energy Co., Ltd.",
			"Route": "NLRTM → CNSHA", "Vessel / voyage": "Berlin Express / 2309W", "Issue date": "2025-03-14"}
		for _, f := range r.Summary {
			if w, ok := want[f.Label]; ok {
				if f.Value != w {
					t.Errorf("%s = %q, want %q", f.Label, f.Value, w)
				}
				delete(want, f.Label)
			}
		}
		if len(want) > 0 {
			t.Errorf("summary lacks %v", want)
		}
		if c := r.Check(openattestation.CheckIssuerDomain); c.Status != verify.Pass {
			t.Errorf("issuer_domain %+v", c)
		}
		for _, c := range r.Checks {
			switch c.Name {
			case verify.CheckIssuerTrusted, verify.CheckKeyUsage, verify.CheckNotRevoked, verify.CheckListFresh, verify.CheckKeyValidAtSigning:
				if c.Fragment != openattestation.FragmentIdentity {
					t.Errorf("%s fragment %q", c.Name, c.Fragment)
				}
			case verify.CheckSignature:
				if c.Fragment != openattestation.FragmentStatus {
					t.Errorf("signature fragment %q", c.Fragment)
				}
			}
		}
	}
}

func mutate(t testing.TB, doc []byte, fn func(v *ojson.Value)) []byte {
	t.Helper()
	v, err := ojson.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	fn(v)
	return ojson.Stringify(v)
}

// TestFailures: each way of breaking a document gives one clear reason.
func TestFailures(t *testing.T) {
	b := issueBatch(t, 2, oaissue.IssueOptions{Domain: "hlag.example"}, "hlag.example")
	doc := b.docs[0]
	other, _ := crypto.GenerateKey()
	cases := []struct {
		name, check, reason string
		doc                 []byte
		trust               verify.TrustedMaterial
	}{
		{"tampered field", verify.CheckIntegrity, "altered", mutate(t, doc, func(v *ojson.Value) {
			p := v.Path("data", "transports", "portOfDischarge")
			s := str(p.Get("UNLocationCode"))
			p.Set("UNLocationCode", ojson.NewString(strings.Replace(s, "CNSHA", "USLAX", 1)))
		}), b.set},
		{"added field", verify.CheckIntegrity, "added", mutate(t, doc, func(v *ojson.Value) {
			v.Get("data").Set("remarks", ojson.NewString("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string:free"))
		}), b.set},
		{"broken proof", verify.CheckIntegrity, "merkle proof", mutate(t, doc, func(v *ojson.Value) {
			v.Path("signature", "proof").Elems()[0] = ojson.NewString(strings.Repeat("ab", 32))
		}), b.set},
		{"wrong signer", verify.CheckSignature, "wrong signer", mutate(t, doc, func(v *ojson.Value) {
			root, _ := oacore.ParseHash(str(v.Path("signature", "merkleRoot")))
			sig, _ := oaissue.SignRoot(other, root)
			v.Get("proof").Elems()[0].Set("signature", ojson.NewString(sig))
		}), b.set},
		{"garbled signature", verify.CheckSignature, "signature", mutate(t, doc, func(v *ojson.Value) {
			v.Get("proof").Elems()[0].Set("signature", ojson.NewString("0x1234"))
		}), b.set},
		{"unknown issuer", verify.CheckIssuerTrusted, "unknown issuer", doc,
			trustlisttest.TrustOne(t, "DE", ethEntry(t, oaissue.AddressOf(other).Hex(), "Other", ""))},
		{"not for oa", verify.CheckKeyUsage, "not for OpenAttestation", doc,
			trustlisttest.TrustOne(t, "DE", ethEntry(t, oaissue.AddressOf(b.key).Hex(), "HL", "", trustlist.DocPDF))},
		{"domain mismatch", openattestation.CheckIssuerDomain, "binds this issuer", doc,
			trustlisttest.TrustOne(t, "DE", ethEntry(t, oaissue.AddressOf(b.key).Hex(), "HL", "other.example"))},
		{"malformed salt", verify.CheckSchema, "malformed salt", malformedSaltDoc(t), nil},
		{"bad e-BL", verify.CheckSchema, "UN/LOCODE", badEBLDoc(t), nil},
	}
	for _, c := range cases {
		trust := c.trust
		if trust == nil {
			trust = b.set
		}
		r := verifyOne(t, trust, c.doc)
		f := r.FirstFailure()
		if r.Valid || f == nil || f.Name != c.check || !strings.Contains(f.Detail, c.reason) || strings.Contains(f.Detail, "\n") {
			t.Errorf("%s: valid=%v first failure %+v; want %s containing %q", c.name, r.Valid, f, c.check, c.reason)
		}
	}
}

// malformedSaltDoc wraps a document whose salt type annotation is unknown
// (integrity still holds: salts are hashed as they are).
func malformedSaltDoc(t testing.TB) []byte {
	v, _ := ojson.Parse(sampleEBL(t))
	salted, err := oacore.SaltV2(v)
	if err != nil {
		t.Fatal(err)
	}
	salted.Set("remarks", ojson.NewString("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:date:2025-01-01"))
	key, _ := crypto.GenerateKey()
	salted.Set("issuers", ojson.NewArray(ojson.NewObject(ojson.M("id", ojson.NewString("did:ethr:"+oaissue.AddressOf(key).Hex())), ojson.M("name", ojson.NewString("X")),
		ojson.M("identityProof", ojson.NewObject(ojson.M("type", ojson.NewString("DID")), ojson.M("key", ojson.NewString("did:ethr:"+oaissue.AddressOf(key).Hex()+"#controller")))))))
	doc := ojson.NewObject(ojson.M("version", ojson.NewString(openattestation.SchemaV2)), ojson.M("data", salted))
	th, _ := oacore.DigestV2(doc)
	doc.Set("signature", ojson.NewObject(ojson.M("type", ojson.NewString(openattestation.TypeMerkleV2)), ojson.M("targetHash", ojson.NewString(th)), ojson.M("proof", ojson.NewArray()), ojson.M("merkleRoot", ojson.NewString(th))))
	if err := oacore.SignV2(doc, key, time.Now()); err != nil {
		t.Fatal(err)
	}
	return ojson.Stringify(doc)
}

// badEBLDoc wraps and signs an e-BL with a bad port code, bypassing
// IssueEBL's validation.
func badEBLDoc(t testing.TB) []byte {
	v, _ := ojson.Parse(bytes.Replace(sampleEBL(t), []byte(`"CNSHA"`), []byte(`"Shanghai"`), 1))
	key, _ := crypto.GenerateKey()
	w, err := oacore.WrapV2([]*ojson.Value{v})
	if err != nil {
		t.Fatal(err)
	}
	if err := oacore.SignV2(w[0], key, time.Now()); err != nil {
		t.Fatal(err)
	}
	return ojson.Stringify(w[0])
}

func TestObfuscate(t *testing.T) {
	b := issueBatch(t, 1, oaissue.IssueOptions{}, "")
	doc := b.docs[0]
	out, err := oaissue.Obfuscate(doc, []string{"documentParties.consignee", "termsAndConditions", "consignmentItems[0].cargoItems"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("Shanghai Green Energy")) || bytes.Contains(out, []byte("Hague-Visby")) {
		t.Fatal("obfuscated values still present")
	}
	r := verifyOne(t, b.set, out)
	if !r.Valid {
		t.Fatalf("obfuscated document invalid: %+v", r.FirstFailure())
	}
	d, _ := openattestation.Parse(out)
	if d.Obfuscated < 3 {
		t.Errorf("obfuscated %d hashes", d.Obfuscated)
	}
	// Dropping an obfuscated hash breaks integrity.
	dropped := mutate(t, out, func(v *ojson.Value) {
		l := v.Path("privacy", "obfuscatedData")
		v.Path("privacy").Set("obfuscatedData", ojson.NewArray(l.Elems()[1:]...))
	})
	r = verifyOne(t, b.set, dropped)
	if f := r.FirstFailure(); r.Valid || f == nil || f.Name != verify.CheckIntegrity {
		t.Fatalf("dropped hash: valid=%v %+v", r.Valid, f)
	}
	// Errors: unknown field, array element, emptying an object.
	for _, f := range []string{"nope", "consignmentItems.0", "transports.portOfLoading.UNLocationCode"} {
		if _, err := oaissue.Obfuscate(doc, []string{f}); err == nil {
			t.Errorf("obfuscate %s: no error", f)
		}
	}
	if _, err := oaissue.Obfuscate(doc, []string{"documentParties.consignee.address"}); err != nil {
		t.Errorf("obfuscate a whole object: %v", err)
	}
}

func TestObfuscateV3(t *testing.T) {
	dir := suiteDir(t)
	in, err := os.ReadFile(dir + "/oa-verify/v3/did-signed.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := oaissue.Obfuscate(in, []string{"credentialSubject.class", "reference"})
	if err != nil {
		t.Fatal(err)
	}
	r := verifyOne(t, suiteTrust(t), out)
	if !r.Valid {
		t.Fatalf("obfuscated v3 invalid: %+v", r.FirstFailure())
	}
	if bytes.Contains(out, []byte("SERIAL_NUMBER_123\"")) && bytes.Contains(out, []byte(`"reference"`)) {
		t.Error("reference still visible")
	}
}

func TestRevokedKey(t *testing.T) {
	b := issueBatch(t, 1, oaissue.IssueOptions{}, "")
	e := ethEntry(t, oaissue.AddressOf(b.key).Hex(), "HL", "")
	a := trustlisttest.NewAnchor(t, "DE")
	a.SignList(t, time.Time{}, 24*time.Hour, e)
	rev := *e
	rev.Status, rev.RevokedAt, rev.Reason = trustlist.StatusRevoked, time.Now().Add(-time.Minute).UTC().Truncate(time.Second), "key compromised"
	a.SignList(t, time.Time{}, 24*time.Hour, &rev)
	r := verifyOne(t, trustlisttest.Set(t, a), b.docs[0])
	if f := r.FirstFailure(); r.Valid || f == nil || f.Name != verify.CheckNotRevoked || !strings.Contains(f.Detail, "compromised") {
		t.Fatalf("revoked: valid=%v %+v", r.Valid, f)
	}
}

func TestDetect(t *testing.T) {
	f := openattestation.NewFormat(0)
	b := issueBatch(t, 1, oaissue.IssueOptions{}, "")
	if !f.Detect(b.docs[0]) {
		t.Error("own document not detected")
	}
	for _, in := range []string{"", "[]", `{"a":1}`, "%PDF-1.7", "HC1:xyz"} {
		if f.Detect([]byte(in)) {
			t.Errorf("detected %q", in)
		}
	}
	if _, err := f.Verify(context.Background(), []byte(`{"signature":{"type":"SHA3MerkleProof"}}`), &verify.Env{}); !errors.Is(err, verify.ErrMalformed) {
		t.Errorf("no data: %v", err)
	}
}

// TestBatchCache: a batch sharing one merkle root costs one recovery.
func TestBatchCache(t *testing.T) {
	b := issueBatch(t, 50, oaissue.IssueOptions{}, "")
	f := openattestation.NewFormat(openattestation.DefaultCacheSize)
	env := &verify.Env{Trust: b.set, At: time.Now()}
	for _, d := range b.docs {
		r, err := f.Verify(context.Background(), d, env)
		if err != nil || !r.Finish().Valid {
			t.Fatal(err, r.FirstFailure())
		}
	}
	if n := openattestation.Recoveries(f); n != 1 {
		t.Fatalf("%d recoveries for one root", n)
	}
	// A forged signature on the same root is not served from the cache.
	other, _ := crypto.GenerateKey()
	forged := mutate(t, b.docs[0], func(v *ojson.Value) {
		root, _ := oacore.ParseHash(str(v.Path("signature", "merkleRoot")))
		sig, _ := oaissue.SignRoot(other, root)
		v.Get("proof").Elems()[0].Set("signature", ojson.NewString(sig))
	})
	r, _ := f.Verify(context.Background(), forged, env)
	if r.Finish().Valid {
		t.Fatal("forged signature accepted from cache")
	}
}

// TestMixedIssuers: a DID issuer cannot carry an unlisted co-issuer: every
// issuer must pass its own checks.
func TestMixedIssuers(t *testing.T) {
	key, _ := crypto.GenerateKey()
	v, _ := ojson.Parse(sampleEBL(t))
	addr := oaissue.AddressOf(key).Hex()
	v.Set("issuers", ojson.NewArray(
		ojson.NewObject(ojson.M("id", ojson.NewString("did:ethr:"+addr)), ojson.M("name", ojson.NewString("Carrier")),
			ojson.M("identityProof", ojson.NewObject(ojson.M("type", ojson.NewString("DID")), ojson.M("key", ojson.NewString("did:ethr:"+addr+"#controller"))))),
		ojson.NewObject(ojson.M("name", ojson.NewString("Store")), ojson.M("documentStore", ojson.NewString("0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d")),
			ojson.M("identityProof", ojson.NewObject(ojson.M("type", ojson.NewString("DNS-TXT")), ojson.M("location", ojson.NewString("example.com"))))),
	))
	w, err := oacore.WrapV2([]*ojson.Value{v})
	if err != nil {
		t.Fatal(err)
	}
	if err := oacore.SignV2(w[0], key, time.Now()); err != nil {
		t.Fatal(err)
	}
	set := trustlisttest.TrustOne(t, "DE", ethEntry(t, addr, "Carrier", ""))
	r := verifyOne(t, set, ojson.Stringify(w[0]))
	if f := r.FirstFailure(); r.Valid || f == nil || f.Name != verify.CheckIssuerTrusted || !strings.Contains(f.Detail, "document store 0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d is not in any admitted trust list") {
		t.Fatalf("valid=%v %+v", r.Valid, f)
	}
}

// TestConcurrentVerify: one Format verifies many documents at once.
func TestConcurrentVerify(t *testing.T) {
	b := issueBatch(t, 20, oaissue.IssueOptions{}, "")
	v := verifier(t, b.set)
	var jobs []verify.Job
	for i, d := range b.docs {
		jobs = append(jobs, verify.Job{Name: strconv.Itoa(i), Data: d})
	}
	n := 0
	v.VerifyAll(context.Background(), jobs, 4, func(o verify.Outcome) {
		n++
		if o.Err != nil || !o.Result.Valid {
			t.Errorf("%s: %v %+v", o.Name, o.Err, o.Result.FirstFailure())
		}
	})
	if n != len(jobs) {
		t.Fatalf("%d outcomes", n)
	}
}

func str(v *ojson.Value) string { s, _ := v.Str(); return s }
