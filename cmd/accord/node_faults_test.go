package main

import (
	"bufio"
	"bytes"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// nodeProc is `accord node run` in a separate process.
type nodeProc struct {
	cmd  *exec.Cmd
	url  string
	out  *bytes.Buffer
	done chan error
}

func startNodeProc(t *testing.T, data string) *nodeProc {
	t.Helper()
	cmd := cliCommand("node", "run", "--data", data, "--http", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	np := &nodeProc{cmd: cmd, out: &errb, done: make(chan error, 1)}
	urls := make(chan string, 1)
	go func() { // one reader: finds the URL, then keeps draining
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, found := strings.CutPrefix(sc.Text(), "http: "); found {
				urls <- u
			}
		}
		close(urls)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatalf("node exited before serving: %s", errb.String())
		}
		np.url = u
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("node did not start: %s", errb.String())
	}
	go func() { np.done <- cmd.Wait() }()
	return np
}

// publishUntilKilled posts lists one after another from a goroutine, sends
// sig after a few, and returns the lists the node acknowledged (2xx).
func publishUntilKilled(t *testing.T, np *nodeProc, lists []*trustlist.List, sig syscall.Signal, after int) []*trustlist.List {
	t.Helper()
	var mu sync.Mutex
	var acked []*trustlist.List
	sent := make(chan int, len(lists))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := &http.Client{Timeout: 5 * time.Second}
		for i, l := range lists {
			sent <- i
			resp, err := c.Post(np.url+"/v1/lists", "application/cose", bytes.NewReader(l.Raw()))
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				mu.Lock()
				acked = append(acked, l)
				mu.Unlock()
			}
		}
	}()
	for i := range sent {
		if i == after {
			np.cmd.Process.Signal(sig)
			break
		}
	}
	wg.Wait()
	select {
	case err := <-np.done:
		if sig == syscall.SIGTERM && err != nil {
			t.Fatalf("SIGTERM during publish: the node did not stop cleanly: %v\n%s", err, np.out)
		}
	case <-time.After(20 * time.Second):
		np.cmd.Process.Kill()
		t.Fatalf("the node did not stop after %v", sig)
	}
	return acked
}

// TestNodeSignalDuringPublish: SIGTERM (clean stop) and SIGKILL in the middle
// of a stream of submissions lose no acknowledged list.
func TestNodeSignalDuringPublish(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	a := tt.NewAnchor(t, "NL")
	st := tt.Must(trustlist.OpenStore(data, trustlist.StoreOptions{}))
	tt.Must(st.Pin(a.Descriptor.Raw()))
	st.Close()
	total := 0
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		var lists []*trustlist.List
		for i := 0; i < 25; i++ {
			lists = append(lists, a.SignList(t, time.Time{}, 24*time.Hour))
		}
		np := startNodeProc(t, data)
		acked := publishUntilKilled(t, np, lists, sig, 12)
		if len(acked) == 0 {
			t.Fatalf("%v: nothing acknowledged before the signal: %s", sig, np.out)
		}
		total += len(acked)
		set, err := trustlist.LoadDir(data)
		if err != nil {
			t.Fatalf("after %v: %v", sig, err)
		}
		for _, l := range acked {
			if got := set.ListAt("NL", l.Seq); got == nil || !bytes.Equal(got.Hash(), l.Hash()) {
				t.Fatalf("after %v: acknowledged seq %d lost", sig, l.Seq)
			}
		}
		// Lists signed but never acknowledged are not held either way; the
		// anchor's chain continues from the last one, which the next node
		// start must still accept: resubmit the rest.
		last := lists[len(lists)-1]
		st := tt.Must(trustlist.OpenStore(data, trustlist.StoreOptions{}))
		for _, l := range lists {
			if _, err := st.Import(l.Raw(), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if h := st.Set().Head("NL"); h == nil || h.Seq != last.Seq {
			t.Fatalf("after %v and a resubmission the head is %v", sig, h)
		}
		st.Close()
	}
	t.Logf("%d acknowledged lists, none lost across SIGTERM and SIGKILL", total)
}

// TestNodeTwoProcessesOneDataDir: a second node on the same data directory
// is refused in one line (exit 2) and the first keeps running.
func TestNodeTwoProcessesOneDataDir(t *testing.T) {
	data := t.TempDir()
	first := startNodeProc(t, data)
	defer func() {
		first.cmd.Process.Signal(syscall.SIGTERM)
		<-first.done
	}()
	out, err := cliCommand("node", "run", "--data", data, "--http", "127.0.0.1:0").CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "in use by another process") {
		t.Fatalf("second node on one data dir: %v\n%s", err, out)
	}
	if n := strings.Count(strings.TrimSpace(string(out)), "\n"); n != 0 {
		t.Fatalf("the refusal is %d lines:\n%s", n+1, out)
	}
	resp, err := http.Get(first.url + "/healthz")
	if err != nil {
		t.Fatalf("first node after the refusal: %v", err)
	}
	resp.Body.Close()
}
