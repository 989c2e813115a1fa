package pdf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// TestMain lets this test binary serve as a PDF worker process, as the
// accord binary does after WorkerMain.
func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		os.Exit(serveWorker(os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// isolate makes Verify use worker processes (this test binary) with iso
// until the test ends.
func isolate(t *testing.T, iso Isolation) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("no executable to re-run as a worker: %v", err)
	}
	SetIsolation(iso)
	poolMu.Lock()
	pool.exe = exe
	poolMu.Unlock()
	t.Cleanup(func() {
		poolMu.Lock()
		pool.close()
		pool = nil
		poolMu.Unlock()
	})
}

// buildPDF lays out objects (numbered from 1) with a correct cross-reference
// table; offsets, if set, overrides where the table says object n is.
func buildPDF(objs []string, offsets map[int]int) []byte {
	var b strings.Builder
	b.WriteString("%PDF-1.7\n")
	at := make([]int, len(objs)+1)
	for i, o := range objs {
		at[i+1] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	for n, off := range offsets {
		at[n] = off
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range at[1:] {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return []byte(b.String())
}

// hiddenHang is a PDF the structural pre-check passes but on which the PDF
// library loops forever, growing: the cross-reference table places the
// document information dictionary (object 4) inside the data of a stream,
// where an array never closes before "endobj". The pre-check skips stream
// data, as any reader does; only the bounded worker stops this.
func hiddenHang() []byte {
	payload := "9 0 obj\n[ /Title (x) endobj\n"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
		"<< /Title (placeholder) >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(payload), payload),
	}
	doc := buildPDF(objs, nil)
	off := strings.Index(string(doc), "9 0 obj")
	return buildPDF(objs, map[int]int{4: off})
}

func hostileHang(t *testing.T) []byte {
	dir := fixtures.Shared(t, "hostile")
	b, err := os.ReadFile(filepath.Join(dir, "pdf-hang.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verifyWithin runs Verify and fails the test if it does not return in d.
func verifyWithin(t *testing.T, d time.Duration, in []byte, env *verify.Env) (*verify.Result, error) {
	t.Helper()
	type out struct {
		r   *verify.Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		r, err := Verify(context.Background(), in, env)
		ch <- out{r, err}
	}()
	select {
	case o := <-ch:
		if o.r != nil {
			o.r.Finish()
		}
		return o.r, o.err
	case <-time.After(d):
		t.Fatalf("Verify did not return within %s", d)
		return nil, nil
	}
}

// TestHostileHangRefusedByPrecheck: the 762-byte file of issue 10 item 5
// hid an unterminated array from the old pre-scan with a stray '<'. The
// structural check tokenises as the library does and refuses it at once,
// in process.
func TestHostileHangRefusedByPrecheck(t *testing.T) {
	r, err := verifyWithin(t, 10*time.Second, hostileHang(t), &verify.Env{At: time.Now()})
	if !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), "could not be read") {
		t.Fatalf("err = %v", err)
	}
	if r == nil || r.Error == "" {
		t.Fatalf("want a result carrying the error, got %+v", r)
	}
}

// TestWorkerBoundsHang: a PDF the pre-check cannot see into hangs the
// library; in a worker process the deadline stops it, the answer is
// "could not be read", and the next document gets a fresh worker.
func TestWorkerBoundsHang(t *testing.T) {
	isolate(t, Isolation{Timeout: 2 * time.Second, Memory: 4 << 30, Workers: 1})
	if _, err := prescan(hiddenHang()); err != nil {
		t.Fatalf("the pre-check should pass this file (the worker is what bounds it): %v", err)
	}
	s := newSigner(t, "Issuer")
	env := &verify.Env{Trust: trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Issuer")), At: time.Now()}
	start := time.Now()
	_, err := verifyWithin(t, 15*time.Second, hiddenHang(), env)
	if !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), "could not be read: parsing did not finish within 2s") {
		t.Fatalf("err = %v", err)
	}
	t.Logf("stopped after %s", time.Since(start).Round(time.Millisecond))

	// The worker was killed; the next document is verified by a new one,
	// with the trust lists answered by this process.
	doc := s.sign(t, pdftest.Document(pdftest.Options{}), "after the hang")
	r, err := verifyWithin(t, 15*time.Second, doc, env)
	if err != nil || !r.Valid {
		t.Fatalf("want valid after the restart, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Pass, "itself is listed")
}

// TestWorkerMemoryCeiling: the same hang under a small memory ceiling and a
// long deadline is stopped by the ceiling.
func TestWorkerMemoryCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("grows a worker to its memory ceiling")
	}
	if raceEnabled {
		t.Skip("SKIP: the race detector's shadow memory does not fit in the worker's 256 MiB address-space ceiling")
	}
	isolate(t, Isolation{Timeout: 60 * time.Second, Memory: 256 << 20, Workers: 1})
	start := time.Now()
	_, err := verifyWithin(t, 90*time.Second, hiddenHang(), &verify.Env{At: time.Now()})
	if !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), "256 MiB memory ceiling") {
		t.Fatalf("err = %v", err)
	}
	t.Logf("stopped after %s", time.Since(start).Round(time.Millisecond))
}

