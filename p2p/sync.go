package p2p

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// SyncProtocol is the libp2p stream protocol by which peers exchange heads
// and fetch what they miss (spec/network.md §Sync).
const SyncProtocol = "/accord/sync/1.0.0"

// Sync limits, sized to real use: a network of a few hundred anchors, each
// with a descriptor rotation now and then and a list or two a day.
const (
	maxSyncRequest   = 4 << 10  // one request frame
	maxHeadsResponse = 1 << 20  // the heads frame (~100 bytes per anchor)
	maxHeadsAnchors  = 1024     // anchors named in one heads frame
	maxBatchObjects  = 64       // lists or evidence in one response
	maxBatchBytes    = 64 << 20 // bytes in one response
	maxEndorsements  = 1024     // endorsements in one response
	maxDescriptors   = 64       // descriptor versions in one response
)

// Sync operations.
const (
	opHeads        = "heads"        // → syncHeads
	opDescriptors  = "descriptors"  // country → every held descriptor version, oldest first
	opLists        = "lists"        // country, from, to → held lists in [from, to], newest first
	opEndorsements = "endorsements" // → every held endorsement
	opEvidence     = "evidence"     // country → evidence against it
)

type syncRequest struct {
	Op      string `cbor:"1,keyasint"`
	Country string `cbor:"2,keyasint,omitempty"`
	From    uint64 `cbor:"3,keyasint,omitempty"`
	To      uint64 `cbor:"4,keyasint,omitempty"`
}

type headInfo struct {
	Country     string `cbor:"1,keyasint"`
	Version     uint64 `cbor:"2,keyasint"` // current descriptor version
	Seq         uint64 `cbor:"3,keyasint"` // head list seq (0: none)
	Hash        []byte `cbor:"4,keyasint"` // head list hash
	Low         uint64 `cbor:"5,keyasint"` // lowest list seq held
	Lists       int    `cbor:"6,keyasint"` // lists held
	Evidence    int    `cbor:"7,keyasint"` // evidence held against this anchor
	Descriptors int    `cbor:"8,keyasint"` // descriptor versions held

	// Publications held (publications.go): digest and count.
	PubDigest []byte `cbor:"9,keyasint,omitempty"`
	PubCount  int    `cbor:"10,keyasint,omitempty"`
}

type syncHeads struct {
	Anchors      []headInfo    `cbor:"1,keyasint"`
	Endorsements int           `cbor:"2,keyasint"`
	Foreign      []foreignHead `cbor:"3,keyasint,omitempty"` // foreign.go
}

var syncEnc, _ = cbor.CoreDetEncOptions().EncMode()
var syncDec, _ = cbor.DecOptions{MaxArrayElements: 100_000, MaxMapPairs: 1000, MaxNestedLevels: 8}.DecMode()

