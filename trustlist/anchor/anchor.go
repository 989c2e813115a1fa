// Package anchor manages a trust anchor's working directory: its private keys,
// its signed descriptors, the draft of its next list, and every list it has
// signed. It is what `accord anchor` and `accord list` drive.
//
// Layout of an anchor directory:
//
//	anchor.json             country, name, current descriptor version, key files
//	keys/vN-key-I.cose      private keys (COSE_Key, mode 0600)
//	descriptor.cose         the current signed descriptor
//	descriptors/vN.cose     every descriptor version
//	draft.json              the entries of the next list, last seq and hash
//	lists/seq-N.cose        every signed list
//
// Every write is atomic (temporary file, fsync, rename).
package anchor

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/accord-network/accord/trustlist"
)

// Workspace is an open anchor directory.
type Workspace struct {
	Dir   string
	Meta  Meta
	Draft Draft
}

// Meta is anchor.json.
type Meta struct {
	Country   string   `json:"country"`
	Name      string   `json:"name"`
	Version   uint64   `json:"descriptor_version"`
	Threshold int      `json:"threshold"`
	KeyFiles  []string `json:"key_files"` // relative to Dir, keys of the current version
}

// Draft is draft.json: the state of the next list.
type Draft struct {
	Seq      uint64             `json:"last_seq"`
	LastHash string             `json:"last_hash,omitempty"`
	Entries  []*trustlist.Entry `json:"entries"`
	// Reinstated holds the reason for each entry (kid hex) reinstated since
	// the last signed list, for the change report before signing.
	Reinstated map[string]string `json:"reinstated,omitempty"`
}

// Errors of the draft's rules.
var (
	// ErrNotAnchor is returned when a directory holds no anchor.
	ErrNotAnchor = errors.New("not an anchor directory")
	// ErrRevoked is returned when an entry to add is revoked in the draft.
	ErrRevoked = errors.New("the draft holds this entry as revoked; adding it again does not reinstate it")
	// ErrChanged is returned when adding an entry would change its role or uses.
	ErrChanged = errors.New("adding this entry would change what it may sign")
	// ErrNotRevoked is returned when reinstating an entry that is not revoked.
	ErrNotRevoked = errors.New("entry is not revoked")
)

// Init creates a new anchor in dir (which must not already hold one) with n
// keys of alg, threshold t, and a descriptor v1 signed by t of them.
func Init(dir, country, name string, n, t int, alg trustlist.KeyAlg) (*Workspace, error) {
	if _, err := os.Stat(filepath.Join(dir, "anchor.json")); err == nil {
		return nil, fmt.Errorf("%s already holds an anchor; use another --dir, or `accord anchor rotate` to change its keys", dir)
	}
	if !trustlist.ValidCountry(country) {
		return nil, fmt.Errorf("--country %q is not an ISO 3166-1 alpha-2 code (two upper-case letters, e.g. NL, SG, KE)", country)
	}
	if n < 1 || n > trustlist.MaxAnchorKeys || t < 1 || t > n {
		return nil, fmt.Errorf("need 1 <= threshold (%d) <= keys (%d) <= %d", t, n, trustlist.MaxAnchorKeys)
	}
	for _, sub := range []string{"keys", "descriptors", "lists"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	w := &Workspace{Dir: dir, Meta: Meta{Country: country, Name: name, Version: 1, Threshold: t}}
	keys, files, err := w.newKeys(1, n, alg)
	if err != nil {
		return nil, err
	}
	w.Meta.KeyFiles = files
	d, err := trustlist.SignDescriptor(&trustlist.Descriptor{Country: country, Name: name, Version: 1, Threshold: t,
		Keys: publics(keys), IssuedAt: time.Now()}, keys[:t])
	if err != nil {
		return nil, err
	}
	if err := w.saveDescriptor(d); err != nil {
		return nil, err
	}
	return w, w.save()
}

func publics(keys []*trustlist.PrivateKey) []*trustlist.PublicKey {
	out := make([]*trustlist.PublicKey, len(keys))
	for i, k := range keys {
		out[i] = k.Public()
	}
	return out
}

func (w *Workspace) newKeys(version uint64, n int, alg trustlist.KeyAlg) ([]*trustlist.PrivateKey, []string, error) {
	var keys []*trustlist.PrivateKey
	var files []string
	for i := 1; i <= n; i++ {
		k, err := trustlist.GenerateKey(alg, nil)
		if err != nil {
			return nil, nil, err
		}
		rel := filepath.Join("keys", fmt.Sprintf("v%d-key-%d.cose", version, i))
		if err := trustlist.WritePrivateKeyFile(filepath.Join(w.Dir, rel), k); err != nil {
			return nil, nil, err
		}
		keys = append(keys, k)
		files = append(files, rel)
	}
	return keys, files, nil
}

// Open loads an anchor directory.
func Open(dir string) (*Workspace, error) {
	w := &Workspace{Dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "anchor.json"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%w: %s has no anchor.json (create one with `accord anchor init --dir %s --country CC --name NAME`)", ErrNotAnchor, dir, dir)
		}
		return nil, err
	}
	if err := json.Unmarshal(b, &w.Meta); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "anchor.json"), err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "draft.json")); err == nil {
		if err := json.Unmarshal(b, &w.Draft); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "draft.json"), err)
		}
	}
	for _, e := range w.Draft.Entries {
		if err := Recheck(e); err != nil {
			return nil, fmt.Errorf("draft.json: %w", err)
		}
	}
	return w, nil
}

