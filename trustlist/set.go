package trustlist

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/veraison/go-cose"
)

// Policy is a verifier's trust decision: which anchors it pins, and how many
// pinned anchors must endorse an anchor it does not pin.
type Policy struct {
	// EndorsementThreshold is k: an unpinned anchor is admitted when k distinct
	// pinned anchors endorse its descriptor. 0 admits pinned anchors only.
	EndorsementThreshold int `json:"endorsement_threshold"`
	// MaxClockSkew is how far in the future a list's issued_at may lie.
	MaxClockSkew time.Duration `json:"max_clock_skew"`
}

// DefaultPolicy admits pinned anchors only and allows 5 minutes of clock skew.
func DefaultPolicy() Policy { return Policy{EndorsementThreshold: 0, MaxClockSkew: 5 * time.Minute} }

// Outcome says what Accept did with an object.
type Outcome string

// Outcomes of Accept.
const (
	Accepted  Outcome = "accepted"  // new current object (head list, newer descriptor, endorsement, evidence)
	History   Outcome = "history"   // an older list that links into the held chain, kept for sync and audit
	Duplicate Outcome = "duplicate" // already held; nothing changed
	Pending   Outcome = "pending"   // a descriptor kept until enough endorsements admit it
	Rejected  Outcome = "rejected"
)

