package p2p

import (
	"context"
	"fmt"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	dutil "github.com/libp2p/go-libp2p/p2p/discovery/util"
)

// Discovery names.
const (
	MDNSService   = "accord-node"       // mDNS service name
	DHTPrefix     = "/accord"           // Kademlia protocol prefix: a DHT of Accord nodes only
	DHTRendezvous = "accord/network/v1" // rendezvous key advertised in the DHT
)

type mdnsNotifee struct{ n *Node }

func (m mdnsNotifee) HandlePeerFound(info peer.AddrInfo) {
	if info.ID == m.n.host.ID() {
		return
	}
	m.n.wg.Add(1)
	go func() {
		defer m.n.wg.Done()
		ctx, cancel := context.WithTimeout(m.n.ctx, 10*time.Second)
		defer cancel()
		if err := m.n.host.Connect(ctx, info); err != nil {
			m.n.log.Debug("mdns peer dial failed", "peer", info.ID, "err", err)
		}
	}()
}

func (n *Node) startDiscovery(ctx context.Context) error {
	// Remembered peers first, then the configured bootstrap peers.
	addrs := append(n.rememberedPeers(), n.cfg.Bootstrap...)
	if len(addrs) > 0 {
		n.dialAll(ctx, addrs)
	}
	if n.cfg.MDNS {
		svc := mdns.NewMdnsService(n.host, MDNSService, mdnsNotifee{n})
		if err := svc.Start(); err != nil {
			return fmt.Errorf("p2p: mdns: %w", err)
		}
		n.closers = append(n.closers, svc.Close)
	}
	if n.cfg.DHT {
		var boot []peer.AddrInfo
		for _, p := range n.host.Network().Peers() {
			boot = append(boot, peer.AddrInfo{ID: p, Addrs: n.host.Peerstore().Addrs(p)})
		}
		kad, err := dht.New(n.ctx, n.host, dht.Mode(dht.ModeServer), dht.ProtocolPrefix(DHTPrefix),
			dht.BootstrapPeers(boot...))
		if err != nil {
			return fmt.Errorf("p2p: dht: %w", err)
		}
		n.dht = kad
		n.closers = append(n.closers, kad.Close)
		if err := kad.Bootstrap(n.ctx); err != nil {
			return fmt.Errorf("p2p: dht bootstrap: %w", err)
		}
		n.wg.Add(1)
		go n.dhtLoop(drouting.NewRoutingDiscovery(kad))
	}
	return nil
}

// dhtLoop advertises this node under the rendezvous key and connects to the
// Accord nodes it finds there, every Config.DHTInterval.
func (n *Node) dhtLoop(rd *drouting.RoutingDiscovery) {
	defer n.wg.Done()
	dutil.Advertise(n.ctx, rd, DHTRendezvous)
	t := time.NewTicker(n.cfg.DHTInterval)
	defer t.Stop()
	for {
		n.findDHTPeers(rd)
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Node) findDHTPeers(rd *drouting.RoutingDiscovery) {
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	ch, err := rd.FindPeers(ctx, DHTRendezvous)
	if err != nil {
		return
	}
	for info := range ch {
		if info.ID == n.host.ID() || len(info.Addrs) == 0 || len(n.host.Network().ConnsToPeer(info.ID)) > 0 {
			continue
		}
		if err := n.host.Connect(ctx, info); err != nil {
			n.log.Debug("dht peer dial failed", "peer", info.ID, "err", err)
		}
	}
}
