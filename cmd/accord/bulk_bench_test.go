package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/internal/cputime"
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// bulkWorld is a trust store listing DSCs for NL and a folder of valid HC1
// files signed by them, with the keys as the Node peer reads them.
type bulkWorld struct {
	store, docs, keys string
}

const bulkDCC = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika %d","gnt":"ERIKA"},"dob":"1964-08-12",
"v":[{"tg":"840539006","vp":"1119349007","mp":"EU/1/20/1528","ma":"ORG-100030215","dn":2,"sd":2,"dt":"2021-05-29","co":"NL","is":"Ministry of Health","ci":"URN:UVCI:01:NL:%08dA#B"}]}`

func newBulkWorld(b *testing.B, docs, signers int) *bulkWorld {
	b.Helper()
	dir := b.TempDir()
	w := &bulkWorld{store: filepath.Join(dir, "trust"), docs: filepath.Join(dir, "docs"), keys: filepath.Join(dir, "keys.json")}
	now := time.Now()
	type signer struct {
		opts hcertissue.IssueOptions
	}
	var ss []signer
	var entries []*trustlist.Entry
	keys := map[string]string{}
	for i := range signers {
		cert, key := tt.Cert(b, tt.CertOptions{CommonName: fmt.Sprintf("NL DSC %d", i), Country: "NL"})
		e := tt.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, ""))
		entries = append(entries, e)
		keys[base64.StdEncoding.EncodeToString(hcertissue.KID(cert))] = base64.StdEncoding.EncodeToString(cert.RawSubjectPublicKeyInfo)
		ss = append(ss, signer{hcertissue.IssueOptions{Signer: key, Cert: cert, IssuedAt: now.Add(-time.Hour), Expires: now.AddDate(1, 0, 0)}})
	}
	a := tt.NewAnchor(b, "NL")
	l := a.SignList(b, now.Add(-time.Hour), 24*time.Hour, entries...)
	st := tt.Must(trustlist.OpenStore(w.store, trustlist.StoreOptions{}))
	tt.Must(st.Pin(a.Descriptor.Raw()))
	if d, err := st.Import(l.Raw(), now); err != nil || d.Outcome != trustlist.Accepted {
		b.Fatalf("import: %v %v", d, err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(w.docs, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range docs {
		s := tt.Must(hcertissue.Issue(fmt.Appendf(nil, bulkDCC, i, i), ss[i%signers].opts))
		if err := os.WriteFile(filepath.Join(w.docs, fmt.Sprintf("%05d.txt", i)), []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	kb := tt.Must(json.Marshal(keys))
	if err := os.WriteFile(w.keys, kb, 0o644); err != nil {
		b.Fatal(err)
	}
	return w
}

// nodePeer returns the command running the Node/OpenSSL HC1 verifier on w,
// or skips when node or the cbor package is missing.
func nodePeer(b *testing.B, w *bulkWorld) *exec.Cmd {
	b.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		b.Skip("SKIP: node not installed (the Node/OpenSSL peer needs it)")
	}
	mods := os.Getenv("ACCORD_NODE_MODULES")
	if mods == "" {
		root, err := fixtures.Root()
		if err != nil {
			b.Skipf("SKIP: %v", err)
		}
		mods = filepath.Join(root, ".ci", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(mods, "cbor")); err != nil {
		b.Skipf("SKIP: the cbor package is not in %s (npm ci --prefix .ci, or set ACCORD_NODE_MODULES)", mods)
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "peers", "hc1-verify.js"))
	cmd := exec.Command("node", script, w.keys, w.docs)
	cmd.Env = append(os.Environ(), "ACCORD_NODE_MODULES="+mods)
	return cmd
}

// BenchmarkBulkVsNode is issue 16 item 4: the whole CLI, `accord verify
// --trust STORE --workers N DIR` built as a binary and run as its own
// process (output to /dev/null, as a terminal or file would take it), on a
// folder of 4,000 HC1 files (from 20 DSCs) with --workers 1 and 2,
// interleaved in every iteration with a single-threaded Node verifier on
// OpenSSL (testdata/peers/hc1-verify.js) on the same files and keys. It
// reports documents per second of each, x-node (accord with 2 workers over
// Node, Node timed from its start) and x-node-loop (the same over Node's
// verification loop alone, its start-up and key parsing left out), and
// scaling (2 workers over 1), and the CPU time per document of each child
// process (on a shared machine wall time and scaling also measure the
// neighbours; CPU time per document is what the load does not change, so
// equal CPU per document at 1 and 2 workers is what linear scaling needs of
// the code). For scale it also reports the rate of Node's crypto.verify
// calls alone (OpenSSL's P-256 verification, the floor of any Node verifier
// on one core).
func BenchmarkBulkVsNode(b *testing.B) {
	const docs = 4000
	w := newBulkWorld(b, docs, 20)
	peer := nodePeer(b, w)
	bin := buildAccord(b)
	var acc, accCPU [3]time.Duration
	var node, nodeLoop, nodeOpenSSL, nodeCPU time.Duration
	b.ResetTimer()
	for b.Loop() {
		for _, workers := range []int{1, 2} {
			wall, cpu := runAccord(b, bin, "verify", "--trust", w.store, "--workers", strconv.Itoa(workers), w.docs)
			acc[workers] += wall
			accCPU[workers] += cpu
		}
		cmd := *peer
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("node peer: %v: %s", err, stdout.String())
		}
		node += time.Since(t0)
		nodeCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		var rep struct {
			Verified int     `json:"verified"`
			LoopMS   float64 `json:"loop_ms"`
			VerifyMS float64 `json:"openssl_verify_ms"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || rep.Verified != docs {
			b.Fatalf("node peer: %v: %s", err, stdout.String())
		}
		nodeLoop += time.Duration(rep.LoopMS * float64(time.Millisecond))
		nodeOpenSSL += time.Duration(rep.VerifyMS * float64(time.Millisecond))
	}
	rate := func(d time.Duration) float64 { return float64(docs*b.N) / d.Seconds() }
	b.ReportMetric(rate(acc[1]), "accord-w1-docs/s")
	b.ReportMetric(rate(acc[2]), "accord-w2-docs/s")
	b.ReportMetric(rate(node), "node-docs/s")
	b.ReportMetric(rate(nodeLoop), "node-loop-docs/s")
	b.ReportMetric(rate(nodeOpenSSL), "node-openssl-verify-only-docs/s")
	b.ReportMetric(float64(node)/float64(acc[2]), "x-node")
	b.ReportMetric(float64(nodeLoop)/float64(acc[2]), "x-node-loop")
	b.ReportMetric(float64(acc[1])/float64(acc[2]), "scaling-w2/w1")
	// CPU time per document: what the machine's load does not change.
	perDoc := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(docs*b.N) }
	b.ReportMetric(perDoc(accCPU[1]), "accord-w1-cpu-us/doc")
	b.ReportMetric(perDoc(accCPU[2]), "accord-w2-cpu-us/doc")
	b.ReportMetric(perDoc(nodeCPU), "node-cpu-us/doc")
	// CPU used per second of wall time: how many cores each run was given
	// (at most its workers); scaling can be no better than the ratio of these.
	b.ReportMetric(float64(accCPU[1])/float64(acc[1]), "accord-w1-cores")
	b.ReportMetric(float64(accCPU[2])/float64(acc[2]), "accord-w2-cores")
}

// buildAccord builds the accord binary into a temporary folder.
func buildAccord(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "accord")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runAccord runs the accord binary with args, its output to /dev/null, and
// returns its wall and CPU time; any exit status but 0 fails b.
func runAccord(b *testing.B, bin string, args ...string) (wall, cpu time.Duration) {
	b.Helper()
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	var errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = devnull, &errOut
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("accord %v: %v: %s", args, err, lastLines(errOut.String()))
	}
	return time.Since(t0), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// lastLines returns the end of a long output, for a failure message.
func lastLines(s string) string {
	if len(s) > 600 {
		return "…" + s[len(s)-600:]
	}
	return s
}

// BenchmarkBulkCLI is the accord half of BenchmarkBulkVsNode in this
// process, with one and two workers, for profiling the whole-CLI path per
// document (-cpuprofile, -mutexprofile, -blockprofile).
func BenchmarkBulkCLI(b *testing.B) {
	const docs = 4000
	w := newBulkWorld(b, docs, 20)
	for _, workers := range []string{"1", "2"} {
		b.Run("workers="+workers, func(b *testing.B) {
			runtime.GC()
			c0 := cputime.Now()
			for b.Loop() {
				if code, out, errOut := runCLI("verify", "--trust", w.store, "--workers", workers, w.docs); code != exitOK {
					b.Fatalf("accord verify exit %d: %s %s", code, lastLines(out), errOut)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(docs*b.N), "us/doc")
			b.ReportMetric(float64((cputime.Now()-c0).Microseconds())/float64(docs*b.N), "cpu-us/doc")
		})
	}
}
