package p2p

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/cputime"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
)

// hostilePeer is a libp2p host that speaks the sync protocol with canned,
// hostile answers: heads that claim a lot, and ~10 MB of junk objects to any
// request for objects.
type hostilePeer struct {
	h        host.Host
	heads    []byte
	junk     [][]byte
	requests atomic.Int64
	sent     atomic.Int64 // object bytes written before the victim hung up
}

func newHostilePeer(t testing.TB, heads *syncHeads, junk [][]byte) *hostilePeer {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	hb, err := syncEnc.Marshal(heads)
	if err != nil {
		t.Fatal(err)
	}
	return &hostilePeer{h: h, heads: hb, junk: junk}
}

// serve starts answering sync requests.
func (hp *hostilePeer) serve() {
	hp.h.SetStreamHandler(SyncProtocol, func(s network.Stream) {
		defer s.Close()
		hp.requests.Add(1)
		r, w := bufio.NewReader(s), bufio.NewWriter(s)
		b, err := readFrame(r, maxSyncRequest)
		if err != nil {
			_ = s.Reset()
			return
		}
		var req syncRequest
		_ = syncDec.Unmarshal(b, &req)
		objs := hp.junk
		if req.Op == opHeads {
			objs = [][]byte{hp.heads}
		}
		for _, o := range objs {
			if writeFrame(w, o) != nil || w.Flush() != nil {
				return
			}
			hp.sent.Add(int64(len(o)))
		}
		_ = writeFrame(w, nil)
		_ = w.Flush()
	})
}

