package p2p

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
)

// The soak: real nodes (real libp2p on loopback, real bbolt stores in temp
// dirs) in a chain, random stops and restarts, a disk that fills and frees,
// stores emptied or garbled while a node is down (repaired with
// RepairStore), hostile submissions, and an anchor publishing throughout.
// Checks: every acknowledged list is held by every node at the end (nothing
// lost), no forged object is held anywhere (nothing forged accepted), all
// converged soon after the last restart. The short version runs in every
// `go test`; the long one with
//
//	go test ./p2p -run TestSoak -soak.long -soak.nodes 12 -soak.updates 1000 -timeout 2h
var (
	soakLong    = flag.Bool("soak.long", false, "run the long soak (see TestSoak)")
	soakNodes   = flag.Int("soak.nodes", 12, "long soak: nodes in the chain")
	soakUpdates = flag.Int("soak.updates", 1000, "long soak: list updates to publish")
	soakKill    = flag.Duration("soak.kill", 4*time.Second, "long soak: minimum time between restarts (up to 2.5x)")
	soakPace    = flag.Duration("soak.pace", 40*time.Millisecond, "long soak: time between updates")
)

type soakParams struct {
	nodes, updates int
	killEvery      time.Duration
	pace           time.Duration // between updates
	converge       time.Duration // allowed after the last restart
}

func TestSoak(t *testing.T) {
	p := soakParams{nodes: 5, updates: 150, killEvery: time.Second, pace: 150 * time.Millisecond, converge: 30 * time.Second}
	if *soakLong {
		p = soakParams{nodes: *soakNodes, updates: *soakUpdates, killEvery: *soakKill, pace: *soakPace, converge: 60 * time.Second}
	} else if testing.Short() {
		p.updates, p.nodes = 60, 4
	}
	runSoak(t, p)
}

type soakNode struct {
	mu      sync.RWMutex // writers: stop/start; readers: submit, poll
	n       *Node        // nil while down
	dir     string
	listen  string
	boot    []string
	full    atomic.Bool // its "disk" is full
	downAt  time.Time
	upSince time.Time
}

type ack struct {
	cc   string
	seq  uint64
	hash []byte
	at   time.Time
}

type soak struct {
	t      *testing.T
	p      soakParams
	nodes  []*soakNode
	mu     sync.Mutex
	acks   []ack
	lat    []time.Duration            // propagation samples: ack → held, for nodes up throughout
	forged [][]byte                   // forged objects that must never be held
	last   map[string]*trustlist.List // each anchor's last acknowledged list
	stats  map[string]int
}

func (s *soak) cfg(sn *soakNode) Config {
	cfg := Config{DataDir: sn.dir, Listen: []string{sn.listen}, Bootstrap: sn.boot, SyncTimeout: 20 * time.Second}
	cfg.StoreOptions.WriteFault = func() error {
		if sn.full.Load() {
			return syscall.ENOSPC
		}
		return nil
	}
	return cfg
}

// start starts sn; a store refused as damaged or behind is repaired first,
// as an operator would with `accord trust repair`.
func (s *soak) start(sn *soakNode) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	for try := 0; ; try++ {
		n, err := New(context.Background(), s.cfg(sn))
		if err == nil {
			sn.n, sn.upSince = n, time.Now()
			if strings.HasSuffix(sn.listen, "/tcp/0") {
				sn.listen = boundTCP(s.t, n) // restarts come back at the same address
			}
			return
		}
		if try < 3 && (errors.Is(err, trustlist.ErrStoreBehind) || errors.Is(err, trustlist.ErrStoreDamaged)) {
			rep, rerr := trustlist.RepairStore(sn.dir)
			if rerr != nil {
				s.t.Errorf("repair %s: %v", sn.dir, rerr)
				return
			}
			s.count("repaired (" + map[bool]string{true: "behind", false: "damaged"}[errors.Is(err, trustlist.ErrStoreBehind)] + ")")
			_ = rep
			continue
		}
		if try < 20 {
			time.Sleep(250 * time.Millisecond) // the port may not be free yet
			continue
		}
		s.t.Errorf("restart %s: %v", sn.dir, err)
		return
	}
}

