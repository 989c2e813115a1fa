package p2p

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/accord-network/accord/trustlist/trustlisttest"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func loggedConfig(t *testing.T, buf *syncBuffer) Config {
	cfg := testConfig(t.TempDir())
	cfg.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return cfg
}

// TestNodeLogsEvents: pins, lists accepted by gossip, catch-up by sync and
// peers found and lost are each one INFO line (issue 17 item 10).
func TestNodeLogsEvents(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	var logA, logB, logC syncBuffer
	na, nb := startNode(t, loggedConfig(t, &logA)), startNode(t, loggedConfig(t, &logB))
	if _, err := na.Pin(context.Background(), a.Descriptor.Raw()); err != nil {
		t.Fatal(err)
	}
	pinAll(t, nb, a)
	link(t, nb, na)
	waitMesh(t, na, nb)
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC"))
	submit(t, na, l1.Raw())
	waitFor(t, 20*time.Second, "B to hold seq 1", func() bool { return holds(nb, "NL", 1) })
	waitFor(t, 5*time.Second, "B's log line", func() bool {
		return strings.Contains(logB.String(), "accepted NL list seq 1 from gossip (peer "+shortID(na.ID())+")")
	})
	for _, want := range []string{"level=INFO msg=\"pinned NL descriptor v1", "accepted NL list seq 1 from submit", "peer connected " + shortID(nb.ID())} {
		if !strings.Contains(logA.String(), want) {
			t.Fatalf("A's log lacks %q:\n%s", want, logA.String())
		}
	}
	// A late node catches up by sync and says so.
	nc := startNode(t, loggedConfig(t, &logC))
	pinAll(t, nc, a)
	link(t, nc, na)
	waitFor(t, 20*time.Second, "C's catch-up line", func() bool {
		return strings.Contains(logC.String(), "caught up NL 0→1 by sync")
	})
	nb.Close()
	waitFor(t, 10*time.Second, "A's peer-lost line", func() bool {
		return strings.Contains(logA.String(), "peer disconnected "+shortID(nb.ID()))
	})
}

// TestMetricsListFreshness: per-anchor next_update and staleness gauges;
// /healthz says degraded once a list is stale (issue 17 item 11).
func TestMetricsListFreshness(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	var mu sync.Mutex
	now := time.Now()
	cfg := testConfig(t.TempDir())
	cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	n := startNode(t, cfg)
	pinAll(t, n, a)
	l1 := a.SignList(t, time.Time{}, 3*time.Hour, entry(t, "DSC"))
	if d := submit(t, n, l1.Raw()); !d.Changed() {
		t.Fatalf("%+v", d)
	}
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	metrics := func() string { _, b, _ := do(t, "GET", srv.URL+"/metrics", "", nil); return string(b) }
	next := strconv.FormatFloat(float64(l1.NextUpdate.Unix()), 'e', -1, 64)
	for _, want := range []string{`accord_list_next_update_seconds{country="NL"} ` + next, `accord_list_stale{country="NL"} 0`} {
		if !strings.Contains(metrics(), want) {
			t.Fatalf("metrics lack %q:\n%s", want, metrics())
		}
	}
	if st := n.Status(); len(st.Stale) != 0 {
		t.Fatalf("status %+v", st)
	}
	mu.Lock()
	now = l1.NextUpdate.Add(time.Minute)
	mu.Unlock()
	if !strings.Contains(metrics(), `accord_list_stale{country="NL"} 1`) {
		t.Fatal("stale list not flagged")
	}
	if code, b, _ := do(t, "GET", srv.URL+"/healthz", "", nil); code != 200 || !strings.Contains(string(b), `"degraded"`) ||
		!strings.Contains(string(b), `"stale": [`) || !strings.Contains(string(b), "stale lists (past next_update") {
		t.Fatalf("healthz: %d %s", code, b)
	}
}

// TestListenPortNotShared: a second node on a TCP port another node holds
// fails at start instead of silently sharing it (SO_REUSEPORT).
func TestListenPortNotShared(t *testing.T) {
	first := startNode(t, testConfig(t.TempDir()))
	var port string
	for _, a := range first.Host().Addrs() {
		if p, err := a.ValueForProtocol(ma.P_TCP); err == nil {
			port = p
		}
	}
	cfg := testConfig(t.TempDir())
	cfg.Listen = []string{"/ip4/127.0.0.1/tcp/" + port}
	n, err := New(context.Background(), cfg)
	if err == nil {
		n.Close()
		t.Fatalf("a second node shares TCP port %s", port)
	}
	if !errors.Is(err, ErrListenAddrInUse) {
		t.Fatalf("second node: %v", err)
	}
}

// TestBootstrapAddrChecked: a malformed bootstrap address, or one without
// /p2p/ID, is refused at start.
func TestBootstrapAddrChecked(t *testing.T) {
	for _, bad := range []string{"nonsense", "/ip4/127.0.0.1/tcp/4001", "/ip4/127.0.0.1/tcp/4001/p2p/notapeerid"} {
		cfg := testConfig(t.TempDir())
		cfg.Bootstrap = []string{bad}
		if n, err := New(context.Background(), cfg); !errors.Is(err, ErrBadPeerAddr) {
			if n != nil {
				n.Close()
			}
			t.Fatalf("%q: %v", bad, err)
		}
	}
}