// connectHostile connects victim and hostile peer and waits until the
// victim's connect-time sync round has failed (the hostile peer does not
// speak the protocol yet), so the test's own round is the only one.
func connectHostile(t testing.TB, victim *Node, hp *hostilePeer) {
	t.Helper()
	before := roundsWith(victim, "error")
	if err := victim.Host().Connect(context.Background(), peer.AddrInfo{ID: hp.h.ID(), Addrs: hp.h.Addrs()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the connect-time sync round to fail", func() bool { return roundsWith(victim, "error") > before })
}

func roundsWith(n *Node, result string) float64 {
	mfs, _ := n.metrics.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "accord_sync_rounds_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// junkLists returns lists of country cc with seq from, from+1, … signed by
// an impostor's keys, totalling at least total bytes.
func junkLists(t testing.TB, cc string, from uint64, total int) [][]byte {
	t.Helper()
	impostor := trustlisttest.NewAnchor(t, cc)
	entries := make([]*trustlist.Entry, 1000) // as costly to parse as a real list
	for i := range entries {
		entries[i] = entry(t, fmt.Sprintf("junk %d", i))
	}
	var out [][]byte
	size := 0
	for seq := from; size < total; seq++ {
		l := signList(t, impostor, &trustlist.List{Country: cc, DescriptorVersion: 1, Seq: seq, IssuedAt: time.Now().Add(-time.Minute),
			NextUpdate: time.Now().Add(24 * time.Hour), Prev: make([]byte, 32), Entries: entries})
		out = append(out, l.Raw())
		size += len(l.Raw())
	}
	return out
}

// unknownHeads names k anchors this node does not hold, with high versions.
func unknownHeads(k int) []headInfo {
	var out []headInfo
	for a := 'A'; a <= 'Z' && len(out) < k; a++ {
		for c := 'A'; c <= 'Z' && len(out) < k; c++ {
			if cc := string(a) + string(c); trustlist.ValidCountry(cc) && cc != "NL" {
				out = append(out, headInfo{Country: cc, Version: 99, Seq: 99, Hash: make([]byte, 32), Low: 1, Lists: 99, Descriptors: 99})
			}
		}
	}
	return out
}

// TestSyncHostilePeer: ~10 MB of junk served by sync costs the victim one
// failed verification; the peer is penalised, disconnected and not synced
// with again. Unknown anchors are never fetched.
func TestSyncHostilePeer(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	victim := startNode(t, testConfig(t.TempDir()))
	pinAll(t, victim, a)
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC"))
	submit(t, victim, l1.Raw())

	junk := junkLists(t, "NL", 2, 10<<20)
	heads := &syncHeads{Anchors: append(unknownHeads(200), headInfo{Country: "NL", Version: 1, Seq: uint64(1 + len(junk)), Hash: make([]byte, 32), Low: 1, Lists: len(junk) + 1})}
	hp := newHostilePeer(t, heads, junk)
	connectHostile(t, victim, hp)
	hp.serve()

	st, err := victim.SyncWith(context.Background(), hp.h.ID())
	var inv *InvalidObjectError
	if !errors.As(err, &inv) || inv.Op != opLists {
		t.Fatalf("sync with a hostile peer: %v", err)
	}
	// heads + one lists request; no descriptor of the 200 unknown anchors.
	if n := hp.requests.Load(); n != 2 || st.Requests != 2 {
		t.Fatalf("%d requests served, %d sent: unknown anchors were fetched", n, st.Requests)
	}
	if st.Imported != 0 || st.Rejected != 1 || st.Verified > 1 {
		t.Fatalf("stats %+v: more than one junk object was verified", st)
	}
	if h := victim.Set().Head("NL"); h.Seq != 1 {
		t.Fatalf("head moved to %d", h.Seq)
	}
	waitFor(t, 10*time.Second, "the hostile peer to be disconnected", func() bool {
		return victim.Host().Network().Connectedness(hp.h.ID()) != network.Connected
	})
	if !victim.penalties.banned(hp.h.ID()) || victim.appScore(hp.h.ID()) >= 0 {
		t.Fatal("hostile peer not penalised")
	}
	if _, err := victim.SyncWith(context.Background(), hp.h.ID()); err == nil {
		t.Fatal("a penalised peer was synced with again")
	}
	if got := counterValue(victim, "accord_sync_peer_penalties_total"); got != 1 {
		t.Fatalf("penalty metric %v", got)
	}
}

// TestSyncRefusesMismatchedFrames: objects that do not answer the request
// (another country's, another kind) are invalid before any verification.
func TestSyncRefusesMismatchedFrames(t *testing.T) {
	a, de := trustlisttest.NewAnchor(t, "NL"), trustlisttest.NewAnchor(t, "DE")
	victim := startNode(t, testConfig(t.TempDir()))
	pinAll(t, victim, a, de)
	deList := de.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DE DSC"))
	for name, junk := range map[string][][]byte{
		"another country's list": {deList.Raw()},
		"a descriptor":           {a.Descriptor.Raw()},
		"garbage":                {[]byte("garbage")},
	} {
		hp := newHostilePeer(t, &syncHeads{Anchors: []headInfo{{Country: "NL", Version: 1, Seq: 1, Hash: make([]byte, 32), Low: 1, Lists: 1}}}, junk)
		connectHostile(t, victim, hp)
		hp.serve()
		st, err := victim.SyncWith(context.Background(), hp.h.ID())
		var inv *InvalidObjectError
		if !errors.As(err, &inv) || st.Rejected != 0 || st.Verified != 0 {
			t.Fatalf("%s: %v %+v", name, err, st)
		}
		if len(victim.Set().Lists("DE")) != 0 || victim.Set().Head("NL") != nil {
			t.Fatalf("%s: imported", name)
		}
	}
}

// TestSyncBudgetEndsRoundWithoutPenalty: an honest peer with more than one
// round's budget is synced over several rounds, never penalised.
func TestSyncBudgetEndsRoundWithoutPenalty(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	src := startNode(t, testConfig(t.TempDir()))
	pinAll(t, src, a)
	for range 5 {
		submit(t, src, a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC")).Raw())
	}
	cfg := testConfig(t.TempDir())
	cfg.SyncBudget = SyncBudget{Bytes: 1 << 30, Objects: 3, Signatures: 1000} // heads + 2 lists a round
	dst := startNode(t, cfg)
	pinAll(t, dst, a)
	link(t, dst, src)
	for i := 0; i < 10 && len(dst.Set().Lists("NL")) < 5; i++ {
		if _, err := dst.SyncWith(context.Background(), src.ID()); err != nil {
			t.Fatal(err)
		}
	}
	if !holds(dst, "NL", 5) || len(dst.Set().Lists("NL")) != 5 {
		t.Fatalf("not caught up: %d lists", len(dst.Set().Lists("NL")))
	}
	if dst.penalties.banned(src.ID()) {
		t.Fatal("honest peer penalised")
	}
}

func counterValue(n *Node, name string) float64 {
	mfs, _ := n.metrics.reg.Gather()
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// BenchmarkHostileSync measures the CPU one sync round with a hostile peer
// costs the victim: the peer names 1,000 anchors the victim does not hold and
// answers every request with ~10 MB of junk lists (1,000 entries each,
// signed by an impostor). Reported: victim-cpu-ms per round (process CPU,
// so it includes the attacker's writing), the bytes the attacker offered and
// got out, and the floor from the same run: one P-256 signature verification
// and a SHA-256 of the 10 MB.
// Run: go test -run X -bench HostileSync -benchtime 20x ./p2p
func BenchmarkHostileSync(b *testing.B) {
	a := trustlisttest.NewAnchor(b, "NL")
	victim := startNode(b, testConfig(b.TempDir()))
	pinAll(b, victim, a)
	submit(b, victim, a.SignList(b, time.Time{}, 24*time.Hour, entry(b, "DSC")).Raw())
	junk := junkLists(b, "NL", 2, 10<<20)
	offered := 0
	for _, j := range junk {
		offered += len(j)
	}
	heads := &syncHeads{Anchors: append(unknownHeads(1000), headInfo{Country: "NL", Version: 1, Seq: uint64(1 + len(junk)), Hash: make([]byte, 32), Low: 1, Lists: len(junk) + 1})}
	hp := newHostilePeer(b, heads, junk)
	connectHostile(b, victim, hp)
	hp.serve()
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if i > 0 { // the last round's penalty disconnected the peer: forgive and reconnect
			waitFor(b, 10*time.Second, "disconnect", func() bool {
				return victim.Host().Network().Connectedness(hp.h.ID()) != network.Connected
			})
			victim.penalties = penaltyBook{}
			hp.h.RemoveStreamHandler(SyncProtocol)
			connectHostile(b, victim, hp)
			hp.serve()
		}
		b.StartTimer()
		c0 := cputime.Now()
		_, err := victim.SyncWith(context.Background(), hp.h.ID())
		cpu += cputime.Now() - c0
		var inv *InvalidObjectError
		if !errors.As(err, &inv) {
			b.Fatalf("round %d: %v", i, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "victim-cpu-ms/round")
	b.ReportMetric(float64(offered)/1e6, "offered-MB")
	b.ReportMetric(float64(hp.sent.Load())/1e6/float64(b.N), "written-MB/round")

	// The floor, measured now: one signature verification, one SHA-256 of 10 MB.
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("floor"))
	sig, _ := ecdsa.SignASN1(rand.Reader, k, digest[:])
	start := time.Now()
	const reps = 200
	for range reps {
		if !ecdsa.VerifyASN1(&k.PublicKey, digest[:], sig) {
			b.Fatal("floor verify")
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/reps, "floor-p256-verify-us")
	buf := make([]byte, 10<<20)
	start = time.Now()
	_ = sha256.Sum256(buf)
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "floor-sha256-10MB-ms")
}

// TestPeekObject: the cheap checks read kind, country and number of every
// signed kind as the full parse does.
func TestPeekObject(t *testing.T) {
	nl, ke := trustlisttest.NewAnchor(t, "NL"), trustlisttest.NewAnchor(t, "KE")
	l := nl.SignList(t, time.Time{}, time.Hour, entry(t, "DSC"))
	e, err := trustlist.Endorse(nl.Descriptor, ke.Descriptor, []*trustlist.PrivateKey{nl.Key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]objectPeek{
		string(l.Raw()):             {trustlist.KindList, "NL", 1},
		string(nl.Descriptor.Raw()): {trustlist.KindDescriptor, "NL", 1},
		string(e.Raw()):             {trustlist.KindEndorsement, "NL", 1},
	} {
		got, ok := peekObject([]byte(raw))
		if !ok || got != want {
			t.Errorf("peek %v: %+v %v", want.Kind, got, ok)
		}
		if c := signatureCount([]byte(raw)); c != 1 {
			t.Errorf("%v: %d signatures", want.Kind, c)
		}
	}
	if _, ok := peekObject([]byte("junk")); ok {
		t.Error("junk peeked")
	}
}
