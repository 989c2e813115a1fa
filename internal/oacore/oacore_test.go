package oacore

import (
	"encoding/hex"
	"errors"
	"regexp"
	"testing"

	"github.com/accord-network/accord/internal/ojson"
)

func TestMerkleTree(t *testing.T) {
	for n := 1; n <= 9; n++ {
		leaves := make([]Hash, n)
		for i := range leaves {
			leaves[i] = Keccak([]byte{byte(i)})
		}
		root, proofs := MerkleTree(leaves)
		for i, l := range leaves {
			if FoldProof(l, proofs[i]) != root {
				t.Fatalf("n=%d leaf %d: proof does not reach the root", n, i)
			}
			if n > 1 && len(proofs[i]) == 0 {
				t.Fatalf("n=%d leaf %d: empty proof", n, i)
			}
		}
		if n == 1 && root != leaves[0] {
			t.Fatal("single leaf: root must be the leaf")
		}
	}
}

func TestProtoKeyRefused(t *testing.T) {
	for _, in := range []string{
		`{"data":{"__proto__":"x","a":"b"},"signature":{"type":"SHA3MerkleProof"}}`,
		`{"data":{"a":{"__proto__":{}}},"signature":{"type":"SHA3MerkleProof"}}`,
	} {
		v, _ := ojson.Parse([]byte(in))
		if _, err := DigestV2(v); !errors.Is(err, ErrProtoKey) {
			t.Errorf("%s: %v", in, err)
		}
	}
}

// FuzzEBLPatterns: the byte-by-byte e-BL field checks accept exactly what
// the regular expressions of spec/openattestation.md §e-BL accept.
func FuzzEBLPatterns(f *testing.F) {
	for _, s := range []string{"NLRTM", "CNSHA", "nlrtm", "NL1TM", "2025-03-14", "2025-3-14", "MSKU1234567", "MSK1234567",
		"HHL71800000", " HHL", "HHL ", "a\nb", "x", "", "123456789012345678901", "12345678901234567890", "é", "\v", "a\vb", "\xff"} {
		f.Add(s)
	}
	res := map[string]*regexp.Regexp{
		"locode": regexp.MustCompile(`^[A-Z]{2}[A-Z2-9]{3}$`), "date": regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`),
		"equip": regexp.MustCompile(`^[A-Z]{4}\d{7}$`), "docref": regexp.MustCompile(`^\S(.{0,18}\S)?$`),
	}
	fns := map[string]func(string) bool{"locode": isUNLocode, "date": isISODate, "equip": isEquipRef, "docref": isDocRefDCSA}
	f.Fuzz(func(t *testing.T, s string) {
		for name, re := range res {
			if got, want := fns[name](s), re.MatchString(s); got != want {
				t.Fatalf("%s(%q) = %v, the pattern says %v", name, s, got, want)
			}
		}
	})
}

// TestAppendHexQuoted: the digest's hex writer gives what encoding/hex does.
func TestAppendHexQuoted(t *testing.T) {
	for _, seed := range []string{"", "a", "digest", "\xff\x00"} {
		h := Keccak([]byte(seed))
		got := string(appendHexQuoted([]byte("x"), &h))
		if want := `x"` + hex.EncodeToString(h[:]) + `"`; got != want {
			t.Fatalf("%q: %s, want %s", seed, got, want)
		}
	}
}
