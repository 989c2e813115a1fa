package openattestation_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/ojson"
	oaissue "github.com/accord-network/accord/issue/openattestation"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/trustlist/trustlisttest"
)

// The reference implementation, @govtechsg/open-attestation 6.9.7, is
// driven by testdata/interop/oa-interop.js. Install it with
//
//	npm install --prefix .ci @govtechsg/open-attestation@6.9.7
//
// and point ACCORD_NODE_MODULES at .ci/node_modules (the default).
const refPackage = "@govtechsg/open-attestation"

func nodeModules(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("SKIP: node is not installed; the interop tests need node and " + refPackage + "@6.9.7")
	}
	dir := os.Getenv("ACCORD_NODE_MODULES")
	if dir == "" {
		root, err := fixtures.Root()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, ".ci", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(dir, refPackage, "package.json")); err != nil {
		t.Skipf("SKIP: %s not found in %s (npm install --prefix .ci %s@6.9.7, or set ACCORD_NODE_MODULES)", refPackage, dir, refPackage)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

func runNode(t *testing.T, mods string, stdin []byte, args ...string) []byte {
	t.Helper()
	script, _ := filepath.Abs("testdata/interop/oa-interop.js")
	cmd := exec.Command("node", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "ACCORD_NODE_MODULES="+mods)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v: %s", args[0], err, stderr.String())
	}
	return out
}

type refCheck struct {
	File      string
	Schema    bool
	Integrity bool
	Signer    string
	Error     string
}

func refVerify(t *testing.T, mods string, files ...string) []refCheck {
	t.Helper()
	out := runNode(t, mods, nil, append([]string{"check"}, files...)...)
	var res []refCheck
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var c refCheck
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("reference output %q: %v", sc.Text(), err)
		}
		res = append(res, c)
	}
	if len(res) != len(files) {
		t.Fatalf("reference checked %d of %d files", len(res), len(files))
	}
	return res
}

