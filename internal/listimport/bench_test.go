package listimport_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/listimport/dccg"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
)

// BenchmarkGatewayImportSignAccept is the whole path of issue 13's figure:
// the real DE gateway list (832 DSCs, 77 countries, each with its CMS upload
// signature checked) read into relay entries, signed as a list, and imported
// into an on-disk trust store (bbolt, fsync). Compare with the floors below,
// measured in the same run.
func BenchmarkGatewayImportSignAccept(b *testing.B) {
	raw := readFixture(b, "dcc-trustlists/trustlist_de.json")
	a := trustlisttest.NewAnchor(b, "DE")
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := dccg.Parse(raw, listimport.Options{})
		if err != nil {
			b.Fatal(err)
		}
		l := a.SignList(b, time.Time{}, 24*time.Hour, relayEntries(src, "DE")...)
		b.StopTimer()
		st, err := trustlist.OpenStore(b.TempDir(), trustlist.StoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Pin(a.Descriptor.Raw()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if d, err := st.Import(l.Raw(), time.Now()); err != nil || d.Err() != nil {
			b.Fatal(err, d.Err())
		}
		b.StopTimer()
		st.Close()
		a.Lists = a.Lists[:0]
		b.StartTimer()
	}
}

func relayEntries(src *listimport.Source, anchor string) []*trustlist.Entry {
	var out []*trustlist.Entry
	for i := range src.Items {
		it := &src.Items[i]
		if it.Refused != nil {
			continue
		}
		if it.Country != anchor {
			it.Entry.Country = it.Country
		}
		it.Entry.Source = src.Provenance(it)
		out = append(out, it.Entry)
	}
	return out
}

// BenchmarkFloorSHA256GatewayFile hashes the DE list file once per op.
func BenchmarkFloorSHA256GatewayFile(b *testing.B) {
	raw := readFixture(b, "dcc-trustlists/trustlist_de.json")
	b.SetBytes(int64(len(raw)))
	for i := 0; i < b.N; i++ {
		sha256.Sum256(raw)
	}
}

// BenchmarkFloorP256Verify is one raw ECDSA P-256 verification.
func BenchmarkFloorP256Verify(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := sha256.Sum256([]byte("floor"))
	sig, _ := ecdsa.SignASN1(rand.Reader, k, d[:])
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !ecdsa.VerifyASN1(&k.PublicKey, d[:], sig) {
			b.Fatal("verify")
		}
	}
}

// x509Store makes a store holding one anchor whose list has n distinct x509
// DSC entries, and returns its directory and one kid to look up.
func x509Store(b *testing.B, n int) (string, []byte) {
	ca, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour * 24 * 365), IsCA: true, BasicConstraintsValid: true}
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	entries := make([]*trustlist.Entry, n)
	for i := range entries {
		t := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: "DSC", Country: []string{"DE"}},
			NotBefore: caT.NotBefore, NotAfter: caT.NotAfter}
		der, err := x509.CreateCertificate(rand.Reader, t, caT, &leafKey.PublicKey, ca)
		if err != nil {
			b.Fatal(err)
		}
		if entries[i], err = trustlist.NewX509Entry(der, false, []trustlist.DocType{trustlist.DocHCert}, ""); err != nil {
			b.Fatal(err)
		}
	}
	a := trustlisttest.NewAnchor(b, "DE")
	l := a.SignList(b, time.Time{}, 24*time.Hour, entries...)
	dir := b.TempDir()
	st, err := trustlist.OpenStore(dir, trustlist.StoreOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pin(a.Descriptor.Raw()); err != nil {
		b.Fatal(err)
	}
	if d, err := st.Import(l.Raw(), time.Now()); err != nil || d.Err() != nil {
		b.Fatal(err, d.Err())
	}
	st.Close()
	return dir, entries[n/2].KID
}

// BenchmarkStoreOpenLookupX509 opens a store (replaying and re-verifying
// its list) and looks one DSC up by kid, at 1,000 and at 5,000 x509 entries
// (the size of the EU trusted lists' CA set). It reports the heap in use
// after the open and the process's peak RSS.
func BenchmarkStoreOpenLookupX509(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(itoa(n), func(b *testing.B) {
			dir, kid := x509Store(b, n)
			runtime.GC()
			b.ResetTimer()
			var ms runtime.MemStats
			for i := 0; i < b.N; i++ {
				st, err := trustlist.OpenStore(dir, trustlist.StoreOptions{})
				if err != nil {
					b.Fatal(err)
				}
				m := st.Set().Find(trustlist.Query{KID: kid, Use: trustlist.DocHCert})
				if len(m) != 1 || m[0].Entry.Certificate() == nil {
					b.Fatal("lookup")
				}
				if i == b.N-1 {
					b.StopTimer()
					runtime.GC()
					runtime.ReadMemStats(&ms)
					b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMB")
					b.StartTimer()
				}
				st.Close()
			}
			b.StopTimer()
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "peakRSS_MB")
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/entry")
		})
	}
}

func itoa(n int) string {
	return map[int]string{1000: "1000", 5000: "5000"}[n]
}
