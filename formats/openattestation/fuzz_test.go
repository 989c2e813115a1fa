package openattestation_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/openattestation"
	oaissue "github.com/accord-network/accord/issue/openattestation"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/verify"
)

// fuzzSeeds returns the upstream fixtures (when present) and our sample.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	if b, err := os.ReadFile("testdata/ebl-dcsa.json"); err == nil {
		seeds = append(seeds, b)
	}
	if root, err := fixtures.Root(); err == nil {
		files, _ := filepath.Glob(filepath.Join(root, "..", "shared", "fixtures", "openattestation", "*", "*", "*.json"))
		gen, _ := filepath.Glob(filepath.Join(root, "..", "shared", "fixtures", "openattestation", "generated", "*.json"))
		for _, p := range append(files, gen...) {
			if b, err := os.ReadFile(p); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	return seeds
}

// FuzzVerify: any input gives a result or a malformed error, never a panic,
// and every check carries a one-line reason.
func FuzzVerify(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	format := openattestation.NewFormat(64)
	env := &verify.Env{Trust: openattestation.EmptyTrust{}, At: time.Now()}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := format.Verify(context.Background(), in, env)
		if err != nil {
			if !errors.Is(err, verify.ErrMalformed) {
				t.Fatalf("error not malformed: %v", err)
			}
			return
		}
		r.Finish()
		if r.Valid {
			t.Fatal("valid without any trusted issuer")
		}
		for _, c := range r.Checks {
			if c.Detail == "" || strings.Contains(c.Detail, "\n") {
				t.Fatalf("check %s: reason %q", c.Name, c.Detail)
			}
		}
	})
}

// FuzzObfuscate: obfuscating any paths of a valid document either fails
// cleanly or yields a document that still verifies.
func FuzzObfuscate(f *testing.F) {
	b := issueBatch(f, 1, oaissue.IssueOptions{}, "")
	doc := b.docs[0]
	f.Add("documentParties.consignee")
	f.Add("consignmentItems[0].descriptionOfGoods")
	f.Add("transports.vesselVoyages.0")
	f.Fuzz(func(t *testing.T, path string) {
		out, err := oaissue.Obfuscate(doc, strings.Split(path, ","))
		if err != nil {
			return
		}
		d, err := openattestation.Parse(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.CheckIntegrity(); err != nil {
			t.Fatalf("obfuscated %q does not verify: %v", path, err)
		}
	})
}