func (s *soak) stop(sn *soakNode) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.n != nil {
		s.harvest(sn.n)
		sn.n.Close()
		sn.n, sn.downAt = nil, time.Now()
	}
}

func (s *soak) count(what string) {
	s.mu.Lock()
	s.stats[what]++
	s.mu.Unlock()
}

// damage, while sn is down, empties or garbles its store.db.
func (s *soak) damage(sn *soakNode, rng *rand.Rand) {
	db := filepath.Join(sn.dir, "store.db")
	if rng.IntN(2) == 0 {
		os.Truncate(db, 0)
		s.count("store emptied")
		return
	}
	b, err := os.ReadFile(db)
	if err != nil || len(b) < 3*4096 {
		return
	}
	for i := 0; i < 64; i++ {
		b[2*4096+rng.IntN(len(b)-2*4096)] = byte(rng.Uint32())
	}
	os.WriteFile(db, b, 0o600)
	s.count("store garbled")
}

func runSoak(t *testing.T, p soakParams) {
	s := &soak{t: t, p: p, stats: map[string]int{}, last: map[string]*trustlist.List{}}
	anchors := []*trustlisttest.Anchor{trustlisttest.NewAnchor(t, "NL"), trustlisttest.NewAnchor(t, "SG"), trustlisttest.NewAnchor(t, "KE")}
	entries := map[string]*trustlist.Entry{}
	for _, a := range anchors {
		entries[a.Country] = entry(t, a.Country+" DSC")
	}
	for i := 0; i < p.nodes; i++ {
		sn := &soakNode{dir: t.TempDir(), listen: "/ip4/127.0.0.1/tcp/0"}
		s.nodes = append(s.nodes, sn)
	}
	for i, sn := range s.nodes {
		s.start(sn)
		if i > 0 { // a chain: each node knows only the one before it
			sn.boot = s.nodes[i-1].n.Addrs()
			sn.n.Connect(context.Background(), sn.boot[0])
		}
		pinAll(t, sn.n, anchors...)
	}
	defer func() {
		for _, sn := range s.nodes {
			s.stop(sn)
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var lastRestart atomic.Int64
	// Poller: propagation samples.
	wg.Add(1)
	go func() { defer wg.Done(); s.poll(ctx) }()
	// Chaos: stop a random node, sometimes damage its store or fill its disk, restart it.
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
		for ctx.Err() == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(p.killEvery + time.Duration(rng.Int64N(int64(p.killEvery)*3/2))):
			}
			sn := s.nodes[1+rng.IntN(len(s.nodes)-1)] // node 0 is the publisher's fallback
			switch rng.IntN(6) {
			case 0: // a full disk for a while, node up
				sn.full.Store(true)
				s.count("disk full")
				time.Sleep(p.killEvery / 2)
				sn.full.Store(false)
				continue
			case 1:
				s.stop(sn)
				s.damage(sn, rng)
			default:
				s.stop(sn)
				s.count("restart")
			}
			time.Sleep(time.Duration(rng.Int64N(int64(p.killEvery))))
			s.start(sn)
			lastRestart.Store(time.Now().UnixNano())
		}
	}()
	// Hostile submissions.
	wg.Add(1)
	go func() { defer wg.Done(); s.hostile(ctx, anchors) }()

	// The anchors publish; each list is retried on other nodes until one
	// acknowledges it (202, or 200 if gossip got there first).
	rng := rand.New(rand.NewPCG(2, 3))
	start := time.Now()
	for u := 0; u < p.updates; u++ {
		a := anchors[u%len(anchors)]
		l := a.SignList(t, time.Time{}, 24*time.Hour, entries[a.Country])
		s.publish(l, rng)
		time.Sleep(p.pace)
	}
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	// Everything up; the disk has space.
	for _, sn := range s.nodes {
		sn.full.Store(false)
		sn.mu.RLock()
		down := sn.n == nil
		sn.mu.RUnlock()
		if down {
			s.start(sn)
			lastRestart.Store(time.Now().UnixNano())
		}
	}
	last := time.Unix(0, lastRestart.Load())
	if lastRestart.Load() == 0 {
		last = time.Now()
	}
	converged := s.waitConverged(anchors, p.converge)
	t.Logf("soak: %d nodes, %d updates acknowledged in %v; converged %v after the last restart",
		p.nodes, len(s.acks), elapsed.Round(time.Millisecond), converged.Sub(last).Round(time.Millisecond))
	s.report()
	s.checkForged()
	defer func() { t.Logf("events (counters summed over every node run): %v", s.stats) }()
	// Nothing acknowledged is lost across a final clean restart either.
	for _, sn := range s.nodes {
		s.stop(sn)
		set, err := trustlist.LoadDir(sn.dir)
		if err != nil {
			t.Fatalf("reload %s: %v", sn.dir, err)
		}
		for _, a := range s.acks {
			if l := set.ListAt(a.cc, a.seq); l == nil || !bytes.Equal(l.Hash(), a.hash) {
				t.Fatalf("%s: acknowledged %s seq %d lost after restart", sn.dir, a.cc, a.seq)
			}
		}
	}
}

