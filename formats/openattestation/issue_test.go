package openattestation

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

func issueBatch(t testing.TB, n int, o IssueOptions, domain string) issued {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	for i := 0; i < n; i++ {
		raws = append(raws, variant(t, "HHL7180000"+string(rune('0'+i%10))))
	}
	docs, err := IssueEBL(key, raws, o)
	if err != nil {
		t.Fatal(err)
	}
	addr := AddressOf(key)
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
	b := issueBatch(t, 3, IssueOptions{Domain: "hlag.example"}, "hlag.example")
	var root string
	for i, doc := range b.docs {
		r := verifyOne(t, b.set, doc)
		if !r.Valid {
			t.Fatalf("doc %d invalid: %+v", i, r.FirstFailure())
		}
		d, _ := Parse(doc)
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
		if c := r.Check(CheckIssuerDomain); c.Status != verify.Pass {
			t.Errorf("issuer_domain %+v", c)
		}
		for _, c := range r.Checks {
			switch c.Name {
			case verify.CheckIssuerTrusted, verify.CheckKeyUsage, verify.CheckNotRevoked, verify.CheckListFresh, verify.CheckKeyValidAtSigning:
				if c.Fragment != FragmentIdentity {
					t.Errorf("%s fragment %q", c.Name, c.Fragment)
				}
			case verify.CheckSignature:
				if c.Fragment != FragmentStatus {
					t.Errorf("signature fragment %q", c.Fragment)
				}
			}
		}
	}
}

func mutate(t testing.TB, doc []byte, fn func(v *Value)) []byte {
	t.Helper()
	v, err := ParseJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	fn(v)
	return Stringify(v)
}

