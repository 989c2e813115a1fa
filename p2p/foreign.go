package p2p

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/accord-network/accord/internal/listimport/foreign"
	"github.com/accord-network/accord/trustlist"
)

// Foreign signed lists (spec/trustlist.md §7.5, spec/network.md §3): an EU
// DCC gateway list, ETSI trusted lists and the EU LOTL, ICAO master lists,
// each accepted under a source this node's operator pinned. They travel as
// trustlist.KindForeign envelopes on their own topic and through the sync
// operation opForeign; they are kept, verbatim, in DATA/foreign (the same
// folder `accord trust pin-source` and `accord trust import --format` write
// while the node is stopped), and their entries are installed into the
// node's Set, so the HTTP verify uses them. The acceptance rules are package
// foreign's, the same as the CLI verifier's.

// TopicForeign carries foreign list envelopes, one per message.
const TopicForeign = "/accord/foreign/1"

// MaxForeignObjectSize bounds a foreign list envelope on the network
// (spec/network.md §3): trustlist's bound on any object it decodes. The
// real EU DCC gateway list is already 3.9 MiB, so the general object bound
// (Config.MaxObjectSize, 4 MiB) would refuse it after little growth; the
// largest ETSI and ICAO lists are under 1 MiB. An envelope above
// Config.MaxObjectSize is never gossiped — gossip's RPC bound (2 ×
// MaxObjectSize + 64 KiB) is what any peer can make this node buffer per
// stream, so it stays — but fetched by sync, which this node pulls itself,
// one frame per request, charged to the round's byte budget. Only lists
// under this node's own pins are held, at most foreign.MaxLists of them.
const MaxForeignObjectSize = trustlist.MaxObjectSize

// maxForeignFile bounds a foreign list file a node imports (POST
// /v1/foreign): its envelope adds the format, territory, seq and dates, well
// under 4 KiB, and must stay within MaxForeignObjectSize.
const maxForeignFile = foreign.MaxNetworkFile

// opForeign asks for the list a peer holds in one slot (syncRequest.Country
// = the slot, as heads names it): one frame, or none.
const opForeign = "foreign"

// foreignHead is one held foreign list in the heads response.
type foreignHead struct {
	Slot string `cbor:"1,keyasint"`
	Seq  uint64 `cbor:"2,keyasint"`
	Hash []byte `cbor:"3,keyasint"`
}

// foreignState is the node's pins and held foreign lists.
type foreignState struct {
	mu   sync.Mutex
	dir  string
	held *foreign.Held

	// refusals are, per peer, the times a foreign list it sent was refused
	// after its signature was verified (the expensive outcome that costs
	// the sender no score, since an honest peer with other pins may cause
	// it). A peer with maxForeignRefusals in foreignRefusalWindow is not
	// verified for again until the oldest expires.
	refusals map[peer.ID][]time.Time
}

// Bounds on what peers' unacceptable foreign lists may cost (each refusal
// verified a whole list: the gateway list's 832 signatures take ~0.3 s).
const (
	maxForeignRefusals   = 3
	foreignRefusalWindow = 10 * time.Minute
	maxRefusalPeers      = 4096
)

// overRefusals reports whether p used up its refusals (f.mu held).
func (f *foreignState) overRefusals(p peer.ID, now time.Time) bool {
	ts := f.refusals[p]
	for len(ts) > 0 && now.Sub(ts[0]) > foreignRefusalWindow {
		ts = ts[1:]
	}
	if len(ts) == 0 {
		delete(f.refusals, p)
		return false
	}
	f.refusals[p] = ts
	return len(ts) >= maxForeignRefusals
}

// noteRefusal records that a list from p was verified and refused (f.mu held).
func (f *foreignState) noteRefusal(p peer.ID, now time.Time) {
	if f.refusals == nil || len(f.refusals) >= maxRefusalPeers {
		f.refusals = map[peer.ID][]time.Time{} // forget all rather than grow
	}
	f.refusals[p] = append(f.refusals[p], now)
}

// errRefusalBudget: a peer's foreign lists are not verified for a while.
var errRefusalBudget = errors.New("this peer's foreign lists were refused too often; not verified for now")

// ForeignDir is where a data directory keeps source pins and foreign lists.
func ForeignDir(dataDir string) string { return filepath.Join(dataDir, "foreign") }

