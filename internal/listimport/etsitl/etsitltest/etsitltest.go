// Package etsitltest gives tests the real ETSI TS 119 612 trusted lists of
// ../shared/fixtures/etsi-tl and the certificates they are pinned under, so
// the packages that read those lists load them one way.
package etsitltest

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/internal/pki"
)

// sub is the fixture set's folder below ../shared/fixtures.
const sub = "etsi-tl"

// Read returns a file of the set (e.g. "lotl/eu-lotl-248.xml"). The test is
// skipped, saying what is missing, when the file is absent.
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	return fixtures.ReadShared(t, sub, rel)
}

// Roots returns the PEM certificates of the set that glob matches (e.g.
// "certs/oj-2019/*.pem": the LOTL signers the Official Journal published in
// 2019). The test is skipped when none match; a file that is not a PEM
// certificate fails it.
func Roots(t testing.TB, glob string) []*pki.Certificate {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtures.Shared(t, sub), glob))
	if err != nil {
		t.Fatalf("roots %s: %v", glob, err)
	}
	if len(files) == 0 {
		t.Skipf("SKIP: no shared fixture matches %s/%s", sub, glob)
	}
	out := make([]*pki.Certificate, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("%s: not PEM", f)
		}
		c, err := pki.Parse(blk.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, c)
	}
	return out
}

// AddSeeds adds the files of the set named by rels that are present to f's
// seed corpus. Absent ones are passed over, not skipped: the fuzz target
// still runs on its other seeds.
func AddSeeds(f *testing.F, rels ...string) {
	root, err := fixtures.Root()
	if err != nil {
		return
	}
	for _, rel := range rels {
		if b, err := os.ReadFile(filepath.Join(root, "..", "shared", "fixtures", sub, rel)); err == nil {
			f.Add(b)
		}
	}
}
