// Package foreign decides whether a foreign signed list (today: an ETSI TS
// 119 612 trusted list or the EU List of Trusted Lists) is accepted verbatim
// by a verifier that pinned the list's signer: spec/trustlist.md §7.5.
//
// The acceptance rules live here and only here: the XAdES signature verifies
// with a pinned root (a LOTL) or with a certificate a held, accepted LOTL
// names for the list's territory (a national list); the sequence number
// strictly increases per list; NextUpdate is in the future (a stale list is
// refused online and accepted with a warning offline).
package foreign

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/listimport/etsitl"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// Errors a refusal wraps.
var (
	ErrFormat      = errors.New("format not supported for pinned foreign lists")
	ErrNotPinned   = errors.New("no source pin for this format")
	ErrUntrusted   = errors.New("signature not verified against the pinned roots or a held LOTL's pointers")
	ErrRollback    = errors.New("sequence number not newer than the held list (rollback)")
	ErrStale       = errors.New("list is past its NextUpdate (stale)")
	ErrClosed      = errors.New("list has no NextUpdate (closed or malformed)")
	ErrNoLOTL      = errors.New("national list needs a held LOTL naming its signer")
	ErrUnchanged   = errors.New("the same list is already held")
	ErrMaxTerritry = errors.New("too many held lists")
)

var territoryRE = regexp.MustCompile(`^[A-Z]{2}$`)

// MaxLists bounds the lists one Held keeps (the EU has one LOTL and about 31
// national lists).
const MaxLists = 256

// Pin is an operator's pin of a foreign list signer: the format and the root
// certificates trusted to sign that format's top list (for etsi-tl, the LOTL
// signers the Official Journal publishes).
type Pin struct {
	Format string
	Roots  []*pki.Certificate
}

// List is an accepted foreign list: the file byte for byte and what was
// derived from it on acceptance.
type List struct {
	Format     string
	Territory  string
	LOTL       bool
	Seq        uint64
	Issued     time.Time
	NextUpdate time.Time
	Raw        []byte
	// ID is SHA-256 of Raw, the object's identity.
	ID [32]byte
	// Signer names the list's signer; Detail says how it was trusted.
	Signer, Detail string
	// Items are the list's services mapped to entries (etsitl's mapping: a
	// CA/QC for e-signatures or e-seals is a pdf CA, a qualified timestamp
	// service a tsa signer; others are refused with a reason).
	Items    []listimport.Item
	pointers etsitl.Pointers
}

// Key is the list's slot: a newer list replaces the one in the same slot.
func (l *List) Key() string { return slotKey(l.Format, l.Territory, l.LOTL) }

func slotKey(format, territory string, lotl bool) string {
	if lotl {
		return format + "/" + territory + "/lotl"
	}
	return format + "/" + territory
}

// Entries returns the usable entries of l: the items that were not refused.
func (l *List) Entries() []*trustlist.Entry {
	var out []*trustlist.Entry
	for _, it := range l.Items {
		if it.Refused == nil && it.Entry != nil {
			out = append(out, it.Entry)
		}
	}
	return out
}

// Held is a verifier's set of pins and accepted foreign lists. It is not safe
// for concurrent use.
type Held struct {
	pins  map[string]Pin
	lists map[string]*List
}

// NewHeld returns an empty Held.
func NewHeld() *Held { return &Held{pins: map[string]Pin{}, lists: map[string]*List{}} }

// PinSource records p, replacing an earlier pin of the same format.
func (h *Held) PinSource(p Pin) error {
	if p.Format != etsitl.Format {
		return fmt.Errorf("%w: %q (supported: %s)", ErrFormat, p.Format, etsitl.Format)
	}
	if len(p.Roots) == 0 {
		return fmt.Errorf("pin %s: no root certificates", p.Format)
	}
	h.pins[p.Format] = p
	return nil
}

