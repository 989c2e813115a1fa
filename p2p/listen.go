package p2p

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	libp2pwebrtc "github.com/libp2p/go-libp2p/p2p/transport/webrtc"
	ws "github.com/libp2p/go-libp2p/p2p/transport/websocket"
	webtransport "github.com/libp2p/go-libp2p/p2p/transport/webtransport"
	ma "github.com/multiformats/go-multiaddr"
)

// ErrListenAddrInUse is returned by New when a listen address is taken,
// by another node or any other program.
var ErrListenAddrInUse = errors.New("listen address already in use")

// ErrBadPeerAddr is returned for a peer address that is not a full
// multiaddr ending in /p2p/PEER-ID.
var ErrBadPeerAddr = errors.New("not a full peer multiaddr")

// CheckPeerAddr reports whether s is a full multiaddr of a peer (with
// /p2p/PEER-ID), as Config.Bootstrap requires.
func CheckPeerAddr(s string) error {
	a, err := ma.NewMultiaddr(s)
	if err != nil {
		return fmt.Errorf("%q: %w: %v", s, ErrBadPeerAddr, err)
	}
	if _, err := peer.AddrInfoFromP2pAddr(a); err != nil {
		return fmt.Errorf("%q: %w: it lacks /p2p/PEER-ID", s, ErrBadPeerAddr)
	}
	return nil
}

// transports are libp2p's default transports, except that TCP does not set
// SO_REUSEPORT: with it, a second node started on the same TCP port binds
// silently and the kernel splits incoming dials between the two. Without it,
// the second node fails at start (ErrListenAddrInUse). QUIC binds its UDP
// socket exclusively already.
func transports() libp2p.Option {
	return libp2p.ChainOptions(
		libp2p.Transport(tcp.NewTCPTransport, tcp.DisableReuseport()),
		libp2p.Transport(quic.NewTransport),
		libp2p.Transport(ws.New),
		libp2p.Transport(webtransport.New),
		libp2p.Transport(libp2pwebrtc.New),
	)
}

// listenError wraps a host start failure caused by a taken address.
func listenError(err error) error {
	if errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use") {
		return fmt.Errorf("p2p: %w (is another node running on the same listen address?): %v", ErrListenAddrInUse, err)
	}
	return fmt.Errorf("p2p: libp2p host: %w", err)
}