// Recheck re-derives an entry's parsed certificate after JSON decoding and
// checks its structure.
func Recheck(e *trustlist.Entry) error {
	if e.Kind != trustlist.EntryX509 {
		return nil
	}
	fresh, err := trustlist.NewX509Entry(e.Data, e.CA, e.Uses, e.Name)
	if err != nil {
		return err
	}
	fresh.NotBefore, fresh.NotAfter, fresh.Status, fresh.RevokedAt, fresh.Reason, fresh.Domain, fresh.Country = e.NotBefore, e.NotAfter, e.Status, e.RevokedAt, e.Reason, e.Domain, e.Country
	*e = *fresh
	return nil
}

func (w *Workspace) save() error {
	for name, v := range map[string]any{"anchor.json": w.Meta, "draft.json": w.Draft} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := trustlist.WriteFileAtomic(filepath.Join(w.Dir, name), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (w *Workspace) saveDescriptor(d *trustlist.Descriptor) error {
	if err := trustlist.WriteFileAtomic(filepath.Join(w.Dir, "descriptors", fmt.Sprintf("v%d.cose", d.Version)), d.Raw(), 0o644); err != nil {
		return err
	}
	return trustlist.WriteFileAtomic(filepath.Join(w.Dir, "descriptor.cose"), d.Raw(), 0o644)
}

// DescriptorPath is the file holding the current signed descriptor.
func (w *Workspace) DescriptorPath() string { return filepath.Join(w.Dir, "descriptor.cose") }

// Descriptor loads the current signed descriptor.
func (w *Workspace) Descriptor() (*trustlist.Descriptor, error) {
	b, err := os.ReadFile(w.DescriptorPath())
	if err != nil {
		return nil, err
	}
	return trustlist.ParseDescriptor(b)
}

// Keys loads the current version's private keys that are present. Keys may
// live on other machines; signing needs at least Threshold of them.
func (w *Workspace) Keys() ([]*trustlist.PrivateKey, error) {
	var keys []*trustlist.PrivateKey
	for _, rel := range w.Meta.KeyFiles {
		k, err := trustlist.ReadPrivateKeyFile(filepath.Join(w.Dir, rel))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (w *Workspace) signingKeys() ([]*trustlist.PrivateKey, error) {
	keys, err := w.Keys()
	if err != nil {
		return nil, err
	}
	if len(keys) < w.Meta.Threshold {
		return nil, fmt.Errorf("only %d of the %d keys needed to sign are in %s/keys", len(keys), w.Meta.Threshold, w.Dir)
	}
	return keys[:w.Meta.Threshold], nil
}

// Rotate replaces the anchor's keys with n new ones and threshold t: the new
// descriptor is signed by t old keys and t new keys.
func (w *Workspace) Rotate(n, t int, alg trustlist.KeyAlg) (*trustlist.Descriptor, error) {
	if n < 1 || t < 1 || t > n || n > trustlist.MaxAnchorKeys {
		return nil, fmt.Errorf("need 1 <= threshold (%d) <= keys (%d) <= %d", t, n, trustlist.MaxAnchorKeys)
	}
	old, err := w.signingKeys()
	if err != nil {
		return nil, err
	}
	v := w.Meta.Version + 1
	keys, files, err := w.newKeys(v, n, alg)
	if err != nil {
		return nil, err
	}
	nd := &trustlist.Descriptor{Country: w.Meta.Country, Name: w.Meta.Name, Version: v, Threshold: t, Keys: publics(keys), IssuedAt: time.Now()}
	if w.Draft.Seq > 0 {
		// Seal the last list signed with the old keys: verifiers accept
		// old-key lists up to it and none after.
		if nd.SealedHash, err = hex.DecodeString(w.Draft.LastHash); err != nil {
			return nil, fmt.Errorf("draft.json last_hash: %w", err)
		}
		nd.SealedSeq = w.Draft.Seq
	}
	d, err := trustlist.SignDescriptor(nd, append(old, keys[:t]...))
	if err != nil {
		return nil, err
	}
	if err := w.saveDescriptor(d); err != nil {
		return nil, err
	}
	w.Meta.Version, w.Meta.Threshold, w.Meta.KeyFiles = v, t, files
	return d, w.save()
}

// Endorse signs an endorsement of another anchor's descriptor, valid for
// trustlist.DefaultEndorsementValidity.
func (w *Workspace) Endorse(other []byte) (*trustlist.Endorsement, error) {
	return w.EndorseFor(other, trustlist.DefaultEndorsementValidity)
}

// EndorseFor signs an endorsement of another anchor's descriptor that
// expires validFor from now.
func (w *Workspace) EndorseFor(other []byte, validFor time.Duration) (*trustlist.Endorsement, error) {
	if validFor <= 0 {
		return nil, fmt.Errorf("an endorsement's validity must be positive")
	}
	subject, err := trustlist.ParseDescriptor(other)
	if err != nil {
		return nil, err
	}
	if err := subject.VerifySelf(); err != nil {
		return nil, fmt.Errorf("the descriptor to endorse does not verify: %w", err)
	}
	me, err := w.Descriptor()
	if err != nil {
		return nil, err
	}
	keys, err := w.signingKeys()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return trustlist.EndorseUntil(me, subject, keys, now, now.Add(validFor))
}

// Add puts entries into the draft. Re-adding an entry the draft holds is
// allowed when only its name, domain or validity change; see AddWith.
func (w *Workspace) Add(entries ...*trustlist.Entry) error { return w.AddWith(false, entries...) }

// AddWith puts entries into the draft. An entry with the same kind and kid
// as one the draft holds updates it, except that:
//   - a revoked entry is never made active again by adding it (ErrRevoked):
//     revocation is sticky, reinstating is its own act (Reinstate);
//   - changing whether it is a CA, or its uses, needs replace (ErrChanged),
//     so a CA is not silently rewritten as a document signer.
//
// Nothing is saved unless every entry is accepted.
func (w *Workspace) AddWith(replace bool, entries ...*trustlist.Entry) error {
	for _, e := range entries {
		if err := w.checkAdd(e, replace); err != nil {
			return err
		}
	}
	for _, e := range entries {
		replaced := false
		for i, old := range w.Draft.Entries {
			if old.Kind == e.Kind && string(old.KID) == string(e.KID) {
				w.Draft.Entries[i], replaced = e, true
			}
		}
		if !replaced {
			w.Draft.Entries = append(w.Draft.Entries, e)
		}
	}
	return w.save()
}

// checkAdd applies AddWith's rules to one entry.
func (w *Workspace) checkAdd(e *trustlist.Entry, replace bool) error {
	old := w.find(e.Kind, e.KID)
	if old == nil {
		return nil
	}
	if old.Status == trustlist.StatusRevoked {
		return fmt.Errorf("%w: %s entry %s (%s) was revoked at %s (%s)", ErrRevoked, old.Kind, kidString(old), old.Name,
			old.RevokedAt.Format(time.RFC3339), old.Reason)
	}
	if !replace {
		if what := roleChange(old, e); what != "" {
			return fmt.Errorf("%w: %s entry %s (%s): %s", ErrChanged, old.Kind, kidString(old), old.Name, what)
		}
	}
	return nil
}

// roleChange describes how e would change what old may do, or "".
func roleChange(old, e *trustlist.Entry) string {
	var d []string
	if old.CA != e.CA {
		d = append(d, fmt.Sprintf("from %s to %s", role(old), role(e)))
	}
	if uses(old) != uses(e) {
		d = append(d, fmt.Sprintf("uses from %s to %s", uses(old), uses(e)))
	}
	return strings.Join(d, ", ")
}

func role(e *trustlist.Entry) string {
	if e.CA {
		return "a CA"
	}
	return "a document signer"
}

func uses(e *trustlist.Entry) string {
	s := make([]string, len(e.Uses))
	for i, u := range e.Uses {
		s[i] = string(u)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func (w *Workspace) find(kind trustlist.EntryKind, kid []byte) *trustlist.Entry {
	for _, e := range w.Draft.Entries {
		if e.Kind == kind && string(e.KID) == string(kid) {
			return e
		}
	}
	return nil
}

// Revoke marks the entry with kid (hex, or a 0x address) revoked at `at`.
func (w *Workspace) Revoke(kid, reason string, at time.Time) (*trustlist.Entry, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("a revocation needs a --reason (e.g. \"key compromise\")")
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(kid), "0x"))
	if err != nil {
		return nil, fmt.Errorf("--kid %q is not hex", kid)
	}
	for _, e := range w.Draft.Entries {
		if string(e.KID) == string(raw) {
			if e.Status == trustlist.StatusRevoked {
				return nil, fmt.Errorf("entry %s is already revoked (at %s)", kid, e.RevokedAt.Format(time.RFC3339))
			}
			e.Status, e.RevokedAt, e.Reason = trustlist.StatusRevoked, at.UTC().Truncate(time.Second), reason
			return e, w.save()
		}
	}
	return nil, fmt.Errorf("no entry with kid %s in %s (see `accord list show %s/lists/...`)", kid, w.Dir, w.Dir)
}

// Sign signs the draft as the next list: seq = last seq + 1, prev = the last
// list's hash, valid for validFor from now.
func (w *Workspace) Sign(validFor time.Duration, now time.Time) (*trustlist.List, string, error) {
	if validFor <= 0 {
		return nil, "", fmt.Errorf("--valid-for must be positive")
	}
	keys, err := w.signingKeys()
	if err != nil {
		return nil, "", err
	}
	l := &trustlist.List{Country: w.Meta.Country, DescriptorVersion: w.Meta.Version, Seq: w.Draft.Seq + 1,
		IssuedAt: now.UTC().Truncate(time.Second), NextUpdate: now.Add(validFor).UTC().Truncate(time.Second), Entries: w.Draft.Entries}
	if w.Draft.LastHash != "" {
		if l.Prev, err = hex.DecodeString(w.Draft.LastHash); err != nil {
			return nil, "", fmt.Errorf("draft.json last_hash: %w", err)
		}
	}
	sl, err := trustlist.SignList(l, keys)
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(w.Dir, "lists", fmt.Sprintf("seq-%06d.cose", sl.Seq))
	if err := trustlist.WriteFileAtomic(path, sl.Raw(), 0o644); err != nil {
		return nil, "", err
	}
	w.Draft.Seq, w.Draft.LastHash = sl.Seq, hex.EncodeToString(sl.Hash())
	w.Draft.Reinstated = nil // the reasons went with the changes they explained
	return sl, path, w.save()
}
