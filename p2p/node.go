// Package p2p runs an Accord node: a libp2p host that gossips trust-list
// objects over GossipSub, catches up through the /accord/sync/1.0.0 stream
// protocol, persists everything it accepts in a trustlist.Store, and serves
// the HTTP API. spec/network.md is the normative description.
package p2p

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/accord-network/accord/internal/atomicfile"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxObjectSize = 4 << 20 // one signed object; a 1,000-certificate list is ~0.6 MB
	DefaultSyncInterval  = 30 * time.Second
	DefaultSyncTimeout   = 30 * time.Second
	identityFile         = "node.key"
	peersFile            = "peers.json"
	maxRememberedPeers   = 64
)

// DefaultListen are the listen addresses when Config.Listen is empty:
// loopback only, TCP and QUIC, on ports chosen by the system.
var DefaultListen = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}

// Config configures a Node.
type Config struct {
	// DataDir holds the trust store, the node's identity key (node.key,
	// mode 0600) and the peers it remembers (peers.json). Required.
	DataDir string
	// Listen are libp2p multiaddrs to listen on (DefaultListen if empty).
	Listen []string
	// Bootstrap are full multiaddrs (with /p2p/ID) of peers to dial at start.
	Bootstrap []string
	// MDNS enables LAN discovery by multicast DNS.
	MDNS bool
	// DHT enables a Kademlia DHT (protocol prefix /accord) and rendezvous
	// discovery of other Accord nodes through it.
	DHT bool
	// DHTInterval is how often the node looks for Accord nodes in the DHT
	// (1 minute if 0).
	DHTInterval time.Duration
	// MaxObjectSize bounds one gossiped or synced object (DefaultMaxObjectSize if 0).
	MaxObjectSize int
	// SyncInterval is how often the node syncs with a few random peers
	// (DefaultSyncInterval if 0; negative disables periodic sync).
	SyncInterval time.Duration
	// SyncTimeout is the deadline of one sync request (DefaultSyncTimeout if 0).
	SyncTimeout time.Duration
	// Now returns the current time (time.Now if nil); tests move the clock.
	Now func() time.Time
	// TargetPeers is how many connections the node keeps, redialing known
	// peers with backoff and asking peers for theirs (DefaultTargetPeers if 0).
	TargetPeers int
	// Logger receives operational logs (discarded if nil).
	Logger *slog.Logger
	// OperatorName is who runs this node ("Port of Rotterdam customs"),
	// shown in the header of the verifier page instead of the peer ID.
	OperatorName string
	// StoreOptions are passed to trustlist.OpenStore.
	StoreOptions trustlist.StoreOptions
	// HTTPHosts are host names, besides IP literals and "localhost", that
	// the HTTP API answers to (the Host header; spec/network.md §7.1).
	HTTPHosts []string
	// SyncBudget bounds one sync round with one peer (DefaultSyncBudget if zero).
	SyncBudget SyncBudget
	// SubmitLimit and VerifyLimit are the per-client budgets of POST
	// /v1/lists and of verifying (DefaultSubmitLimit, DefaultVerifyLimit if zero).
	SubmitLimit, VerifyLimit HTTPLimit
	// Chains answers contract calls for documents issued on a blockchain
	// (nil: none configured; such documents cannot be checked).
	Chains verify.ChainReader
	// Fetcher fetches W3C credentials' status lists (nil: the node stays
	// offline; such credentials cannot be checked).
	Fetcher verify.Fetcher
	// Host, if non-nil, is the libp2p host the node runs on instead of one
	// it creates: a simulation's in-memory host (go-libp2p's mocknet). The
	// node owns it (Close closes it, and so does a New that fails); Listen, the identity key
	// file and the connection and resource managers are then the host's own.
	Host host.Host
	// GossipTracer, if non-nil, also receives GossipSub's trace events
	// (a simulation counts the copies of each message a node receives).
	GossipTracer pubsub.RawTracer
	// ScoreInspectInterval is how often the node copies its peers' GossipSub
	// scores for GET /v1/peers and PeerScores (1 s if 0). It changes nothing
	// in the protocol; a simulation of thousands of nodes lengthens it to
	// save CPU.
	ScoreInspectInterval time.Duration
}