func (s *soak) publish(l *trustlist.List, rng *rand.Rand) {
	for try := 0; ; try++ {
		sn := s.nodes[rng.IntN(len(s.nodes))]
		if try > 20 {
			sn = s.nodes[0]
		}
		sn.mu.RLock()
		if sn.n == nil {
			sn.mu.RUnlock()
			continue
		}
		d, err := sn.n.Submit(context.Background(), l.Raw())
		sn.mu.RUnlock()
		switch {
		case err == nil && (d.Changed() || d.Outcome == trustlist.Duplicate):
			s.mu.Lock()
			s.acks = append(s.acks, ack{cc: l.Country, seq: l.Seq, hash: l.Hash(), at: time.Now()})
			s.last[l.Country] = l
			s.mu.Unlock()
			return
		case errors.Is(err, trustlist.ErrStoreWrite):
			s.count("submit refused: store")
		case err == nil && d.Reason == trustlist.ReasonBrokenChain:
			s.count("submit refused: gap not fillable yet")
		default:
			s.count(fmt.Sprintf("submit: %v %v", d, err))
		}
		if try > 200 {
			s.t.Fatalf("list %s seq %d acknowledged by no node", l.Country, l.Seq)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hostile submits forgeries to random nodes: tampered signatures, lists of
// an anchor nobody pinned, forks of the real chain, garbage.
func (s *soak) hostile(ctx context.Context, anchors []*trustlisttest.Anchor) {
	rng := rand.New(rand.NewPCG(4, 5))
	rogue := trustlisttest.NewAnchor(s.t, "NL") // same country, unpinned key
	for ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		a := anchors[rng.IntN(len(anchors))]
		var raw []byte
		switch rng.IntN(4) {
		case 0: // a held list with one signature byte flipped
			last := s.lastOf(a.Country)
			if last == nil {
				continue
			}
			raw = bytes.Clone(last.Raw())
			raw[len(raw)-5] ^= 0x40
		case 1: // the next seq, signed by a key the anchor does not hold
			l := &trustlist.List{Country: a.Country, DescriptorVersion: 1, Seq: 1,
				IssuedAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Second), NextUpdate: time.Now().Add(time.Hour).UTC().Truncate(time.Second)}
			if last := s.lastOf(a.Country); last != nil {
				l.Seq, l.Prev = last.Seq+1, last.Hash()
			}
			sl, err := trustlist.SignList(l, []*trustlist.PrivateKey{rogue.Key})
			if err != nil {
				continue
			}
			raw = sl.Raw()
		case 2: // garbage
			raw = make([]byte, 64+rng.IntN(512))
			for i := range raw {
				raw[i] = byte(rng.Uint32())
			}
		case 3: // a list of an anchor no node pinned
			raw = rogue.SignList(s.t, time.Time{}, time.Hour).Raw()
		}
		s.mu.Lock()
		s.forged = append(s.forged, raw)
		s.mu.Unlock()
		sn := s.nodes[rng.IntN(len(s.nodes))]
		sn.mu.RLock()
		if sn.n != nil {
			d, err := sn.n.Submit(context.Background(), raw)
			if err == nil && d.Changed() {
				s.t.Errorf("forged object accepted: %+v", d)
			}
			s.count("hostile submitted")
		}
		sn.mu.RUnlock()
	}
}

// poll samples, every 10 ms, when each node up since before an ack first
// holds the acknowledged list.
func (s *soak) poll(ctx context.Context) {
	seen := map[[2]any]bool{} // (node, ack index) sampled
	for ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
		s.mu.Lock()
		acks := slices.Clone(s.acks)
		s.mu.Unlock()
		now := time.Now()
		for i, sn := range s.nodes {
			sn.mu.RLock()
			n, up := sn.n, sn.upSince
			for j, a := range acks {
				key := [2]any{i, j}
				if n == nil || seen[key] || up.After(a.at) {
					continue
				}
				if l := n.Set().ListAt(a.cc, a.seq); l != nil {
					seen[key] = true
					s.mu.Lock()
					s.lat = append(s.lat, now.Sub(a.at))
					s.mu.Unlock()
				}
			}
			sn.mu.RUnlock()
		}
	}
}

