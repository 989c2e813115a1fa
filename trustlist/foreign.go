package trustlist

import (
	"sort"
	"time"
)

// ForeignList is a foreign signed list (an ETSI trusted list) that the
// verifier accepted under its own source pin (spec/trustlist.md §7.5). The
// acceptance rules live in the importer that verified it; the Set only makes
// its entries findable.
type ForeignList struct {
	Name       string // for people: "the IE trusted list seq 18"
	Country    string // the list's territory, the entries' country
	Seq        uint64
	IssuedAt   time.Time
	NextUpdate time.Time
	Hash       []byte // SHA-256 of the file
	Entries    []*Entry
}

// SetForeign makes l's entries findable by Find under slot, replacing what
// the slot held; a nil l empties the slot. Matches carry the list's country,
// seq, hash, issue and next-update times, and its name as the anchor.
func (s *Set) SetForeign(slot string, l *ForeignList) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.foreign == nil {
		s.foreign = map[string][]*Match{}
	}
	if l == nil {
		delete(s.foreign, slot)
		return
	}
	ms := make([]*Match, 0, len(l.Entries))
	for _, e := range l.Entries {
		ms = append(ms, &Match{Entry: e, Country: l.Country, Anchor: l.Name, Seq: l.Seq,
			ListHash: HexBytes(l.Hash), IssuedAt: l.IssuedAt, NextUpdate: l.NextUpdate})
	}
	s.foreign[slot] = ms
}

// foreignCands returns the foreign matches for q's key (a scan: foreign
// lists are few, their entries thousands at most). Called with s.mu held.
func (s *Set) foreignCands(q Query) []*Match {
	if len(s.foreign) == 0 {
		return nil
	}
	var key string
	switch {
	case q.KID != nil:
		key = idxKID + string(q.KID)
	case q.Thumbprint != nil:
		key = idxThumb + string(q.Thumbprint)
	case q.Address != nil:
		key = idxAddr + string(q.Address)
	}
	slots := make([]string, 0, len(s.foreign))
	for k := range s.foreign {
		slots = append(slots, k)
	}
	sort.Strings(slots)
	var out []*Match
	for _, slot := range slots {
		for _, m := range s.foreign[slot] {
			if key == "" {
				if q.Country == "" || m.Country == q.Country {
					out = append(out, m)
				}
				continue
			}
			for _, k := range indexKeys(m.Entry) {
				if k == key {
					out = append(out, m)
					break
				}
			}
		}
	}
	return out
}
