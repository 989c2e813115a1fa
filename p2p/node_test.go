package p2p

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	_ "github.com/accord-network/accord/formats/hcert" // registers the hcert format
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// testConfig is a loopback TCP node that syncs only on connect, unless the
// test asks otherwise.
func testConfig(dir string) Config {
	return Config{DataDir: dir, Listen: []string{"/ip4/127.0.0.1/tcp/0"}, SyncInterval: -1, SyncTimeout: 20 * time.Second}
}

func startNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	n, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// startNodes starts k nodes that pin anchors, connected so that node i dials
// node i-1 and node i/2 (a connected graph of low diameter).
func startNodes(t testing.TB, k int, anchors ...*trustlisttest.Anchor) []*Node {
	t.Helper()
	nodes := make([]*Node, k)
	for i := range nodes {
		nodes[i] = startNode(t, testConfig(t.TempDir()))
		pinAll(t, nodes[i], anchors...)
	}
	for i := 1; i < k; i++ {
		link(t, nodes[i], nodes[i-1])
		if j := i / 2; j != i-1 {
			link(t, nodes[i], nodes[j])
		}
	}
	waitMesh(t, nodes...)
	return nodes
}

func pinAll(t testing.TB, n *Node, anchors ...*trustlisttest.Anchor) {
	t.Helper()
	for _, a := range anchors {
		if _, err := n.Store().Pin(a.Descriptor.Raw()); err != nil {
			t.Fatal(err)
		}
	}
}

