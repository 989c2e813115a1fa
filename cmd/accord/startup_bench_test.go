//go:build linux

package main

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// BenchmarkVerifyProcess is issue 16 item 1: the whole `accord verify
// --trust STORE doc.txt` process — exec, package initialisation, opening
// the store through its index, verifying one HC1 — against a store of one
// key and one of 200 anchors × 1,000 keys. It runs the accord program as
// `go build` makes it (this test binary is also accord-node and links
// libp2p), and reports per process the CPU time (user + system), the wall
// time and the peak RSS (getrusage ru_maxrss, the largest of all runs).
// The floors, measured in the same run: an empty Go program (what any Go
// process pays to start) and `accord --help` (the program's start-up
// without a store or a document).
func BenchmarkVerifyProcess(b *testing.B) {
	if testing.Short() {
		b.Skip("SKIP: builds two programs and a 200,000-key store")
	}
	bin := b.TempDir()
	accord := buildProgram(b, bin, "accord", ".")
	floorDir := filepath.Join(bin, "floor")
	if err := os.MkdirAll(floorDir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(floorDir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(floorDir, "go.mod"), []byte("module floor\n\ngo 1.26\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	empty := buildProgram(b, bin, "empty", floorDir)

	small, doc := startupStore(b, 1, 1)
	large, docLarge := startupStore(b, 200, 1000)
	for _, c := range []struct {
		name string
		argv []string
		code int
	}{
		{"floor/empty-go-program", []string{empty}, 0},
		{"floor/accord-help", []string{accord, "--help"}, 0},
		{"verify/1key", []string{accord, "verify", "--trust", small, doc}, 0},
		{"verify/200x1000", []string{accord, "verify", "--trust", large, docLarge}, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			var cpu, wall time.Duration
			var maxRSS int64
			for b.Loop() {
				cmd := exec.Command(c.argv[0], c.argv[1:]...)
				t0 := time.Now()
				out, err := cmd.CombinedOutput()
				wall += time.Since(t0)
				if code := cmd.ProcessState.ExitCode(); code != c.code {
					b.Fatalf("%s: exit %d (%v):\n%s", strings.Join(c.argv, " "), code, err, out)
				}
				if c.code == 0 && len(c.argv) > 2 && (!strings.HasPrefix(string(out), "VALID") || strings.Contains(string(out), "note:")) {
					b.Fatalf("%s: not VALID through the index:\n%s", strings.Join(c.argv, " "), out)
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					maxRSS = max(maxRSS, ru.Maxrss) // KiB on Linux
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(cpu.Microseconds())/1000/n, "cpu-ms/op")
			b.ReportMetric(float64(wall.Microseconds())/1000/n, "wall-ms/op")
			b.ReportMetric(float64(maxRSS)/1024, "max-rss-MB")
		})
	}
}

// buildProgram builds the main package in dir into out/name.
func buildProgram(b *testing.B, out, name, dir string) string {
	b.Helper()
	path := filepath.Join(out, name)
	cmd := exec.Command("go", "build", "-o", path, ".")
	cmd.Dir = dir
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("SKIP: cannot build %s with the go command: %v\n%s", name, err, o)
	}
	return path
}

// startupStore writes a trust store of anchors × perAnchor keys through
// Store.ImportAll, as `accord trust import` does, and an HC1 signed by a DSC
// listed by the last anchor (its other keys are OA addresses). It returns
// the store and the document's path.
func startupStore(b *testing.B, anchors, perAnchor int) (store, doc string) {
	b.Helper()
	dir := b.TempDir()
	store = filepath.Join(dir, "trust")
	now := time.Now()
	cert, key := tt.Cert(b, tt.CertOptions{CommonName: "DSC", Country: "NL"})
	dsc := tt.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, ""))
	st := tt.Must(trustlist.OpenStore(store, trustlist.StoreOptions{}))
	var raws [][]byte
	ccs := startupCountries(anchors)
	for i, cc := range ccs {
		a := tt.NewAnchor(b, cc)
		tt.Must(st.Pin(a.Descriptor.Raw()))
		var entries []*trustlist.Entry
		for j := range perAnchor {
			if i == len(ccs)-1 && j == perAnchor/2 {
				entries = append(entries, dsc)
				continue
			}
			var seed [16]byte
			binary.BigEndian.PutUint64(seed[:], uint64(i))
			binary.BigEndian.PutUint64(seed[8:], uint64(j))
			h := sha256.Sum256(seed[:])
			entries = append(entries, tt.Must(trustlist.NewEthEntry(h[:20], []trustlist.DocType{trustlist.DocOA},
				fmt.Sprintf("Issuer %d", j), "", now.Add(-time.Hour), now.AddDate(1, 0, 0))))
		}
		raws = append(raws, a.SignList(b, now.Add(-time.Hour), 24*time.Hour, entries...).Raw())
	}
	ds, err := st.ImportAll(raws, now)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range ds {
		if d.Err() != nil {
			b.Fatal(d.Err())
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	hc1 := tt.Must(hcertissue.Issue(fmt.Appendf(nil, bulkDCC, 1, 1),
		hcertissue.IssueOptions{Signer: key, Cert: cert, Issuer: "NL", IssuedAt: now.Add(-time.Hour), Expires: now.AddDate(1, 0, 0)}))
	doc = filepath.Join(dir, "hc1.txt")
	if err := os.WriteFile(doc, []byte(hc1), 0o644); err != nil {
		b.Fatal(err)
	}
	return store, doc
}

// startupCountries returns n valid country codes, NL last (the DSC's).
func startupCountries(n int) []string {
	var out []string
	for a := 'A'; a <= 'Z' && len(out) < n-1; a++ {
		for c := 'A'; c <= 'Z' && len(out) < n-1; c++ {
			if cc := string([]rune{a, c}); cc != "NL" && trustlist.ValidCountry(cc) {
				out = append(out, cc)
			}
		}
	}
	return append(out, "NL")
}
