package p2p

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
)

// TestSubmitOnFullDisk: a list that cannot be stored is refused with 507 and
// the reason, memory stays at what is on disk, /healthz says failing (503),
// the metric counts it, and the same submission succeeds once space returns.
func TestSubmitOnFullDisk(t *testing.T) {
	var full atomic.Bool
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.StoreOptions.WriteFault = func() error {
		if full.Load() {
			return syscall.ENOSPC
		}
		return nil
	}
	n := startNode(t, cfg)
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	tok, err := ReadOperatorToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	auth := []string{"Authorization", "Bearer " + tok}
	a := trustlisttest.NewAnchor(t, "NL")
	pinAll(t, n, a)
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "one"))
	l2 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "two"))
	if code, body, _ := do(t, "POST", srv.URL+"/v1/lists", "application/cose", l1.Raw(), auth...); code != http.StatusAccepted {
		t.Fatalf("l1: %d %s", code, body)
	}
	full.Store(true)
	for try := 0; try < 2; try++ {
		code, body, _ := do(t, "POST", srv.URL+"/v1/lists", "application/cose", l2.Raw(), auth...)
		var sr SubmitResponse
		json.Unmarshal(body, &sr)
		if code != http.StatusInsufficientStorage || sr.Reason != "insufficient_storage" || !strings.Contains(sr.Detail, "no space") {
			t.Fatalf("try %d on a full disk: %d %s", try, code, body)
		}
	}
	if !holds(n, "NL", 1) || holds(n, "NL", 2) {
		t.Fatalf("memory ran ahead of disk: %+v", n.Lists())
	}
	code, body, _ := do(t, "GET", srv.URL+"/healthz", "", nil)
	var st Status
	json.Unmarshal(body, &st)
	if code != http.StatusServiceUnavailable || st.Status != HealthFailing || st.Store.WriteErrors != 2 || !strings.Contains(strings.Join(st.Reasons, ";"), "no space") {
		t.Fatalf("healthz on a full disk: %d %s", code, body)
	}
	_, metrics, _ := do(t, "GET", srv.URL+"/metrics", "", nil)
	if !strings.Contains(string(metrics), "accord_store_write_errors_total 2") {
		t.Fatal("metric accord_store_write_errors_total does not count the failures")
	}
	full.Store(false)
	if code, body, _ := do(t, "POST", srv.URL+"/v1/lists", "application/cose", l2.Raw(), auth...); code != http.StatusAccepted {
		t.Fatalf("after space returns: %d %s", code, body)
	}
	if code, body, _ := do(t, "GET", srv.URL+"/healthz", "", nil); code != http.StatusOK || strings.Contains(string(body), HealthFailing) {
		t.Fatalf("healthz after recovery: %d %s", code, body)
	}
	n.Close()
	again := startNode(t, testConfig(dir))
	if !holds(again, "NL", 2) {
		t.Fatalf("after restart: %+v", again.Lists())
	}
}

// boundTCP is the TCP address n listens on, for a restart at the same
// address. Nodes start on tcp/0 and are asked which port they got: a port
// picked free beforehand can be taken by another process before the node
// binds it.
func boundTCP(t testing.TB, n *Node) string {
	t.Helper()
	for _, a := range n.Host().Addrs() {
		if strings.Contains(a.String(), "/tcp/") {
			return a.String()
		}
	}
	t.Fatalf("node listens on no TCP address: %v", n.Host().Addrs())
	return ""
}

// TestAlonePeerComesBack: a node whose only peer goes away says so (degraded)
// and redials it when it returns, without a restart.
func TestAlonePeerComesBack(t *testing.T) {
	adir := t.TempDir()
	acfg := testConfig(adir)
	a := startNode(t, acfg)
	acfg.Listen = []string{boundTCP(t, a)} // it comes back at the same address
	bcfg := testConfig(t.TempDir())
	bcfg.Bootstrap = a.Addrs()
	b := startNode(t, bcfg)
	waitFor(t, 10*time.Second, "b to connect", func() bool { return len(b.Host().Network().Peers()) == 1 })
	if st := b.Status(); st.Status != HealthOK {
		t.Fatalf("connected node: %+v", st)
	}
	a.Close()
	waitFor(t, 10*time.Second, "b to notice it is alone", func() bool {
		st := b.Status()
		return st.Status == HealthDegraded && strings.Contains(strings.Join(st.Reasons, ";"), "no peers")
	})
	// a forgets b, so that only b's redial can bring them together.
	os.Remove(filepath.Join(adir, peersFile))
	a2 := startNode(t, acfg)
	start := time.Now()
	waitFor(t, 30*time.Second, "b to redial a", func() bool {
		return b.Host().Network().Connectedness(a2.ID()) == network.Connected && b.Status().Status == HealthOK
	})
	t.Logf("reconnected %v after the peer came back", time.Since(start).Round(time.Millisecond))
}