// Node is a running Accord node.
type Node struct {
	cfg     Config
	log     *slog.Logger
	store   *trustlist.Store
	host    host.Host
	ps      *pubsub.PubSub
	topics  map[trustlist.Kind]*pubsub.Topic
	subs    []*pubsub.Subscription
	dht     *dht.IpfsDHT
	mesh    *meshTracer
	conn    *connectivity
	closers []func() error
	metrics *metrics

	penalties                  penaltyBook // sync offences, by peer
	listFetches                fetchGate   // one download of an anchor's lists at a time (syncclient.go)
	imports                    *importer   // group commit of gossip and sync imports (importer.go)
	opToken                    string      // DATA/operator.token
	submitLimits, verifyLimits *clientLimits

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	scores    map[peer.ID]float64
	syncing   map[peer.ID]bool
	syncAgain map[peer.ID]bool // a sync was asked for while one ran: run another after it
	closed    bool

	foreign   *foreignState          // source pins and foreign lists (foreign.go)
	storeOwed atomic.Bool            // an object from a peer could not be stored: sync again soon
	missed    *prometheus.CounterVec // gossip messages missed for lack of capacity, by why
}

// New opens the store in cfg.DataDir, starts the libp2p host, joins the
// gossip topics and starts discovery and sync. Close stops it.
func New(ctx context.Context, cfg Config) (n *Node, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("p2p: a data directory is required")
	}
	for _, b := range cfg.Bootstrap {
		if err := CheckPeerAddr(b); err != nil {
			return nil, fmt.Errorf("p2p: bootstrap: %w", err)
		}
	}
	if len(cfg.Listen) == 0 {
		cfg.Listen = DefaultListen
	}
	if cfg.MaxObjectSize <= 0 {
		cfg.MaxObjectSize = DefaultMaxObjectSize
	}
	if cfg.SyncInterval == 0 {
		cfg.SyncInterval = DefaultSyncInterval
	}
	if cfg.SyncTimeout <= 0 {
		cfg.SyncTimeout = DefaultSyncTimeout
	}
	if cfg.ScoreInspectInterval <= 0 {
		cfg.ScoreInspectInterval = time.Second
	}
	if cfg.DHTInterval <= 0 {
		cfg.DHTInterval = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TargetPeers <= 0 {
		cfg.TargetPeers = DefaultTargetPeers
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SyncBudget == (SyncBudget{}) {
		cfg.SyncBudget = DefaultSyncBudget
	}
	if cfg.SubmitLimit == (HTTPLimit{}) {
		cfg.SubmitLimit = DefaultSubmitLimit
	}
	if cfg.VerifyLimit == (HTTPLimit{}) {
		cfg.VerifyLimit = DefaultVerifyLimit
	}
	endReplay := replayGC()
	st, err := trustlist.OpenStore(cfg.DataDir, cfg.StoreOptions)
	endReplay()
	if err != nil {
		if cfg.Host != nil {
			cfg.Host.Close()
		}
		return nil, fmt.Errorf("p2p: open trust store: %w", err)
	}
	n = &Node{cfg: cfg, log: cfg.Logger, store: st, topics: map[trustlist.Kind]*pubsub.Topic{},
		scores: map[peer.ID]float64{}, syncing: map[peer.ID]bool{}, syncAgain: map[peer.ID]bool{}}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			if n.host == nil && cfg.Host != nil {
				cfg.Host.Close()
			}
			n.Close()
			n = nil
		}
	}()
	n.closers = append(n.closers, st.Close)
	n.imports = &importer{st: st}
	releaseReplayGarbage(st)
	n.metrics = newMetrics(n)
	registerHealthMetrics(n)
	if h := st.Health(); h.Skipped > 0 {
		n.log.Warn("stored records no longer verify and were skipped at open", "skipped", h.Skipped)
	}
	if err := n.loadForeign(); err != nil {
		return n, err
	}
	n.submitLimits, n.verifyLimits = newClientLimits(cfg.SubmitLimit), newClientLimits(cfg.VerifyLimit)
	if n.opToken, err = loadOperatorToken(cfg.DataDir); err != nil {
		return n, err
	}

	h := cfg.Host
	if h == nil {
		if h, err = newHost(cfg); err != nil {
			return n, err
		}
	}
	n.host = h
	n.closers = append(n.closers, h.Close)

	// The connectivity keeper exists before gossip starts: gossip's tracer
	// nudges peers through it from its own goroutine (DropRPC).
	n.conn = newConnectivity(n, cfg.TargetPeers)
	if err := n.startGossip(); err != nil {
		return n, err
	}
	h.SetStreamHandler(SyncProtocol, n.handleSync)
	h.Network().Notify(n.peerEvents())
	h.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		// Both sides learn what the other holds as soon as they meet.
		n.goSync(c.RemotePeer())
	}})
	if err := n.startDiscovery(ctx); err != nil {
		return n, err
	}
	n.conn.start(cfg.Bootstrap, n.rememberedPeers())
	if cfg.SyncInterval > 0 {
		n.wg.Add(1)
		go n.syncLoop()
	}
	n.wg.Add(1)
	go n.rememberLoop()
	return n, nil
}

