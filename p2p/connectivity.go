package p2p

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"golang.org/x/sync/errgroup"

	"github.com/accord-network/accord/trustlist"
)

// Connectivity (spec/network.md §Connectivity). A node keeps about
// Config.TargetPeers connections for its whole life: it redials bootstrap,
// remembered and exchanged peers with exponential backoff, asks its peers
// for theirs (/accord/peers/1.0.0) so a network bootstrapped as a star
// becomes a mesh, and says so in its log and /healthz when it has none.
const (
	// PeersProtocol answers with up to maxExchangedPeers full multiaddrs of
	// the peers this node is connected to.
	PeersProtocol = "/accord/peers/1.0.0"
	// NudgeProtocol asks the receiver to sync with the sender: sent when the
	// sender's gossip to it was dropped (a full outbound queue).
	NudgeProtocol = "/accord/nudge/1.0.0"

	DefaultTargetPeers = 8

	maxExchangedPeers = 32
	maxKnownPeers     = 256
	minRedial         = time.Second
	maxRedial         = time.Minute
	maxRedialAlone    = 4 * time.Second // a node with no peer at all retries fast
	aloneLogEvery     = time.Minute
	exchangeEvery     = 30 * time.Second
	nudgeEvery        = time.Second
)

type knownPeer struct {
	info      peer.AddrInfo
	bootstrap bool
	failures  int
	next      time.Time // no dial before
}

// connectivity is the node's connection keeper.
type connectivity struct {
	n       *Node
	target  int
	wake    chan struct{}
	done    chan struct{} // closed when the keeper loop has returned
	started bool          // start ran, so the loop will close done

	mu        sync.Mutex
	known     map[peer.ID]*knownPeer
	alone     bool
	aloneLog  time.Time
	nudged    map[peer.ID]time.Time
	exchanged map[peer.ID]time.Time
}

func newConnectivity(n *Node, target int) *connectivity {
	return &connectivity{n: n, target: target, wake: make(chan struct{}, 1), done: make(chan struct{}), known: map[peer.ID]*knownPeer{},
		nudged: map[peer.ID]time.Time{}, exchanged: map[peer.ID]time.Time{}}
}

// start seeds the known peers and runs the keeper until the node closes.
func (c *connectivity) start(bootstrap, remembered []string) {
	c.started = true // set before New returns; Close reads it after
	c.add(bootstrap, true)
	c.add(remembered, false)
	h := c.n.host
	h.SetStreamHandler(PeersProtocol, c.handlePeers)
	h.SetStreamHandler(NudgeProtocol, c.handleNudge)
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, conn network.Conn) {
			c.connected(conn.RemotePeer())
		},
		DisconnectedF: func(network.Network, network.Conn) { c.poke() },
	})
	c.n.wg.Add(1)
	go c.loop()
}

// add remembers full multiaddrs (with /p2p/ID) as dial candidates.
func (c *connectivity) add(addrs []string, bootstrap bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			continue
		}
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil || info.ID == c.n.host.ID() {
			continue
		}
		kp := c.known[info.ID]
		if kp == nil {
			if len(c.known) >= maxKnownPeers && !bootstrap {
				continue
			}
			kp = &knownPeer{info: peer.AddrInfo{ID: info.ID}}
			c.known[info.ID] = kp
		}
		kp.bootstrap = kp.bootstrap || bootstrap
		for _, na := range info.Addrs {
			// An empty transport part names nothing to dial.
			if len(na.Bytes()) == 0 {
				continue
			}
			if !hasAddr(kp.info.Addrs, na) {
				kp.info.Addrs = append(kp.info.Addrs, na)
			}
		}
	}
}

func hasAddr(as []ma.Multiaddr, a ma.Multiaddr) bool {
	for _, b := range as {
		if b.Equal(a) {
			return true
		}
	}
	return false
}

func (c *connectivity) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// connected is called for every new connection: the peer becomes known (its
// listen addresses come from identify, in the peerstore) and its backoff
// resets.
func (c *connectivity) connected(p peer.ID) {
	c.mu.Lock()
	kp := c.known[p]
	if kp == nil && len(c.known) < maxKnownPeers {
		kp = &knownPeer{info: peer.AddrInfo{ID: p}}
		c.known[p] = kp
	}
	if kp != nil {
		kp.failures, kp.next = 0, time.Time{}
	}
	wasAlone := c.alone
	c.alone = false
	c.mu.Unlock()
	if wasAlone {
		c.n.log.Info("peers connected again", "peer", p)
	}
	c.poke()
}

