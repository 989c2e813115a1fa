package oacore

import (
	"errors"
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