// bigStoreEntries is the size of store above which New returns the memory
// its replay used to the OS at once (releaseReplayGarbage).
const bigStoreEntries = 10_000

// releaseReplayGarbage collects what opening a large store left behind
// (each record decoded and copied out of the database) and returns it to the
// OS: otherwise the heap stays at twice its live size until the next
// collections, and a node holding 200 anchors × 1,000 keys sits at about
// 450 MB instead of about 300 MB. One collection, once, at start.
func releaseReplayGarbage(st *trustlist.Store) {
	n := 0
	for _, a := range st.Set().Anchors() {
		n += a.Entries
	}
	if n >= bigStoreEntries {
		debug.FreeOSMemory()
	}
}

// replayGCPercent is the collector's target while a store is replayed.
const replayGCPercent = 25

var replayGCState struct {
	sync.Mutex
	opening int // stores being opened (the simulation opens many at once)
	saved   int // the GC percent to restore when the last is open
}

// replayGC makes the collector run more often while stores are replayed at
// open, until the returned function is called. The replay builds the heap
// the node keeps (200 anchors × 1,000 keys: ~180 MB) and decodes every list
// on the way; at the default target the heap grows to twice what is live
// before each collection, so the process peaked at ~1.7 times its size once
// up. A percent set lower than this (or GOGC=off) is left alone.
func replayGC() (done func()) {
	replayGCState.Lock()
	defer replayGCState.Unlock()
	if replayGCState.opening == 0 {
		replayGCState.saved = debug.SetGCPercent(replayGCPercent)
		if s := replayGCState.saved; s < replayGCPercent { // lower, or off (-1)
			debug.SetGCPercent(s)
		}
	}
	replayGCState.opening++
	return func() {
		replayGCState.Lock()
		defer replayGCState.Unlock()
		if replayGCState.opening--; replayGCState.opening == 0 {
			debug.SetGCPercent(replayGCState.saved)
		}
	}
}

// newHost creates the node's own libp2p host: its identity key from
// DATA/node.key, TCP and QUIC on cfg.Listen, the connection and resource
// managers of spec/network.md §1.
func newHost(cfg Config) (host.Host, error) {
	key, err := loadIdentity(filepath.Join(cfg.DataDir, identityFile))
	if err != nil {
		return nil, err
	}
	cm, err := connmgr.NewConnManager(64, 192, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("p2p: connection manager: %w", err)
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(rcmgr.DefaultLimits.AutoScale()))
	if err != nil {
		return nil, fmt.Errorf("p2p: resource manager: %w", err)
	}
	h, err := libp2p.New(libp2p.Identity(key), libp2p.ListenAddrStrings(cfg.Listen...), transports(),
		libp2p.ConnectionManager(cm), libp2p.ResourceManager(rm), libp2p.UserAgent("accord/1"))
	if err != nil {
		rm.Close()
		return nil, listenError(err)
	}
	return h, nil
}

// ID returns the node's peer ID.
func (n *Node) ID() peer.ID { return n.host.ID() }

// Host returns the libp2p host.
func (n *Node) Host() host.Host { return n.host }

// Store returns the node's trust store.
func (n *Node) Store() *trustlist.Store { return n.store }

// Set returns the node's trusted state.
func (n *Node) Set() *trustlist.Set { return n.store.Set() }

// Addrs returns the node's full multiaddrs (with /p2p/ID), for --bootstrap.
func (n *Node) Addrs() []string {
	info := peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}
	full, err := peer.AddrInfoToP2pAddrs(&info)
	if err != nil {
		return nil
	}
	out := make([]string, len(full))
	for i, a := range full {
		out[i] = a.String()
	}
	sort.Strings(out)
	return out
}