// TestStarBecomesMesh: leaves bootstrapped to one hub learn of each other.
func TestStarBecomesMesh(t *testing.T) {
	hub := startNode(t, testConfig(t.TempDir()))
	var leaves []*Node
	for i := 0; i < 4; i++ {
		cfg := testConfig(t.TempDir())
		cfg.Bootstrap = hub.Addrs()
		leaves = append(leaves, startNode(t, cfg))
	}
	waitFor(t, 60*time.Second, "every leaf to connect to the other leaves", func() bool {
		for _, l := range leaves {
			if len(l.Host().Network().Peers()) < 4 {
				return false
			}
		}
		return true
	})
}

// TestSubmitAheadCatchesUp: a list two ahead of the node's head makes it
// fetch the gap from its peers and accept the list, instead of 422.
func TestSubmitAheadCatchesUp(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	nodes := startNodes(t, 2, a)
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "one"))
	submit(t, nodes[0], l1.Raw())
	waitFor(t, 10*time.Second, "both to hold seq 1", func() bool { return allHold(nodes, "NL", 1) })
	// Seq 2 and 3 reach node 0 only (stored, not gossiped).
	for i := 2; i <= 3; i++ {
		l := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "more"))
		if d, err := nodes[0].Store().Import(l.Raw(), time.Now()); err != nil || d.Outcome != trustlist.Accepted {
			t.Fatal(d, err)
		}
	}
	l4 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "four"))
	d, err := nodes[1].Submit(t.Context(), l4.Raw())
	if err != nil || d.Outcome != trustlist.Accepted {
		t.Fatalf("submit ahead of the head: %+v %v", d, err)
	}
	if !holds(nodes[1], "NL", 4) || len(nodes[1].Set().Lists("NL")) != 4 {
		t.Fatalf("after catch-up: %+v", nodes[1].Lists())
	}
}

// TestFullDiskThenCatchUp: lists gossiped while a node's disk was full are
// fetched once it has space again, without more gossip or a sync timer.
func TestFullDiskThenCatchUp(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	var full atomic.Bool
	cfg := testConfig(t.TempDir())
	cfg.StoreOptions.WriteFault = func() error {
		if full.Load() {
			return syscall.ENOSPC
		}
		return nil
	}
	victim := startNode(t, cfg)
	pinAll(t, victim, a)
	other := startNode(t, testConfig(t.TempDir()))
	pinAll(t, other, a)
	link(t, victim, other)
	waitMesh(t, victim, other)
	full.Store(true)
	for i := 0; i < 3; i++ {
		submit(t, other, a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "x")).Raw())
	}
	time.Sleep(300 * time.Millisecond)
	if holds(victim, "NL", 1) {
		t.Fatal("a node with a full disk holds a list it could not store")
	}
	full.Store(false)
	waitFor(t, 10*time.Second, "the node to catch up once its disk has space", func() bool { return holds(victim, "NL", 3) })
}

// TestBarePeerIDNotDialled: an exchanged or remembered address without a
// transport part (/p2p/ID) is neither kept nor dialled.
func TestBarePeerIDNotDialled(t *testing.T) {
	other := startNode(t, testConfig(t.TempDir()))
	cfg := testConfig(t.TempDir())
	cfg.Bootstrap = []string{"/p2p/" + other.ID().String()}
	n := startNode(t, cfg)
	n.conn.add([]string{"/p2p/" + other.ID().String()}, false)
	n.conn.dial(4, true)
	if len(n.Host().Network().Peers()) != 0 {
		t.Fatal("dialled a peer without an address")
	}
}