// loop keeps the target number of connections.
func (c *connectivity) loop() {
	defer c.n.wg.Done()
	defer close(c.done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-c.n.ctx.Done():
			return
		case <-t.C:
		case <-c.wake:
		}
		c.tend()
		t.Reset(minRedial + rand.N(minRedial))
	}
}

// tend dials candidates while the node is short of peers, exchanges peer
// lists, and reports being alone.
func (c *connectivity) tend() {
	have := len(c.n.host.Network().Peers())
	c.noteAlone(have)
	if have < c.target {
		c.dial(c.target-have, have == 0)
	}
	c.exchange(have)
	if c.n.storeOwed.Swap(false) {
		// Objects from peers were lost to a failing store: fetch them again
		// (a sync that fails to store sets the flag again, so this retries
		// every tick until the disk takes writes).
		c.n.goSyncAll()
	}
}

func (c *connectivity) noteAlone(have int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if have > 0 {
		c.alone = false
		return
	}
	now := time.Now()
	if !c.alone {
		// Just lost the last peer: everything known is worth a try now.
		for _, kp := range c.known {
			kp.next = time.Time{}
		}
	}
	if !c.alone || now.Sub(c.aloneLog) >= aloneLogEvery {
		c.n.log.Warn("no peers connected: this node neither receives nor relays updates; redialing known peers",
			"known", len(c.known))
		c.aloneLog = now
	}
	c.alone = true
}

// Alone reports whether the node has no peer connected.
func (c *connectivity) Alone() bool {
	return len(c.n.host.Network().Peers()) == 0
}

// dial tries up to k due candidates in parallel; failures back off.
func (c *connectivity) dial(k int, alone bool) {
	now := time.Now()
	net := c.n.host.Network()
	c.mu.Lock()
	var due []*knownPeer
	for _, kp := range c.known {
		if now.Before(kp.next) || net.Connectedness(kp.info.ID) == network.Connected {
			continue
		}
		due = append(due, kp)
	}
	rand.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
	sort.SliceStable(due, func(i, j int) bool { return due[i].bootstrap && !due[j].bootstrap })
	if len(due) > k {
		due = due[:k]
	}
	infos := make([]peer.AddrInfo, len(due))
	for i, kp := range due {
		infos[i] = kp.info
		kp.next = now.Add(maxRedial) // claimed; set properly below
	}
	c.mu.Unlock()
	var g errgroup.Group
	g.SetLimit(8)
	for _, info := range infos {
		g.Go(func() error {
			ctx, cancel := context.WithTimeout(c.n.ctx, 10*time.Second)
			defer cancel()
			// Our own backoff governs redials; the swarm's (5 s and up,
			// quadratic) would hold a returning peer off for minutes.
			ctx = network.WithForceDirectDial(ctx, "accord redial")
			err := c.n.host.Connect(ctx, info)
			c.mu.Lock()
			if kp := c.known[info.ID]; kp != nil {
				if err == nil {
					kp.failures, kp.next = 0, time.Time{}
				} else {
					kp.failures++
					limit := maxRedial
					if alone {
						limit = maxRedialAlone
					}
					back := min(limit, minRedial<<min(kp.failures, 10))
					kp.next = time.Now().Add(back/2 + rand.N(back/2+1))
				}
			}
			c.mu.Unlock()
			if err != nil && c.n.ctx.Err() == nil {
				c.n.log.Debug("redial failed", "peer", info.ID, "err", err)
			}
			return nil
		})
	}
	_ = g.Wait()
}

// exchange asks one connected peer at a time for its peers, each at most
// every exchangeEvery, while this node is below its target.
func (c *connectivity) exchange(have int) {
	if have == 0 || have >= c.target {
		return
	}
	now := time.Now()
	var ask peer.ID
	c.mu.Lock()
	for _, p := range c.n.randomPeers(have) {
		if now.Sub(c.exchanged[p]) >= exchangeEvery {
			ask = p
			c.exchanged[p] = now
			break
		}
	}
	c.mu.Unlock()
	if ask == "" {
		return
	}
	ctx, cancel := context.WithTimeout(c.n.ctx, 10*time.Second)
	defer cancel()
	addrs, err := c.requestPeers(ctx, ask)
	if err != nil {
		c.n.log.Debug("peer exchange failed", "peer", ask, "err", err)
		return
	}
	c.add(addrs, false)
}

func (c *connectivity) requestPeers(ctx context.Context, p peer.ID) ([]string, error) {
	s, err := c.n.host.NewStream(ctx, p, PeersProtocol)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	_ = s.CloseWrite()
	f, err := readFrame(bufio.NewReader(s), 64<<10)
	if err != nil {
		return nil, err
	}
	var addrs []string
	if err := json.Unmarshal(f, &addrs); err != nil {
		return nil, err
	}
	if len(addrs) > maxExchangedPeers*4 {
		addrs = addrs[:maxExchangedPeers*4]
	}
	return addrs, nil
}

