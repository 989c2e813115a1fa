package trustlist

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"
)

// A did_key entry survives the wire, gives its key back, and is found by
// its verification method id; malformed ones are refused.
func TestDIDKeyEntry(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spki, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	now := time.Now()
	vm := "did:web:carrier.example#keys-1"
	e, err := NewDIDKeyEntry(vm, spki, []DocType{DocVC}, "Carrier", "carrier.example", now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	back, err := entryFromWire(e.wire())
	if err != nil {
		t.Fatal(err)
	}
	if back.VerificationMethod() != vm || back.Kind != EntryDIDKey {
		t.Fatalf("after the wire: %q %s", back.VerificationMethod(), back.Kind)
	}
	if pk, ok := back.PublicKey().(*ecdsa.PublicKey); !ok || !pk.Equal(&k.PublicKey) {
		t.Fatalf("public key %T", back.PublicKey())
	}
	for name, vm := range map[string]string{
		"no fragment":   "did:web:carrier.example",
		"empty frag":    "did:web:carrier.example#",
		"not a DID":     "https://carrier.example#keys-1",
		"two fragments": "did:web:a#b#c",
		"too long":      "did:web:" + strings.Repeat("a", MaxDIDURLLen) + "#k",
	} {
		if _, err := NewDIDKeyEntry(vm, spki, []DocType{DocVC}, "x", "", now, now.Add(time.Hour)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewDIDKeyEntry(vm, []byte{0x30, 0}, []DocType{DocVC}, "x", "", now, now.Add(time.Hour)); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad key: %v", err)
	}
	e.Thumbprint = make([]byte, 32)
	if err := e.check(); err == nil {
		t.Error("wrong thumbprint accepted")
	}
}
