// Package foreign decides whether a foreign signed list — an ETSI TS 119 612
// trusted list or the EU List of Trusted Lists, the EU DCC gateway's trust
// list, an ICAO CSCA master list — is accepted verbatim by a verifier that
// pinned the list's source: spec/trustlist.md §7.5.
//
// The acceptance rules live here and only here, for the CLI verifier and for
// nodes alike: the list's own signature verifies under the pin (ETSI: a LOTL
// with a pinned root, a national list with a certificate a held, accepted
// LOTL names for its territory; DCCG: each item's upload signature with a
// pinned upload certificate or its issuer; ICAO: the master-list signer
// issued by a pinned CSCA); its sequence number (or, where the source has
// none, its signed date) strictly increases per slot; it is not stale.
package foreign

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/listimport/dccg"
	"github.com/accord-network/accord/internal/listimport/etsitl"
	"github.com/accord-network/accord/internal/listimport/gdhcn"
	"github.com/accord-network/accord/internal/listimport/icaoml"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// Errors a refusal wraps.
var (
	ErrFormat    = errors.New("format not supported for pinned foreign lists")
	ErrNotPinned = errors.New("no source pin for this format")
	ErrUntrusted = errors.New("signature not verified against the pinned roots or a held LOTL's pointers")
	ErrRollback  = errors.New("sequence number not newer than the held list (rollback)")
	ErrStale     = errors.New("list is past its NextUpdate (stale)")
	ErrClosed    = errors.New("list has no NextUpdate (closed or malformed)")
	ErrNoLOTL    = errors.New("national list needs a held LOTL naming its signer")
	ErrUnchanged = errors.New("the same list is already held")
	// ErrMaxTerritory: a list for a new slot (format, territory) would
	// make the Held keep more than MaxLists lists.
	ErrMaxTerritory = errors.New("too many held lists")
	// ErrEnvelope: a foreign list envelope's claims (slot, seq, dates)
	// differ from what its file says. It wraps trustlist.ErrMalformed: no
	// honest node sends one.
	ErrEnvelope = fmt.Errorf("%w: foreign list envelope does not match its file", trustlist.ErrMalformed)
)

// UndatedValidity is how long a list from a source that states no next
// update (dccg, icao-ml) is taken as current after its signed date.
const UndatedValidity = 365 * 24 * time.Hour

// The formats a source pin may name, and how each is verified.
var verifiers = map[string]func(pin Pin, raw []byte, held etsitl.Pointers, now time.Time) (*List, error){
	etsitl.Format: verifyETSI,
	dccg.Format:   verifyDCCG,
	icaoml.Format: verifyICAO,
}

