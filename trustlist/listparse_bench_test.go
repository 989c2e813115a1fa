package trustlist

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/cputime"
)

// benchList is a signed list of n eth entries under a one-key ES256
// descriptor, as BenchmarkParseVerifyList1000 (package trustlist_test) makes.
func benchList(b *testing.B, n int) (*Descriptor, *List) {
	at := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	k, err := GenerateKey(AlgES256, nil)
	if err != nil {
		b.Fatal(err)
	}
	d, err := SignDescriptor(&Descriptor{Country: "NL", Name: "NL anchor", Version: 1, Threshold: 1, Keys: []*PublicKey{k.Public()}, IssuedAt: at}, []*PrivateKey{k})
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]*Entry, n)
	for i := range entries {
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(i))
		h := sha256.Sum256(append([]byte("NL"), buf[:]...))
		if entries[i], err = NewEthEntry(h[:20], []DocType{DocOA}, fmt.Sprintf("Issuer %d", i), "", at.Add(-time.Hour), at.Add(24*time.Hour*365)); err != nil {
			b.Fatal(err)
		}
	}
	l, err := SignList(&List{Country: "NL", DescriptorVersion: 1, Seq: 1, IssuedAt: at, NextUpdate: at.Add(time.Hour), Entries: entries}, []*PrivateKey{k})
	if err != nil {
		b.Fatal(err)
	}
	return d, l
}

func benchCPU(b *testing.B) func() {
	start := cputime.Now()
	return func() { b.ReportMetric(float64(cputime.Now()-start)/float64(b.N), "cpu-ns/op") }
}

// BenchmarkAcceptParseVerifyList1000 is what Set.Accept does with a list
// before its chain checks: decode the COSE envelope and the payload in its
// deterministic encoding, check every entry (spec/trustlist.md §1.3) and
// that no (kind, kid) is listed twice, hash the payload, verify the
// signatures. Entries are not built (a list that becomes a head builds
// them for the index: BenchmarkAcceptParseVerifyBuildList1000). Compare
// with BenchmarkParseVerifyList1000Floor (package trustlist_test).
func BenchmarkAcceptParseVerifyList1000(b *testing.B) {
	d, l := benchList(b, 1000)
	raw := l.Raw()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	defer benchCPU(b)()
	for i := 0; i < b.N; i++ {
		p, err := parseList(raw, nil, true)
		if err != nil || p.Verify(d) != nil || p.entryCount() != 1000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkAcceptParseVerifyBuildList1000 is BenchmarkAcceptParseVerifyList1000
// for a list that becomes its anchor's head: its entries are built too.
func BenchmarkAcceptParseVerifyBuildList1000(b *testing.B) {
	d, l := benchList(b, 1000)
	raw := l.Raw()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	defer benchCPU(b)()
	for i := 0; i < b.N; i++ {
		p, err := parseList(raw, nil, true)
		if err != nil || p.Verify(d) != nil || len(p.entries()) != 1000 {
			b.Fatal(err)
		}
	}
}