// TestInteropTheirsToOurs: documents wrapped, signed and obfuscated by the
// reference library verify with ours.
func TestInteropTheirsToOurs(t *testing.T) {
	mods := nodeModules(t)
	key, _ := crypto.GenerateKey()
	dir := t.TempDir()
	var raws []string
	for i := 0; i < 3; i++ {
		p := filepath.Join(dir, "raw"+strconv.Itoa(i)+".json")
		if err := os.WriteFile(p, variant(t, "REF-"+strconv.Itoa(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		raws = append(raws, p)
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	runNode(t, mods, nil, append([]string{"wrap-sign", "0x" + hex.EncodeToString(crypto.FromECDSA(key)), out}, raws...)...)
	set := trustlisttest.TrustOne(t, "SG", ethEntry(t, oaissue.AddressOf(key).Hex(), "Reference Issuer", "ref.example"))
	for i := 0; i < 3; i++ {
		p := filepath.Join(out, strconv.Itoa(i)+".json")
		doc, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r := verifyOne(t, set, doc)
		if !r.Valid {
			t.Fatalf("reference document %d: %+v", i, r.FirstFailure())
		}
		if d, _ := openattestation.Parse(doc); len(d.Proof) == 0 {
			t.Errorf("reference batch document %d has no merkle proof", i)
		}
		if c := r.Check(openattestation.CheckIssuerDomain); c == nil || c.Status != "pass" {
			t.Errorf("domain: %+v", c)
		}
	}
	// Obfuscated by the reference library.
	obf := filepath.Join(dir, "obf.json")
	runNode(t, mods, nil, "obfuscate", filepath.Join(out, "0.json"), obf, "documentParties.consignee", "termsAndConditions")
	doc, _ := os.ReadFile(obf)
	if r := verifyOne(t, set, doc); !r.Valid {
		t.Fatalf("reference-obfuscated document: %+v", r.FirstFailure())
	}
	// The reference library's batch root equals ours for the same leaves.
	var targets []oacore.Hash
	var root string
	for i := 0; i < 3; i++ {
		b, _ := os.ReadFile(filepath.Join(out, strconv.Itoa(i)+".json"))
		d, _ := openattestation.Parse(b)
		h, _ := oacore.ParseHash(d.TargetHash)
		targets = append(targets, h)
		root = d.MerkleRoot
	}
	if got, _ := oacore.MerkleTree(targets); got.Hex() != root {
		t.Errorf("our merkle root %s, reference %s", got.Hex(), root)
	}
}

// TestInteropOursToTheirs: documents we issue and obfuscate pass the
// reference library's schema validation and verifySignature, and their DID
// signature recovers to our key with ethers.
func TestInteropOursToTheirs(t *testing.T) {
	mods := nodeModules(t)
	b := issueBatch(t, 3, oaissue.IssueOptions{Domain: "hlag.example"}, "hlag.example")
	dir := t.TempDir()
	var files []string
	for i, d := range b.docs {
		p := filepath.Join(dir, "ours"+strconv.Itoa(i)+".json")
		os.WriteFile(p, d, 0o644)
		files = append(files, p)
	}
	obf, err := oaissue.Obfuscate(b.docs[1], []string{"documentParties.shipper", "consignmentItems.0.cargoItems", "termsAndConditions"})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "ours-obfuscated.json")
	os.WriteFile(p, obf, 0o644)
	files = append(files, p)
	for _, c := range refVerify(t, mods, files...) {
		if c.Error != "" || !c.Schema || !c.Integrity || !strings.EqualFold(c.Signer, oaissue.AddressOf(b.key).Hex()) {
			t.Errorf("reference says %+v (want schema, integrity, signer %s)", c, oaissue.AddressOf(b.key).Hex())
		}
	}
	// v3: our obfuscation of an upstream credential.
	in, err := os.ReadFile(filepath.Join(suiteDir(t), "oa-verify/v3/did-signed.json"))
	if err != nil {
		t.Fatal(err)
	}
	v3, err := oaissue.Obfuscate(in, []string{"credentialSubject.class", "reference"})
	if err != nil {
		t.Fatal(err)
	}
	p = filepath.Join(dir, "v3-obfuscated.json")
	os.WriteFile(p, v3, 0o644)
	if c := refVerify(t, mods, p)[0]; !c.Integrity {
		t.Errorf("reference rejects our v3 obfuscation: %+v", c)
	}
}

// TestInteropStringify compares our JSON encoder with node's JSON.stringify
// on tricky strings and random numbers.
func TestInteropStringify(t *testing.T) {
	mods := nodeModules(t)
	rng := rand.New(rand.NewSource(1))
	var in [][]byte
	specials := []string{"\u2028\u2029", "<script>&amp;</script>", "\x00\x1f\x7f\u0080\u00ff", "\ufeff", "\U0001F6A2 🚢", "한국어 \ud7a3", "a\"b\\c/d",
		`"\ud800"`, `"\udc00x"`, `"\ud83d\ude00"`}
	for i, s := range specials {
		if i >= 7 {
			in = append(in, []byte(s)) // raw JSON with escapes
			continue
		}
		b, _ := json.Marshal(s)
		in = append(in, b)
	}
	for i := 0; i < 300; i++ {
		var f float64
		switch i % 4 {
		case 0:
			f = math.Float64frombits(rng.Uint64())
		case 1:
			f = rng.NormFloat64() * math.Pow(10, float64(rng.Intn(50)-25))
		case 2:
			f = float64(rng.Int63n(1<<53)) / math.Pow(10, float64(rng.Intn(12)))
		default:
			f = float64(rng.Intn(1000000))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		in = append(in, []byte(strconv.FormatFloat(f, 'g', -1, 64)))
	}
	for i := 0; i < 100; i++ {
		var sb []rune
		for j := 0; j < 8; j++ {
			r := rune(rng.Intn(0x30000))
			if !utf8.ValidRune(r) {
				r = rune(rng.Intn(0x40))
			}
			sb = append(sb, r)
		}
		b, _ := json.Marshal(string(sb))
		in = append(in, b)
	}
	stdin := bytes.Join(in, []byte("\n"))
	out := strings.Split(strings.TrimRight(string(runNode(t, mods, stdin, "stringify")), "\n"), "\n")
	if len(out) != len(in) {
		t.Fatalf("node returned %d lines for %d inputs", len(out), len(in))
	}
	for i, src := range in {
		v, err := ojson.Parse(src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := string(ojson.Stringify(v)); got != out[i] {
			t.Errorf("JSON.stringify(%s): node %s, ours %s", src, out[i], got)
		}
	}
}