// Connect dials a peer given as a full multiaddr.
func (n *Node) Connect(ctx context.Context, addr string) error {
	info, err := peer.AddrInfoFromString(addr)
	if err != nil {
		return fmt.Errorf("p2p: peer address %q: %w", addr, err)
	}
	if err := n.host.Connect(ctx, *info); err != nil {
		return fmt.Errorf("p2p: connect %s: %w", info.ID, err)
	}
	return nil
}

// Close stops discovery, sync and gossip, remembers the connected peers and
// closes the host and the store. Everything accepted is already on disk.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	if n.host != nil {
		n.rememberPeers()
	}
	n.cancel()
	if n.conn != nil && n.conn.started {
		// Its dials must be over before the host closes: a swarm that
		// closes under a dial in progress can panic.
		<-n.conn.done
	}
	for _, s := range n.subs {
		s.Cancel()
	}
	var errs []error
	// Close in reverse order of opening: discovery, host, then the store.
	for i := len(n.closers) - 1; i >= 0; i-- {
		if i == 0 {
			n.wg.Wait() // no goroutine may touch the store once it closes
		}
		if err := n.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func loadIdentity(path string) (crypto.PrivKey, error) {
	if b, err := os.ReadFile(path); err == nil {
		k, err := crypto.UnmarshalPrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("p2p: identity key %s: %w", path, err)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("p2p: identity key: %w", err)
	}
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		return nil, fmt.Errorf("p2p: generate identity key: %w", err)
	}
	b, err := crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("p2p: encode identity key: %w", err)
	}
	if err := atomicfile.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("p2p: write identity key: %w", err)
	}
	return k, nil
}

// rememberPeers writes the addresses of connected peers to peers.json so a
// restarted node can find the network again without --bootstrap.
func (n *Node) rememberPeers() {
	var out []string
	if n.conn != nil {
		out = n.conn.knownAddrs(maxRememberedPeers)
	}
	for _, p := range n.host.Network().Peers() {
		if n.conn != nil {
			break
		}
		addrs := n.host.Peerstore().Addrs(p)
		if len(addrs) == 0 {
			continue
		}
		full, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: p, Addrs: addrs})
		if err != nil {
			continue
		}
		for _, a := range full {
			out = append(out, a.String())
		}
		if len(out) >= maxRememberedPeers {
			break
		}
	}
	if len(out) == 0 {
		return
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	path := filepath.Join(n.cfg.DataDir, peersFile)
	_ = atomicfile.WriteFileNoSync(path, b, 0o600) // best effort: a restart without it needs --bootstrap
}

func (n *Node) rememberedPeers() []string {
	b, err := os.ReadFile(filepath.Join(n.cfg.DataDir, peersFile))
	if err != nil {
		return nil
	}
	var out []string
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

func (n *Node) rememberLoop() {
	defer n.wg.Done()
	// Soon after start (so a node killed early still remembers its peers),
	// then every minute.
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			n.rememberPeers()
			t.Reset(time.Minute)
		}
	}
}

// dialAll connects to the given full multiaddrs (grouped by peer) in parallel.
func (n *Node) dialAll(ctx context.Context, addrs []string) int {
	byPeer := map[peer.ID]*peer.AddrInfo{}
	for _, s := range addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			n.log.Warn("bad peer address", "addr", s, "err", err)
			continue
		}
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil || info.ID == n.host.ID() || len(info.Addrs) == 0 || len(info.Addrs[0].Bytes()) == 0 {
			continue // a bare /p2p/ID names no transport to dial
		}
		if have := byPeer[info.ID]; have != nil {
			have.Addrs = append(have.Addrs, info.Addrs...)
		} else {
			byPeer[info.ID] = info
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for _, info := range byPeer {
		wg.Add(1)
		go func(info peer.AddrInfo) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := n.host.Connect(cctx, info); err != nil {
				n.log.Warn("peer unreachable at start "+shortID(info.ID), "peer", info.ID.String(), "err", err)
				return
			}
			mu.Lock()
			ok++
			mu.Unlock()
		}(*info)
	}
	wg.Wait()
	return ok
}

func (n *Node) randomPeers(k int) []peer.ID {
	ps := n.host.Network().Peers()
	rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	if len(ps) > k {
		ps = ps[:k]
	}
	return ps
}