// TestWorkerSameResult: through a worker, results are those of the
// in-process verification, timestamps and trust-list lookups included, and
// malformed input is still ErrMalformed.
func TestWorkerSameResult(t *testing.T) {
	s := newSigner(t, "Issuer")
	one := s.sign(t, pdftest.Document(pdftest.Options{Pages: 2}), "first")
	two := newSigner(t, "Stranger").sign(t, one, "second")
	env := &verify.Env{Trust: trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Issuer")), At: time.Now()}
	var direct []*verify.Result
	for _, doc := range [][]byte{one, two} {
		r, err := Verify(context.Background(), doc, env)
		if err != nil {
			t.Fatal(err)
		}
		direct = append(direct, r.Finish())
	}
	isolate(t, Isolation{Workers: 2})
	for i, doc := range [][]byte{one, two} {
		r, err := Verify(context.Background(), doc, env)
		if err != nil {
			t.Fatal(err)
		}
		r.Finish()
		if a, b := dump(t, direct[i]), dump(t, r); a != b {
			t.Fatalf("document %d: in process\n%s\nthrough a worker\n%s", i, a, b)
		}
	}
	if _, err := Verify(context.Background(), []byte("%PDF-1.7\n%%EOF\n"), env); !errors.Is(err, verify.ErrMalformed) {
		t.Fatalf("err = %v", err)
	}
}

// TestHostileInputs runs every file in testdata/hostile through a worker
// under a short deadline: each is "could not be read", promptly.
func TestHostileInputs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.pdf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no hostile inputs: %v", err)
	}
	isolate(t, Isolation{Timeout: 2 * time.Second, Workers: 1})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = verifyWithin(t, 15*time.Second, b, &verify.Env{At: time.Now()})
			if !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), "could not be read") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// TestWorkerStrict: the strict policy reaches the worker.
func TestWorkerStrict(t *testing.T) {
	s := newSigner(t, "Issuer")
	doc, err := pdftest.Append(s.sign(t, pdftest.Document(pdftest.Options{}), "r"), pdftest.AddAnnotation)
	if err != nil {
		t.Fatal(err)
	}
	env := &verify.Env{Trust: trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Issuer")), At: time.Now()}
	isolate(t, Isolation{Workers: 1})
	for _, on := range []bool{false, true} {
		SetStrict(on)
		r, err := verifyWithin(t, 15*time.Second, doc, env)
		SetStrict(false)
		if err != nil || r.Valid == on {
			t.Fatalf("strict=%v: valid=%v err=%v\n%s", on, r.Valid, err, dump(t, r))
		}
	}
}
