package trustlist_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/cputime"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// countries returns n distinct valid country codes.
func countries(n int) []string {
	var out []string
	for a := 'A'; a <= 'Z' && len(out) < n; a++ {
		for b := 'A'; b <= 'Z' && len(out) < n; b++ {
			if cc := string([]rune{a, b}); trustlist.ValidCountry(cc) {
				out = append(out, cc)
			}
		}
	}
	return out
}

// kidEntries makes n cose_key-free eth entries plus n x509-shaped lookups are
// costly to build; lookups index kid bytes the same way for every kind, so
// eth entries (kid = address) measure the index fairly.
func bigEntries(b testing.TB, seed string, n int) []*trustlist.Entry {
	out := make([]*trustlist.Entry, n)
	for i := range out {
		out[i] = tt.Must(trustlist.BenchEthEntry(seed, i, now))
	}
	return out
}

func BenchmarkSignList1000(b *testing.B) {
	_, keys := anchorKeys(b, "NL", 1, 1)
	entries := bigEntries(b, "NL", 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		signList(b, "NL", 1, 1, nil, keys, now, time.Hour, entries...)
	}
}

// BenchmarkParseVerifyList1000 is the public ParseList and Verify: besides
// every check, it builds the list's 1,000 Entry structs (312 bytes each).
// Set.Accept checks the same but builds them only for a list that becomes a
// head: BenchmarkAcceptParseVerifyList1000 (package trustlist) is that path.
func BenchmarkParseVerifyList1000(b *testing.B) {
	d, keys := anchorKeys(b, "NL", 1, 1)
	l := signList(b, "NL", 1, 1, nil, keys, now, time.Hour, bigEntries(b, "NL", 1000)...)
	b.SetBytes(int64(len(l.Raw())))
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		p, err := trustlist.ParseList(l.Raw())
		if err != nil || p.Verify(d) != nil {
			b.Fatal(err)
		}
	}
}

// bigSet is 200 anchors × 1,000 entries.
func bigSet(b *testing.B) (*trustlist.Set, [][]byte) {
	s := trustlist.NewSet(trustlist.DefaultPolicy())
	var kids [][]byte
	for _, cc := range countries(200) {
		d, keys := anchorKeys(b, cc, 1, 1)
		tt.Must(s.Pin(d.Raw()))
		entries := bigEntries(b, cc, 1000)
		if dec := s.Accept(signList(b, cc, 1, 1, nil, keys, now.Add(-time.Minute), time.Hour, entries...).Raw(), now); dec.Err() != nil {
			b.Fatal(dec.Err())
		}
		kids = append(kids, entries[len(entries)/2].KID)
	}
	return s, kids
}

func BenchmarkLookup200x1000(b *testing.B) {
	s, kids := bigSet(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if m := s.Find(trustlist.Query{Address: kids[i%len(kids)], Use: trustlist.DocOA}); len(m) != 1 {
			b.Fatal(len(m))
		}
	}
}

func BenchmarkStoreImport200Lists(b *testing.B) { benchImport(b, false) }

// BenchmarkStoreImportAll200Lists imports the same 200 lists in one commit.
func BenchmarkStoreImportAll200Lists(b *testing.B) { benchImport(b, true) }

