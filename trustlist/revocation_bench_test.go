package trustlist_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"runtime"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
)

// revokedSet returns a set holding n revoked hashes in deltas of 100,000.
func revokedSet(tb testing.TB, n int) (*trustlist.Set, [][trustlist.RevocationHashSize]byte) {
	s, _, keys := pinned(tb, "NL")
	var prev []byte
	var all [][trustlist.RevocationHashSize]byte
	for seq := uint64(1); len(all) < n; seq++ {
		hs := hashes(min(100_000, n-len(all)), uint64(len(all)))
		all = append(all, hs...)
		b := trustlist.NewRevocationBatch(trustlist.HashUCI, nil, now.Add(24*time.Hour), "bench", append([][16]byte(nil), hs...))
		r := revDelta(tb, hdr("NL", 1, seq), prev, keys[:2], nil, b)
		if d := s.Accept(r.Raw(), now); d.Outcome != trustlist.Accepted {
			tb.Fatalf("delta %d: %s %s", seq, d.Reason, d.Detail)
		}
		prev = r.Hash()
	}
	return s, all
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMillionRevocationsMemory holds 1,000,000 revoked hashes (in ten signed
// deltas, raw objects included) and requires the heap they take to stay
// under 64 MB.
func TestMillionRevocationsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: builds 1,000,000 revocation hashes (-short)")
	}
	before := heapInUse()
	s, _ := revokedSet(t, 1_000_000)
	used := heapInUse() - before
	runtime.KeepAlive(s)
	t.Logf("1,000,000 revoked hashes: %.1f MB of heap", float64(used)/(1<<20))
	if used > 64<<20 {
		t.Fatalf("1,000,000 revoked hashes take %.1f MB; the budget is 64 MB", float64(used)/(1<<20))
	}
}

// BenchmarkRevocationLookup looks up a document's three hashes (the EU DCC
// check: SIGNATURE, UCI, COUNTRYCODEUCI) among 1,000,000 revoked ones.
// BenchmarkSHA256Floor is its floor: hashing one UVCI.
func BenchmarkRevocationLookup(b *testing.B) {
	s, all := revokedSet(b, 1_000_000)
	miss := hashes(1, 1<<40)[0]
	qs := []trustlist.RevocationQuery{{Type: trustlist.HashSignature, Hash: miss}, {Type: trustlist.HashCountryCodeUCI, Hash: miss}, {Type: trustlist.HashUCI, Hash: all[len(all)/2]}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s.Revoked("NL", nil, now, qs...) == nil {
			b.Fatal("not found")
		}
	}
}

// BenchmarkRevocationLookupOne looks up one revoked hash among 1,000,000.
func BenchmarkRevocationLookupOne(b *testing.B) {
	s, all := revokedSet(b, 1_000_000)
	q := trustlist.RevocationQuery{Type: trustlist.HashUCI, Hash: all[len(all)/3]}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s.Revoked("NL", nil, now, q) == nil {
			b.Fatal("not found")
		}
	}
}

func BenchmarkSHA256Floor(b *testing.B) {
	in := []byte("URN:UVCI:01:NL:DADFCC47C7334E45A906DB12FD859FB7#1")
	for i := 0; i < b.N; i++ {
		_ = sha256.Sum256(in)
	}
}

// BenchmarkAcceptRevocationBatch100k accepts one signed delta of 100,000
// hashes into a set (decode, threshold signatures, structure, indexing).
// BenchmarkECDSAVerifyFloor is its floor: one P-256 signature verification.
func BenchmarkAcceptRevocationBatch100k(b *testing.B) {
	_, d, keys := pinned(b, "NL")
	batch := trustlist.NewRevocationBatch(trustlist.HashUCI, nil, now.Add(24*time.Hour), "bench", hashes(100_000, 0))
	r := revDelta(b, hdr("NL", 1, 1), nil, keys[:2], nil, batch)
	raw := r.Raw()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := trustlist.NewSet(trustlist.DefaultPolicy())
		if _, err := s.Pin(d.Raw()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if dec := s.Accept(raw, now); dec.Outcome != trustlist.Accepted {
			b.Fatal(dec.Detail)
		}
	}
}

func BenchmarkECDSAVerifyFloor(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h := sha256.Sum256([]byte("floor"))
	sig, _ := ecdsa.SignASN1(rand.Reader, k, h[:])
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
			b.Fatal("verify")
		}
	}
}

// BenchmarkStoreImportRevocationBatch100k is the same through a Store: the
// delta is verified, indexed and committed durably (bbolt, fsync) and
// mirrored as a file, as a node does on receipt.
func BenchmarkStoreImportRevocationBatch100k(b *testing.B) {
	_, d, keys := pinned(b, "NL")
	batch := trustlist.NewRevocationBatch(trustlist.HashUCI, nil, now.Add(24*time.Hour), "bench", hashes(100_000, 0))
	raw := revDelta(b, hdr("NL", 1, 1), nil, keys[:2], nil, batch).Raw()
	b.SetBytes(int64(len(raw)))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := trustlist.OpenStore(b.TempDir(), trustlist.StoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Pin(d.Raw()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if dec, err := st.Import(raw, now); err != nil || dec.Outcome != trustlist.Accepted {
			b.Fatal(err, dec)
		}
		b.StopTimer()
		st.Close()
	}
}