// handlePeers answers PeersProtocol with the addresses of connected peers.
func (c *connectivity) handlePeers(s network.Stream) {
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(10 * time.Second))
	var out []string
	for _, p := range c.n.randomPeers(maxExchangedPeers) {
		if p == s.Conn().RemotePeer() {
			continue
		}
		addrs := c.n.host.Peerstore().Addrs(p)
		if len(addrs) == 0 {
			continue
		}
		if len(addrs) > 4 {
			addrs = addrs[:4]
		}
		full, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: p, Addrs: addrs})
		if err != nil {
			continue
		}
		for _, a := range full {
			out = append(out, a.String())
		}
	}
	b, _ := json.Marshal(nonNil(out))
	w := bufio.NewWriter(s)
	if writeFrame(w, b) != nil || w.Flush() != nil {
		_ = s.Reset()
	}
}

// nudge asks p to sync with this node, at most every nudgeEvery per peer.
func (c *connectivity) nudge(p peer.ID) {
	c.mu.Lock()
	if time.Since(c.nudged[p]) < nudgeEvery {
		c.mu.Unlock()
		return
	}
	c.nudged[p] = time.Now()
	c.mu.Unlock()
	n := c.n
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.wg.Add(1)
	n.mu.Unlock()
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
		defer cancel()
		if s, err := n.host.NewStream(ctx, p, NudgeProtocol); err == nil {
			_ = s.Close()
		}
	}()
}

// handleNudge: a peer's gossip to this node was dropped; fetch what it has.
func (c *connectivity) handleNudge(s network.Stream) {
	p := s.Conn().RemotePeer()
	_ = s.Close()
	c.n.goSync(p)
}

// knownAddrs returns the full multiaddrs of known peers, connected ones
// first, for peers.json.
func (c *connectivity) knownAddrs(max int) []string {
	net := c.n.host.Network()
	c.mu.Lock()
	kps := make([]knownPeer, 0, len(c.known))
	for _, kp := range c.known {
		cp := *kp
		cp.info.Addrs = append([]ma.Multiaddr(nil), kp.info.Addrs...)
		kps = append(kps, cp)
	}
	c.mu.Unlock()
	sort.SliceStable(kps, func(i, j int) bool {
		ci, cj := net.Connectedness(kps[i].info.ID) == network.Connected, net.Connectedness(kps[j].info.ID) == network.Connected
		if ci != cj {
			return ci
		}
		return kps[i].failures < kps[j].failures
	})
	var out []string
	for _, kp := range kps {
		addrs := kp.info.Addrs
		if net.Connectedness(kp.info.ID) == network.Connected {
			addrs = c.n.host.Peerstore().Addrs(kp.info.ID)
		}
		if len(addrs) == 0 {
			continue
		}
		full, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: kp.info.ID, Addrs: addrs})
		if err != nil {
			continue
		}
		for _, a := range full {
			out = append(out, a.String())
		}
		if len(out) >= max {
			break
		}
	}
	return out
}

// aheadOfHead reports whether d refused a list because lists between the
// held head and it are missing.
func (n *Node) aheadOfHead(d *trustlist.Decision) bool {
	if d.Kind != trustlist.KindList || d.Reason != trustlist.ReasonBrokenChain {
		return false
	}
	h := n.Set().Head(d.Country)
	return h != nil && d.Number > h.Seq+1
}

// catchUpTimeout bounds the sync a submission ahead of the head waits for.
const catchUpTimeout = 10 * time.Second

// catchUp syncs with up to four peers at once and decides raw again. If the
// gap cannot be filled, the first decision stands (broken_chain, with the
// detail saying a catch-up was tried).
func (n *Node) catchUp(ctx context.Context, raw []byte, d *trustlist.Decision) (*trustlist.Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	peers := n.randomPeers(4)
	var g errgroup.Group
	for _, p := range peers {
		g.Go(func() error {
			if _, err := n.SyncWith(ctx, p); err != nil {
				n.log.Debug("catch-up sync failed", "peer", p, "err", err)
			}
			return nil
		})
	}
	_ = g.Wait()
	again, err := n.store.Import(raw, n.cfg.Now())
	if err != nil {
		n.log.Error("store write failed: submission refused, nothing kept", "err", err)
		return nil, fmt.Errorf("p2p: store: %w", err)
	}
	if again.Reason == trustlist.ReasonBrokenChain {
		again.Detail += fmt.Sprintf("; a catch-up with %d peers did not fill the gap", len(peers))
	}
	return again, nil
}
