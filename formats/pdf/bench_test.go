package pdf

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/cputime"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

func benchDoc(b testing.TB, pages int) ([]byte, verify.TrustedMaterial) {
	s := newSigner(b, "Bench signer")
	doc := s.sign(b, pdftest.Document(pdftest.Options{Pages: pages, PadPage: 4096}), "bench")
	return doc, trustlisttest.TrustOne(b, "NL", pdfEntry(b, s.cert, false, "Bench"))
}

func benchVerify(b *testing.B, pages int) {
	doc, set := benchDoc(b, pages)
	v := verify.New(set, verify.Options{})
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		r, err := v.Verify(context.Background(), doc)
		if err != nil || !r.Valid {
			b.Fatalf("not valid: %v", err)
		}
	}
	cpu.report(b, len(doc))
}

// cpuClock measures the process's CPU time (user+system, all threads,
// garbage collection included) across a benchmark loop. On a machine
// shared with other work, wall-clock MB/s varies with the load; CPU MB/s
// does not, so the floor comparison uses both.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { return cpuClock{cputime.Now()} }

// report adds cpu-ns/op and cpu-MB/s (when size > 0) to the benchmark.
func (c cpuClock) report(b *testing.B, size int) {
	d := cputime.Now() - c.start
	if d <= 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	if size > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

func benchSHA(b *testing.B, pages int) {
	doc, _ := benchDoc(b, pages)
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		sha256.Sum256(doc)
	}
	cpu.report(b, len(doc))
}

// BenchmarkVerify1Page and BenchmarkVerify200Pages verify a signed PDF of 1
// and 200 pages (about 4 KiB of content per page); compare their MB/s with
// BenchmarkSHA256* over the same bytes: the hashing floor.
func BenchmarkVerify1Page(b *testing.B)    { benchVerify(b, 1) }
func BenchmarkVerify200Pages(b *testing.B) { benchVerify(b, 200) }
func BenchmarkSHA256_1Page(b *testing.B)   { benchSHA(b, 1) }
func BenchmarkSHA256_200Pages(b *testing.B) {
	benchSHA(b, 200)
}

// BenchmarkPrescan200Pages is the structural pre-scan alone over the
// 200-page file (compare with BenchmarkSHA256_200Pages): the part of the
// verification that grows with the file besides hashing it.
func BenchmarkPrescan200Pages(b *testing.B) {
	doc, _ := benchDoc(b, 200)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		if _, err := prescan(doc); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, len(doc))
}

// BenchmarkVerify1PageWorker verifies the one-page PDF in a worker process
// (as the accord binary does): the cost of the process bound per document.
func BenchmarkVerify1PageWorker(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Skip(err)
	}
	SetIsolation(Isolation{Workers: 1})
	poolMu.Lock()
	pool.exe = exe
	poolMu.Unlock()
	defer func() {
		poolMu.Lock()
		pool.close()
		pool = nil
		poolMu.Unlock()
	}()
	benchVerify(b, 1)
}

// BenchmarkECDSAP256Verify is the floor of a one-page verification: one raw
// P-256 signature verification (the signature every test PDF carries).
func BenchmarkECDSAP256Verify(b *testing.B) {
	s := newSigner(b, "Floor")
	sum := sha256.Sum256([]byte("floor"))
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, sum[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		if !ecdsa.VerifyASN1(&s.key.PublicKey, sum[:], sig) {
			b.Fatal("does not verify")
		}
	}
	cpu.report(b, 0)
}

// BenchmarkReadDirect200Pages is the direct reader alone on the 200-page
// file (compare with BenchmarkSHA256_200Pages): the objects a verification
// reads, without the PDF library.
func BenchmarkReadDirect200Pages(b *testing.B) {
	doc, _ := benchDoc(b, 200)
	scan, err := precheck(doc)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		if _, ok := readDirect(doc, &scan); !ok {
			b.Fatal("not read directly")
		}
	}
	cpu.report(b, len(doc))
}
