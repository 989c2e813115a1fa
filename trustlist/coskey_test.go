package trustlist

import (
	"bytes"
	"testing"
)

// coseKeySeeds are canonical COSE_Keys of both kinds and near misses: an
// off-curve point, a coordinate at or above the field prime, a private key,
// non-canonical heads.
func coseKeySeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, alg := range []KeyAlg{AlgES256, AlgEdDSA} {
		k, err := GenerateKey(alg, nil)
		if err != nil {
			t.Fatal(err)
		}
		enc := k.Public().Bytes()
		out = append(out, enc)
		off := bytes.Clone(enc)
		off[len(off)-1] ^= 1 // P-256: y no longer on the curve
		out = append(out, off)
		long := append([]byte{enc[0] + 1}, enc[1:]...)
		out = append(out, append(long, 0x04, 0x01)) // an extra key_ops-like pair
		out = append(out, enc[:len(enc)-1])
	}
	p256 := bytes.Clone(out[0])
	for i := 10; i < 42; i++ { // x = 2²⁵⁶−1, above the prime
		p256[i] = 0xff
	}
	out = append(out, p256)
	return out
}

// TestCheckCOSEKey pins that a list's cose_key check accepts exactly the
// keys ParsePublicKey accepts.
func TestCheckCOSEKey(t *testing.T) {
	for i, b := range coseKeySeeds(t) {
		_, want := ParsePublicKey(b)
		got := checkCOSEKey(b)
		if (got == nil) != (want == nil) {
			t.Errorf("seed %d %x: checkCOSEKey %v, ParsePublicKey %v", i, b, got, want)
		}
	}
	if checkCOSEKey(coseKeySeeds(t)[1]) == nil {
		t.Error("an off-curve P-256 point was accepted")
	}
}

// FuzzCheckCOSEKey checks that checkCOSEKey and ParsePublicKey agree.
func FuzzCheckCOSEKey(f *testing.F) {
	for _, b := range coseKeySeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, want := ParsePublicKey(b)
		if got := checkCOSEKey(b); (got == nil) != (want == nil) {
			t.Fatalf("%x: checkCOSEKey %v, ParsePublicKey %v", b, got, want)
		}
	})
}

// TestParsePublicKeyNoPanic: a COSE_Key whose crv is a byte string made
// go-cose panic inside ParsePublicKey, reachable from any list or
// descriptor a peer sends; it is an error now.
func TestParsePublicKeyNoPanic(t *testing.T) {
	for _, b := range [][]byte{
		{0xa2, 0x01, 0x02, 0x20, 0x41, 0x30},
		{0xa2, 0x01, 0x01, 0x20, 0x41, 0x30},
		[]byte("\xa5\x01\x0200 A0102X\x1f0000000000000000000000000000000"),
	} {
		if _, err := ParsePublicKey(b); err == nil {
			t.Errorf("%x accepted", b)
		}
		if _, err := ParsePrivateKey(b); err == nil {
			t.Errorf("%x accepted as a private key", b)
		}
		if checkCOSEKey(b) == nil {
			t.Errorf("%x accepted by checkCOSEKey", b)
		}
	}
}
