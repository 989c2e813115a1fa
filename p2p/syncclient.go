package p2p

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/sync/errgroup"

	"github.com/accord-network/accord/trustlist"
)

// SyncBudget bounds what one sync round with one peer may cost this node
// (spec/network.md §4.1). A round that spends its budget ends early, without
// penalty; the next round goes on from where it stopped.
type SyncBudget struct {
	Bytes      int // bytes of objects received
	Objects    int // objects received
	Signatures int // signatures this node may verify (a rotation's count twice)
}

// DefaultSyncBudget allows a fresh node to catch up with a peer holding 200
// anchors × 1,000 certificates (87 MB, a few thousand signatures) in one round.
var DefaultSyncBudget = SyncBudget{Bytes: 256 << 20, Objects: 16384, Signatures: 32768}

// syncWorkers is how many anchors one sync round fetches at a time. Each
// waits for its lists' import, and imports waiting together are committed
// together (importer.go): this many is also the largest batch a catch-up
// hands the store.
const syncWorkers = 16

// fetchWait is how long a sync round waits for another round's download of
// an anchor's lists before it downloads them too (spec/network.md §4).
const fetchWait = 5 * time.Second

// fetchGate lets one sync round at a time download an anchor's lists: a
// node that meets several peers at once (a restart, a new list) would
// otherwise fetch the same missing lists from each of them. A round that
// finds the anchor busy waits for that download (at most fetchWait, so a
// slow or withholding peer delays it only that long), then fetches only
// what is still missing.
type fetchGate struct {
	mu   sync.Mutex
	busy map[string]chan struct{} // closed when the download ends
}

