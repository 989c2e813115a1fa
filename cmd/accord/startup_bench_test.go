//go:build linux

package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
// time and the peak RSS (ru_maxrss, the largest of all runs). Each process
// is started by a small launcher program, not by this test: a child shares
// its parent's memory until it execs, and Linux keeps that peak in
// ru_maxrss. The floors, measured in the same run: an empty Go program
// (what any Go process pays to start) and `accord --help` (the program's
// start-up without a store or a document).
func BenchmarkVerifyProcess(b *testing.B) {
	if testing.Short() {
		b.Skip("SKIP: builds three programs and a 200,000-key store")
	}
	bin := b.TempDir()
	accord := buildProgram(b, bin, "accord", ".")
	mod := filepath.Join(bin, "floor")
	for name, src := range map[string]string{"empty/main.go": emptyProgram, "launch/main.go": launchProgram, "go.mod": "module floor\n\ngo 1.26\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(mod, name)), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, name), []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	empty := buildProgram(b, bin, "empty", filepath.Join(mod, "empty"))
	launch := buildProgram(b, bin, "launch", filepath.Join(mod, "launch"))

	small, doc := startupStore(b, 1, 1)
	large, docLarge := startupStore(b, 200, 1000)
	for _, c := range []struct {
		name  string
		argv  []string
		valid bool
	}{
		{"floor/empty-go-program", []string{empty}, false},
		{"floor/accord-help", []string{accord, "--help"}, false},
		{"verify/1key", []string{accord, "verify", "--trust", small, doc}, true},
		{"verify/200x1000", []string{accord, "verify", "--trust", large, docLarge}, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			var cpu, wall time.Duration
			var maxRSS int64
			for b.Loop() {
				out, err := exec.Command(launch, c.argv...).Output()
				var r launched
				if err != nil || json.Unmarshal(out, &r) != nil {
					b.Fatalf("launch %s: %v %s", strings.Join(c.argv, " "), err, out)
				}
				if r.Code != 0 || (c.valid && (!strings.HasPrefix(r.Out, "VALID") || strings.Contains(r.Out, "note:"))) {
					b.Fatalf("%s: exit %d, not VALID through the index:\n%s", strings.Join(c.argv, " "), r.Code, r.Out)
				}
				cpu += time.Duration(r.CPUMicros) * time.Microsecond
				wall += time.Duration(r.WallMicros) * time.Microsecond
				maxRSS = max(maxRSS, r.MaxRSSKiB)
			}
			n := float64(b.N)
			b.ReportMetric(float64(cpu.Microseconds())/1000/n, "cpu-ms/op")
			b.ReportMetric(float64(wall.Microseconds())/1000/n, "wall-ms/op")
			b.ReportMetric(float64(maxRSS)/1024, "max-rss-MB")
		})
	}
}

// launched is what the launcher reports of one process.
type launched struct {
	Code                  int
	CPUMicros, WallMicros int64
	MaxRSSKiB             int64
	Out                   string // stdout and stderr, the first 2 KiB
}

const emptyProgram = "package main\n\nfunc main() {}\n"

// launchProgram runs its arguments as a command and prints a launched.
const launchProgram = `package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	out := new(limited)
	cmd.Stdout, cmd.Stderr = out, out
	t0 := time.Now()
	_ = cmd.Run()
	wall := time.Since(t0)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	json.NewEncoder(os.Stdout).Encode(map[string]any{"Code": cmd.ProcessState.ExitCode(),
		"CPUMicros": cpu.Microseconds(), "WallMicros": wall.Microseconds(), "MaxRSSKiB": ru.Maxrss, "Out": string(out.b)})
}

type limited struct{ b []byte }

func (l *limited) Write(p []byte) (int, error) {
	if n := 2048 - len(l.b); n > 0 {
		l.b = append(l.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}
`

// buildProgram builds the main package in dir into out/name.
func buildProgram(b *testing.B, out, name, dir string) string {
	b.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("SKIP: the go command is not on $PATH (this benchmark builds the programs it runs)")
	}
	path := filepath.Join(out, name)
	cmd := exec.Command("go", "build", "-o", path, ".")
	cmd.Dir = dir
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build %s: %v\n%s", name, err, o)
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