func writeFrame(w *bufio.Writer, b []byte) error {
	var l [binary.MaxVarintLen64]byte
	if _, err := w.Write(l[:binary.PutUvarint(l[:], uint64(len(b)))]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

// readFrame reads one length-prefixed frame of at most max bytes. A zero
// length frame ends a response and is returned as nil.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > uint64(max) {
		return nil, &frameSizeError{n, max}
	}
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// frameSizeError is a frame longer than the receiver's limit.
type frameSizeError struct {
	size uint64
	max  int
}

func (e *frameSizeError) Error() string {
	return fmt.Sprintf("frame of %d bytes exceeds the %d byte limit", e.size, e.max)
}

// heads summarises what this node holds (at most maxHeadsAnchors anchors).
func (n *Node) heads() *syncHeads {
	set := n.Set()
	h := &syncHeads{Endorsements: len(set.Endorsements()), Foreign: n.foreignHeads()}
	for _, a := range set.Anchors() {
		hi := headInfo{Country: a.Country, Version: a.Version, Seq: a.Seq, Hash: a.ListHash, Lists: a.History,
			Evidence: len(set.Evidence(a.Country)), Descriptors: len(set.Descriptors(a.Country))}
		if seqs := set.ListSeqs(a.Country); len(seqs) > 0 {
			hi.Low = seqs[0]
		}
		hi.PubDigest, hi.PubCount = pubDigest(set, a.Country)
		h.Anchors = append(h.Anchors, hi)
		if len(h.Anchors) == maxHeadsAnchors {
			break
		}
	}
	return h
}

// handleSync serves one request per stream. Penalised peers are not served.
func (n *Node) handleSync(s network.Stream) {
	defer s.Close()
	if n.penalties.banned(s.Conn().RemotePeer()) {
		_ = s.Reset()
		return
	}
	_ = s.SetDeadline(time.Now().Add(n.cfg.SyncTimeout))
	r := bufio.NewReader(s)
	w := bufio.NewWriter(s)
	b, err := readFrame(r, maxSyncRequest)
	if err != nil || b == nil {
		_ = s.Reset()
		return
	}
	var req syncRequest
	if err := syncDec.Unmarshal(b, &req); err != nil {
		_ = s.Reset()
		return
	}
	set := n.Set()
	var objs [][]byte
	switch req.Op {
	case opHeads:
		out, err := syncEnc.Marshal(n.heads())
		if err != nil {
			_ = s.Reset()
			return
		}
		objs = [][]byte{out}
	case opDescriptors:
		ds := set.Descriptors(req.Country)
		for _, d := range ds[max(0, len(ds)-maxDescriptors):] {
			objs = append(objs, d.Raw())
		}
	case opLists:
		// Raw bytes only: Lists would build every history list's entries.
		seqs := set.ListSeqs(req.Country)
		size := 0
		for i := len(seqs) - 1; i >= 0 && len(objs) < maxBatchObjects; i-- {
			if seq := seqs[i]; seq >= req.From && seq <= req.To {
				raw := set.ListRaw(req.Country, seq)
				if raw == nil {
					continue // dropped since ListSeqs (the anchor was replaced)
				}
				if size += len(raw); size > maxBatchBytes && len(objs) > 0 {
					break
				}
				objs = append(objs, raw)
			}
		}
	case opEndorsements:
		for _, e := range set.Endorsements() {
			if len(objs) == maxEndorsements {
				break
			}
			objs = append(objs, e.Raw())
		}
	case opPublications:
		objs = servePublications(set, req.Country, req.From)
	case opForeign:
		objs = n.serveForeign(req.Country)
	case opEvidence:
		for _, ev := range set.Evidence(req.Country) {
			if len(objs) == maxBatchObjects {
				break
			}
			objs = append(objs, ev.Raw())
		}
	default:
		_ = s.Reset()
		return
	}
	for _, o := range objs {
		if writeFrame(w, o) != nil {
			_ = s.Reset()
			return
		}
	}
	if writeFrame(w, nil) != nil || w.Flush() != nil {
		_ = s.Reset()
		return
	}
	n.metrics.syncServed.Inc()
}

// goSync starts a sync round with p in the background. If one is running,
// another follows it: what triggered this call (a reconnect, a gap, a
// dropped message) may postdate the running round's heads.
func (n *Node) goSync(p peer.ID) {
	if n.penalties.banned(p) {
		n.disconnect(p)
		return
	}
	n.mu.Lock()
	if n.closed || p == n.host.ID() {
		n.mu.Unlock()
		return
	}
	if n.syncing[p] {
		n.syncAgain[p] = true
		n.mu.Unlock()
		return
	}
	n.syncing[p] = true
	n.wg.Add(1)
	n.mu.Unlock()
	go func() {
		defer n.wg.Done()
		for {
			if _, err := n.SyncWith(n.ctx, p); err != nil && n.ctx.Err() == nil {
				n.log.Debug("sync failed", "peer", p, "err", err)
			}
			n.mu.Lock()
			if !n.syncAgain[p] || n.closed {
				delete(n.syncing, p)
				delete(n.syncAgain, p)
				n.mu.Unlock()
				return
			}
			delete(n.syncAgain, p)
			n.mu.Unlock()
		}
	}()
}

func (n *Node) goSyncAll() {
	for _, p := range n.host.Network().Peers() {
		n.goSync(p)
	}
}

func (n *Node) syncLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			for _, p := range n.randomPeers(3) {
				n.goSync(p)
			}
		}
	}
}

// missesLists reports whether the remote head h has lists this node lacks.
func (n *Node) missesLists(h headInfo) bool {
	head := n.Set().Head(h.Country)
	if head == nil || head.Seq < h.Seq {
		return true
	}
	seqs := n.Set().ListSeqs(h.Country)
	return len(seqs) > 0 && h.Low > 0 && seqs[0] > h.Low
}

func (n *Node) hasPeersBesides(p peer.ID) bool {
	for _, q := range n.host.Network().Peers() {
		if q != p {
			return true
		}
	}
	return false
}

func seqOf(raw []byte) uint64 {
	seq, _, _ := peekList(raw)
	return seq
}

// peekList reads a list's country, seq and issued_at without verifying or
// fully parsing it (ordering a sync batch, spotting a duplicate); Import
// checks everything afterwards.
func peekList(raw []byte) (seq uint64, issuedAt time.Time, ok bool) {
	p, ok := peekListFields(raw)
	return p.Seq, time.Unix(p.IssuedAt, 0).UTC(), ok
}

type listFields struct {
	Type     string `cbor:"0,keyasint"` // the object kind (every signed payload has it)
	Country  string `cbor:"1,keyasint"`
	Seq      uint64 `cbor:"3,keyasint"`
	IssuedAt int64  `cbor:"4,keyasint"`
}

func peekListFields(raw []byte) (listFields, bool) {
	var msg struct {
		_           struct{} `cbor:",toarray"`
		Protected   cbor.RawMessage
		Unprotected cbor.RawMessage
		Payload     []byte
		Signatures  cbor.RawMessage
	}
	var p listFields
	if syncDec.Unmarshal(raw, &msg) != nil {
		return p, false
	}
	if syncDec.Unmarshal(msg.Payload, &p) != nil {
		return p, false
	}
	return p, true
}

func sortBySeq(objs [][]byte, desc bool) {
	seqs := make(map[*byte]uint64, len(objs))
	for _, o := range objs {
		if len(o) > 0 {
			seqs[&o[0]] = seqOf(o)
		}
	}
	key := func(o []byte) uint64 {
		if len(o) == 0 {
			return 0
		}
		return seqs[&o[0]]
	}
	sort.SliceStable(objs, func(i, j int) bool {
		if desc {
			return key(objs[i]) > key(objs[j])
		}
		return key(objs[i]) < key(objs[j])
	})
}

func newFrameWriter(w io.Writer) *bufio.Writer { return bufio.NewWriter(w) }
