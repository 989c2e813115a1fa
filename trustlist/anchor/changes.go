package anchor

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/accord-network/accord/trustlist"
)

// Change kinds reported by Changes.
const (
	Added      = "added"
	Removed    = "removed"
	Revoked    = "revoked"
	Reinstated = "reinstated"
	Changed    = "changed"
)

// Change is one difference between the draft and the last signed list.
type Change struct {
	What   string // Added, Removed, Revoked, Reinstated or Changed
	Entry  *trustlist.Entry
	Detail string
}

// LastSigned loads the last list this anchor signed, or nil before the first.
func (w *Workspace) LastSigned() (*trustlist.List, error) {
	if w.Draft.Seq == 0 {
		return nil, nil
	}
	path := filepath.Join(w.Dir, "lists", fmt.Sprintf("seq-%06d.cose", w.Draft.Seq))
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("last signed list: %w", err)
	}
	l, err := trustlist.ParseList(b)
	if err != nil {
		return nil, fmt.Errorf("last signed list %s: %w", path, err)
	}
	if hex.EncodeToString(l.Hash()) != w.Draft.LastHash {
		return nil, fmt.Errorf("last signed list %s is not the one draft.json records (hash %s)", path, w.Draft.LastHash)
	}
	return l, nil
}

// Changes compares the draft with the last signed list: what signing it
// would add, remove, revoke, reinstate or change. last is nil before the
// first list (every entry is then added).
func (w *Workspace) Changes() (last *trustlist.List, out []Change, err error) {
	last, err = w.LastSigned()
	if err != nil {
		return nil, nil, err
	}
	before := map[string]*trustlist.Entry{}
	if last != nil {
		for _, e := range last.Entries {
			before[string(e.Kind)+string(e.KID)] = e
		}
	}
	seen := map[string]bool{}
	for _, e := range w.Draft.Entries {
		k := string(e.Kind) + string(e.KID)
		seen[k] = true
		old := before[k]
		switch {
		case old == nil:
			out = append(out, Change{What: Added, Entry: e, Detail: fmt.Sprintf("%s for %s", role(e), uses(e))})
		case old.Status == trustlist.StatusActive && e.Status == trustlist.StatusRevoked:
			out = append(out, Change{What: Revoked, Entry: e, Detail: fmt.Sprintf("at %s: %s", e.RevokedAt.Format(time.RFC3339), e.Reason)})
		case old.Status == trustlist.StatusRevoked && e.Status == trustlist.StatusActive:
			why := w.Draft.Reinstated[hex.EncodeToString(e.KID)]
			if why == "" {
				why = "no reason recorded"
			}
			out = append(out, Change{What: Reinstated, Entry: e, Detail: fmt.Sprintf("revoked at %s (%s); reinstated: %s", old.RevokedAt.Format(time.RFC3339), old.Reason, why)})
		default:
			if d := entryDiff(old, e); d != "" {
				out = append(out, Change{What: Changed, Entry: e, Detail: d})
			}
		}
	}
	if last != nil {
		for _, e := range last.Entries {
			if !seen[string(e.Kind)+string(e.KID)] {
				out = append(out, Change{What: Removed, Entry: e})
			}
		}
	}
	return last, out, nil
}

// entryDiff describes the differences between two versions of one entry.
func entryDiff(old, e *trustlist.Entry) string {
	var d []string
	if rc := roleChange(old, e); rc != "" {
		d = append(d, rc)
	}
	if old.Name != e.Name {
		d = append(d, fmt.Sprintf("name %q to %q", old.Name, e.Name))
	}
	if old.Domain != e.Domain {
		d = append(d, fmt.Sprintf("domain %q to %q", old.Domain, e.Domain))
	}
	if old.Country != e.Country {
		d = append(d, fmt.Sprintf("country %q to %q", old.Country, e.Country))
	}
	if !old.NotBefore.Equal(e.NotBefore) || !old.NotAfter.Equal(e.NotAfter) {
		d = append(d, fmt.Sprintf("validity %s..%s to %s..%s", day(old.NotBefore), day(old.NotAfter), day(e.NotBefore), day(e.NotAfter)))
	}
	if old.Status == trustlist.StatusRevoked && (!old.RevokedAt.Equal(e.RevokedAt) || old.Reason != e.Reason) {
		d = append(d, fmt.Sprintf("revocation %s (%s) to %s (%s)", old.RevokedAt.Format(time.RFC3339), old.Reason, e.RevokedAt.Format(time.RFC3339), e.Reason))
	}
	return strings.Join(d, "; ")
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// Reinstate makes a revoked entry (kid in hex, or a 0x address) active again,
// recording why. It is the only way back from a revocation: adding the key
// again is refused (ErrRevoked).
func (w *Workspace) Reinstate(kid, reason string) (*trustlist.Entry, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, errors.New("reinstating an entry needs a reason, shown when the next list is signed")
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(kid), "0x"))
	if err != nil {
		return nil, fmt.Errorf("kid %q is not hex", kid)
	}
	for _, e := range w.Draft.Entries {
		if string(e.KID) != string(raw) {
			continue
		}
		if e.Status != trustlist.StatusRevoked {
			return nil, fmt.Errorf("%w: %s entry %s (%s) is active", ErrNotRevoked, e.Kind, kidString(e), e.Name)
		}
		e.Status, e.RevokedAt, e.Reason = trustlist.StatusActive, time.Time{}, ""
		if w.Draft.Reinstated == nil {
			w.Draft.Reinstated = map[string]string{}
		}
		w.Draft.Reinstated[hex.EncodeToString(e.KID)] = reason
		return e, w.save()
	}
	return nil, fmt.Errorf("no entry with kid %s in the draft of %s", kid, w.Dir)
}

func kidString(e *trustlist.Entry) string {
	if e.Kind == trustlist.EntryEth {
		return "0x" + hex.EncodeToString(e.KID)
	}
	return hex.EncodeToString(e.KID)
}