// Lists returns the held lists sorted by slot.
func (h *Held) Lists() []*List {
	out := make([]*List, 0, len(h.lists))
	for _, l := range h.lists {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// Options are the inputs of Accept besides the file.
type Options struct {
	// Now is the time freshness is judged at.
	Now time.Time
	// Offline accepts a stale list with a warning instead of refusing it.
	Offline bool
}

// Accept checks raw, a list in format, and on success holds it. A warning
// (non-empty) is returned for a stale list accepted offline. On refusal
// nothing changes.
func (h *Held) Accept(format string, raw []byte, o Options) (*List, string, error) {
	pin, err := h.pinFor(format)
	if err != nil {
		return nil, "", err
	}
	l, err := verifyList(pin, raw, h.pointers(), o.Now)
	if err != nil {
		return nil, "", err
	}
	if err := h.checkSeq(l); err != nil {
		return nil, "", err
	}
	warn, err := checkFresh(l, o)
	if err != nil {
		return nil, "", err
	}
	if _, ok := h.lists[l.Key()]; !ok && len(h.lists) >= MaxLists {
		return nil, "", ErrMaxTerritry
	}
	h.lists[l.Key()] = l
	return l, warn, nil
}

func (h *Held) pinFor(format string) (Pin, error) {
	if format != etsitl.Format {
		return Pin{}, fmt.Errorf("%w: %q", ErrFormat, format)
	}
	p, ok := h.pins[format]
	if !ok {
		return Pin{}, fmt.Errorf("%w %q", ErrNotPinned, format)
	}
	return p, nil
}

// pointers merges the pointers of the held LOTLs.
func (h *Held) pointers() etsitl.Pointers {
	out := etsitl.Pointers{}
	for _, l := range h.lists {
		for terr, certs := range l.pointers {
			out[terr] = append(out[terr], certs...)
		}
	}
	return out
}

// verifyList parses raw and requires a verified signature: a LOTL by a
// pinned root only (never by a pointer, so a LOTL cannot widen its own
// trust); a national list by a signer a held LOTL names for its territory
// only (never by a pinned root).
func verifyList(pin Pin, raw []byte, held etsitl.Pointers, now time.Time) (*List, error) {
	first, err := etsitl.ParseList(raw, listimport.Options{At: now}, nil)
	if err != nil {
		return nil, err
	}
	var el *etsitl.List
	if first.LOTL {
		el, err = etsitl.ParseList(raw, listimport.Options{Roots: pin.Roots, At: now}, nil)
	} else {
		if len(held[first.Territory]) == 0 {
			return nil, fmt.Errorf("%s: %w for %s", first.Source.Name, ErrNoLOTL, first.Territory)
		}
		el, err = etsitl.ParseList(raw, listimport.Options{At: now}, etsitl.Pointers{first.Territory: held[first.Territory]})
	}
	if err != nil {
		return nil, err
	}
	src := el.Source
	if !territoryRE.MatchString(el.Territory) {
		return nil, fmt.Errorf("%s: SchemeTerritory %q is not two capital letters", src.Name, el.Territory)
	}
	if src.Signature != trustlist.SourceVerified {
		return nil, fmt.Errorf("%s: %w: %s: %s", src.Name, ErrUntrusted, src.Signature, src.SignatureDetail)
	}
	l := &List{Format: pin.Format, Territory: el.Territory, LOTL: el.LOTL, Seq: el.Seq,
		Issued: src.Issued, NextUpdate: el.NextUpdate, Raw: bytes.Clone(raw), ID: sha256.Sum256(raw),
		Signer: src.Signer, Detail: src.SignatureDetail, Items: src.Items, pointers: el.Pointers}
	return l, nil
}

// checkSeq refuses a list whose seq is not above the held one's.
func (h *Held) checkSeq(l *List) error {
	old, ok := h.lists[l.Key()]
	if !ok {
		return nil
	}
	if old.ID == l.ID {
		return ErrUnchanged
	}
	if l.Seq <= old.Seq {
		return fmt.Errorf("%s %s: %w: seq %d, held %d", l.Format, l.Territory, ErrRollback, l.Seq, old.Seq)
	}
	return nil
}

// checkFresh applies NextUpdate: missing is refused, past is refused online
// and a warning offline.
func checkFresh(l *List, o Options) (string, error) {
	if l.NextUpdate.IsZero() {
		return "", fmt.Errorf("%s %s seq %d: %w", l.Format, l.Territory, l.Seq, ErrClosed)
	}
	if !o.Now.Before(l.NextUpdate) {
		if o.Offline {
			return fmt.Sprintf("%s %s seq %d is stale: NextUpdate %s passed (accepted offline)", l.Format, l.Territory, l.Seq, l.NextUpdate.Format(time.RFC3339)), nil
		}
		return "", fmt.Errorf("%s %s seq %d: %w: NextUpdate %s", l.Format, l.Territory, l.Seq, ErrStale, l.NextUpdate.Format(time.RFC3339))
	}
	return "", nil
}

// Install makes the entries of h's national lists findable in s (LOTLs have
// none), one slot per list, replacing what those slots held.
func (h *Held) Install(s *trustlist.Set) {
	for _, l := range h.Lists() {
		if l.LOTL {
			continue
		}
		s.SetForeign(l.Key(), &trustlist.ForeignList{
			Name:    fmt.Sprintf("the %s trusted list seq %d (pinned %s source)", l.Territory, l.Seq, l.Format),
			Country: l.Territory, Seq: l.Seq, IssuedAt: l.Issued, NextUpdate: l.NextUpdate,
			Hash: l.ID[:], Entries: l.Entries()})
	}
}
