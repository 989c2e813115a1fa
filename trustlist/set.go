package trustlist

import (
	"bytes"
	"fmt"
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
	Hash     []byte    `json:"hash,omitempty"`
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
	versions    map[uint64]*Descriptor
	current     *Descriptor
	pinned      bool
	admittedBy  []string
	lists       map[uint64]*List
	head        *List
	evidence    map[string]*Evidence
	equivocated bool
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
	index        map[string][]*Match                // lookup key → matches (head lists only), shared with byCountry
	byCountry    map[string][]*Match                // country → all its head entries
	pubs         map[string]*pubState               // country → rules, value sets, revocations (publication.go)
}

// NewSet returns an empty Set under policy p.
func NewSet(p Policy) *Set {
	return &Set{policy: p, anchors: map[string]*anchor{}, pending: map[string]*Descriptor{},
		endorsements: map[string]map[string]*Endorsement{}, index: map[string][]*Match{}, byCountry: map[string][]*Match{}}
}

// Policy returns the set's policy.
func (s *Set) Policy() Policy { s.mu.RLock(); defer s.mu.RUnlock(); return s.policy }

// Pin makes a descriptor a trust root. It must be signed by t of its own keys.
// Pinning a newer version of an already pinned anchor replaces it only as a
// rotation would; pinning an older one is a rollback.
func (s *Set) Pin(raw []byte) (*Descriptor, error) {
	d, err := ParseDescriptor(raw)
	if err != nil {
		return nil, err
	}
	if err := d.VerifySelf(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return d, s.pinLocked(d)
}

// pinLocked makes the verified descriptor d a trust root; s.mu is held.
func (s *Set) pinLocked(d *Descriptor) error {
	a := s.anchors[d.Country]
	if a != nil && a.current != nil {
		switch {
		case bytes.Equal(a.current.Hash(), d.Hash()):
			a.pinned = true
			return nil
		case d.Version <= a.current.Version:
			return reject(ReasonRollback, "%s descriptor v%d is already held; cannot pin older v%d", d.Country, a.current.Version, d.Version)
		case d.Version == a.current.Version+1:
			if err := d.VerifyRotation(a.current); err != nil {
				return err
			}
		}
	}
	if a == nil {
		a = &anchor{versions: map[uint64]*Descriptor{}, lists: map[uint64]*List{}, evidence: map[string]*Evidence{}}
		s.anchors[d.Country] = a
	}
	a.versions[d.Version] = d
	a.current = d
	a.pinned = true
	s.reindex(d.Country)
	return nil
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
		d = s.acceptDescriptor(raw, msg)
	case KindList:
		d = s.acceptList(raw, msg, at, replay)
	case KindEndorsement:
		d = s.acceptEndorsement(raw, msg)
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

func (s *Set) acceptDescriptor(raw []byte, msg *cose.SignMessage) *Decision {
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
			if bytes.Equal(held.Hash(), d.Hash()) {
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
		return dec(Accepted)
	}
	// Not admitted yet: count endorsements by pinned anchors.
	n, by := s.endorsedBy(d)
	k := s.policy.EndorsementThreshold
	if k > 0 && n >= k {
		s.admit(d, by)
		return dec(Accepted)
	}
	if len(s.pending) >= MaxPending {
		for h := range s.pending { // drop an arbitrary one: pending is a courtesy, not state
			delete(s.pending, h)
			break
		}
	}
	s.pending[string(d.Hash())] = d
	out := rejected(reject(ReasonUnknownAnchor, "%s is not pinned and is endorsed by %d pinned anchors of the %d required", d.Country, n, k))
	out.Outcome = Pending
	return withCtx(out, dec(Pending))
}

func withCtx(out, ctx *Decision) *Decision {
	out.Country, out.Number, out.Hash = ctx.Country, ctx.Number, ctx.Hash
	return out
}

func (s *Set) endorsedBy(d *Descriptor) (int, []string) {
	var by []string
	for endorser, e := range s.endorsements[string(d.Hash())] {
		a := s.anchors[endorser]
		if a == nil || !a.pinned || a.versions[e.EndorserVersion] == nil || e.Subject != d.Country {
			continue
		}
		by = append(by, endorser)
	}
	sort.Strings(by)
	return len(by), by
}

func (s *Set) admit(d *Descriptor, by []string) {
	a := &anchor{versions: map[uint64]*Descriptor{d.Version: d}, current: d, admittedBy: by,
		lists: map[uint64]*List{}, evidence: map[string]*Evidence{}}
	s.anchors[d.Country] = a
	delete(s.pending, string(d.Hash()))
}

func (s *Set) acceptEndorsement(raw []byte, msg *cose.SignMessage) *Decision {
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
	m := s.endorsements[string(e.SubjectHash)]
	if m == nil {
		m = map[string]*Endorsement{}
		s.endorsements[string(e.SubjectHash)] = m
	}
	if old := m[e.Endorser]; old != nil && bytes.Equal(old.Hash(), e.Hash()) {
		ctx.Outcome = Duplicate
		return ctx
	}
	m[e.Endorser] = e
	ctx.Outcome = Accepted
	if d := s.pending[string(e.SubjectHash)]; d != nil {
		if n, by := s.endorsedBy(d); s.policy.EndorsementThreshold > 0 && n >= s.policy.EndorsementThreshold {
			if cur := s.anchors[d.Country]; cur == nil {
				s.admit(d, by)
				ctx.Admitted = d
				ctx.Detail = fmt.Sprintf("%s admitted: endorsed by %v", d.Country, by)
			}
		}
	}
	return ctx
}

func (s *Set) acceptList(raw []byte, msg *cose.SignMessage, at time.Time, replay bool) *Decision {
	l, err := parseList(raw, msg)
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
	s.addEvidence(a, ev)
	out := withCtx(rejected(reject(ReasonEquivocation, "%s signed two different lists (seq %d and %d) that conflict; evidence recorded", l.Country, held.Seq, l.Seq)), ctx)
	out.Evidence = ev
	return out
}

func (s *Set) addEvidence(a *anchor, ev *Evidence) bool {
	h := string(ev.Hash())
	if a.evidence[h] != nil {
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
	ev, err := ParseEvidence(raw)
	if err != nil {
		return rejected(err)
	}
	ctx := &Decision{Country: ev.Country(), Number: ev.A.Seq, Hash: ev.Hash()}
	a := s.anchors[ev.Country()]
	if a == nil || a.versions[ev.Descriptor.Version] == nil || !bytes.Equal(a.versions[ev.Descriptor.Version].Hash(), ev.Descriptor.Hash()) {
		return withCtx(rejected(reject(ReasonUnknownAnchor, "evidence is about %s descriptor v%d, which is not an admitted descriptor", ev.Country(), ev.Descriptor.Version)), ctx)
	}
	if !s.addEvidence(a, ev) {
		ctx.Outcome = Duplicate
		return ctx
	}
	ctx.Outcome = Accepted
	return ctx
}

// AnchorInfo summarises one admitted anchor.
type AnchorInfo struct {
	Country     string    `json:"country"`
	Name        string    `json:"name"`
	Version     uint64    `json:"descriptor_version"`
	Threshold   int       `json:"threshold"`
	Keys        int       `json:"keys"`
	Hash        []byte    `json:"descriptor_hash"`
	Pinned      bool      `json:"pinned"`
	AdmittedBy  []string  `json:"admitted_by,omitempty"`
	Seq         uint64    `json:"seq,omitempty"`
	ListHash    []byte    `json:"list_hash,omitempty"`
	Entries     int       `json:"entries"`
	IssuedAt    time.Time `json:"issued_at,omitzero"`
	NextUpdate  time.Time `json:"next_update,omitzero"`
	History     int       `json:"history"`
	Equivocated bool      `json:"equivocated"`
}

// Anchors lists the admitted anchors, sorted by country.
func (s *Set) Anchors() []AnchorInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []AnchorInfo
	for cc, a := range s.anchors {
		info := AnchorInfo{Country: cc, Name: a.current.Name, Version: a.current.Version, Threshold: a.current.Threshold,
			Keys: len(a.current.Keys), Hash: a.current.Hash(), Pinned: a.pinned, AdmittedBy: a.admittedBy,
			History: len(a.lists), Equivocated: a.equivocated}
		if h := a.head; h != nil {
			info.Seq, info.ListHash, info.Entries, info.IssuedAt, info.NextUpdate = h.Seq, h.Hash(), len(h.Entries), h.IssuedAt, h.NextUpdate
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
	if a := s.anchors[country]; a != nil {
		return a.head
	}
	return nil
}

// ListAt returns the held list of an anchor with the given seq, or nil.
func (s *Set) ListAt(country string, seq uint64) *List {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a := s.anchors[country]; a != nil {
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
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
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