// loadForeign reads DATA/foreign at start. Every saved list is accepted
// again under the saved pins (foreign.Load); stale ones are kept, with a
// warning, since verification judges freshness per match. Lists that no
// longer pass are logged and not used.
func (n *Node) loadForeign() error {
	dir := ForeignDir(n.cfg.DataDir)
	h, warns, err := foreign.Load(dir, foreign.Options{Now: n.cfg.Now(), Offline: true})
	if h == nil {
		return fmt.Errorf("p2p: foreign lists in %s: %w", dir, err)
	}
	if err != nil {
		n.log.Warn("saved foreign lists that no longer pass are not used", "dir", dir, "err", err)
	}
	for _, w := range warns {
		n.log.Warn("foreign list: " + w)
	}
	n.foreign = &foreignState{dir: dir, held: h}
	h.Install(n.Set())
	if ls := h.Lists(); len(ls) > 0 {
		n.log.Info(fmt.Sprintf("loaded %d foreign lists", len(ls)), "dir", dir)
	}
	return nil
}

// ForeignLists returns the foreign lists the node holds, by slot.
func (n *Node) ForeignLists() []*foreign.List {
	n.foreign.mu.Lock()
	defer n.foreign.mu.Unlock()
	return n.foreign.held.Lists()
}

// PinSource pins a foreign list source (the operator's decision, as
// `accord trust pin-source` makes it), saves it and syncs with every peer.
func (n *Node) PinSource(p foreign.Pin) error {
	f := n.foreign
	f.mu.Lock()
	err := f.held.PinSource(p)
	if err == nil {
		err = f.held.Save(f.dir)
	}
	f.mu.Unlock()
	if err != nil {
		return fmt.Errorf("p2p: pin %s source: %w", p.Format, err)
	}
	n.goSyncAll()
	return nil
}

// ImportForeignFile accepts a foreign list file under this node's pin (as
// `accord trust import --format` does), keeps it and publishes its envelope.
// When only the publish fails, the list is returned with the error: it is
// held, and peers fetch it by sync.
func (n *Node) ImportForeignFile(ctx context.Context, format string, raw []byte) (*foreign.List, error) {
	if len(raw) > maxForeignFile {
		return nil, fmt.Errorf("%w: %s list of %d bytes exceeds the %d byte limit of a foreign list on the network", trustlist.ErrMalformed, format, len(raw), maxForeignFile)
	}
	l, _, err := n.acceptForeignFile(format, raw)
	if err != nil {
		return nil, err
	}
	obj, err := l.Object()
	if err != nil {
		return nil, err
	}
	n.logForeign(l, "import", "")
	return l, n.publishForeign(ctx, obj.Raw())
}

// publishForeign gossips an accepted foreign envelope, unless it is larger
// than gossip carries (Config.MaxObjectSize): peers then fetch it by sync,
// having seen it in this node's heads (MaxForeignObjectSize).
func (n *Node) publishForeign(ctx context.Context, raw []byte) error {
	if len(raw) > n.cfg.MaxObjectSize {
		n.log.Debug("foreign list larger than gossip carries: peers fetch it by sync", "bytes", len(raw))
		return nil
	}
	return n.publish(ctx, trustlist.KindForeign, raw)
}

func (n *Node) acceptForeignFile(format string, raw []byte) (*foreign.List, string, error) {
	f := n.foreign
	f.mu.Lock()
	defer f.mu.Unlock()
	l, warn, err := f.held.Accept(format, raw, foreign.Options{Now: n.cfg.Now()})
	if err != nil {
		return nil, "", err
	}
	if err := foreign.SaveList(f.dir, l); err != nil {
		return nil, "", fmt.Errorf("%w: %w", trustlist.ErrStoreWrite, errors.Join(err, f.reload(n)))
	}
	f.held.Install(n.Set())
	return l, warn, nil
}

// reload restores the held lists from disk after a failed write (f.mu held).
func (f *foreignState) reload(n *Node) error {
	h, _, err := foreign.Load(f.dir, foreign.Options{Now: n.cfg.Now(), Offline: true})
	if h != nil {
		f.held = h
	}
	return err
}

