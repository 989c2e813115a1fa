package p2p

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/accord-network/accord/formats/hcert" // registers the hcert format
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// proc is one `accord node run` process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	data   string
	addrs  []string
	url    string
	mu     sync.Mutex
	out    bytes.Buffer
	exited chan struct{}
}

func buildAccord(t *testing.T) string {
	t.Helper()
	// accord runs `accord node ...` through accord-node, which it finds
	// beside itself: build both, so that no node start waits for a build.
	dir := t.TempDir()
	bin := filepath.Join(dir, "accord")
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/accord-network/accord/cmd/accord", "github.com/accord-network/accord/cmd/accord-node")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

func startProc(t *testing.T, bin, data string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, data: data, exited: make(chan struct{})}
	all := append([]string{"node", "run", "--data", data, "--http", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0",
		"--sync-interval", "2s"}, args...)
	p.cmd = exec.Command(bin, all...)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &lockedWriter{p: p}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Every process the test starts is stopped by the test.
	t.Cleanup(func() { p.kill() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			switch {
			case strings.HasPrefix(line, "listen: "):
				p.addrs = append(p.addrs, strings.TrimPrefix(line, "listen: "))
			case strings.HasPrefix(line, "http: "):
				p.url = strings.TrimPrefix(line, "http: ")
				close(ready)
			}
			p.mu.Unlock()
		}
	}()
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	select {
	case <-ready:
	case <-p.exited:
		t.Fatalf("node exited at start:\n%s", p.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("node did not start:\n%s", p.output())
	}
	return p
}

type lockedWriter struct{ p *proc }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}

func (p *proc) output() string { p.mu.Lock(); defer p.mu.Unlock(); return p.out.String() }

func (p *proc) kill() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// stop sends SIGTERM and expects a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.t.Fatalf("node did not stop on SIGTERM:\n%s", p.output())
	}
	if !p.cmd.ProcessState.Success() || !strings.Contains(p.output(), "stopped") {
		p.t.Fatalf("unclean exit %v:\n%s", p.cmd.ProcessState, p.output())
	}
}

func (p *proc) get(path string) (int, []byte) {
	resp, err := http.Get(p.url + path)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func runCLI(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return runCLIIn(t, "", bin, args...)
}

// runCLIIn runs the CLI in dir (as an operator does beside the data dirs).
func runCLIIn(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("accord %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var acceptedRe = regexp.MustCompile(`accord_messages_total\{reason="accepted",result="accept",source="(/accord/lists/1|sync)"\} 1`)

// TestMultiProcess runs four `accord node run` processes on 127.0.0.1.
func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs four node processes; skipped with -short")
	}
	bin := buildAccord(t)
	dir := t.TempDir()
	a := trustlisttest.NewAnchor(t, "NL")
	cert, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL DSC", Country: "NL"})
	dsc, err := trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "NL DSC")
	if err != nil {
		t.Fatal(err)
	}
	desc := writeFile(t, dir, "nl.cose", a.Descriptor.Raw())
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, dsc)
	l2 := a.SignList(t, time.Time{}, 24*time.Hour, dsc, entry(t, "NL DSC 2"))
	f1 := writeFile(t, dir, "l1.cose", l1.Raw())
	f2 := writeFile(t, dir, "l2.cose", l2.Raw())

	// Node 1 is pinned before it starts (`accord trust pin` on its data
	// dir); the others are pinned through their HTTP API while running.
	d := func(i int) string { return filepath.Join(dir, "node"+string(rune('0'+i))) }
	runCLI(t, bin, "trust", "pin", "--dir", d(1), desc)
	n1 := startProc(t, bin, d(1))
	n2 := startProc(t, bin, d(2), "--bootstrap", n1.addrs[0])
	n3 := startProc(t, bin, d(3), "--bootstrap", n2.addrs[0])
	n4 := startProc(t, bin, d(4), "--bootstrap", n3.addrs[0], "--bootstrap", n1.addrs[0])
	// Node 2 by --data; nodes 3 and 4 from beside their data dirs, where the
	// CLI finds the operator token of the node it talks to by itself.
	runCLI(t, bin, "node", "pin", "--node", n2.url, "--data", d(2), desc)
	for _, n := range []*proc{n3, n4} {
		if out := runCLIIn(t, dir, bin, "node", "pin", "--node", n.url, desc); !strings.Contains(out, "pinned descriptor NL") {
			t.Fatalf("pin: %s", out)
		}
	}
	out := runCLI(t, bin, "node", "publish", "--node", n1.url, f1)
	if !strings.Contains(out, "accepted list NL #1") {
		t.Fatalf("publish: %s", out)
	}
	waitFor(t, 30*time.Second, "node 4 to serve NL seq 1", func() bool {
		code, b := n4.get("/v1/lists/NL")
		return code == 200 && bytes.Equal(b, l1.Raw())
	})
	// Node 3 has committed seq 1 once its metrics count the acceptance (they
	// are counted after Store.Import returns, i.e. after the durable write).
	waitFor(t, 30*time.Second, "node 3 to commit NL seq 1", func() bool {
		_, b := n3.get("/metrics")
		return acceptedRe.Match(b)
	})

	// Kill node 3 hard, publish seq 2 meanwhile, restart it: it still holds
	// seq 1 from disk and catches up to seq 2.
	n3.kill()
	runCLI(t, bin, "node", "publish", "--node", n1.url, f2)
	n3 = startProc(t, bin, d(3), "--bootstrap", n2.addrs[0])
	if code, b := n3.get("/v1/lists/NL/1"); code != 200 || !bytes.Equal(b, l1.Raw()) {
		t.Fatalf("restarted node 3 lost seq 1: %d\n%s", code, n3.output())
	}
	for _, n := range []*proc{n1, n2, n3, n4} {
		waitFor(t, 30*time.Second, "every node to serve NL seq 2", func() bool {
			code, b := n.get("/v1/lists/NL/2")
			return code == 200 && bytes.Equal(b, l2.Raw())
		})
	}
	status := runCLIIn(t, dir, bin, "node", "status", "--node", n4.url)
	if !strings.Contains(status, "1 lists") || !strings.Contains(status, "NL") || !strings.Contains(status, "peer 12D3") {
		t.Fatalf("status: %s", status)
	}

	// Verify a real DCC through node 4's API.
	hc1, err := hcertissue.Issue([]byte(dccJSON), hcertissue.IssueOptions{Signer: key, Cert: cert, IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(n4.url+"/v1/verify", "application/octet-stream", strings.NewReader(hc1))
	if err != nil {
		t.Fatal(err)
	}
	var res verify.Result
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if err != nil || !res.Valid || res.Issuer == nil || res.Issuer.Country != "NL" || res.Issuer.Seq != 2 {
		t.Fatalf("verify through node 4: %v %+v", err, res)
	}

	for _, n := range []*proc{n1, n2, n3, n4} {
		n.stop()
	}
	// The data dir is a trust store: offline verification works from it.
	hc1File := writeFile(t, dir, "dcc.txt", []byte(hc1))
	if out := runCLI(t, bin, "verify", "--trust", d(4), hc1File); !strings.Contains(out, "VALID") {
		t.Fatalf("offline verify from node 4's data dir: %s", out)
	}
}
