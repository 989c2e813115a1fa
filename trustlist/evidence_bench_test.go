package trustlist_test

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// BenchmarkEvidenceDuplicate measures what a re-encoded copy of held
// evidence costs a node (issue 10 item 6): decoding and hashing, no signature
// verification. Compare with BenchmarkEvidenceFloorEd25519Verify from the same
// run: fresh evidence costs at least three such verifications.
func BenchmarkEvidenceDuplicate(b *testing.B) {
	d, keys := anchorKeys(b, "SG", 1, 1)
	prev := bytes.Repeat([]byte{1}, 32)
	x := signList(b, "SG", 1, 5, prev, keys, now, time.Hour, ethEntry(b, 1, "A"))
	y := signList(b, "SG", 1, 5, prev, keys, now, time.Hour, ethEntry(b, 2, "B"))
	ev := tt.Must(trustlist.NewEvidence(d, x, y))
	s := trustlist.NewSet(trustlist.DefaultPolicy())
	tt.Must(s.Pin(d.Raw()))
	if dec := s.Accept(ev.Raw(), now); dec.Outcome != trustlist.Accepted {
		b.Fatal(dec)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if dec := s.Accept(ev.Raw(), now); dec.Outcome != trustlist.Duplicate {
			b.Fatal(dec)
		}
	}
}

// BenchmarkEvidenceFloorEd25519Verify is the floor: one raw Ed25519 verify.
func BenchmarkEvidenceFloorEd25519Verify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := bytes.Repeat([]byte{7}, 200)
	sig := ed25519.Sign(priv, msg)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("verify")
		}
	}
}

// BenchmarkEvidenceParseVerify is what every copy cost before duplicates were
// recognised ahead of verification: decoding and verifying all signatures.
func BenchmarkEvidenceParseVerify(b *testing.B) {
	d, keys := anchorKeys(b, "SG", 1, 1)
	prev := bytes.Repeat([]byte{1}, 32)
	x := signList(b, "SG", 1, 5, prev, keys, now, time.Hour, ethEntry(b, 1, "A"))
	y := signList(b, "SG", 1, 5, prev, keys, now, time.Hour, ethEntry(b, 2, "B"))
	raw := tt.Must(trustlist.NewEvidence(d, x, y)).Raw()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := trustlist.ParseEvidence(raw); err != nil {
			b.Fatal(err)
		}
	}
}