// importForeign decides a foreign envelope from the network: verified under
// this node's own pin, kept durably before it counts as accepted, installed.
// from is the peer that sent it ("" for a submission), whose refusals are
// counted.
func (n *Node) importForeign(raw []byte, from peer.ID) (*foreign.List, error) {
	if len(raw) > MaxForeignObjectSize {
		return nil, fmt.Errorf("%w: foreign list envelope of %d bytes exceeds the %d byte limit", trustlist.ErrMalformed, len(raw), MaxForeignObjectSize)
	}
	obj, err := trustlist.ParseForeignObject(raw)
	if err != nil {
		return nil, err
	}
	f := n.foreign
	f.mu.Lock()
	defer f.mu.Unlock()
	now := n.cfg.Now()
	if from != "" && f.overRefusals(from, time.Now()) {
		return nil, errRefusalBudget
	}
	l, _, err := f.held.ImportObject(f.dir, obj, foreign.Options{Now: now})
	if err != nil {
		if from != "" && verifiedAndRefused(err) {
			f.noteRefusal(from, time.Now())
		}
		return nil, err
	}
	f.held.Install(n.Set())
	return l, nil
}

// verifiedAndRefused reports whether err is a refusal that came after the
// expensive verification (not a cheap check, a malformed envelope, or a
// failed write).
func verifiedAndRefused(err error) bool {
	for _, cheap := range []error{foreign.ErrUnchanged, foreign.ErrRollback, foreign.ErrNotPinned, foreign.ErrFormat,
		trustlist.ErrMalformed, trustlist.ErrStoreWrite} {
		if errors.Is(err, cheap) {
			return false
		}
	}
	return true
}

// foreignVerdict maps a refusal to gossip's verdict: reject what no honest
// node sends (an envelope that does not decode or lies about its file);
// ignore the rest — a format this node has not pinned, a signer outside its
// pin, an older or stale list — which an honest peer with other pins, or one
// that is behind, may relay.
func foreignVerdict(err error) (pubsub.ValidationResult, string) {
	switch {
	case err == nil:
		return pubsub.ValidationAccept, "accepted"
	case errors.Is(err, trustlist.ErrStoreWrite):
		return pubsub.ValidationIgnore, "store_error"
	case errors.Is(err, trustlist.ErrMalformed):
		return pubsub.ValidationReject, "malformed"
	case errors.Is(err, foreign.ErrUnchanged):
		return pubsub.ValidationIgnore, "duplicate"
	case errors.Is(err, foreign.ErrRollback):
		return pubsub.ValidationIgnore, "rollback"
	case errors.Is(err, foreign.ErrNotPinned), errors.Is(err, foreign.ErrFormat):
		return pubsub.ValidationIgnore, "not_pinned"
	case errors.Is(err, foreign.ErrStale):
		return pubsub.ValidationIgnore, "expired"
	case errors.Is(err, errRefusalBudget):
		return pubsub.ValidationIgnore, "refusal_budget"
	}
	return pubsub.ValidationIgnore, "untrusted"
}

// validateForeign is TopicForeign's validator: a message is relayed only if
// this node accepted and stored it.
func (n *Node) validateForeign(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == n.host.ID() {
		return pubsub.ValidationAccept
	}
	if len(m.Data) > n.cfg.MaxObjectSize { // larger ones travel by sync only
		n.metrics.message(TopicForeign, "reject", "oversized")
		return pubsub.ValidationReject
	}
	l, err := n.importForeign(m.Data, m.ReceivedFrom)
	res, why := foreignVerdict(err)
	n.metrics.message(TopicForeign, validationResult(res).String(), why)
	switch {
	case err == nil:
		n.logForeign(l, "gossip", m.ReceivedFrom)
	case why == "store_error":
		n.storeOwed.Store(true)
		n.log.Error("foreign list not stored", "err", err)
	case errors.Is(err, foreign.ErrNoLOTL):
		// A national list validated before the LOTL that names its signer
		// (gossip does not keep order): the sender holds that LOTL.
		n.goSync(m.ReceivedFrom)
	default:
		n.log.Debug("foreign list refused", "peer", m.ReceivedFrom, "why", why, "err", err)
	}
	return res
}

