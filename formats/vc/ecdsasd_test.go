package vc

import (
	"os"
	"path/filepath"
	"testing"
)

// w3cVector reads one of the W3C ecdsa-sd-2023 test vectors
// (testdata/w3c-ecdsa-sd-2023/README.md).
func w3cVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "w3c-ecdsa-sd-2023", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestW3CVectors verifies the specification's own base and derived proofs
// with the issuer key of its key material.
func TestW3CVectors(t *testing.T) {
	for _, name := range []string{"addSignedSDBase.json", "derivedRevealDocument.json"} {
		c, err := Parse(w3cVector(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := c.Proofs[0]
		d, out, err := c.sdPrepare(p)
		if err != nil {
			t.Fatalf("%s: %v (%+v)", name, err, out)
		}
		key, err := didKeyP256(p.VerificationMethod)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.checkBase(key); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %+v", name, out)
	}
}
