package p2p

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/accord-network/accord/trustlist"
)

// SyncProtocol is the libp2p stream protocol by which peers exchange heads
// and fetch what they miss (spec/network.md §Sync).
const SyncProtocol = "/accord/sync/1.0.0"

// Sync limits.
const (
	maxSyncRequest   = 4 << 10  // one request frame
	maxHeadsResponse = 4 << 20  // the heads frame
	maxBatchObjects  = 64       // objects in one response
	maxBatchBytes    = 64 << 20 // bytes in one response
	maxEndorsements  = 4096     // endorsements in one response
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
}

type syncHeads struct {
	Anchors      []headInfo `cbor:"1,keyasint"`
	Endorsements int        `cbor:"2,keyasint"`
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
		return nil, fmt.Errorf("frame of %d bytes exceeds the %d byte limit", n, max)
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

// heads summarises what this node holds.
func (n *Node) heads() *syncHeads {
	set := n.Set()
	h := &syncHeads{Endorsements: len(set.Endorsements())}
	for _, a := range set.Anchors() {
		hi := headInfo{Country: a.Country, Version: a.Version, Seq: a.Seq, Hash: a.ListHash, Lists: a.History,
			Evidence: len(set.Evidence(a.Country)), Descriptors: len(set.Descriptors(a.Country))}
		if ls := set.Lists(a.Country); len(ls) > 0 {
			hi.Low = ls[0].Seq
		}
		h.Anchors = append(h.Anchors, hi)
	}
	return h
}

// handleSync serves one request per stream.
func (n *Node) handleSync(s network.Stream) {
	defer s.Close()
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
		for _, d := range set.Descriptors(req.Country) {
			objs = append(objs, d.Raw())
		}
	case opLists:
		ls := set.Lists(req.Country)
		size := 0
		for i := len(ls) - 1; i >= 0 && len(objs) < maxBatchObjects; i-- {
			if l := ls[i]; l.Seq >= req.From && l.Seq <= req.To {
				if size += len(l.Raw()); size > maxBatchBytes && len(objs) > 0 {
					break
				}
				objs = append(objs, l.Raw())
			}
		}
	case opEndorsements:
		for _, e := range set.Endorsements() {
			if len(objs) == maxEndorsements {
				break
			}
			objs = append(objs, e.Raw())
		}
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

// request sends req to p and returns the objects of the response.
func (n *Node) request(ctx context.Context, p peer.ID, req syncRequest, maxFrame int) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.SyncTimeout)
	defer cancel()
	s, err := n.host.NewStream(network.WithAllowLimitedConn(ctx, "sync"), p, SyncProtocol)
	if err != nil {
		return nil, fmt.Errorf("open sync stream: %w", err)
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	b, err := syncEnc.Marshal(req)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriter(s)
	if err := writeFrame(w, b); err != nil {
		_ = s.Reset()
		return nil, fmt.Errorf("send %s request: %w", req.Op, err)
	}
	if err := w.Flush(); err != nil {
		_ = s.Reset()
		return nil, fmt.Errorf("send %s request: %w", req.Op, err)
	}
	_ = s.CloseWrite()
	r := bufio.NewReader(s)
	var out [][]byte
	total := 0
	for {
		f, err := readFrame(r, maxFrame)
		if err != nil {
			_ = s.Reset()
			return nil, fmt.Errorf("%s response: %w", req.Op, err)
		}
		if f == nil {
			return out, nil
		}
		total += len(f)
		if len(out) >= maxEndorsements || total > maxBatchBytes+maxFrame {
			_ = s.Reset()
			return nil, fmt.Errorf("%s response exceeds the batch limits", req.Op)
		}
		out = append(out, f)
	}
}

// goSync starts a sync round with p in the background. If one is running,
// another follows it: what triggered this call (a reconnect, a gap, a
// dropped message) may postdate the running round's heads.
func (n *Node) goSync(p peer.ID) {
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

// SyncStats counts what one sync round imported.
type SyncStats struct {
	Requests int // requests sent
	Imported int // objects that were new to this node
	Rejected int // objects refused by validation
}

// SyncWith runs one sync round with p: it fetches p's heads and then
// everything p holds that this node lacks and its policy admits.
func (n *Node) SyncWith(ctx context.Context, p peer.ID) (st SyncStats, err error) {
	defer func() {
		res := "ok"
		if err != nil {
			res = "error"
		}
		n.metrics.syncRounds.WithLabelValues(res).Inc()
	}()
	objs, err := n.request(ctx, p, syncRequest{Op: opHeads}, maxHeadsResponse)
	st.Requests++
	if err != nil {
		return st, err
	}
	if len(objs) != 1 {
		return st, errors.New("heads response must be one frame")
	}
	var remote syncHeads
	if err := syncDec.Unmarshal(objs[0], &remote); err != nil {
		return st, fmt.Errorf("heads response: %w", err)
	}
	if len(remote.Anchors) > 10_000 {
		return st, errors.New("heads response names too many anchors")
	}
	set := n.Set()
	fetch := func(req syncRequest) ([][]byte, error) {
		st.Requests++
		return n.request(ctx, p, req, n.cfg.MaxObjectSize)
	}
	importAll := func(objs [][]byte, at func([]byte) time.Time) {
		for _, o := range objs {
			d, err := n.store.Import(o, at(o))
			if err != nil {
				n.storeOwed.Store(true)
				n.log.Error("store import failed", "err", err)
				continue
			}
			if d.Evidence != nil {
				n.publishEvidence(d.Evidence)
			}
			switch {
			case d.Outcome == trustlist.Accepted:
				// New current state learned by sync is gossiped on, so that
				// a healed partition converges without waiting for every
				// node's next sync round.
				st.Imported++
				if n.hasPeersBesides(p) {
					n.republish(d.Kind, o)
				}
			case d.Changed():
				st.Imported++
			case d.Outcome == trustlist.Rejected:
				st.Rejected++
			}
			n.metrics.message("sync", map[bool]string{true: "accept", false: "ignore"}[d.Changed()], string(d.Outcome)+string(d.Reason))
		}
	}
	now := func([]byte) time.Time { return n.cfg.Now() }

	// 1. Descriptors: versions we lack of anchors we hold, and anchors we do
	// not hold (they wait as pending until endorsements admit them).
	for _, h := range remote.Anchors {
		local := set.Descriptor(h.Country)
		if local != nil && local.Version >= h.Version {
			continue
		}
		objs, err := fetch(syncRequest{Op: opDescriptors, Country: h.Country})
		if err != nil {
			return st, err
		}
		importAll(objs, now)
	}
	// 2. Endorsements, which may admit pending anchors.
	if remote.Endorsements > 0 && remote.Endorsements != len(set.Endorsements()) {
		objs, err := fetch(syncRequest{Op: opEndorsements})
		if err != nil {
			return st, err
		}
		importAll(objs, now)
	}
	// 3. Lists: newer ones in order, then older history. A few anchors at a
	// time, so that fetching one overlaps verifying another.
	work := make(chan headInfo)
	errc := make(chan error, syncWorkers)
	var wg sync.WaitGroup
	var mu sync.Mutex // guards st
	for w := 0; w < syncWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range work {
				err := n.syncLists(ctx, h, func(req syncRequest) ([][]byte, error) {
					mu.Lock()
					st.Requests++
					mu.Unlock()
					return n.request(ctx, p, req, n.cfg.MaxObjectSize)
				}, func(objs [][]byte, at func([]byte) time.Time) {
					mu.Lock()
					defer mu.Unlock()
					importAll(objs, at)
				})
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var firstErr error
feed:
	for _, h := range remote.Anchors {
		if set.Descriptor(h.Country) == nil || h.Seq == 0 || !n.missesLists(h) {
			continue
		}
		select {
		case work <- h:
		case firstErr = <-errc:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		select {
		case firstErr = <-errc:
		default:
		}
	}
	if firstErr != nil {
		return st, firstErr
	}
	// 4. Evidence.
	for _, h := range remote.Anchors {
		if h.Evidence == 0 || set.Descriptor(h.Country) == nil || len(set.Evidence(h.Country)) >= h.Evidence {
			continue
		}
		objs, err := fetch(syncRequest{Op: opEvidence, Country: h.Country})
		if err != nil {
			return st, err
		}
		importAll(objs, now)
	}
	return st, nil
}

// syncWorkers is how many anchors one sync round fetches at a time.
const syncWorkers = 4

// missesLists reports whether the remote head h has lists this node lacks.
func (n *Node) missesLists(h headInfo) bool {
	head := n.Set().Head(h.Country)
	if head == nil || head.Seq < h.Seq {
		return true
	}
	ls := n.Set().Lists(h.Country)
	return len(ls) > 0 && h.Low > 0 && ls[0].Seq > h.Low
}

func (n *Node) hasPeersBesides(p peer.ID) bool {
	for _, q := range n.host.Network().Peers() {
		if q != p {
			return true
		}
	}
	return false
}

func (n *Node) syncLists(ctx context.Context, h headInfo, fetch func(syncRequest) ([][]byte, error), importAll func([][]byte, func([]byte) time.Time)) error {
	set := n.Set()
	issuedAt := func(o []byte) time.Time {
		if _, at, ok := peekList(o); ok {
			return at
		}
		return n.cfg.Now()
	}
	now := func([]byte) time.Time { return n.cfg.Now() }
	head := set.Head(h.Country)
	switch {
	case head == nil:
		// Take the remote head first (it must be fresh now), then backfill.
		objs, err := fetch(syncRequest{Op: opLists, Country: h.Country, From: h.Seq, To: h.Seq})
		if err != nil {
			return err
		}
		importAll(objs, now)
	case head.Seq < h.Seq:
		// Walk forward in batches. Lists before the remote head are checked
		// as of their own issue time (they were current then); the head
		// itself must be fresh now.
		for from := head.Seq + 1; from <= h.Seq; {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			to := min(from+maxBatchObjects-1, h.Seq)
			objs, err := fetch(syncRequest{Op: opLists, Country: h.Country, From: from, To: to})
			if err != nil {
				return err
			}
			if len(objs) == 0 {
				break
			}
			sortBySeq(objs, false)
			last := seqOf(objs[len(objs)-1])
			importAll(objs, func(o []byte) time.Time {
				if seqOf(o) == h.Seq {
					return n.cfg.Now()
				}
				return issuedAt(o)
			})
			if hd := set.Head(h.Country); hd == nil || hd.Seq < last {
				break // the chain did not link; stop rather than loop
			}
			from = last + 1
		}
	}
	// Backfill older history, newest first, so each links to the next.
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ls := set.Lists(h.Country)
		if len(ls) == 0 || h.Low == 0 || ls[0].Seq <= h.Low {
			return nil
		}
		low := ls[0].Seq
		objs, err := fetch(syncRequest{Op: opLists, Country: h.Country, From: h.Low, To: low - 1})
		if err != nil {
			return err
		}
		if len(objs) == 0 {
			return nil
		}
		sortBySeq(objs, true)
		importAll(objs, issuedAt)
		if ls := set.Lists(h.Country); ls[0].Seq >= low {
			return nil // nothing linked
		}
	}
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