func link(t testing.TB, a, b *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Connect(ctx, b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
}

// waitMesh waits until every node has grafted up to Dlo of its peers into
// the mesh of every topic (GossipSub grafts more only below Dlo).
func waitMesh(t testing.TB, nodes ...*Node) { waitMeshN(t, GossipParams().Dlo, nodes...) }

// waitMeshN waits until every node has grafted min(need, peers) peers on
// every topic.
func waitMeshN(t testing.TB, need int, nodes ...*Node) {
	t.Helper()
	waitFor(t, 30*time.Second, "gossip meshes", func() bool {
		for _, n := range nodes {
			for _, tp := range n.topics {
				if subs := len(tp.ListPeers()); subs == 0 || len(n.mesh.peers(tp.String())) < min(subs, need) {
					return false
				}
			}
		}
		return true
	})
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func holds(n *Node, cc string, seq uint64) bool {
	h := n.Set().Head(cc)
	return h != nil && h.Seq >= seq
}

func allHold(nodes []*Node, cc string, seq uint64) bool {
	for _, n := range nodes {
		if !holds(n, cc, seq) {
			return false
		}
	}
	return true
}

func entry(t testing.TB, name string) *trustlist.Entry {
	t.Helper()
	c, _ := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: name, Country: "NL"})
	e, err := trustlist.NewX509Entry(c.Raw, false, []trustlist.DocType{trustlist.DocHCert}, name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// signList signs l with a's key, outside a's own sequence (forks, broken chains).
func signList(t testing.TB, a *trustlisttest.Anchor, l *trustlist.List) *trustlist.List {
	t.Helper()
	sl, err := trustlist.SignList(l, []*trustlist.PrivateKey{a.Key})
	if err != nil {
		t.Fatal(err)
	}
	return sl
}

func submit(t testing.TB, n *Node, raw []byte) *trustlist.Decision {
	t.Helper()
	d, err := n.Submit(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func size(short, long int) int {
	if testing.Short() {
		return short
	}
	return long
}

func TestPublishReachesAllNodes(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	nodes := startNodes(t, size(8, 20), a)
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC 1"))
	if d := submit(t, nodes[len(nodes)-1], l1.Raw()); d.Outcome != trustlist.Accepted {
		t.Fatalf("submit: %+v", d)
	}
	waitFor(t, 20*time.Second, "every node to hold NL seq 1", func() bool { return allHold(nodes, "NL", 1) })
	for i, n := range nodes {
		if !bytes.Equal(n.Set().Head("NL").Hash(), l1.Hash()) {
			t.Fatalf("node %d holds a different list", i)
		}
	}

	// Late joiner: two more lists are published, then a fresh node that
	// dials one peer catches up, history included, by sync.
	l2 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC 2"))
	l3 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC 3"))
	submit(t, nodes[0], l2.Raw())
	waitFor(t, 20*time.Second, "seq 2 everywhere", func() bool { return allHold(nodes, "NL", 2) })
	submit(t, nodes[1], l3.Raw())
	waitFor(t, 20*time.Second, "seq 3 everywhere", func() bool { return allHold(nodes, "NL", 3) })

	late := startNode(t, testConfig(t.TempDir()))
	pinAll(t, late, a)
	link(t, late, nodes[len(nodes)/2])
	waitFor(t, 20*time.Second, "late joiner to sync seq 3 and its history", func() bool {
		return holds(late, "NL", 3) && len(late.Set().Lists("NL")) == 3
	})

	// Restart from the data dir: same identity, same lists, and the
	// remembered peers are dialled again without --bootstrap.
	id, dir := late.ID(), late.cfg.DataDir
	if err := late.Close(); err != nil {
		t.Fatal(err)
	}
	again := startNode(t, testConfig(dir))
	if again.ID() != id {
		t.Fatalf("peer ID changed across restart: %s → %s", id, again.ID())
	}
	if got := len(again.Set().Lists("NL")); got != 3 || !holds(again, "NL", 3) {
		t.Fatalf("after restart: %d lists", got)
	}
	waitFor(t, 20*time.Second, "restarted node to reconnect to remembered peers", func() bool {
		return len(again.Host().Network().Peers()) > 0
	})
	fi, err := os.Stat(filepath.Join(dir, identityFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity key: %v %v", fi.Mode(), err)
	}
}

func TestPartitionHeals(t *testing.T) {
	nl, de := trustlisttest.NewAnchor(t, "NL"), trustlisttest.NewAnchor(t, "DE")
	k := size(3, 5)
	left := startNodes(t, k, nl, de)
	right := startNodes(t, k, nl, de)
	lnl := nl.SignList(t, time.Time{}, 24*time.Hour, entry(t, "NL DSC"))
	lde := de.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DE DSC"))
	submit(t, left[0], lnl.Raw())
	submit(t, right[0], lde.Raw())
	waitFor(t, 20*time.Second, "each side to hold its own list", func() bool {
		return allHold(left, "NL", 1) && allHold(right, "DE", 1)
	})
	for _, n := range left {
		if holds(n, "DE", 1) {
			t.Fatal("a left node holds DE before the partition heals")
		}
	}
	// Heal with a single link between the two halves.
	link(t, left[k-1], right[k-1])
	all := append(append([]*Node(nil), left...), right...)
	waitFor(t, 30*time.Second, "both halves to converge", func() bool {
		return allHold(all, "NL", 1) && allHold(all, "DE", 1)
	})
}

// attacker is a libp2p host with GossipSub and no validators: it sends
// whatever a test gives it.
type attacker struct {
	h      host.Host
	topics map[string]*pubsub.Topic
}

func newAttacker(t *testing.T, target *Node) *attacker {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ps, err := pubsub.NewGossipSub(context.Background(), h, pubsub.WithMessageIdFn(messageID),
		pubsub.WithMaxMessageSize(8<<20))
	if err != nil {
		t.Fatal(err)
	}
	at := &attacker{h: h, topics: map[string]*pubsub.Topic{}}
	for _, name := range []string{TopicLists, TopicAnchors, TopicEvidence} {
		tp, err := ps.Join(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tp.Subscribe(); err != nil {
			t.Fatal(err)
		}
		at.topics[name] = tp
	}
	if err := h.Connect(context.Background(), peer.AddrInfo{ID: target.ID(), Addrs: target.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "attacker to see the target's subscriptions", func() bool {
		return len(at.topics[TopicLists].ListPeers()) > 0 && len(target.topics[trustlist.KindList].ListPeers()) > 0
	})
	time.Sleep(time.Second) // let the gossip streams open both ways
	return at
}

func (at *attacker) send(t *testing.T, topic string, data []byte) {
	t.Helper()
	if err := at.topics[topic].Publish(context.Background(), data); err != nil {
		t.Fatal(err)
	}
}

// counted returns how many objects n's validators handled with result.
func counted(t testing.TB, n *Node, source, result string) float64 {
	return countedReason(t, n, source, result, "")
}

// countedReason is counted for one reason ("" for all).
func countedReason(t testing.TB, n *Node, source, result, reason string) float64 {
	t.Helper()
	mfs, err := n.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != "accord_messages_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var src, res, why string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "reason":
					why = l.GetValue()
				case "source":
					src = l.GetValue()
				case "result":
					res = l.GetValue()
				}
			}
			if src == source && res == result && (reason == "" || why == reason) {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

func TestInvalidMessagesAreNotRelayed(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC 1"))
	a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC 2"))
	l3 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC 3"))

	cfg := func() Config { c := testConfig(t.TempDir()); c.MaxObjectSize = 256 << 10; return c }
	h1, h2 := startNode(t, cfg()), startNode(t, cfg())
	for _, n := range []*Node{h1, h2} {
		pinAll(t, n, a)
		// Both hold seq 3 only (as a node that joined after seq 3 would).
		if d := submit(t, n, l3.Raw()); d.Outcome != trustlist.Accepted {
			t.Fatalf("%+v", d)
		}
	}
	link(t, h2, h1)
	waitMesh(t, h1, h2)

	// Forged: NL's list content signed by a key that is not NL's.
	mallory := trustlisttest.NewAnchor(t, "NL")
	forged := signList(t, mallory, &trustlist.List{Country: "NL", DescriptorVersion: 1, Seq: 4,
		IssuedAt: l3.IssuedAt, NextUpdate: l3.NextUpdate, Prev: l3.Hash(), Entries: []*trustlist.Entry{entry(t, "Mallory")}})
	// Broken chain: seq 4 signed by NL that does not link to seq 3.
	broken := signList(t, a, &trustlist.List{Country: "NL", DescriptorVersion: 1, Seq: 4,
		IssuedAt: l3.IssuedAt, NextUpdate: l3.NextUpdate, Prev: bytes.Repeat([]byte{7}, 32),
		Entries: []*trustlist.Entry{entry(t, "DSC 4")}})
	junk := make([]byte, 300<<10)
	rand.Read(junk)
	cases := []struct {
		reason string
		data   []byte
	}{
		{string(trustlist.ReasonBadSignature), forged.Raw()},
		{string(trustlist.ReasonRollback), l1.Raw()},
		{string(trustlist.ReasonBrokenChain), broken.Raw()},
		{"oversized", junk},
		{string(trustlist.ReasonMalformed), []byte("not an accord object")},
	}
	for _, c := range cases {
		// A fresh attacker per case: one invalid message already costs more
		// than the gossip threshold, so a second from the same peer may be
		// dropped before validation.
		at := newAttacker(t, h1)
		at.send(t, TopicLists, c.data)
		waitFor(t, 20*time.Second, "h1 to reject the "+c.reason+" message", func() bool {
			return countedReason(t, h1, TopicLists, "reject", c.reason) == 1
		})
		waitFor(t, 20*time.Second, "the attacker's score to drop", func() bool {
			s := h1.Score(at.h.ID())
			return !math.IsNaN(s) && s < 0
		})
	}
	time.Sleep(500 * time.Millisecond)
	for _, n := range []*Node{h1, h2} {
		if h := n.Set().Head("NL"); h.Seq != 3 || !bytes.Equal(h.Hash(), l3.Hash()) || len(n.Set().Lists("NL")) != 1 {
			t.Fatalf("state changed: head seq %d, %d lists", h.Seq, len(n.Set().Lists("NL")))
		}
	}
	if got := counted(t, h2, TopicLists, "reject") + counted(t, h2, TopicLists, "ignore") + counted(t, h2, TopicLists, "accept"); got != 0 {
		t.Fatalf("h1 relayed %v invalid messages to h2", got)
	}
	if s := h1.Score(h2.ID()); s < 0 {
		t.Fatalf("honest peer scored %v", s)
	}
}

func TestEquivocationEvidenceReachesEveryNode(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	k := size(4, 8)
	nodes := startNodes(t, k, a)
	cert, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL DSC", Country: "NL"})
	dsc, err := trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "NL DSC")
	if err != nil {
		t.Fatal(err)
	}
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, dsc)
	submit(t, nodes[0], l1.Raw())
	waitFor(t, 20*time.Second, "seq 1 everywhere", func() bool { return allHold(nodes, "NL", 1) })
	hc1, err := hcertissue.Issue([]byte(dccJSON), hcertissue.IssueOptions{Signer: key, Cert: cert, IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nodes[k/2].Handler())
	defer srv.Close()
	verifyValid := func() (bool, string) {
		resp, err := http.Post(srv.URL+"/v1/verify", "application/octet-stream", strings.NewReader(hc1))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res verify.Result
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res.Checks)
		return res.Valid, string(b)
	}
	if ok, checks := verifyValid(); !ok {
		t.Fatalf("DCC invalid before the equivocation: %s", checks)
	}

	// Two different seq 2 lists, both validly signed by NL, published on two
	// sides of the network at once.
	fork := func(name string) *trustlist.List {
		return signList(t, a, &trustlist.List{Country: "NL", DescriptorVersion: 1, Seq: 2,
			IssuedAt: l1.IssuedAt, NextUpdate: l1.NextUpdate, Prev: l1.Hash(), Entries: []*trustlist.Entry{dsc, entry(t, name)}})
	}
	x, y := fork("X"), fork("Y")
	var wg sync.WaitGroup
	for i, l := range []*trustlist.List{x, y} {
		wg.Add(1)
		go func(n *Node, raw []byte) { defer wg.Done(); submit(t, n, raw) }(nodes[i*(k-1)], l.Raw())
	}
	wg.Wait()
	waitFor(t, 30*time.Second, "every node to hold evidence and flag NL", func() bool {
		for _, n := range nodes {
			if len(n.Set().Evidence("NL")) == 0 {
				return false
			}
			ls := n.Lists()
			if len(ls) != 1 || !ls[0].Equivocated {
				return false
			}
		}
		return true
	})
	if ok, checks := verifyValid(); ok || !strings.Contains(checks, "equivocation") {
		t.Fatalf("DCC of an equivocating anchor: valid=%v %s", ok, checks)
	}
	for _, m := range nodes[1].Set().Find(trustlist.Query{Country: "NL"}) {
		if !m.Equivocated {
			t.Fatal("lookup match not flagged as equivocated")
		}
	}
}

func TestSyncFrames(t *testing.T) {
	// A peer that sends a request frame beyond the limit is cut off.
	n := startNode(t, testConfig(t.TempDir()))
	c := startNode(t, testConfig(t.TempDir()))
	link(t, c, n)
	s, err := c.Host().NewStream(context.Background(), n.ID(), SyncProtocol)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := make([]byte, maxSyncRequest+10)
	w := newFrameWriter(s)
	_ = writeFrame(w, big)
	_ = w.Flush()
	buf := make([]byte, 1)
	_ = s.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := s.Read(buf); err == nil {
		t.Fatal("server answered an oversized request")
	}
	// An unknown op is refused too, and a heads request is answered.
	if _, err := c.request(context.Background(), n.ID(), syncRequest{Op: "nope"}, 1024); err == nil {
		t.Fatal("unknown op answered")
	}
	objs, err := c.request(context.Background(), n.ID(), syncRequest{Op: opHeads}, maxHeadsResponse)
	if err != nil || len(objs) != 1 {
		t.Fatalf("heads: %v %d", err, len(objs))
	}
}

func TestDHTDiscovery(t *testing.T) {
	cfg := func() Config {
		c := testConfig(t.TempDir())
		c.DHT, c.DHTInterval = true, 500*time.Millisecond
		return c
	}
	hub := startNode(t, cfg())
	b := cfg()
	b.Bootstrap = hub.Addrs()
	nb := startNode(t, b)
	c := cfg()
	c.Bootstrap = hub.Addrs()
	nc := startNode(t, c)
	// b and c only know the hub; the DHT rendezvous introduces them.
	waitFor(t, 30*time.Second, "b and c to find each other through the DHT", func() bool {
		return len(nb.Host().Network().ConnsToPeer(nc.ID())) > 0
	})
}

// A node that does not admit an anchor ignores its lists without penalising
// the peer that sent them, and fetches them by sync once it pins the anchor
// while running.
func TestUnadmittedAnchorIgnoredThenPinned(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	pub := startNode(t, testConfig(t.TempDir()))
	pinAll(t, pub, a)
	other := startNode(t, testConfig(t.TempDir()))
	link(t, other, pub)
	waitMesh(t, pub, other)
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC"))
	submit(t, pub, l1.Raw())
	waitFor(t, 20*time.Second, "the list to be ignored as unknown_anchor", func() bool {
		return countedReason(t, other, TopicLists, "ignore", string(trustlist.ReasonUnknownAnchor)) == 1
	})
	time.Sleep(1500 * time.Millisecond) // two score refreshes
	if s := other.Score(pub.ID()); math.IsNaN(s) || s < 0 {
		t.Fatalf("publisher penalised for an anchor the receiver does not admit: %v", s)
	}
	if holds(other, "NL", 1) {
		t.Fatal("unadmitted anchor's list was stored")
	}
	if _, err := other.Pin(context.Background(), a.Descriptor.Raw()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the list to arrive by sync after pinning", func() bool { return holds(other, "NL", 1) })
}

// A node that missed several lists, some already past next_update, catches
// up through them to the current head: intermediate lists are checked as of
// their own issue time, the head as of now.
func TestSyncForwardThroughExpiredLists(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	now := time.Now()
	old := []*trustlist.List{
		a.SignList(t, now.Add(-72*time.Hour), time.Hour, entry(t, "DSC 1")),
		a.SignList(t, now.Add(-48*time.Hour), time.Hour, entry(t, "DSC 2")),
		a.SignList(t, now.Add(-24*time.Hour), time.Hour, entry(t, "DSC 3")),
	}
	head := a.SignList(t, time.Time{}, 24*time.Hour, entry(t, "DSC 4"))
	src, dst := startNode(t, testConfig(t.TempDir())), startNode(t, testConfig(t.TempDir()))
	pinAll(t, src, a)
	pinAll(t, dst, a)
	for _, l := range append(old, head) {
		if d, err := src.Store().Import(l.Raw(), l.IssuedAt); err != nil || !d.Changed() {
			t.Fatalf("%v %+v", err, d)
		}
	}
	if d, err := dst.Store().Import(old[0].Raw(), old[0].IssuedAt); err != nil || !d.Changed() {
		t.Fatalf("%v %+v", err, d)
	}
	link(t, dst, src)
	waitFor(t, 20*time.Second, "dst to reach seq 4 with full history", func() bool {
		return holds(dst, "NL", 4) && len(dst.Set().Lists("NL")) == 4
	})
	// A stale list alone is refused as a head, though.
	b := trustlisttest.NewAnchor(t, "DE")
	stale := b.SignList(t, now.Add(-48*time.Hour), time.Hour, entry(t, "DE DSC"))
	pinAll(t, src, b)
	pinAll(t, dst, b)
	if d, _ := src.Store().Import(stale.Raw(), stale.IssuedAt); !d.Changed() {
		t.Fatalf("%+v", d)
	}
	if _, err := dst.SyncWith(context.Background(), src.ID()); err != nil {
		t.Fatal(err)
	}
	if holds(dst, "DE", 1) {
		t.Fatal("a stale head was accepted by sync")
	}
}

// hasMulticastLAN reports whether an interface other than loopback is up
// and multicast-capable (mDNS needs one).
func hasMulticastLAN() bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp != 0 && i.Flags&net.FlagMulticast != 0 && i.Flags&net.FlagLoopback == 0 {
			return true
		}
	}
	return false
}

func TestMDNSDiscovery(t *testing.T) {
	if !hasMulticastLAN() {
		t.Skip("no multicast-capable network interface other than loopback: mDNS cannot run here")
	}
	cfg := func() Config {
		c := testConfig(t.TempDir())
		c.MDNS = true
		c.Listen = []string{"/ip4/0.0.0.0/tcp/0"} // mDNS advertises LAN addresses, not loopback
		return c
	}
	a, b := startNode(t, cfg()), startNode(t, cfg())
	waitFor(t, 20*time.Second, "the two nodes to find each other by mDNS", func() bool {
		return len(a.Host().Network().ConnsToPeer(b.ID())) > 0
	})
}