func benchImport(b *testing.B, batch bool) {
	type anchorObjs struct{ desc, list []byte }
	var objs []anchorObjs
	for _, cc := range countries(200) {
		d, keys := anchorKeys(b, cc, 1, 1)
		objs = append(objs, anchorObjs{d.Raw(), signList(b, cc, 1, 1, nil, keys, now.Add(-time.Minute), time.Hour, bigEntries(b, cc, 10)...).Raw()})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := tt.Must(trustlist.OpenStore(b.TempDir(), trustlist.StoreOptions{}))
		for _, o := range objs {
			tt.Must(st.Pin(o.desc))
		}
		b.StartTimer()
		if batch {
			var raws [][]byte
			for _, o := range objs {
				raws = append(raws, o.list)
			}
			ds, err := st.ImportAll(raws, now)
			if err != nil || ds[199].Outcome != trustlist.Accepted {
				b.Fatal(err)
			}
		}
		for _, o := range objs {
			if batch {
				break
			}
			if d, err := st.Import(o.list, now); err != nil || d.Outcome != trustlist.Accepted {
				b.Fatal(d, err)
			}
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkParseVerifyList1000Floor is the floor for BenchmarkParseVerifyList1000,
// measured in the same run: the list's signature checks alone (SHA-256 over
// the whole encoded list and one raw P-256 verify).
func BenchmarkParseVerifyList1000Floor(b *testing.B) {
	_, keys := anchorKeys(b, "NL", 1, 1)
	l := signList(b, "NL", 1, 1, nil, keys, now, time.Hour, bigEntries(b, "NL", 1000)...)
	trustlist.BenchSignatureFloor(b, l.Raw())
}

// BenchmarkStoreCatchUp200x1000 is the store's side of a fresh node catching
// up: 200 anchors' lists of 1,000 X.509 entries each (the same 1,000
// certificates in every list, as in p2p's BenchmarkCatchUp) imported into an
// empty store in commits of batch lists, with and without fsync; with
// deferred-index, the verified index is written once, after the last commit
// (Store.DeferIndex, as a node's sync round does), and that write is timed. floor-cpu-ns
// is the same run's list signature checks of the 200 lists (SHA-256 over each
// list and one P-256 verify: what accepting them cannot avoid).
// Run: go test -run X -bench StoreCatchUp -benchtime 1x ./trustlist
func BenchmarkStoreCatchUp200x1000(b *testing.B) {
	certs := make([]*trustlist.Entry, 1000)
	for i := range certs {
		c, _ := tt.Cert(b, tt.CertOptions{CommonName: fmt.Sprintf("DSC %d", i), Country: "NL"})
		certs[i] = tt.Must(trustlist.NewX509Entry(c.Raw, false, []trustlist.DocType{trustlist.DocHCert}, fmt.Sprintf("DSC %d", i)))
	}
	var descs, lists [][]byte
	for _, cc := range countries(200) {
		d, keys := anchorKeys(b, cc, 1, 1)
		descs = append(descs, d.Raw())
		lists = append(lists, signList(b, cc, 1, 1, nil, keys, now.Add(-time.Minute), time.Hour, certs...).Raw())
	}
	floor := tt.SignatureFloor(b, lists)
	for _, noSync := range []bool{false, true} {
		for _, batch := range []int{4, 16, 200, -16} {
			name := fmt.Sprintf("nosync=%v/batch=%d", noSync, batch)
			deferred := batch < 0
			if deferred { // as a node's sync round: the index written once, at the end
				batch = -batch
				name = fmt.Sprintf("nosync=%v/batch=%d/deferred-index", noSync, batch)
			}
			b.Run(name, func(b *testing.B) {
				var cpu time.Duration
				for range b.N {
					b.StopTimer()
					dir := b.TempDir()
					st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{NoSync: noSync}))
					for _, d := range descs {
						tt.Must(st.Pin(d))
					}
					b.StartTimer()
					start := cputime.Now()
					release := func() error { return nil }
					if deferred {
						release = st.DeferIndex()
					}
					for i := 0; i < len(lists); i += batch {
						ds, err := st.ImportAll(lists[i:min(i+batch, len(lists))], now)
						if err != nil {
							b.Fatal(err)
						}
						for _, d := range ds {
							if d.Outcome != trustlist.Accepted {
								b.Fatalf("%+v", d)
							}
						}
					}
					if err := release(); err != nil {
						b.Fatal(err)
					}
					cpu += cputime.Now() - start
					b.StopTimer()
					st.Close()
					if fi, err := os.Stat(filepath.Join(dir, "store.db")); err == nil {
						b.Logf("store.db %.1f MB", float64(fi.Size())/1e6)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(floor), "floor-cpu-ns")
			})
		}
	}
}