// Formats lists the formats a source pin may name.
func Formats() []string {
	out := make([]string, 0, len(verifiers))
	for f := range verifiers {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func checkFormat(format string) error {
	if _, ok := verifiers[format]; ok {
		return nil
	}
	if format == gdhcn.Format {
		return fmt.Errorf("%w: %s: a GDHCN document signs no date or sequence number (the proof's created is outside the signed content), so a replayed older document could not be told from a newer one", ErrFormat, format)
	}
	return fmt.Errorf("%w: %q (supported: %s)", ErrFormat, format, strings.Join(Formats(), ", "))
}

var territoryRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{2}$`) })

// MaxLists bounds the lists one Held keeps (the EU has one LOTL and about 31
// national lists).
const MaxLists = 256

// MaxNetworkFile bounds a foreign list file the network carries: its
// envelope (format, territory, seq and dates, well under 4 KiB) must stay
// within trustlist.MaxObjectSize, the bound on every object a node fetches
// (spec/network.md §3). A larger list (up to listimport.MaxSourceSize) is
// still accepted and held locally, but never sent to peers.
const MaxNetworkFile = trustlist.MaxObjectSize - 4<<10

// Pin is an operator's pin of a foreign list signer: the format and the root
// certificates trusted to sign that format's lists (etsi-tl: the LOTL
// signers the Official Journal publishes; dccg: countries' upload
// certificates or the certificate that issued them; icao-ml: the CSCAs that
// issue master-list signers).
type Pin struct {
	Format string
	Roots  []*pki.Certificate
}

// List is an accepted foreign list: the file byte for byte and what was
// derived from it on acceptance.
type List struct {
	// Name describes the list for people: "the EU DCC gateway trust list of
	// 2024-03-08 (pinned dccg source)".
	Name       string
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

// Key is the list's slot (trustlist.ForeignSlot): a newer list replaces the
// one in the same slot.
func (l *List) Key() string { return trustlist.ForeignSlot(l.Format, l.Territory, l.LOTL) }

// Object returns the list's envelope for the network (trustlist.KindForeign).
func (l *List) Object() (*trustlist.ForeignObject, error) {
	return trustlist.NewForeignObject(trustlist.ForeignObject{Format: l.Format, Territory: l.Territory, Seq: l.Seq,
		IssuedAt: l.Issued, NextUpdate: l.NextUpdate, LOTL: l.LOTL, Data: l.Raw})
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
	if err := checkFormat(p.Format); err != nil {
		return err
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

// Pinned reports whether format has a source pin.
func (h *Held) Pinned(format string) bool {
	_, ok := h.pins[format]
	return ok
}

// Get returns the list held in slot, or nil.
func (h *Held) Get(slot string) *List { return h.lists[slot] }

// Accept checks raw, a list in format, and on success holds it. A warning
// (non-empty) is returned for a stale list accepted offline. On refusal
// nothing changes.
func (h *Held) Accept(format string, raw []byte, o Options) (*List, string, error) {
	return h.accept(format, raw, o, nil)
}

// AcceptObject checks a foreign list received from the network. The cheap
// checks come first: the format must be pinned here, and the envelope's slot
// and seq must be newer than what is held (the identical file is
// ErrUnchanged). Then the file is verified exactly as Accept does, and every
// claim of the envelope must equal what the file says (ErrEnvelope).
func (h *Held) AcceptObject(obj *trustlist.ForeignObject, o Options) (*List, string, error) {
	if _, err := h.pinFor(obj.Format); err != nil {
		return nil, "", err
	}
	if old := h.lists[obj.Slot()]; old != nil {
		if string(old.ID[:]) == string(obj.Hash()) {
			return nil, "", ErrUnchanged
		}
		if obj.Seq <= old.Seq {
			return nil, "", fmt.Errorf("%s: %w: seq %d, held %d", obj.Slot(), ErrRollback, obj.Seq, old.Seq)
		}
	}
	return h.accept(obj.Format, obj.Data, o, func(l *List) error {
		if err := obj.Agrees(l.Format, l.Territory, l.LOTL, l.Seq, l.Issued, l.NextUpdate); err != nil {
			return fmt.Errorf("%w: %v", ErrEnvelope, err)
		}
		return nil
	})
}

func (h *Held) accept(format string, raw []byte, o Options, check func(*List) error) (*List, string, error) {
	pin, err := h.pinFor(format)
	if err != nil {
		return nil, "", err
	}
	if len(raw) > listimport.MaxSourceSize {
		return nil, "", fmt.Errorf("%s list of %d bytes exceeds %d", format, len(raw), listimport.MaxSourceSize)
	}
	l, err := verifiers[format](pin, raw, h.pointers(), o.Now)
	if err != nil {
		return nil, "", err
	}
	if check != nil {
		if err := check(l); err != nil {
			return nil, "", err
		}
	}
	if err := h.checkSeq(l); err != nil {
		return nil, "", err
	}
	warn, err := checkFresh(l, o)
	if err != nil {
		return nil, "", err
	}
	if _, ok := h.lists[l.Key()]; !ok && len(h.lists) >= MaxLists {
		return nil, "", fmt.Errorf("%w (at most %d)", ErrMaxTerritory, MaxLists)
	}
	h.lists[l.Key()] = l
	return l, warn, nil
}

func (h *Held) pinFor(format string) (Pin, error) {
	if err := checkFormat(format); err != nil {
		return Pin{}, err
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

// verifyETSI parses raw and requires a verified signature: a LOTL by a
// pinned root only (never by a pointer, so a LOTL cannot widen its own
// trust); a national list by a signer a held LOTL names for its territory
// only (never by a pinned root).
func verifyETSI(pin Pin, raw []byte, held etsitl.Pointers, now time.Time) (*List, error) {
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
	if !territoryRE().MatchString(el.Territory) {
		return nil, fmt.Errorf("%s: SchemeTerritory %q is not two capital letters", src.Name, el.Territory)
	}
	if src.Signature != trustlist.SourceVerified {
		return nil, fmt.Errorf("%s: %w: %s: %s", src.Name, ErrUntrusted, src.Signature, src.SignatureDetail)
	}
	l := &List{Format: pin.Format, Territory: el.Territory, LOTL: el.LOTL, Seq: el.Seq,
		Issued: src.Issued, NextUpdate: el.NextUpdate, Raw: bytes.Clone(raw), ID: sha256.Sum256(raw),
		Signer: src.Signer, Detail: src.SignatureDetail, Items: src.Items, pointers: el.Pointers}
	l.Name = fmt.Sprintf("the %s trusted list seq %d (pinned %s source)", l.Territory, l.Seq, l.Format)
	if l.LOTL {
		l.Name = fmt.Sprintf("the %s list of trusted lists seq %d (pinned %s source)", l.Territory, l.Seq, l.Format)
	}
	setProvenance(src, l, "")
	return l, nil
}

// GatewayTerritory is the slot territory of a DCC gateway list: the EU's
// gateway, whose items carry their own countries.
const GatewayTerritory = "EU"

// verifyDCCG parses a DCC gateway list under the pin. The list as a whole is
// unsigned; each item carries its uploading country's CMS signature. Only
// items whose upload signature verifies with a pinned upload certificate (or
// one a pinned root issued) become entries, each for its own country; the
// others are refused with their reason. The list's date and seq are the
// newest signingTime those verified signatures sign (the gateway's
// "timestamp" field is not signed); a list with no verified, dated item is
// refused.
func verifyDCCG(pin Pin, raw []byte, _ etsitl.Pointers, now time.Time) (*List, error) {
	src, err := dccg.Parse(raw, listimport.Options{Roots: pin.Roots, At: now})
	if err != nil {
		return nil, err
	}
	var newest time.Time
	verified := 0
	for i := range src.Items {
		it := &src.Items[i]
		if it.Refused != nil {
			continue
		}
		if it.Signature != trustlist.SourceVerified {
			it.Refused, it.Entry = fmt.Errorf("upload signature %s: %s", it.Signature, it.SignatureDetail), nil
			continue
		}
		verified++
		if it.SignedAt.After(newest) {
			newest = it.SignedAt
		}
	}
	if verified == 0 {
		return nil, fmt.Errorf("%s: %w: no item's upload signature verifies under the %d pinned root(s)", src.Name, ErrUntrusted, len(pin.Roots))
	}
	if newest.IsZero() {
		return nil, fmt.Errorf("%s: %w: no verified upload signature carries a signing time, so the list has no signed date", src.Name, ErrClosed)
	}
	newest = newest.UTC().Truncate(time.Second)
	src.Issued = newest
	l := &List{Format: pin.Format, Territory: GatewayTerritory, Seq: uint64(newest.Unix()), Issued: newest,
		NextUpdate: newest.Add(UndatedValidity), Raw: bytes.Clone(raw), ID: sha256.Sum256(raw),
		Signer: fmt.Sprintf("%d upload certificates", verified), Items: src.Items,
		Detail: fmt.Sprintf("%d of %d items' upload signatures verified under the pin; newest signed %s", verified, len(src.Items), newest.Format(time.RFC3339))}
	l.Name = "the EU DCC gateway trust list of " + newest.Format("2006-01-02") + " (pinned dccg source)"
	setProvenance(src, l, "the EU DCC gateway trust list")
	return l, nil
}

// verifyICAO parses a CSCA master list under the pin: its signer must be
// issued by a pinned CSCA, and its signed signingTime is its date and seq
// (a master list has no sequence number or next update). The slot's
// territory is the signer's country.
func verifyICAO(pin Pin, raw []byte, _ etsitl.Pointers, now time.Time) (*List, error) {
	src, err := icaoml.Parse(raw, listimport.Options{Roots: pin.Roots, At: now})
	if err != nil {
		return nil, err
	}
	if src.Signature != trustlist.SourceVerified || src.SignerCert == nil {
		return nil, fmt.Errorf("%s: %w: %s: %s", src.Name, ErrUntrusted, src.Signature, src.SignatureDetail)
	}
	if src.Issued.IsZero() {
		return nil, fmt.Errorf("%s: %w: the signature signs no signingTime, so the list has no signed date", src.Name, ErrClosed)
	}
	var terr string
	if cs := src.SignerCert.Subject.Country; len(cs) == 1 {
		terr = strings.ToUpper(cs[0])
	}
	if !trustlist.ValidCountry(terr) {
		return nil, fmt.Errorf("%s: the signer %q names no accepted country", src.Name, src.SignerCert.Subject)
	}
	issued := src.Issued.UTC().Truncate(time.Second)
	src.Issued = issued
	l := &List{Format: pin.Format, Territory: terr, Seq: uint64(issued.Unix()), Issued: issued,
		NextUpdate: issued.Add(UndatedValidity), Raw: bytes.Clone(raw), ID: sha256.Sum256(raw),
		Signer: src.Signer, Detail: src.SignatureDetail, Items: src.Items}
	l.Name = fmt.Sprintf("the %s CSCA master list of %s (pinned %s source)", terr, issued.Format("2006-01-02"), pin.Format)
	setProvenance(src, l, "")
	return l, nil
}

// setProvenance records on each usable entry where it came from, so a
// verification can say "relayed from the EU DCC gateway trust list of
// 2024-03-08", and its own country where the source gives one.
func setProvenance(src *listimport.Source, l *List, name string) {
	if name != "" {
		src.Name = name
	}
	for i := range src.Items {
		it := &src.Items[i]
		if it.Refused != nil || it.Entry == nil {
			continue
		}
		p := src.Provenance(it)
		p.Signature = trustlist.SourceVerified // checked here, under this verifier's own pin
		it.Entry.Source = p
		if it.Country != "" && it.Country != l.Territory {
			it.Entry.Country = it.Country
		}
	}
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
			Name:    l.Name,
			Country: l.Territory, Seq: l.Seq, IssuedAt: l.Issued, NextUpdate: l.NextUpdate,
			Hash: l.ID[:], Entries: l.Entries()})
	}
}