func (n *Node) logForeign(l *foreign.List, source string, from peer.ID) {
	msg := fmt.Sprintf("accepted foreign list %s (%s) from %s", l.Key(), l.Name, source)
	attrs := []any{"kind", string(trustlist.KindForeign), "slot", l.Key(), "number", l.Seq, "source", source}
	if from != "" {
		attrs = append(attrs, "peer", from.String())
		msg += " (peer " + shortID(from) + ")"
	}
	n.log.Info(msg, attrs...)
}

// foreignHeads lists the held foreign lists for the heads response.
func (n *Node) foreignHeads() []foreignHead {
	var out []foreignHead
	for _, l := range n.ForeignLists() {
		out = append(out, foreignHead{Slot: l.Key(), Seq: l.Seq, Hash: l.ID[:]})
	}
	return out
}

// serveForeign answers opForeign: the envelope of the list held in slot.
func (n *Node) serveForeign(slot string) [][]byte {
	n.foreign.mu.Lock()
	l := n.foreign.held.Get(slot)
	n.foreign.mu.Unlock()
	if l == nil {
		return nil
	}
	obj, err := l.Object()
	if err != nil {
		return nil
	}
	return [][]byte{obj.Raw()}
}

// syncForeign fetches the peer's foreign lists that are newer than this
// node's, in slots of formats this node pinned (the cheap checks: nothing
// else is fetched), lists of lists first so national lists find their
// pointers. A frame that does not answer the request, or an envelope that
// lies about its file, is invalid; a list this node's pin does not accept
// is skipped without penalty (the peer may pin other sources).
func (r *syncRound) syncForeign() error {
	n := r.n
	heads := r.remote.Foreign
	if len(heads) > foreign.MaxLists {
		return invalid(opHeads, "%d foreign lists named (at most %d)", len(heads), foreign.MaxLists)
	}
	sort.SliceStable(heads, func(i, j int) bool {
		return strings.HasSuffix(heads[i].Slot, "/lotl") && !strings.HasSuffix(heads[j].Slot, "/lotl")
	})
	for _, h := range heads {
		if !n.wantsForeign(h) {
			continue
		}
		req := syncRequest{Op: opForeign, Country: h.Slot}
		var got []byte
		err := r.fetch(req, MaxForeignObjectSize, func(o []byte) error {
			if got != nil {
				return invalid(req.Op, "more than one frame")
			}
			got = o
			return nil
		})
		if err != nil {
			return err
		}
		if got == nil {
			continue // the peer replaced or dropped it since its heads
		}
		if err := r.chargeForeign(got); err != nil {
			return err
		}
		if err := r.importForeign(req, got); err != nil {
			return err
		}
	}
	return nil
}

// chargeForeign takes what verifying a foreign list may cost from the
// round's signature budget. A foreign file holds many signatures (the
// gateway list one per item): it is charged one per 4 KiB, at least one.
func (r *syncRound) chargeForeign(o []byte) error {
	sigs := len(o)/4096 + 1
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.budget.Signatures -= sigs; r.budget.Signatures < 0 {
		return errBudget
	}
	r.st.Verified += sigs
	return nil
}

// wantsForeign is the cheap check of a remote head: a pinned format, and a
// slot this node holds nothing newer in.
func (n *Node) wantsForeign(h foreignHead) bool {
	format, _, _ := strings.Cut(h.Slot, "/")
	n.foreign.mu.Lock()
	defer n.foreign.mu.Unlock()
	if !n.foreign.held.Pinned(format) {
		return false
	}
	l := n.foreign.held.Get(h.Slot)
	return l == nil || h.Seq > l.Seq
}

func (r *syncRound) importForeign(req syncRequest, raw []byte) error {
	n := r.n
	if obj, err := trustlist.ParseForeignObject(raw); err != nil || obj.Slot() != req.Country {
		return invalid(req.Op, "not the foreign list of slot %s", req.Country)
	}
	l, err := n.importForeign(raw, r.p)
	res, why := foreignVerdict(err)
	n.metrics.message("sync", validationResult(res).String(), why)
	r.mu.Lock()
	switch {
	case err == nil:
		r.st.Imported++
	case why != "duplicate":
		r.st.Rejected++
	}
	r.mu.Unlock()
	switch {
	case err == nil:
		n.logForeign(l, "sync", r.p)
		if n.hasPeersBesides(r.p) && len(raw) <= n.cfg.MaxObjectSize {
			n.republish(trustlist.KindForeign, raw)
		}
	case res == pubsub.ValidationReject:
		return invalid(req.Op, "%v", err)
	case why == "store_error":
		n.storeOwed.Store(true)
		n.log.Error("foreign list not stored", "err", err)
	}
	return nil
}

