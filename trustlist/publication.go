package trustlist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/veraison/go-cose"
)

// Publications are the objects an anchor signs beside its trust list (see
// spec/rules.md): its business rules, the value sets they read, and
// revocation batches of single documents. Each is signed with the anchor's
// threshold under its current descriptor and versioned so that no older
// object can replace a newer one.
const (
	KindRuleSet     Kind = "ruleset"     // the anchor's EU DCC business rules (a full snapshot)
	KindValueSets   Kind = "valuesets"   // the value sets its rules read (a full snapshot)
	KindRevocations Kind = "revocations" // a delta of document revocation batches (a hash chain)
)

// isPublication reports whether k is one of the publication kinds.
func isPublication(k Kind) bool {
	return k == KindRuleSet || k == KindValueSets || k == KindRevocations
}

// Limits of one publication.
const (
	MaxRules         = 1000 // rules (all versions) in one rule set
	MaxRuleSize      = 256 << 10
	MaxValueSets     = 256
	MaxValueSetCodes = 10_000
)

// PublicationHeader is the part every publication shares, with its wire keys:
// kind (0), country (1), descriptor version (2), seq (3), issued_at (4).
type PublicationHeader struct {
	Country           string
	DescriptorVersion uint64
	Seq               uint64
	IssuedAt          time.Time
}

func (h *PublicationHeader) check() error {
	if err := checkCountry(h.Country); err != nil {
		return err
	}
	if h.Seq < 1 || h.DescriptorVersion < 1 {
		return fmt.Errorf("%w: seq and descriptor version start at 1", ErrMalformed)
	}
	if h.IssuedAt.IsZero() {
		return fmt.Errorf("%w: issued_at is missing", ErrMalformed)
	}
	return nil
}

// verifyPub checks that t keys of d signed s and that d is the descriptor h names.
func verifyPub(s *signed, h *PublicationHeader, kind Kind, d *Descriptor) error {
	if d.Country != h.Country || d.Version != h.DescriptorVersion {
		return reject(ReasonUnknownAnchor, "%s names %s descriptor v%d, not %s v%d", kind, h.Country, h.DescriptorVersion, d.Country, d.Version)
	}
	return s.verifyBy(d.Keys, d.Threshold, fmt.Sprintf("%s descriptor v%d", d.Country, d.Version))
}

// RuleSet is an anchor's signed set of EU DCC business rules: every version
// of every rule it currently publishes, each the rule's JSON as authored
// (validation-rule.schema.json). A rule set replaces the previous one whole.
type RuleSet struct {
	PublicationHeader
	Rules [][]byte
	signed
}

type ruleSetWire struct {
	Type              string   `cbor:"0,keyasint"`
	Country           string   `cbor:"1,keyasint"`
	DescriptorVersion uint64   `cbor:"2,keyasint"`
	Seq               uint64   `cbor:"3,keyasint"`
	IssuedAt          int64    `cbor:"4,keyasint"`
	Rules             [][]byte `cbor:"5,keyasint"`
}

func (w *ruleSetWire) kind() string { return w.Type }

// ruleHead is the part of a rule's JSON this package checks; the rule's
// meaning is the certlogic package's business.
type ruleHead struct {
	Identifier string `json:"Identifier"`
	Country    string `json:"Country"`
	Version    string `json:"Version"`
}

var ruleIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(GR|VR|TR|RR|IR)-[A-Z]{2}-\d{4}$`) })

func (rs *RuleSet) check() error {
	if err := rs.PublicationHeader.check(); err != nil {
		return err
	}
	if len(rs.Rules) > MaxRules {
		return fmt.Errorf("%w: %d rules (at most %d)", ErrMalformed, len(rs.Rules), MaxRules)
	}
	seen := map[string]bool{}
	for i, raw := range rs.Rules {
		if len(raw) > MaxRuleSize {
			return fmt.Errorf("%w: rule %d is larger than %d bytes", ErrMalformed, i+1, MaxRuleSize)
		}
		var h ruleHead
		if err := json.Unmarshal(raw, &h); err != nil {
			return fmt.Errorf("%w: rule %d is not a JSON rule object: %v", ErrMalformed, i+1, err)
		}
		if !ruleIDRE().MatchString(h.Identifier) || h.Country != rs.Country || h.Identifier[3:5] != rs.Country {
			return fmt.Errorf("%w: rule %d (%q) is not a rule of %s: an anchor publishes only its own country's rules", ErrMalformed, i+1, h.Identifier, rs.Country)
		}
		k := h.Identifier + "@" + h.Version
		if seen[k] {
			return fmt.Errorf("%w: rule %s version %s appears twice", ErrMalformed, h.Identifier, h.Version)
		}
		seen[k] = true
	}
	return nil
}

// SignRuleSet encodes rs and signs it with keys (t keys of the anchor's
// descriptor of version rs.DescriptorVersion).
func SignRuleSet(rs *RuleSet, keys []*PrivateKey) (*RuleSet, error) {
	if err := rs.check(); err != nil {
		return nil, err
	}
	rules := rs.Rules
	if rules == nil {
		rules = [][]byte{}
	}
	s, err := signWire(&ruleSetWire{Type: string(KindRuleSet), Country: rs.Country, DescriptorVersion: rs.DescriptorVersion,
		Seq: rs.Seq, IssuedAt: toUnix(rs.IssuedAt), Rules: rules}, keys)
	if err != nil {
		return nil, err
	}
	out := *rs
	out.signed = s
	return &out, nil
}

// ParseRuleSet decodes a signed rule set. It checks structure only.
func ParseRuleSet(raw []byte) (*RuleSet, error) { return parseRuleSet(raw, nil) }

func parseRuleSet(raw []byte, msg *cose.SignMessage) (*RuleSet, error) {
	var w ruleSetWire
	s, err := decodeSigned(raw, msg, KindRuleSet, &w)
	if err != nil {
		return nil, err
	}
	rs := &RuleSet{PublicationHeader: PublicationHeader{Country: w.Country, DescriptorVersion: w.DescriptorVersion, Seq: w.Seq, IssuedAt: unixTime(w.IssuedAt)},
		Rules: w.Rules, signed: s}
	if err := rs.check(); err != nil {
		return nil, err
	}
	return rs, nil
}

// Verify checks that t keys of d signed the rule set.
func (rs *RuleSet) Verify(d *Descriptor) error {
	return verifyPub(&rs.signed, &rs.PublicationHeader, KindRuleSet, d)
}

// ValueSets is an anchor's signed value sets: name (e.g.
// "vaccines-covid-19-names") to the codes it holds, as rules read them
// through external.valueSets.<name>.
type ValueSets struct {
	PublicationHeader
	Sets map[string][]string
	signed
}

type valueSetsWire struct {
	Type              string              `cbor:"0,keyasint"`
	Country           string              `cbor:"1,keyasint"`
	DescriptorVersion uint64              `cbor:"2,keyasint"`
	Seq               uint64              `cbor:"3,keyasint"`
	IssuedAt          int64               `cbor:"4,keyasint"`
	Sets              map[string][]string `cbor:"5,keyasint"`
}

func (w *valueSetsWire) kind() string { return w.Type }

var valueSetNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

func (vs *ValueSets) check() error {
	if err := vs.PublicationHeader.check(); err != nil {
		return err
	}
	if len(vs.Sets) > MaxValueSets {
		return fmt.Errorf("%w: %d value sets (at most %d)", ErrMalformed, len(vs.Sets), MaxValueSets)
	}
	for name, codes := range vs.Sets {
		if !valueSetNameRE().MatchString(name) {
			return fmt.Errorf("%w: value set name %q", ErrMalformed, name)
		}
		if len(codes) > MaxValueSetCodes {
			return fmt.Errorf("%w: value set %s has %d codes (at most %d)", ErrMalformed, name, len(codes), MaxValueSetCodes)
		}
	}
	return nil
}

// SignValueSets encodes vs and signs it with keys.
func SignValueSets(vs *ValueSets, keys []*PrivateKey) (*ValueSets, error) {
	if err := vs.check(); err != nil {
		return nil, err
	}
	sets := vs.Sets
	if sets == nil {
		sets = map[string][]string{}
	}
	s, err := signWire(&valueSetsWire{Type: string(KindValueSets), Country: vs.Country, DescriptorVersion: vs.DescriptorVersion,
		Seq: vs.Seq, IssuedAt: toUnix(vs.IssuedAt), Sets: sets}, keys)
	if err != nil {
		return nil, err
	}
	out := *vs
	out.signed = s
	return &out, nil
}

// ParseValueSets decodes signed value sets. It checks structure only.
func ParseValueSets(raw []byte) (*ValueSets, error) { return parseValueSets(raw, nil) }

func parseValueSets(raw []byte, msg *cose.SignMessage) (*ValueSets, error) {
	var w valueSetsWire
	s, err := decodeSigned(raw, msg, KindValueSets, &w)
	if err != nil {
		return nil, err
	}
	vs := &ValueSets{PublicationHeader: PublicationHeader{Country: w.Country, DescriptorVersion: w.DescriptorVersion, Seq: w.Seq, IssuedAt: unixTime(w.IssuedAt)},
		Sets: w.Sets, signed: s}
	if err := vs.check(); err != nil {
		return nil, err
	}
	return vs, nil
}

// Verify checks that t keys of d signed the value sets.
func (vs *ValueSets) Verify(d *Descriptor) error {
	return verifyPub(&vs.signed, &vs.PublicationHeader, KindValueSets, d)
}

// pubState is what a Set holds of one anchor's publications.
type pubState struct {
	rules     *RuleSet
	valueSets *ValueSets
	revs      *revChain
}

func (s *Set) pubsFor(country string) *pubState {
	if s.pubs == nil {
		s.pubs = map[string]*pubState{}
	}
	p := s.pubs[country]
	if p == nil {
		p = &pubState{}
		s.pubs[country] = p
	}
	return p
}

// acceptPublication is acceptLocked for the publication kinds.
func (s *Set) acceptPublication(raw []byte, kind Kind, msg *cose.SignMessage, at time.Time, replay bool) *Decision {
	var (
		h   *PublicationHeader
		sg  *signed
		obj any
	)
	switch kind {
	case KindRuleSet:
		rs, err := parseRuleSet(raw, msg)
		if err != nil {
			return rejected(err)
		}
		h, sg, obj = &rs.PublicationHeader, &rs.signed, rs
	case KindValueSets:
		vs, err := parseValueSets(raw, msg)
		if err != nil {
			return rejected(err)
		}
		h, sg, obj = &vs.PublicationHeader, &vs.signed, vs
	default:
		rv, err := parseRevocations(raw, msg)
		if err != nil {
			return rejected(err)
		}
		h, sg, obj = &rv.PublicationHeader, &rv.signed, rv
	}
	ctx := &Decision{Country: h.Country, Number: h.Seq, Hash: sg.Hash()}
	fail := func(r Reason, f string, args ...any) *Decision { return withCtx(rejected(reject(r, f, args...)), ctx) }
	a := s.anchors[h.Country]
	if a == nil {
		return fail(ReasonUnknownAnchor, "%s is not an admitted anchor (pin its descriptor, or import endorsements by pinned anchors)", h.Country)
	}
	d := a.versions[h.DescriptorVersion]
	if d == nil {
		return fail(ReasonUnknownAnchor, "%s descriptor v%d is not held (current v%d)", h.Country, h.DescriptorVersion, a.current.Version)
	}
	if err := verifyPub(sg, h, kind, d); err != nil {
		return withCtx(rejected(err), ctx)
	}
	if !replay {
		// Only the current keys speak for the anchor: after a rotation
		// (perhaps for a compromise) the old keys can publish nothing new.
		if h.DescriptorVersion != a.current.Version {
			return fail(ReasonBadVersion, "%s %s seq %d is signed under descriptor v%d, superseded by v%d", h.Country, kind, h.Seq, h.DescriptorVersion, a.current.Version)
		}
		if h.IssuedAt.After(at.Add(s.policy.MaxClockSkew)) {
			return fail(ReasonExpired, "%s %s seq %d is issued in the future (%s)", h.Country, kind, h.Seq, h.IssuedAt.Format(time.RFC3339))
		}
	}
	p := s.pubsFor(h.Country)
	switch o := obj.(type) {
	case *RuleSet:
		var held *PublicationHeader
		var heldHash []byte
		if p.rules != nil {
			held, heldHash = &p.rules.PublicationHeader, p.rules.Hash()
		}
		if out := snapshotOrder(held, heldHash, h, sg.Hash(), kind, ctx); out != nil {
			return out
		}
		p.rules = o
	case *ValueSets:
		var held *PublicationHeader
		var heldHash []byte
		if p.valueSets != nil {
			held, heldHash = &p.valueSets.PublicationHeader, p.valueSets.Hash()
		}
		if out := snapshotOrder(held, heldHash, h, sg.Hash(), kind, ctx); out != nil {
			return out
		}
		p.valueSets = o
	case *Revocations:
		if out := p.acceptRevocations(o, ctx); out != nil {
			return out
		}
	}
	s.markDirty(h.Country)
	ctx.Outcome = Accepted
	return ctx
}

// snapshotOrder applies the rollback rule to a snapshot publication: only a
// higher seq replaces the held one. It returns nil when h may replace held.
func snapshotOrder(held *PublicationHeader, heldHash []byte, h *PublicationHeader, hash []byte, kind Kind, ctx *Decision) *Decision {
	if held == nil {
		return nil
	}
	switch {
	case bytes.Equal(heldHash, hash):
		ctx.Outcome = Duplicate
		return ctx
	case h.Seq == held.Seq:
		return withCtx(rejected(reject(ReasonEquivocation, "a different %s %s seq %d is already held", h.Country, kind, h.Seq)), ctx)
	case h.Seq < held.Seq:
		return withCtx(rejected(reject(ReasonRollback, "%s %s seq %d is older than the held seq %d", h.Country, kind, h.Seq, held.Seq)), ctx)
	}
	return nil
}

// RuleSet returns the anchor's current rule set, or nil.
func (s *Set) RuleSet(country string) *RuleSet {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p := s.pubs[country]; p != nil {
		return p.rules
	}
	return nil
}

// ValueSets returns the anchor's current value sets, or nil.
func (s *Set) ValueSets(country string) *ValueSets {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p := s.pubs[country]; p != nil {
		return p.valueSets
	}
	return nil
}

// Publications returns the raw publications held for an anchor, in the
// order a fresh set must accept them (rule set, value sets, then the
// revocation chain from seq 1): what sync sends.
func (s *Set) Publications(country string) [][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.pubs[country]
	if p == nil {
		return nil
	}
	var out [][]byte
	if p.rules != nil {
		out = append(out, p.rules.Raw())
	}
	if p.valueSets != nil {
		out = append(out, p.valueSets.Raw())
	}
	if p.revs != nil {
		for _, r := range p.revs.deltas {
			out = append(out, r.Raw())
		}
	}
	return out
}

// PublicationCountries lists the anchors with publications held.
func (s *Set) PublicationCountries() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.pubs))
	for cc := range s.pubs {
		out = append(out, cc)
	}
	return out
}
