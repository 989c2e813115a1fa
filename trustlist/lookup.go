package trustlist

import (
	"sort"
	"time"
)

// Match is an entry found in an admitted anchor's current list, with what a
// verifier needs to judge it: the anchor, the list it came from, and whether
// the anchor has been caught equivocating.
type Match struct {
	Entry             *Entry    `json:"entry"`
	Country           string    `json:"country"`
	Anchor            string    `json:"anchor"` // the anchor's display name
	DescriptorVersion uint64    `json:"descriptor_version"`
	Seq               uint64    `json:"seq"`
	ListHash          HexBytes  `json:"list_hash"`
	IssuedAt          time.Time `json:"issued_at"`
	NextUpdate        time.Time `json:"next_update"`
	Equivocated       bool      `json:"equivocated"`
	// AdmittedUntil is set for an anchor admitted by endorsements rather
	// than pinned: when they expire. Verifiers judge it at verification time.
	AdmittedUntil time.Time `json:"admitted_until,omitzero"`
}

// IssuerCountry is the country the entry issues for: its own Country when
// the anchor relays another ecosystem's entry for that country, else the
// anchor's.
func (m *Match) IssuerCountry() string {
	if m.Entry.Country != "" {
		return m.Entry.Country
	}
	return m.Country
}

// Query selects entries. Exactly one of KID, Thumbprint or Address may be set;
// with none, all entries of Country (required then) are candidates.
type Query struct {
	KID        []byte    // entry kid (x509, cose_key: 8 bytes; eth: the address)
	Thumbprint []byte    // full SHA-256 of the certificate or COSE_Key
	Address    []byte    // 20-byte Ethereum address (eth and evm_contract entries)
	Country    string    // only this anchor, if set
	Use        DocType   // only entries allowed for this document type, if set
	Kind       EntryKind // only this kind, if set
	CA         *bool     // only CAs (true) or only non-CAs (false), if set: new(true), new(false)
	// ActiveAt, if set, keeps only entries active at that time: inside their
	// validity window and not revoked by then. Leave it zero to also get
	// revoked and expired entries, so a verifier can say why a key failed.
	ActiveAt time.Time
}

const (
	idxKID   = "k"
	idxThumb = "t"
	idxAddr  = "a"
)

// headIndex is what the lookup index holds of one anchor's head list: the
// fields every match of the list shares, once (a Match without its Entry),
// and the entries. A lookup makes the Match of an entry it finds; the index
// does not hold 200,000 copies of 200 headers.
type headIndex struct {
	hdr     *Match
	entries []*Entry
}

// headRef is an entry of a head list in the lookup index.
type headRef struct {
	e   *Entry
	hdr *Match
}

// reindex rebuilds the lookup entries of one anchor from its head list. It is
// called with s.mu held. Cost is O(entries of that anchor); lookups are a map
// access plus a scan of the (usually single) entries sharing a key.
func (s *Set) reindex(country string) {
	s.markDirty(country)
	if old := s.byCountry[country]; old != nil {
		for _, e := range old.entries {
			for _, k := range indexKeys(e) {
				list := s.index[k]
				kept := list[:0]
				for _, x := range list {
					if x.hdr != old.hdr {
						kept = append(kept, x)
					}
				}
				if len(kept) == 0 {
					delete(s.index, k)
				} else {
					s.index[k] = kept
				}
			}
		}
	}
	delete(s.byCountry, country)
	a := s.anchors[country]
	if a == nil || a.head == nil {
		return
	}
	hi := headEntries(a.current.Name, a.head, a.equivocated, a.admittedUntil)
	for _, e := range hi.entries {
		for _, k := range indexKeys(e) {
			s.index[k] = append(s.index[k], headRef{e, hi.hdr})
		}
	}
	s.byCountry[country] = hi
}

