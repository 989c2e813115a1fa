package p2p

import (
	"math"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Penalties for peers that serve invalid objects by sync (spec/network.md
// §4.1). GossipSub scores what arrives by gossip; this scores what arrives
// by sync, and feeds GossipSub's application-specific score so that a peer
// caught on either path loses both.
const (
	syncPenalty        = -100             // one round that served an invalid object
	penaltyHalfLife    = 10 * time.Minute // the penalty halves every 10 minutes
	banBelow           = -50              // peers below are disconnected and not synced with
	appSpecificWeight  = 4                // one sync offence: −400, the graylist threshold
	maxPenalisedPeers  = 4096
	penaltyForgetBelow = -1
)

type penalty struct {
	score float64
	at    time.Time
}

// penaltyBook holds the decaying penalty of each peer.
type penaltyBook struct {
	mu sync.Mutex
	m  map[peer.ID]penalty
}

func (b *penaltyBook) add(p peer.ID, v float64, now time.Time) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[peer.ID]penalty{}
	}
	s := decayed(b.m[p], now) + v
	if len(b.m) >= maxPenalisedPeers {
		for q, e := range b.m {
			if decayed(e, now) > penaltyForgetBelow {
				delete(b.m, q)
			}
		}
	}
	b.m[p] = penalty{score: s, at: now}
	return s
}

func (b *penaltyBook) score(p peer.ID) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return decayed(b.m[p], time.Now())
}

func (b *penaltyBook) banned(p peer.ID) bool { return b.score(p) < banBelow }

func decayed(e penalty, now time.Time) float64 {
	if e.score == 0 {
		return 0
	}
	return e.score * math.Pow(0.5, now.Sub(e.at).Seconds()/penaltyHalfLife.Seconds())
}

// penalize scores p down for serving an invalid object and disconnects it.
func (n *Node) penalize(p peer.ID, op, reason string) {
	s := n.penalties.add(p, syncPenalty, time.Now())
	n.metrics.syncPenalties.WithLabelValues(op).Inc()
	n.log.Warn("peer served an invalid object by sync; penalised and disconnected", "peer", p.String(), "op", op,
		"reason", reason, "penalty", s)
	n.disconnect(p)
}

// disconnect closes every connection to p (in the background: it may be
// called from a connection notification).
func (n *Node) disconnect(p peer.ID) {
	go func() { _ = n.host.Network().ClosePeer(p) }()
}

// appScore is GossipSub's application-specific score: the sync penalty.
func (n *Node) appScore(p peer.ID) float64 { return n.penalties.score(p) }