// submitForeign decides a foreign envelope posted to POST /v1/lists, and
// publishes it when it is new.
func (n *Node) submitForeign(ctx context.Context, raw []byte) (*trustlist.Decision, error) {
	l, err := n.importForeign(raw, "")
	d := &trustlist.Decision{Kind: trustlist.KindForeign}
	if l != nil {
		d.Country, d.Number, d.Hash = l.Territory, l.Seq, l.ID[:]
	}
	res, why := foreignVerdict(err)
	switch {
	case err == nil:
		d.Outcome = trustlist.Accepted
		n.logForeign(l, "submit", "")
		if perr := n.publish(ctx, trustlist.KindForeign, raw); perr != nil {
			return d, perr
		}
	case errors.Is(err, trustlist.ErrStoreWrite):
		return nil, fmt.Errorf("p2p: store: %w", err)
	case why == "duplicate":
		d.Outcome = trustlist.Duplicate
	default:
		d.Outcome, d.Reason, d.Detail = trustlist.Rejected, trustlist.Reason(why), err.Error()
		if res == pubsub.ValidationReject {
			d.Reason = trustlist.ReasonMalformed
		}
	}
	n.metrics.message("submit", validationResult(res).String(), why)
	return d, nil
}

// ForeignInfo is one row of GET /v1/foreign.
type ForeignInfo struct {
	Slot       string    `json:"slot"`
	Name       string    `json:"name"`
	Format     string    `json:"format"`
	Territory  string    `json:"territory"`
	Seq        uint64    `json:"seq"`
	IssuedAt   time.Time `json:"issued_at"`
	NextUpdate time.Time `json:"next_update,omitzero"`
	Hash       string    `json:"hash"`
	Entries    int       `json:"entries"`
	Signer     string    `json:"signer"`
	Fresh      bool      `json:"fresh"`
}

// handleForeign answers GET /v1/foreign: the foreign lists the node holds.
func (n *Node) handleForeign(w http.ResponseWriter, _ *http.Request) {
	out := []ForeignInfo{}
	for _, l := range n.ForeignLists() {
		out = append(out, n.foreignInfo(l))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleImportForeign answers POST /v1/foreign?format=F (operator): the body
// is a foreign list file, accepted under this node's pin of F, kept and
// published (ImportForeignFile). 202 with its ForeignInfo; 400 for a format
// that cannot be pinned; 422 with the reason for a refusal (not pinned
// here, untrusted, rollback, stale, unchanged); 507/503 when it could not
// be stored.
func (n *Node) handleImportForeign(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	body, ok := readBody(w, r, maxForeignFile)
	if !ok {
		return
	}
	l, err := n.ImportForeignFile(r.Context(), format, body)
	switch {
	case l != nil:
		// Accepted and stored; a failed publish is caught up by sync.
		if err != nil {
			n.log.Warn("foreign list stored but not published", "slot", l.Key(), "err", err)
		}
		writeJSON(w, http.StatusAccepted, n.foreignInfo(l))
	case isStoreError(err):
		code, resp := storeErrorResponse(string(trustlist.KindForeign), err)
		writeJSON(w, code, resp)
	case errors.Is(err, foreign.ErrFormat):
		writeError(w, http.StatusBadRequest, "%v", err)
	default:
		writeError(w, http.StatusUnprocessableEntity, "%v", err)
	}
}

func (n *Node) foreignInfo(l *foreign.List) ForeignInfo {
	return ForeignInfo{Slot: l.Key(), Name: l.Name, Format: l.Format, Territory: l.Territory, Seq: l.Seq,
		IssuedAt: l.Issued, NextUpdate: l.NextUpdate, Hash: hex.EncodeToString(l.ID[:]), Entries: len(l.Entries()),
		Signer: l.Signer, Fresh: n.cfg.Now().Before(l.NextUpdate)}
}