// acquire waits until no other round downloads key's lists (or fetchWait
// has passed) and returns the function that ends this round's download.
func (g *fetchGate) acquire(ctx context.Context, key string) (release func(), err error) {
	timeout := time.NewTimer(fetchWait)
	defer timeout.Stop()
	for {
		g.mu.Lock()
		if g.busy == nil {
			g.busy = map[string]chan struct{}{}
		}
		ch, busy := g.busy[key]
		if !busy {
			done := make(chan struct{})
			g.busy[key] = done
			g.mu.Unlock()
			return func() {
				g.mu.Lock()
				if g.busy[key] == done {
					delete(g.busy, key)
				}
				g.mu.Unlock()
				close(done)
			}, nil
		}
		g.mu.Unlock()
		select {
		case <-ch:
		case <-timeout.C:
			return func() {}, nil // the other download is slow: go ahead beside it
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// errBudget ends a round whose budget is spent.
var errBudget = errors.New("sync budget of this round spent")

// InvalidObjectError is returned by SyncWith when the peer served an object
// that no honest node holds: wrong kind or anchor for the request, a bad
// signature, a broken chain, a rollback. The peer is penalised and
// disconnected.
type InvalidObjectError struct {
	Op     string // the request that was answered
	Reason string // why the object is invalid
}

func (e *InvalidObjectError) Error() string {
	return fmt.Sprintf("peer served an invalid object for %s: %s", e.Op, e.Reason)
}

func invalid(op, format string, args ...any) error {
	return &InvalidObjectError{Op: op, Reason: fmt.Sprintf(format, args...)}
}

// SyncStats counts what one sync round imported.
type SyncStats struct {
	Requests int // requests sent
	Imported int // objects that were new to this node
	Rejected int // objects refused by validation
	Skipped  int // objects dropped by the cheap checks before any signature was verified
	Bytes    int // bytes of objects received
	Verified int // signatures of the objects imported: an upper bound of the verifications
}

// syncRound is one sync round with one peer. Its steps are methods named
// after what they fetch; SyncWith runs them in order.
type syncRound struct {
	n      *Node
	ctx    context.Context
	p      peer.ID
	remote syncHeads
	budget SyncBudget // what is left

	mu sync.Mutex // guards st and budget (list steps run concurrently)
	st SyncStats
}

// SyncWith runs one sync round with p: it fetches p's heads and then
// everything p holds that this node lacks and its policy admits, within the
// round's budget. A peer that serves an invalid object is penalised and
// disconnected (see InvalidObjectError).
func (n *Node) SyncWith(ctx context.Context, p peer.ID) (st SyncStats, err error) {
	if n.penalties.banned(p) {
		return st, fmt.Errorf("peer %s is penalised for serving invalid objects", p)
	}
	r := &syncRound{n: n, ctx: ctx, p: p, budget: n.cfg.SyncBudget}
	defer func() { st = r.stats(); n.endSyncRound(p, st, err) }()
	// The round's commits update the store's verified index once, when it
	// ends (a catch-up commits hundreds of lists in many batches).
	release := n.store.DeferIndex()
	defer func() {
		if ierr := release(); ierr != nil {
			n.log.Error("store index write failed", "err", ierr)
		}
	}()
	for _, step := range []func() error{
		r.fetchHeads,
		r.syncRotations,
		r.syncEndorsements,
		r.syncEndorsedDescriptors,
		r.syncLists,
		r.syncPublications,
		r.syncEvidence,
		r.syncForeign,
	} {
		if err := step(); err != nil {
			if errors.Is(err, errBudget) {
				n.log.Debug("sync round ended at its budget", "peer", p)
				return st, nil
			}
			return st, err
		}
	}
	return st, nil
}

// endSyncRound counts the round, and penalises the peer if it served junk.
func (n *Node) endSyncRound(p peer.ID, st SyncStats, err error) {
	res := "ok"
	var inv *InvalidObjectError
	switch {
	case errors.As(err, &inv):
		res = "invalid"
		n.penalize(p, inv.Op, inv.Reason)
	case err != nil:
		res = "error"
	}
	n.metrics.syncRounds.WithLabelValues(res).Inc()
	if err == nil && st.Imported > 0 {
		n.log.Debug("sync round", "peer", p, "imported", st.Imported, "requests", st.Requests)
	}
}

func (r *syncRound) stats() SyncStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// fetchHeads asks the peer what it holds.
func (r *syncRound) fetchHeads() error {
	var got []byte
	err := r.fetch(syncRequest{Op: opHeads}, maxHeadsResponse, func(f []byte) error {
		if got != nil {
			return invalid(opHeads, "more than one frame")
		}
		got = f
		return nil
	})
	if err != nil {
		return err
	}
	if got == nil {
		return invalid(opHeads, "no frame")
	}
	if err := syncDec.Unmarshal(got, &r.remote); err != nil {
		return invalid(opHeads, "%v", err)
	}
	if len(r.remote.Anchors) > maxHeadsAnchors {
		return invalid(opHeads, "%d anchors named (at most %d)", len(r.remote.Anchors), maxHeadsAnchors)
	}
	return nil
}

// syncRotations fetches newer descriptor versions of anchors this node
// admits. Versions it holds are dropped unverified.
func (r *syncRound) syncRotations() error {
	set := r.n.Set()
	for _, h := range r.remote.Anchors {
		local := set.Descriptor(h.Country)
		if local == nil || local.Version >= h.Version {
			continue
		}
		if err := r.fetchDescriptors(h.Country, local.Version); err != nil {
			return err
		}
	}
	return nil
}

// syncEndorsements fetches endorsements when the counts differ. Those whose
// endorser this node does not admit are dropped before any signature check.
func (r *syncRound) syncEndorsements() error {
	set := r.n.Set()
	if r.remote.Endorsements == 0 || r.remote.Endorsements == len(set.Endorsements()) {
		return nil
	}
	req := syncRequest{Op: opEndorsements}
	var objs [][]byte
	err := r.fetch(req, r.n.cfg.MaxObjectSize, func(o []byte) error {
		pk, ok := peekObject(o)
		if !ok || pk.Kind != trustlist.KindEndorsement {
			return invalid(req.Op, "not an endorsement")
		}
		if d := set.Descriptor(pk.Country); d == nil || pk.Number > d.Version {
			r.skip() // an endorser this node does not admit (yet): not junk, not wanted
			return nil
		}
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		return err
	}
	return r.importAll(req, objs, r.now)
}

// syncEndorsedDescriptors fetches descriptors of anchors this node does not
// admit yet, but only those that an endorsement it holds names and only when
// its policy admits anchors by endorsement: a stranger's self-made anchors
// are never fetched, so their signatures are never verified.
func (r *syncRound) syncEndorsedDescriptors() error {
	set := r.n.Set()
	if set.Policy().EndorsementThreshold <= 0 {
		return nil
	}
	endorsed := map[string]bool{}
	for _, e := range set.Endorsements() {
		endorsed[e.Subject] = true
	}
	for _, h := range r.remote.Anchors {
		if set.Descriptor(h.Country) != nil || !endorsed[h.Country] {
			continue
		}
		if err := r.fetchDescriptors(h.Country, 0); err != nil {
			return err
		}
	}
	return nil
}

// fetchDescriptors fetches country's descriptors and imports the versions
// above have.
func (r *syncRound) fetchDescriptors(country string, have uint64) error {
	req := syncRequest{Op: opDescriptors, Country: country}
	var objs [][]byte
	err := r.fetch(req, r.n.cfg.MaxObjectSize, func(o []byte) error {
		pk, ok := peekObject(o)
		if !ok || pk.Kind != trustlist.KindDescriptor || pk.Country != country {
			return invalid(req.Op, "not a descriptor of %s", country)
		}
		if pk.Number <= have {
			r.skip()
			return nil
		}
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		return err
	}
	return r.importAll(req, objs, r.now)
}

// syncLists fetches, for each admitted anchor where the peer holds a newer
// head or older history, the lists this node lacks; a few anchors at a time,
// so that fetching one overlaps verifying another.
func (r *syncRound) syncLists() error {
	set := r.n.Set()
	g, gctx := errgroup.WithContext(r.ctx)
	g.SetLimit(syncWorkers)
	for _, h := range r.remote.Anchors {
		if set.Descriptor(h.Country) == nil || h.Seq == 0 || !r.n.missesLists(h) {
			continue
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err // another anchor failed: start no more
			}
			release, err := r.n.listFetches.acquire(gctx, h.Country)
			if err != nil {
				return err
			}
			defer release()
			if !r.n.missesLists(h) {
				return nil // another round fetched them while this one waited
			}
			return r.syncAnchorLists(h)
		})
	}
	return g.Wait()
}

// syncEvidence fetches evidence against admitted anchors when the peer holds
// more than this node.
func (r *syncRound) syncEvidence() error {
	set := r.n.Set()
	for _, h := range r.remote.Anchors {
		if h.Evidence == 0 || set.Descriptor(h.Country) == nil || len(set.Evidence(h.Country)) >= h.Evidence {
			continue
		}
		req := syncRequest{Op: opEvidence, Country: h.Country}
		var objs [][]byte
		err := r.fetch(req, r.n.cfg.MaxObjectSize, func(o []byte) error {
			if k, err := trustlist.PeekKind(o); err != nil || k != trustlist.KindEvidence {
				return invalid(req.Op, "not evidence")
			}
			objs = append(objs, o)
			return nil
		})
		if err != nil {
			return err
		}
		if err := r.importAll(req, objs, r.now); err != nil {
			return err
		}
	}
	return nil
}

// syncAnchorLists brings one anchor's lists up to the peer's: the head first
// (or the missing lists after ours, in order), then older history.
func (r *syncRound) syncAnchorLists(h headInfo) error {
	head := r.n.Set().Head(h.Country)
	var from uint64
	var err error
	switch {
	case head == nil:
		err = r.fetchRemoteHead(h)
	case head.Seq < h.Seq:
		from = head.Seq
		err = r.walkForward(h, head.Seq)
	}
	if now := r.n.Set().Head(h.Country); now != nil && now.Seq > from {
		r.n.logCaughtUp(h.Country, from, now.Seq, r.p)
	}
	if err != nil {
		return err
	}
	return r.backfill(h)
}

// fetchRemoteHead takes the peer's head alone; it must be fresh now.
func (r *syncRound) fetchRemoteHead(h headInfo) error {
	objs, err := r.fetchLists(h.Country, h.Seq, h.Seq)
	if err != nil {
		return err
	}
	return r.importAll(syncRequest{Op: opLists, Country: h.Country}, objs, r.now)
}

// walkForward fetches head+1 … the peer's head in batches, in ascending
// order. Lists before the peer's head are checked as of their own issue time
// (they were current then); the head itself must be fresh now.
func (r *syncRound) walkForward(h headInfo, have uint64) error {
	set := r.n.Set()
	for from := have + 1; from <= h.Seq; {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		batch := r.batchSize()
		if batch == 0 {
			return errBudget
		}
		to := min(from+uint64(batch)-1, h.Seq)
		objs, ferr := r.fetchLists(h.Country, from, to)
		if len(objs) == 0 {
			return ferr
		}
		sortBySeq(objs, false)
		last := seqOf(objs[len(objs)-1])
		at := func(o []byte) time.Time {
			if seqOf(o) == h.Seq {
				return r.n.cfg.Now()
			}
			return r.issuedAt(o)
		}
		if err := r.importAll(syncRequest{Op: opLists, Country: h.Country}, objs, at); err != nil {
			return err
		}
		if ferr != nil {
			return ferr
		}
		if hd := set.Head(h.Country); hd == nil || hd.Seq < last {
			return nil // the chain did not link; stop rather than loop
		}
		from = last + 1
	}
	return nil
}

// backfill fetches older history, newest first, so each list links to the
// one above it.
func (r *syncRound) backfill(h headInfo) error {
	set := r.n.Set()
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		seqs := set.ListSeqs(h.Country)
		if len(seqs) == 0 || h.Low == 0 || seqs[0] <= h.Low {
			return nil
		}
		low := seqs[0]
		batch := r.batchSize()
		if batch == 0 {
			return errBudget
		}
		from := h.Low
		if low-h.Low > uint64(batch) {
			from = low - uint64(batch)
		}
		objs, ferr := r.fetchLists(h.Country, from, low-1)
		if len(objs) == 0 {
			return ferr
		}
		sortBySeq(objs, true)
		if err := r.importAll(syncRequest{Op: opLists, Country: h.Country}, objs, r.issuedAt); err != nil {
			return err
		}
		if ferr != nil {
			return ferr
		}
		if seqs := set.ListSeqs(h.Country); len(seqs) == 0 || seqs[0] >= low {
			return nil // nothing linked
		}
	}
}

// fetchLists fetches country's lists with from ≤ seq ≤ to. A frame that is
// not such a list is invalid; lists held byte for byte are dropped unverified.
func (r *syncRound) fetchLists(country string, from, to uint64) ([][]byte, error) {
	req := syncRequest{Op: opLists, Country: country, From: from, To: to}
	set := r.n.Set()
	var objs [][]byte
	err := r.fetch(req, r.n.cfg.MaxObjectSize, func(o []byte) error {
		pk, ok := peekObject(o)
		if !ok || pk.Kind != trustlist.KindList || pk.Country != country || pk.Number < from || pk.Number > to {
			return invalid(req.Op, "not a list of %s with seq in [%d, %d]", country, from, to)
		}
		if len(objs) == maxBatchObjects {
			return invalid(req.Op, "more than %d lists", maxBatchObjects)
		}
		if held := set.ListRaw(country, pk.Number); held != nil && bytes.Equal(held, o) {
			r.skip()
			return nil
		}
		objs = append(objs, o)
		return nil
	})
	if err != nil && !errors.Is(err, errBudget) {
		return nil, err
	}
	return objs, err // on errBudget: what arrived within the budget
}

// batchSize is how many lists the next request may ask for: a batch that
// the round's object budget can take whole.
func (r *syncRound) batchSize() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return max(0, min(maxBatchObjects, r.budget.Objects))
}

func (r *syncRound) now([]byte) time.Time { return r.n.cfg.Now() }

func (r *syncRound) issuedAt(o []byte) time.Time {
	if _, at, ok := peekList(o); ok {
		return at
	}
	return r.n.cfg.Now()
}

func (r *syncRound) skip() {
	r.mu.Lock()
	r.st.Skipped++
	r.mu.Unlock()
}

// charge takes an object's bytes and one object from the round's budget.
func (r *syncRound) charge(bytes int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Bytes += bytes
	if r.budget.Bytes -= bytes; r.budget.Bytes < 0 {
		return errBudget
	}
	if r.budget.Objects--; r.budget.Objects < 0 {
		return errBudget
	}
	return nil
}

// chargeSignatures takes what verifying o may cost from the round's
// signature budget: its signatures (at most a descriptor's key limit; a
// rotation's twice, checked against the old keys and the new).
func (r *syncRound) chargeSignatures(o []byte) error {
	sigs := signatureCount(o)
	if pk, ok := peekObject(o); ok && pk.Kind == trustlist.KindDescriptor && pk.Number > 1 {
		sigs *= 2
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.budget.Signatures -= sigs; r.budget.Signatures < 0 {
		return errBudget
	}
	r.st.Verified += sigs
	return nil
}

// fetch sends req to the peer and hands each object frame to each as it
// arrives, charging the round's budget first. An error from each ends the
// exchange (the stream is reset: the rest is never read).
func (r *syncRound) fetch(req syncRequest, maxFrame int, each func([]byte) error) error {
	r.mu.Lock()
	r.st.Requests++
	r.mu.Unlock()
	return r.n.requestEach(r.ctx, r.p, req, maxFrame, func(f []byte) error {
		if err := r.charge(len(f)); err != nil {
			return err
		}
		return each(f)
	})
}

// importAll imports objects that passed the cheap checks, each through the
// same Store.Import as gossip. An object no honest node holds (servedInvalid)
// ends the round as invalid.
func (r *syncRound) importAll(req syncRequest, objs [][]byte, at func([]byte) time.Time) error {
	n := r.n
	for _, o := range objs {
		if err := r.chargeSignatures(o); err != nil {
			return err
		}
		var head uint64
		if h := n.Set().Head(req.Country); h != nil {
			head = h.Seq
		}
		d, err := n.imports.Import(o, at(o))
		if err != nil {
			n.storeOwed.Store(true) // catch up once the store takes writes again
			n.log.Error("store import failed", "err", err)
			continue
		}
		if d.Evidence != nil {
			n.publishEvidence(d.Evidence)
		}
		res, _ := verdict(d, head)
		n.metrics.message("sync", res.String(), string(d.Outcome)+string(d.Reason))
		r.mu.Lock()
		switch {
		case d.Changed():
			r.st.Imported++
		case d.Outcome == trustlist.Rejected:
			r.st.Rejected++
		}
		r.mu.Unlock()
		if servedInvalid(d) {
			return invalid(req.Op, "%s %s #%d: %s: %s", d.Kind, d.Country, d.Number, d.Reason, d.Detail)
		}
		if d.Outcome == trustlist.Accepted {
			if d.Kind != trustlist.KindList { // lists: one "caught up" line per anchor
				n.logAccepted(d, "sync", r.p)
			}
			// New current state learned by sync is gossiped on, so that a
			// healed partition converges without waiting for every node's
			// next sync round.
			if n.hasPeersBesides(r.p) {
				n.republish(d.Kind, o)
			}
		}
	}
	return nil
}

// servedInvalid reports whether an import decision shows that the peer
// served something no honest node holds: an object that does not decode, or
// whose signatures do not meet its anchor's threshold (including a rotation
// not signed by the previous keys). A validly signed list that does not link
// (broken_chain, rollback) is the anchor's doing — a fork the peer may hold in
// good faith — and is not held against the peer.
func servedInvalid(d *trustlist.Decision) bool {
	if d.Outcome != trustlist.Rejected {
		return false
	}
	switch d.Reason {
	case trustlist.ReasonMalformed, trustlist.ReasonBadSignature, trustlist.ReasonThresholdNotMet:
		return true
	case trustlist.ReasonBadVersion, trustlist.ReasonRollback:
		return d.Kind == trustlist.KindDescriptor
	}
	return false
}

// requestEach sends req to p and calls each for every object frame of the
// response, in order.
func (n *Node) requestEach(ctx context.Context, p peer.ID, req syncRequest, maxFrame int, each func([]byte) error) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.SyncTimeout)
	defer cancel()
	s, err := n.host.NewStream(network.WithAllowLimitedConn(ctx, "sync"), p, SyncProtocol)
	if err != nil {
		return fmt.Errorf("open sync stream: %w", err)
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	b, err := syncEnc.Marshal(req)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(s)
	if err := writeFrame(w, b); err != nil {
		_ = s.Reset()
		return fmt.Errorf("send %s request: %w", req.Op, err)
	}
	if err := w.Flush(); err != nil {
		_ = s.Reset()
		return fmt.Errorf("send %s request: %w", req.Op, err)
	}
	_ = s.CloseWrite()
	rd := bufio.NewReader(s)
	frames, total := 0, 0
	for {
		f, err := readFrame(rd, maxFrame)
		if err != nil {
			_ = s.Reset()
			return invalidFraming(req.Op, err)
		}
		if f == nil {
			return nil
		}
		frames++
		total += len(f)
		if frames > maxEndorsements || total > maxBatchBytes+maxFrame {
			_ = s.Reset()
			return invalid(req.Op, "response exceeds the batch limits")
		}
		if err := each(f); err != nil {
			_ = s.Reset()
			return err
		}
	}
}

// invalidFraming classifies a frame read error: an oversized frame is the
// peer's fault; a broken or timed-out stream may not be.
func invalidFraming(op string, err error) error {
	var fe *frameSizeError
	if errors.As(err, &fe) {
		return invalid(op, "%v", err)
	}
	return fmt.Errorf("%s response: %w", op, err)
}

// request sends req to p and returns the objects of the response (tests).
func (n *Node) request(ctx context.Context, p peer.ID, req syncRequest, maxFrame int) ([][]byte, error) {
	var out [][]byte
	err := n.requestEach(ctx, p, req, maxFrame, func(f []byte) error { out = append(out, f); return nil })
	return out, err
}

// objectPeek is what the cheap checks read from an object without verifying
// or fully parsing it.
type objectPeek struct {
	Kind    trustlist.Kind
	Country string // a list's or descriptor's country; an endorsement's endorser
	Number  uint64 // a list's seq, a descriptor's version, an endorsement's endorser version
}

// peekObject reads an object's kind, country and number. Every signed
// payload carries the kind at key 0 and the country at key 1; key 3 is a
// list's seq and a descriptor's version; an endorsement's endorser version is
// key 2.
func peekObject(raw []byte) (objectPeek, bool) {
	var msg struct {
		_           struct{} `cbor:",toarray"`
		Protected   cbor.RawMessage
		Unprotected cbor.RawMessage
		Payload     []byte
		Signatures  cbor.RawMessage
	}
	var p struct {
		Type    string          `cbor:"0,keyasint"`
		Country string          `cbor:"1,keyasint"`
		Two     cbor.RawMessage `cbor:"2,keyasint"`
		Three   cbor.RawMessage `cbor:"3,keyasint"`
	}
	if syncDec.Unmarshal(raw, &msg) != nil || syncDec.Unmarshal(msg.Payload, &p) != nil {
		return objectPeek{}, false
	}
	out := objectPeek{Kind: trustlist.Kind(p.Type), Country: p.Country}
	num := p.Three
	if out.Kind == trustlist.KindEndorsement {
		num = p.Two
	}
	if len(num) > 0 && syncDec.Unmarshal(num, &out.Number) != nil {
		return objectPeek{}, false
	}
	return out, true
}

// signatureCount is the number of COSE signatures of a signed object (at
// most what trustlist accepts), or 1 for anything else (evidence).
func signatureCount(raw []byte) int {
	var msg struct {
		_           struct{} `cbor:",toarray"`
		Protected   cbor.RawMessage
		Unprotected cbor.RawMessage
		Payload     cbor.RawMessage
		Signatures  []cbor.RawMessage
	}
	if syncDec.Unmarshal(raw, &msg) != nil || len(msg.Signatures) == 0 {
		return 1
	}
	return min(len(msg.Signatures), trustlist.MaxAnchorKeys)
}
