package openattestation

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/formats/openattestation"
)

func sampleEBL(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../formats/openattestation/testdata/ebl-dcsa.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIssueVerifiesIntegrity: an issued batch parses, every document's
// fields hash to its target and its proof leads to the shared root, the
// signature names the key, and obfuscating a field keeps it intact.
func TestIssueVerifiesIntegrity(t *testing.T) {
	key, _ := crypto.GenerateKey()
	raws := [][]byte{sampleEBL(t), bytes.Replace(sampleEBL(t), []byte(`"HHL71800000"`), []byte(`"HHL71800001"`), 1)}
	docs, err := IssueEBL(key, raws, IssueOptions{Domain: "hlag.example"})
	if err != nil {
		t.Fatal(err)
	}
	var root string
	for i, doc := range docs {
		d, err := openattestation.Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.CheckIntegrity(); err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if root != "" && d.MerkleRoot != root {
			t.Fatalf("doc %d: another merkle root", i)
		}
		root = d.MerkleRoot
		if len(d.Issuers) != 1 || !strings.Contains(d.Issuers[0].Key, AddressOf(key).Hex()) || d.Issuers[0].Signature == "" {
			t.Fatalf("doc %d: issuer %+v", i, d.Issuers)
		}
	}
	out, err := Obfuscate(docs[0], []string{"documentParties.consignee"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := openattestation.Parse(out)
	if err != nil || d.CheckIntegrity() != nil || d.Obfuscated == 0 {
		t.Fatalf("obfuscated: %v %d", err, d.Obfuscated)
	}
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

// FuzzSplitPath: field paths never panic the splitter, and what it accepts
// has no empty segment.
func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"a.b[0].c", "data.x", "a[", "a..b", "[0]", "consignmentItems.0.cargoItems"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		segs, err := splitPath(p)
		if err != nil {
			return
		}
		for _, s := range segs {
			if s == "" {
				t.Fatalf("%q: empty segment in %q", p, segs)
			}
		}
	})
}