// Decision is the structured result of Accept.
type Decision struct {
	Kind     Kind      `json:"kind"`
	Country  string    `json:"country,omitempty"`
	Number   uint64    `json:"number,omitempty"` // list seq or descriptor version
	Hash     HexBytes  `json:"hash,omitempty"`
	Outcome  Outcome   `json:"outcome"`
	Reason   Reason    `json:"reason,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	Evidence *Evidence `json:"-"` // set when this object revealed an equivocation
	// Admitted is set when this endorsement admitted a pending descriptor;
	// a store persists that descriptor (pending ones are kept in memory only).
	Admitted *Descriptor `json:"-"`
}

// Err returns the rejection as an error, or nil.
func (d *Decision) Err() error {
	if d.Outcome != Rejected {
		return nil
	}
	return &RejectError{Reason: d.Reason, Detail: d.Detail}
}

// Changed reports whether the object was new to the set (and worth storing
// and relaying).
func (d *Decision) Changed() bool { return d.Outcome == Accepted || d.Outcome == History }

type anchor struct {
	versions   map[uint64]*Descriptor
	current    *Descriptor
	pinned     bool
	admittedBy []string
	// admittedUntil (anchors admitted by endorsement) is when the
	// endorsements that admit it expire; zero for pinned anchors.
	admittedUntil time.Time
	lists         map[uint64]*List
	head          *List
	evidence      map[string]*Evidence
	equivocated   bool
	replaced      *Replacement
}

// MaxPending bounds the descriptors held in memory while they wait for
// endorsements; they are never persisted, so strangers cannot fill a disk.
const MaxPending = 1024

// Set is a verifier's trusted material: admitted anchors, their lists and
// history, endorsements and evidence. Nothing enters it except through Pin and
// Accept, which verify everything. A Set is safe for concurrent use.
type Set struct {
	mu           sync.RWMutex
	policy       Policy
	anchors      map[string]*anchor
	pending      map[string]*Descriptor             // by hash: descriptors waiting for endorsements
	endorsements map[string]map[string]*Endorsement // subject hash → endorser country → endorsement
	index        map[string][]headRef               // lookup key → head list entries holding it (lookup.go)
	byCountry    map[string]*headIndex              // country → its head list's entries and shared match header
	pubs         map[string]*pubState               // country → rules, value sets, revocations (publication.go)
	foreign      map[string][]*Match                // slot → entries of an accepted foreign list (foreign.go)
	dirty        map[string]bool                    // anchors whose indexed state changed since a store last wrote its index (index.go)
}

// NewSet returns an empty Set under policy p.
func NewSet(p Policy) *Set {
	return &Set{policy: p, anchors: map[string]*anchor{}, pending: map[string]*Descriptor{},
		endorsements: map[string]map[string]*Endorsement{}, index: map[string][]headRef{}, byCountry: map[string]*headIndex{}}
}

// Policy returns the set's policy.
func (s *Set) Policy() Policy { s.mu.RLock(); defer s.mu.RUnlock(); return s.policy }

// PinOptions are the operator's choices when pinning a descriptor.
type PinOptions struct {
	// Chain holds the intermediate descriptors (in any order) between the
	// version held and the one being pinned, when the set has not seen them:
	// each step must be a valid rotation of the one before it.
	Chain [][]byte
	// ExpectHash, if set, is the hash the anchor gave out of band
	// (Descriptor.Hash: SHA-256 of the file); the descriptor must have it.
	ExpectHash []byte
	// Replace makes the descriptor the anchor's root outright, with no
	// rotation chain from the held one: the operator's explicit act when an
	// anchor lost its keys. It requires ExpectHash. The anchor's held
	// versions, lists and evidence are dropped; the replacement is recorded
	// (AnchorInfo.Replaced).
	Replace bool
}

// Replacement records an anchor replaced outright by the operator.
type Replacement struct {
	FromVersion uint64   `json:"from_version"`
	FromHash    HexBytes `json:"from_hash"`
	ToVersion   uint64   `json:"to_version"`
	ToHash      HexBytes `json:"to_hash"`
}

// Pin makes a descriptor a trust root. It must be signed by t of its own keys.
// Pinning a newer version of an already held anchor is accepted only through a
// verified rotation chain (as TUF's root chain); pinning an older or another
// descriptor of a held version is a rollback. PinWith allows a chain of
// intermediate descriptors and an explicit replacement.
func (s *Set) Pin(raw []byte) (*Descriptor, error) { return s.PinWith(raw, PinOptions{}) }

// PinWith is Pin with the operator's options.
func (s *Set) PinWith(raw []byte, o PinOptions) (*Descriptor, error) {
	d, chain, err := parsePin(raw, o)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return d, s.pinLocked(d, chain, o)
}

// parsePin decodes and self-verifies the descriptor to pin and its chain, and
// checks the expected hash: everything that needs no state.
func parsePin(raw []byte, o PinOptions) (*Descriptor, []*Descriptor, error) {
	d, err := ParseDescriptor(raw)
	if err != nil {
		return nil, nil, err
	}
	if err := d.VerifySelf(); err != nil {
		return nil, nil, err
	}
	if o.ExpectHash != nil && !bytes.Equal(o.ExpectHash, d.Hash()) {
		return nil, nil, reject(ReasonHashMismatch, "%s descriptor v%d has hash %x, not the expected %x: this is not the descriptor the anchor gave out",
			d.Country, d.Version, d.Hash(), o.ExpectHash)
	}
	if o.Replace && o.ExpectHash == nil {
		return nil, nil, reject(ReasonHashMismatch, "replacing %s outright needs the descriptor's expected hash, checked with the anchor out of band", d.Country)
	}
	var chain []*Descriptor
	for i, c := range o.Chain {
		cd, err := ParseDescriptor(c)
		if err != nil {
			return nil, nil, fmt.Errorf("rotation chain descriptor %d: %w", i+1, err)
		}
		if cd.Country != d.Country {
			return nil, nil, reject(ReasonBadVersion, "rotation chain descriptor %d is for %s, not %s", i+1, cd.Country, d.Country)
		}
		chain = append(chain, cd)
	}
	return d, chain, nil
}

// pinLocked makes the verified descriptor d a trust root; s.mu is held.
func (s *Set) pinLocked(d *Descriptor, chain []*Descriptor, o PinOptions) error {
	a := s.anchors[d.Country]
	if a == nil || a.current == nil {
		s.installRoot(d, nil)
		return nil
	}
	if a.current.SameContent(d) {
		a.pinned, a.admittedBy, a.admittedUntil = true, nil, time.Time{}
		s.reindex(d.Country)
		return nil
	}
	if o.Replace {
		s.installRoot(d, a.current)
		return nil
	}
	if held := a.versions[d.Version]; held != nil || d.Version < a.current.Version {
		return reject(ReasonRollback, "%s descriptor v%d is already held; cannot pin an older or different v%d (replacing an anchor outright is an explicit act, with its expected hash)",
			d.Country, a.current.Version, d.Version)
	}
	steps, err := rotationChain(a.current, d, chain)
	if err != nil {
		return err
	}
	for _, st := range steps {
		a.versions[st.Version] = st
	}
	a.current, a.pinned, a.admittedBy, a.admittedUntil = d, true, nil, time.Time{}
	s.reindex(d.Country)
	s.reevaluate()
	return nil
}

// rotationChain verifies the rotations from the held descriptor to d, one
// version at a time, using the supplied intermediate descriptors; it returns
// the new versions in order, ending with d. Skipping a version is refused:
// otherwise a descriptor signed only by its own (an attacker's) keys could
// claim to succeed the held one (TUF's root chain, spec/trustlist.md §2.1).
func rotationChain(held, d *Descriptor, chain []*Descriptor) ([]*Descriptor, error) {
	byVersion := map[uint64]*Descriptor{d.Version: d}
	for _, c := range chain {
		if c.Version > held.Version && c.Version < d.Version {
			byVersion[c.Version] = c
		}
	}
	var out []*Descriptor
	prev := held
	for v := held.Version + 1; v <= d.Version; v++ {
		next := byVersion[v]
		if next == nil {
			return nil, reject(ReasonBadVersion, "%s descriptor v%d cannot be pinned over the held v%d: rotations go one version at a time and v%d is missing (supply the intermediate descriptors)",
				d.Country, d.Version, held.Version, v)
		}
		if err := next.VerifyRotation(prev); err != nil {
			return nil, err
		}
		out = append(out, next)
		prev = next
	}
	return out, nil
}

// installRoot makes d the only held version of its anchor, pinned. replaced
// is the descriptor it replaces outright (nil for a first pin).
func (s *Set) installRoot(d *Descriptor, replaced *Descriptor) {
	a := &anchor{versions: map[uint64]*Descriptor{d.Version: d}, current: d, pinned: true,
		lists: map[uint64]*List{}, evidence: map[string]*Evidence{}}
	if replaced != nil {
		a.replaced = &Replacement{FromVersion: replaced.Version, FromHash: replaced.Hash(), ToVersion: d.Version, ToHash: d.Hash()}
	}
	s.anchors[d.Country] = a
	delete(s.pending, string(d.Hash()))
	s.reindex(d.Country)
	if replaced != nil {
		// What the replaced keys endorsed no longer counts, even where the
		// replacement reuses a version number.
		for h, m := range s.endorsements {
			delete(m, d.Country)
			if len(m) == 0 {
				delete(s.endorsements, h)
			}
		}
		s.reevaluate()
	}
}

// Accept verifies raw (a descriptor, list, endorsement or evidence) against the
// policy and what is held, and takes it in if it passes. at is the time used
// for freshness; replay (loading a store) passes replay=true to skip the
// time checks that applied when the object was first accepted.
func (s *Set) Accept(raw []byte, at time.Time) *Decision { return s.accept(raw, at, false) }

// Replay is Accept for objects that were accepted before (loading a store):
// signatures, thresholds and chains are checked again, but not freshness.
func (s *Set) Replay(raw []byte) *Decision { return s.accept(raw, time.Time{}, true) }

func (s *Set) accept(raw []byte, at time.Time, replay bool) *Decision {
	kind, msg, err := peek(raw)
	if err != nil {
		return &Decision{Outcome: Rejected, Reason: ReasonMalformed, Detail: err.Error()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acceptLocked(raw, kind, msg, at, replay)
}

// acceptLocked is accept with s.mu held by the caller (a Store holds it
// across the durable commit, so no reader sees state that is not on disk).
// msg is raw decoded by peek (nil for evidence).
func (s *Set) acceptLocked(raw []byte, kind Kind, msg *cose.SignMessage, at time.Time, replay bool) *Decision {
	var d *Decision
	switch kind {
	case KindDescriptor:
		d = s.acceptDescriptor(raw, msg, at)
	case KindList:
		d = s.acceptList(raw, msg, at, replay)
	case KindEndorsement:
		d = s.acceptEndorsement(raw, msg, at, replay)
	case KindEvidence:
		d = s.acceptEvidence(raw)
	case KindRuleSet, KindValueSets, KindRevocations:
		d = s.acceptPublication(raw, kind, msg, at, replay)
	}
	d.Kind = kind
	return d
}

func rejected(err error) *Decision {
	r := ReasonOf(err)
	if r == "" {
		r = ReasonMalformed
	}
	detail := err.Error()
	if re, ok := err.(*RejectError); ok {
		detail = re.Detail
	}
	return &Decision{Outcome: Rejected, Reason: r, Detail: detail}
}

func (s *Set) acceptDescriptor(raw []byte, msg *cose.SignMessage, at time.Time) *Decision {
	d, err := parseDescriptor(raw, msg)
	if err != nil {
		return rejected(err)
	}
	dec := func(o Outcome) *Decision {
		return &Decision{Country: d.Country, Number: d.Version, Hash: d.Hash(), Outcome: o}
	}
	if err := d.VerifySelf(); err != nil {
		out := rejected(err)
		out.Country, out.Number, out.Hash = d.Country, d.Version, d.Hash()
		return out
	}
	if a := s.anchors[d.Country]; a != nil && a.current != nil {
		if held := a.versions[d.Version]; held != nil {
			if held.SameContent(d) {
				return dec(Duplicate)
			}
			return withCtx(rejected(reject(ReasonRollback, "a different %s descriptor v%d is already held", d.Country, d.Version)), dec(Rejected))
		}
		if d.Version < a.current.Version {
			return withCtx(rejected(reject(ReasonRollback, "%s descriptor v%d is older than the held v%d", d.Country, d.Version, a.current.Version)), dec(Rejected))
		}
		if err := d.VerifyRotation(a.current); err != nil {
			return withCtx(rejected(err), dec(Rejected))
		}
		a.versions[d.Version] = d
		a.current = d
		s.reindex(d.Country)
		if a.pinned {
			s.reevaluate() // what its old version endorsed no longer counts
		}
		return dec(Accepted)
	}
	// Not admitted yet: count endorsements by pinned anchors.
	en := s.endorsedBy(d.Country, [][]byte{d.Hash()}, at)
	if s.admits(en) {
		s.admit(d, en)
		return dec(Accepted)
	}
	s.addPending(d)
	out := rejected(reject(ReasonUnknownAnchor, "%s is not pinned and is endorsed by %d pinned anchors of the %d required", d.Country, len(en.by), s.policy.EndorsementThreshold))
	out.Outcome = Pending
	return withCtx(out, dec(Pending))
}

func withCtx(out, ctx *Decision) *Decision {
	out.Country, out.Number, out.Hash = ctx.Country, ctx.Number, ctx.Hash
	return out
}

// endorsement is the count of endorsements that admit an anchor.
type endorsement struct {
	by    []string  // endorsers, sorted
	until time.Time // when the k-th endorsement (by expiry) expires
}

// endorsedBy counts the endorsements of anchor cc by pinned anchors that name
// one of hashes and are signed by the endorser's current descriptor version
// (spec/trustlist.md §3.2): an endorsement by keys the endorser has rotated
// away from counts for nothing, so whoever holds old keys cannot admit
// anchors. If at is not zero, endorsements expired at at are not counted.
func (s *Set) endorsedBy(cc string, hashes [][]byte, at time.Time) endorsement {
	var out endorsement
	var exps []time.Time
	seen := map[string]bool{}
	for _, h := range hashes {
		for endorser, e := range s.endorsements[string(h)] {
			a := s.anchors[endorser]
			if seen[endorser] || a == nil || !a.pinned || a.current.Version != e.EndorserVersion || e.Subject != cc {
				continue
			}
			if !at.IsZero() && !at.Before(e.ExpiresAt) {
				continue
			}
			seen[endorser] = true
			out.by = append(out.by, endorser)
			exps = append(exps, e.ExpiresAt)
		}
	}
	sort.Strings(out.by)
	if k := s.policy.EndorsementThreshold; k > 0 && len(exps) >= k {
		sort.Slice(exps, func(i, j int) bool { return exps[i].After(exps[j]) })
		out.until = exps[k-1]
	}
	return out
}

// admits reports whether e meets the policy's threshold.
func (s *Set) admits(e endorsement) bool {
	return s.policy.EndorsementThreshold > 0 && len(e.by) >= s.policy.EndorsementThreshold
}

func (s *Set) admit(d *Descriptor, e endorsement) {
	a := &anchor{versions: map[uint64]*Descriptor{d.Version: d}, current: d, admittedBy: e.by, admittedUntil: e.until,
		lists: map[uint64]*List{}, evidence: map[string]*Evidence{}}
	s.anchors[d.Country] = a
	delete(s.pending, string(d.Hash()))
	s.markDirty(d.Country)
}

// reevaluate recounts the endorsements of every anchor admitted by
// endorsement, after an endorser rotated or was replaced or an endorsement
// changed. An anchor that no longer meets the threshold loses admission: its
// entries leave the index and its descriptor goes back to pending, where a
// new endorsement can admit it again. Admission by endorsement never chains
// (only pinned anchors endorse), so one pass suffices.
func (s *Set) reevaluate() {
	s.dropSuperseded()
	for cc, a := range s.anchors {
		if a.pinned {
			continue
		}
		hashes := make([][]byte, 0, len(a.versions))
		for _, d := range a.versions {
			hashes = append(hashes, d.Hash())
		}
		e := s.endorsedBy(cc, hashes, time.Time{})
		if s.admits(e) {
			changed := !a.admittedUntil.Equal(e.until)
			a.admittedBy, a.admittedUntil = e.by, e.until
			if changed {
				s.reindex(cc)
			}
			continue
		}
		delete(s.anchors, cc)
		s.reindex(cc)
		s.addPending(a.current)
	}
}

// dropSuperseded forgets endorsements that can no longer count: those whose
// endorser is no longer held, or was rotated away from the signing version
// (or replaced, see installRoot). Keeping them would only make sync serve
// objects every peer refuses.
func (s *Set) dropSuperseded() {
	for h, m := range s.endorsements {
		for endorser, e := range m {
			if a := s.anchors[endorser]; a == nil || a.current.Version != e.EndorserVersion {
				delete(m, endorser)
			}
		}
		if len(m) == 0 {
			delete(s.endorsements, h)
		}
	}
}

func (s *Set) addPending(d *Descriptor) {
	if len(s.pending) >= MaxPending {
		for h := range s.pending { // drop an arbitrary one: pending is a courtesy, not state
			delete(s.pending, h)
			break
		}
	}
	s.pending[string(d.Hash())] = d
}

func (s *Set) acceptEndorsement(raw []byte, msg *cose.SignMessage, at time.Time, replay bool) *Decision {
	e, err := parseEndorsement(raw, msg)
	if err != nil {
		return rejected(err)
	}
	ctx := &Decision{Country: e.Endorser, Number: e.EndorserVersion, Hash: e.Hash()}
	a := s.anchors[e.Endorser]
	if a == nil || a.versions[e.EndorserVersion] == nil {
		return withCtx(rejected(reject(ReasonUnknownAnchor, "endorser %s v%d is not held", e.Endorser, e.EndorserVersion)), ctx)
	}
	if err := e.Verify(a.versions[e.EndorserVersion]); err != nil {
		return withCtx(rejected(err), ctx)
	}
	if e.EndorserVersion != a.current.Version {
		return withCtx(rejected(reject(ReasonBadVersion, "endorsement is signed by %s descriptor v%d, superseded by v%d: it no longer counts",
			e.Endorser, e.EndorserVersion, a.current.Version)), ctx)
	}
	if !replay && !at.Before(e.ExpiresAt) {
		return withCtx(rejected(reject(ReasonExpired, "%s's endorsement of %s expired at %s", e.Endorser, e.Subject, e.ExpiresAt.Format(time.RFC3339))), ctx)
	}
	m := s.endorsements[string(e.SubjectHash)]
	if m == nil {
		m = map[string]*Endorsement{}
		s.endorsements[string(e.SubjectHash)] = m
	}
	if old := m[e.Endorser]; old != nil {
		if bytes.Equal(old.Hash(), e.Hash()) {
			ctx.Outcome = Duplicate
			return ctx
		}
		if old.EndorserVersion == e.EndorserVersion && !e.IssuedAt.After(old.IssuedAt) {
			ctx.Outcome, ctx.Detail = Duplicate, fmt.Sprintf("a newer %s endorsement of this descriptor is held", e.Endorser)
			return ctx
		}
	}
	m[e.Endorser] = e
	ctx.Outcome = Accepted
	s.reevaluate()
	if d := s.pending[string(e.SubjectHash)]; d != nil && s.anchors[d.Country] == nil {
		if en := s.endorsedBy(d.Country, [][]byte{d.Hash()}, at); s.admits(en) {
			s.admit(d, en)
			ctx.Admitted = d
			ctx.Detail = fmt.Sprintf("%s admitted: endorsed by %v", d.Country, en.by)
		}
	}
	return ctx
}

func (s *Set) acceptList(raw []byte, msg *cose.SignMessage, at time.Time, replay bool) *Decision {
	l, err := parseList(raw, msg, true)
	if err != nil {
		return rejected(err)
	}
	ctx := &Decision{Country: l.Country, Number: l.Seq, Hash: l.Hash()}
	fail := func(r Reason, f string, args ...any) *Decision {
		return withCtx(rejected(reject(r, f, args...)), ctx)
	}
	a := s.anchors[l.Country]
	if a == nil {
		return fail(ReasonUnknownAnchor, "%s is not an admitted anchor (pin its descriptor, or import endorsements by pinned anchors)", l.Country)
	}
	if !replay && !a.pinned && !a.admittedUntil.IsZero() && !at.Before(a.admittedUntil) {
		return fail(ReasonUnknownAnchor, "%s was admitted by endorsements that expired at %s", l.Country, a.admittedUntil.Format(time.RFC3339))
	}
	d := a.versions[l.DescriptorVersion]
	if d == nil {
		return fail(ReasonUnknownAnchor, "%s descriptor v%d is not held (current v%d)", l.Country, l.DescriptorVersion, a.current.Version)
	}
	if err := l.Verify(d); err != nil {
		return withCtx(rejected(err), ctx)
	}
	if held := a.lists[l.Seq]; held != nil {
		if bytes.Equal(held.Hash(), l.Hash()) {
			ctx.Outcome = Duplicate
			return ctx
		}
		return s.equivocation(a, d, held, l, ctx)
	}
	// A fork: another held list claims the same predecessor.
	if l.Prev != nil {
		for _, other := range a.lists {
			if bytes.Equal(other.Prev, l.Prev) && other.DescriptorVersion == l.DescriptorVersion {
				return s.equivocation(a, d, other, l, ctx)
			}
		}
	}
	head := a.head
	if head != nil && l.Seq < head.Seq {
		// Backfill: an older list is kept only if it links into the held chain.
		if next := a.lists[l.Seq+1]; next != nil && bytes.Equal(next.Prev, l.Hash()) {
			a.lists[l.Seq] = l
			ctx.Outcome = History
			return ctx
		}
		return fail(ReasonRollback, "%s list seq %d is older than the held seq %d", l.Country, l.Seq, head.Seq)
	}
	if head != nil {
		if l.Seq != head.Seq+1 {
			return fail(ReasonBrokenChain, "%s list seq %d does not follow the held seq %d: lists %d to %d are missing", l.Country, l.Seq, head.Seq, head.Seq+1, l.Seq-1)
		}
		if !bytes.Equal(l.Prev, head.Hash()) {
			return fail(ReasonBrokenChain, "%s list seq %d links to prev %x, but the held seq %d has hash %x", l.Country, l.Seq, short(l.Prev), head.Seq, short(head.Hash()))
		}
	}
	if l.DescriptorVersion != a.current.Version {
		// Allowed only up to the list the successor descriptor sealed.
		next := a.versions[l.DescriptorVersion+1]
		switch {
		case next == nil || l.Seq > next.SealedSeq:
			return fail(ReasonBadVersion, "%s list seq %d is signed under descriptor v%d, superseded by v%d (which accepts v%d lists up to seq %d)",
				l.Country, l.Seq, l.DescriptorVersion, a.current.Version, l.DescriptorVersion, sealed(next))
		case l.Seq == next.SealedSeq && !bytes.Equal(l.Hash(), next.SealedHash):
			return fail(ReasonBadVersion, "%s list seq %d is not the list descriptor v%d sealed (hash %x)", l.Country, l.Seq, next.Version, short(next.SealedHash))
		}
	}
	if !replay {
		if !l.Fresh(at) {
			return fail(ReasonExpired, "%s list seq %d expired at %s (next_update)", l.Country, l.Seq, l.NextUpdate.Format(time.RFC3339))
		}
		if l.IssuedAt.After(at.Add(s.policy.MaxClockSkew)) {
			return fail(ReasonExpired, "%s list seq %d is issued in the future (%s)", l.Country, l.Seq, l.IssuedAt.Format(time.RFC3339))
		}
	}
	a.lists[l.Seq] = l
	a.head = l
	s.reindex(l.Country)
	ctx.Outcome = Accepted
	return ctx
}

func sealed(d *Descriptor) uint64 {
	if d == nil {
		return 0
	}
	return d.SealedSeq
}

func short(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}

func (s *Set) equivocation(a *anchor, d *Descriptor, held, l *List, ctx *Decision) *Decision {
	ev, err := NewEvidence(d, held, l)
	if err != nil {
		return withCtx(rejected(err), ctx)
	}
	out := withCtx(rejected(reject(ReasonEquivocation, "%s signed two different lists (seq %d and %d) that conflict; evidence recorded", l.Country, held.Seq, l.Seq)), ctx)
	if s.addEvidence(a, ev) {
		out.Evidence = ev // new: a store keeps it and a node relays it
	}
	return out
}

// MaxEvidencePerAnchor bounds the evidence kept against one anchor. One piece
// is enough to flag it; a few more document the extent of the conflict.
// Beyond that, evidence is dropped as a duplicate, neither stored nor relayed.
const MaxEvidencePerAnchor = 16

// addEvidence records ev against a and reports whether it was new. Evidence
// is identified by Evidence.Hash (the two lists' payload hashes), so
// re-encodings of one conflict are duplicates.
func (s *Set) addEvidence(a *anchor, ev *Evidence) bool {
	h := string(ev.Hash())
	if a.evidence[h] != nil || len(a.evidence) >= MaxEvidencePerAnchor {
		return false
	}
	a.evidence[h] = ev
	if !a.equivocated {
		a.equivocated = true
		s.reindex(ev.Country())
	}
	return true
}

func (s *Set) acceptEvidence(raw []byte) *Decision {
	// Cheap checks first: the identity of evidence is known before any
	// signature is verified, and a duplicate costs nothing more.
	ev, err := parseEvidence(raw)
	if err != nil {
		return rejected(err)
	}
	ctx := &Decision{Country: ev.Country(), Number: ev.A.Seq, Hash: ev.Hash()}
	a := s.anchors[ev.Country()]
	if a == nil || a.versions[ev.Descriptor.Version] == nil || !a.versions[ev.Descriptor.Version].SameContent(ev.Descriptor) {
		return withCtx(rejected(reject(ReasonUnknownAnchor, "evidence is about %s descriptor v%d, which is not an admitted descriptor", ev.Country(), ev.Descriptor.Version)), ctx)
	}
	if a.evidence[string(ev.Hash())] == nil && len(a.evidence) < MaxEvidencePerAnchor {
		if err := ev.Verify(); err != nil {
			return withCtx(rejected(err), ctx)
		}
	}
	if !s.addEvidence(a, ev) {
		ctx.Outcome = Duplicate
		if len(a.evidence) >= MaxEvidencePerAnchor {
			ctx.Detail = fmt.Sprintf("%d pieces of evidence against %s are held already (the most kept)", len(a.evidence), ev.Country())
		}
		return ctx
	}
	ctx.Outcome = Accepted
	return ctx
}

// AnchorInfo summarises one admitted anchor.
type AnchorInfo struct {
	Country    string   `json:"country"`
	Name       string   `json:"name"`
	Version    uint64   `json:"descriptor_version"`
	Threshold  int      `json:"threshold"`
	Keys       int      `json:"keys"`
	Hash       HexBytes `json:"descriptor_hash"` // SHA-256 of the descriptor file
	Pinned     bool     `json:"pinned"`
	AdmittedBy []string `json:"admitted_by,omitempty"`
	// AdmittedUntil is when the endorsements that admit an unpinned anchor expire.
	AdmittedUntil time.Time `json:"admitted_until,omitzero"`
	// Replaced is set when the operator replaced the anchor outright.
	Replaced    *Replacement `json:"replaced,omitempty"`
	Seq         uint64       `json:"seq,omitempty"`
	ListHash    HexBytes     `json:"list_hash,omitempty"`
	Entries     int          `json:"entries"`
	IssuedAt    time.Time    `json:"issued_at,omitzero"`
	NextUpdate  time.Time    `json:"next_update,omitzero"`
	History     int          `json:"history"`
	Equivocated bool         `json:"equivocated"`
}

// Anchors lists the admitted anchors, sorted by country.
func (s *Set) Anchors() []AnchorInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []AnchorInfo
	for cc, a := range s.anchors {
		info := AnchorInfo{Country: cc, Name: a.current.Name, Version: a.current.Version, Threshold: a.current.Threshold,
			Keys: len(a.current.Keys), Hash: a.current.Hash(), Pinned: a.pinned, AdmittedBy: a.admittedBy,
			AdmittedUntil: a.admittedUntil, Replaced: a.replaced, History: len(a.lists), Equivocated: a.equivocated}
		if h := a.head; h != nil {
			info.Seq, info.ListHash, info.Entries, info.IssuedAt, info.NextUpdate = h.Seq, h.Hash(), h.entryCount(), h.IssuedAt, h.NextUpdate
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Country < out[j].Country })
	return out
}

// Descriptor returns the current descriptor of an admitted anchor, or nil.
func (s *Set) Descriptor(country string) *Descriptor {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a := s.anchors[country]; a != nil {
		return a.current
	}
	return nil
}

// Descriptors returns every held descriptor version of an admitted anchor, oldest first.
func (s *Set) Descriptors(country string) []*Descriptor {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.anchors[country]
	if a == nil {
		return nil
	}
	var out []*Descriptor
	for _, d := range a.versions {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

// Head returns the current list of an anchor, or nil.
func (s *Set) Head(country string) *List {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a := s.anchors[country]; a != nil && a.head != nil {
		a.head.entries()
		return a.head
	}
	return nil
}

// ListAt returns the held list of an anchor with the given seq, or nil.
func (s *Set) ListAt(country string, seq uint64) *List {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a := s.anchors[country]; a != nil && a.lists[seq] != nil {
		a.lists[seq].entries()
		return a.lists[seq]
	}
	return nil
}

// Lists returns every held list of an anchor, oldest first.
func (s *Set) Lists(country string) []*List {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.anchors[country]
	if a == nil {
		return nil
	}
	out := make([]*List, 0, len(a.lists))
	for _, l := range a.lists {
		l.entries()
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// ListSeqs returns the seqs of every held list of an anchor, oldest first.
// Unlike Lists it builds no list's entries: for callers (p2p sync) that
// need only which lists are held.
func (s *Set) ListSeqs(country string) []uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.anchors[country]
	if a == nil {
		return nil
	}
	out := make([]uint64, 0, len(a.lists))
	for seq := range a.lists {
		out = append(out, seq)
	}
	slices.Sort(out)
	return out
}

// ListRaw returns the signed bytes of the held list of an anchor with the
// given seq, or nil. Unlike ListAt it builds none of the list's entries:
// for callers (p2p sync) that pass the list on as it is.
func (s *Set) ListRaw(country string, seq uint64) []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a := s.anchors[country]; a != nil && a.lists[seq] != nil {
		return a.lists[seq].Raw()
	}
	return nil
}

// Endorsements returns every held endorsement.
func (s *Set) Endorsements() []*Endorsement {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Endorsement
	for _, m := range s.endorsements {
		for _, e := range m {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Hash(), out[j].Hash()) < 0 })
	return out
}

// Evidence returns the equivocation evidence held against an anchor ("" for all).
func (s *Set) Evidence(country string) []*Evidence {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Evidence
	for cc, a := range s.anchors {
		if country != "" && cc != country {
			continue
		}
		for _, ev := range a.evidence {
			out = append(out, ev)
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Hash(), out[j].Hash()) < 0 })
	return out
}