func (s *soak) waitConverged(anchors []*trustlisttest.Anchor, within time.Duration) time.Time {
	deadline := time.Now().Add(within)
	for {
		missing := ""
		for _, sn := range s.nodes {
			sn.mu.RLock()
			for _, a := range s.acks {
				if l := sn.n.Set().ListAt(a.cc, a.seq); l == nil || !bytes.Equal(l.Hash(), a.hash) {
					missing = fmt.Sprintf("%s lacks %s seq %d (head %d, %d peers)", sn.dir, a.cc, a.seq, headOf(sn.n, a.cc), len(sn.n.Host().Network().Peers()))
					break
				}
			}
			sn.mu.RUnlock()
			if missing != "" {
				break
			}
		}
		if missing == "" {
			return time.Now()
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("not converged %v after the chaos: %s; events %v", within, missing, s.stats)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func headOf(n *Node, cc string) uint64 {
	if h := n.Set().Head(cc); h != nil {
		return h.Seq
	}
	return 0
}

func (s *soak) checkForged() {
	for _, sn := range s.nodes {
		set := sn.n.Set()
		for _, a := range set.Anchors() {
			for _, l := range set.Lists(a.Country) {
				for _, f := range s.forged {
					if bytes.Equal(l.Raw(), f) {
						s.t.Fatalf("%s holds a forged list %s seq %d", sn.dir, a.Country, l.Seq)
					}
				}
			}
		}
	}
}

func (s *soak) report() {
	s.mu.Lock()
	lat := slices.Clone(s.lat)
	s.mu.Unlock()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(f float64) time.Duration {
		return lat[min(len(lat)-1, int(f*float64(len(lat))))].Round(time.Millisecond)
	}
	s.t.Logf("propagation (ack → held, nodes up throughout; %d samples, 10 ms polling): p50 %v, p90 %v, p99 %v, max %v",
		len(lat), q(0.5), q(0.9), q(0.99), lat[len(lat)-1].Round(time.Millisecond))
}

// harvest adds a node's counters of where updates waited to the soak's
// events: gossip missed for lack of capacity, gaps seen, sync rounds.
func (s *soak) harvest(n *Node) {
	mfs, err := n.metrics.reg.Gather()
	if err != nil {
		return
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			v := int(m.GetCounter().GetValue())
			switch {
			case v == 0:
			case mf.GetName() == "accord_gossip_missed_total":
				s.add("missed: "+labels["why"], v)
			case mf.GetName() == "accord_messages_total" && labels["reason"] == "gap":
				s.add("gossip gap → sync", v)
			case mf.GetName() == "accord_sync_rounds_total":
				s.add("sync rounds "+labels["result"], v)
			}
		}
	}
}

func (s *soak) add(what string, v int) {
	s.mu.Lock()
	s.stats[what] += v
	s.mu.Unlock()
}

func (s *soak) lastOf(cc string) *trustlist.List {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[cc]
}
