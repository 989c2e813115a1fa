package p2p

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/accord-network/accord/trustlist"
)

// The node's operational events, logged at INFO in one structured log
// (spec/network.md §7.2): each message reads as a sentence and carries the
// same facts as attributes for machines.

// logAccepted logs an object that changed what the node holds. source is
// "gossip", "sync" or "submit"; from is the peer it came from (empty for submit).
func (n *Node) logAccepted(d *trustlist.Decision, source string, from peer.ID) {
	what := fmt.Sprintf("%s %s", d.Country, d.Kind)
	switch d.Kind {
	case trustlist.KindList:
		what = fmt.Sprintf("%s list seq %d", d.Country, d.Number)
	case trustlist.KindDescriptor:
		what = fmt.Sprintf("%s descriptor v%d", d.Country, d.Number)
	case trustlist.KindEndorsement:
		what = fmt.Sprintf("endorsement by %s v%d", d.Country, d.Number)
	case trustlist.KindEvidence:
		what = fmt.Sprintf("equivocation evidence against %s", d.Country)
	}
	attrs := []any{"kind", string(d.Kind), "country", d.Country, "number", d.Number, "source", source}
	msg := fmt.Sprintf("accepted %s from %s", what, source)
	if from != "" {
		attrs = append(attrs, "peer", from.String())
		msg += " (peer " + shortID(from) + ")"
	}
	if d.Outcome == trustlist.History {
		msg = "stored older " + msg[len("accepted "):]
	}
	n.log.Info(msg, attrs...)
	if d.Admitted != nil {
		n.log.Info(fmt.Sprintf("admitted %s: %s", d.Admitted.Country, d.Detail), "country", d.Admitted.Country)
	}
}

// logCaughtUp logs a sync round that moved an anchor's head.
func (n *Node) logCaughtUp(country string, from, to uint64, p peer.ID) {
	n.log.Info(fmt.Sprintf("caught up %s %d→%d by sync (peer %s)", country, from, to, shortID(p)),
		"country", country, "from_seq", from, "to_seq", to, "source", "sync", "peer", p.String())
}

// peerEvents logs peers found and lost.
func (n *Node) peerEvents() *network.NotifyBundle {
	return &network.NotifyBundle{
		ConnectedF: func(net network.Network, c network.Conn) {
			if len(net.ConnsToPeer(c.RemotePeer())) == 1 {
				n.log.Info("peer connected "+shortID(c.RemotePeer()), "peer", c.RemotePeer().String(),
					"addr", c.RemoteMultiaddr().String(), "peers", len(net.Peers()))
			}
		},
		DisconnectedF: func(net network.Network, c network.Conn) {
			if net.Connectedness(c.RemotePeer()) != network.Connected {
				n.log.Info("peer disconnected "+shortID(c.RemotePeer()), "peer", c.RemotePeer().String(),
					"peers", len(net.Peers()))
			}
		},
	}
}

// shortID abbreviates a peer ID for messages (attributes carry it whole).
func shortID(p peer.ID) string {
	s := p.String()
	if len(s) > 12 {
		return s[:6] + "…" + s[len(s)-6:]
	}
	return s
}