// headEntries makes the index of an anchor's head list h: name is the
// anchor's display name (its current descriptor's).
func headEntries(name string, h *List, equivocated bool, admittedUntil time.Time) *headIndex {
	return &headIndex{hdr: &Match{Country: h.Country, Anchor: name, DescriptorVersion: h.DescriptorVersion, Seq: h.Seq,
		ListHash: h.Hash(), IssuedAt: h.IssuedAt, NextUpdate: h.NextUpdate, Equivocated: equivocated,
		AdmittedUntil: admittedUntil}, entries: h.entries()}
}

// matches makes a Match for every entry of the list.
func (hi *headIndex) matches() []*Match {
	out := make([]*Match, len(hi.entries))
	ms := make([]Match, len(hi.entries)) // one allocation, not one per entry
	for i, e := range hi.entries {
		ms[i] = *hi.hdr
		ms[i].Entry = e
		out[i] = &ms[i]
	}
	return out
}

// refMatches makes the matches of index refs.
func refMatches(refs []headRef) []*Match {
	out := make([]*Match, len(refs))
	ms := make([]Match, len(refs))
	for i, r := range refs {
		ms[i] = *r.hdr
		ms[i].Entry = r.e
		out[i] = &ms[i]
	}
	return out
}

func indexKeys(e *Entry) []string {
	switch e.Kind {
	case EntryEth:
		return []string{idxAddr + string(e.Data)}
	case EntryContract:
		return []string{idxAddr + string(e.Data[8:])} // by address; the chain is in the entry
	default:
		return []string{idxKID + string(e.KID), idxThumb + string(e.Thumbprint)}
	}
}

// Find returns the entries matching q from the current lists of admitted
// anchors, ordered by country. It never returns entries of anchors that are
// not admitted; it does return revoked or expired entries unless q.ActiveAt
// is set.
func (s *Set) Find(q Query) []Match {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var cands []*Match
	switch {
	case q.KID != nil:
		cands = refMatches(s.index[idxKID+string(q.KID)])
		if len(q.KID) == 20 {
			cands = append(cands, refMatches(s.index[idxAddr+string(q.KID)])...)
		}
	case q.Thumbprint != nil:
		cands = refMatches(s.index[idxThumb+string(q.Thumbprint)])
	case q.Address != nil:
		cands = refMatches(s.index[idxAddr+string(q.Address)])
	case q.Country != "":
		if hi := s.byCountry[q.Country]; hi != nil {
			cands = hi.matches()
		}
	default:
		for _, a := range s.anchorsSorted() {
			cands = append(cands, s.byCountry[a].matches()...)
		}
	}
	if len(cands) > 1 && q.Country == "" {
		// Several anchors list the key: in country order, as documented
		// (the index keeps them in the order their lists arrived).
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].Country < cands[j].Country })
	}
	if f := s.foreignCands(q); len(f) > 0 {
		cands = append(append([]*Match(nil), cands...), f...)
	}
	return filterMatches(cands, q)
}

func (s *Set) anchorsSorted() []string {
	out := make([]string, 0, len(s.byCountry))
	for cc := range s.byCountry {
		out = append(out, cc)
	}
	sort.Strings(out)
	return out
}

// Freshness is the one place the staleness rule lives (spec/trustlist.md
// §Freshness). A list is fresh before its next_update. A stale list fails,
// unless the verifier says it is working offline, in which case it passes
// with a warning naming how stale it is: an officer at a border post without
// a connection can still verify, and is told the list may be out of date.
func Freshness(nextUpdate, at time.Time, offline bool) (ok bool, warning string) {
	if at.Before(nextUpdate) {
		return true, ""
	}
	late := at.Sub(nextUpdate).Round(time.Minute)
	if offline {
		return true, "list is stale by " + late.String() + " (next_update " + nextUpdate.Format(time.RFC3339) + "); accepted because verifying offline"
	}
	return false, "list is stale by " + late.String() + " (next_update " + nextUpdate.Format(time.RFC3339) + "); update the trust store or verify with --offline"
}