// TestFailures: each way of breaking a document gives one clear reason.
func TestFailures(t *testing.T) {
	b := issueBatch(t, 2, IssueOptions{Domain: "hlag.example"}, "hlag.example")
	doc := b.docs[0]
	other, _ := crypto.GenerateKey()
	cases := []struct {
		name, check, reason string
		doc                 []byte
		trust               verify.TrustedMaterial
	}{
		{"tampered field", verify.CheckIntegrity, "altered", mutate(t, doc, func(v *Value) {
			p := v.Path("data", "transports", "portOfDischarge")
			s := str(p.Get("UNLocationCode"))
			p.set("UNLocationCode", strV(strings.Replace(s, "CNSHA", "USLAX", 1)))
		}), b.set},
		{"added field", verify.CheckIntegrity, "added", mutate(t, doc, func(v *Value) {
			v.Get("data").set("remarks", strV("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string:free"))
		}), b.set},
		{"broken proof", verify.CheckIntegrity, "merkle proof", mutate(t, doc, func(v *Value) {
			v.Path("signature", "proof").arr[0] = strV(strings.Repeat("ab", 32))
		}), b.set},
		{"wrong signer", verify.CheckSignature, "wrong signer", mutate(t, doc, func(v *Value) {
			root, _ := parseHash(str(v.Path("signature", "merkleRoot")))
			sig, _ := SignRoot(other, root)
			v.Get("proof").arr[0].set("signature", strV(sig))
		}), b.set},
		{"garbled signature", verify.CheckSignature, "signature", mutate(t, doc, func(v *Value) {
			v.Get("proof").arr[0].set("signature", strV("0x1234"))
		}), b.set},
		{"unknown issuer", verify.CheckIssuerTrusted, "unknown issuer", doc,
			trustlisttest.TrustOne(t, "DE", ethEntry(t, AddressOf(other).Hex(), "Other", ""))},
		{"not for oa", verify.CheckKeyUsage, "not for OpenAttestation", doc,
			trustlisttest.TrustOne(t, "DE", ethEntry(t, AddressOf(b.key).Hex(), "HL", "", trustlist.DocPDF))},
		{"domain mismatch", CheckIssuerDomain, "binds this issuer", doc,
			trustlisttest.TrustOne(t, "DE", ethEntry(t, AddressOf(b.key).Hex(), "HL", "other.example"))},
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
	v, _ := ParseJSON(sampleEBL(t))
	salted, err := saltV2(v)
	if err != nil {
		t.Fatal(err)
	}
	salted.set("remarks", strV("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:date:2025-01-01"))
	key, _ := crypto.GenerateKey()
	salted.set("issuers", arrV(objV(mem("id", strV("did:ethr:"+AddressOf(key).Hex())), mem("name", strV("X")),
		mem("identityProof", objV(mem("type", strV("DID")), mem("key", strV("did:ethr:"+AddressOf(key).Hex()+"#controller")))))))
	doc := objV(mem("version", strV(SchemaV2)), mem("data", salted))
	th, _ := DigestV2(doc)
	doc.set("signature", objV(mem("type", strV(TypeMerkleV2)), mem("targetHash", strV(th)), mem("proof", arrV()), mem("merkleRoot", strV(th))))
	if err := SignV2(doc, key, time.Now()); err != nil {
		t.Fatal(err)
	}
	return Stringify(doc)
}

// badEBLDoc wraps and signs an e-BL with a bad port code, bypassing
// IssueEBL's validation.
func badEBLDoc(t testing.TB) []byte {
	v, _ := ParseJSON(bytes.Replace(sampleEBL(t), []byte(`"CNSHA"`), []byte(`"Shanghai"`), 1))
	key, _ := crypto.GenerateKey()
	w, err := WrapV2([]*Value{v})
	if err != nil {
		t.Fatal(err)
	}
	if err := SignV2(w[0], key, time.Now()); err != nil {
		t.Fatal(err)
	}
	return Stringify(w[0])
}

func TestIssueRefusesBadEBL(t *testing.T) {
	key, _ := crypto.GenerateKey()
	for name, in := range map[string][]byte{
		"locode":     bytes.Replace(sampleEBL(t), []byte(`"NLRTM"`), []byte(`"NL-RTM"`), 1),
		"date":       bytes.Replace(sampleEBL(t), []byte(`"2025-03-14"`), []byte(`"14/03/2025"`), 1),
		"no shipper": bytes.Replace(sampleEBL(t), []byte(`"shipper"`), []byte(`"shipperX"`), 1),
		"type code":  bytes.Replace(sampleEBL(t), []byte(`"BOL"`), []byte(`"XYZ"`), 1),
		"not json":   []byte(`{`),
		"not a BL":   []byte(`{"name":"x"}`),
	} {
		if _, err := IssueEBL(key, [][]byte{in}, IssueOptions{}); err == nil {
			t.Errorf("%s: issued", name)
		}
	}
}

func TestObfuscate(t *testing.T) {
	b := issueBatch(t, 1, IssueOptions{}, "")
	doc := b.docs[0]
	out, err := Obfuscate(doc, []string{"documentParties.consignee", "termsAndConditions", "consignmentItems[0].cargoItems"})
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
	d, _ := Parse(out)
	if d.Obfuscated < 3 {
		t.Errorf("obfuscated %d hashes", d.Obfuscated)
	}
	// Dropping an obfuscated hash breaks integrity.
	dropped := mutate(t, out, func(v *Value) {
		l := v.Path("privacy", "obfuscatedData")
		l.arr = l.arr[1:]
	})
	r = verifyOne(t, b.set, dropped)
	if f := r.FirstFailure(); r.Valid || f == nil || f.Name != verify.CheckIntegrity {
		t.Fatalf("dropped hash: valid=%v %+v", r.Valid, f)
	}
	// Errors: unknown field, array element, emptying an object.
	for _, f := range []string{"nope", "consignmentItems.0", "transports.portOfLoading.UNLocationCode"} {
		if _, err := Obfuscate(doc, []string{f}); err == nil {
			t.Errorf("obfuscate %s: no error", f)
		}
	}
	if _, err := Obfuscate(doc, []string{"documentParties.consignee.address"}); err != nil {
		t.Errorf("obfuscate a whole object: %v", err)
	}
}

func TestObfuscateV3(t *testing.T) {
	dir := suiteDir(t)
	in, err := os.ReadFile(dir + "/oa-verify/v3/did-signed.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Obfuscate(in, []string{"credentialSubject.class", "reference"})
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
	b := issueBatch(t, 1, IssueOptions{}, "")
	e := ethEntry(t, AddressOf(b.key).Hex(), "HL", "")
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
	f := NewFormat(0)
	b := issueBatch(t, 1, IssueOptions{}, "")
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
	b := issueBatch(t, 50, IssueOptions{}, "")
	f := NewFormat(DefaultCacheSize)
	env := &verify.Env{Trust: b.set, At: time.Now()}
	for _, d := range b.docs {
		r, err := f.Verify(context.Background(), d, env)
		if err != nil || !r.Finish().Valid {
			t.Fatal(err, r.FirstFailure())
		}
	}
	if n := f.cache.recoveries.Load(); n != 1 {
		t.Fatalf("%d recoveries for one root", n)
	}
	// A forged signature on the same root is not served from the cache.
	other, _ := crypto.GenerateKey()
	forged := mutate(t, b.docs[0], func(v *Value) {
		root, _ := parseHash(str(v.Path("signature", "merkleRoot")))
		sig, _ := SignRoot(other, root)
		v.Get("proof").arr[0].set("signature", strV(sig))
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
	v, _ := ParseJSON(sampleEBL(t))
	addr := AddressOf(key).Hex()
	v.set("issuers", arrV(
		objV(mem("id", strV("did:ethr:"+addr)), mem("name", strV("Carrier")),
			mem("identityProof", objV(mem("type", strV("DID")), mem("key", strV("did:ethr:"+addr+"#controller"))))),
		objV(mem("name", strV("Store")), mem("documentStore", strV("0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d")),
			mem("identityProof", objV(mem("type", strV("DNS-TXT")), mem("location", strV("example.com"))))),
	))
	w, err := WrapV2([]*Value{v})
	if err != nil {
		t.Fatal(err)
	}
	if err := SignV2(w[0], key, time.Now()); err != nil {
		t.Fatal(err)
	}
	set := trustlisttest.TrustOne(t, "DE", ethEntry(t, addr, "Carrier", ""))
	r := verifyOne(t, set, Stringify(w[0]))
	if f := r.FirstFailure(); r.Valid || f == nil || f.Name != verify.CheckIssuerTrusted || !strings.Contains(f.Detail, "document store 0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d is not in any admitted trust list") {
		t.Fatalf("valid=%v %+v", r.Valid, f)
	}
}

// TestConcurrentVerify: one Format verifies many documents at once.
func TestConcurrentVerify(t *testing.T) {
	b := issueBatch(t, 20, IssueOptions{}, "")
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
