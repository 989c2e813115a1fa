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

	"github.com/accord-network/accord/internal/atomicfile"
	"github.com/accord-network/accord/internal/keyfile"
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
	// ErrAnchorExists is returned by Init when the directory already holds an anchor.
	ErrAnchorExists = errors.New("the directory already holds an anchor")
	// ErrNoEntry is returned when no draft entry has the kid asked for.
	ErrNoEntry = errors.New("no entry with that kid in the draft")
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
		return nil, fmt.Errorf("%w: %s", ErrAnchorExists, dir)
	}
	if !trustlist.ValidCountry(country) {
		return nil, fmt.Errorf("country %q is not an ISO 3166-1 alpha-2 code (two upper-case letters, e.g. NL, SG, KE)", country)
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
		if err := writeKeyFile(filepath.Join(w.Dir, rel), k); err != nil {
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
			return nil, fmt.Errorf("%w: %s has no anchor.json", ErrNotAnchor, dir)
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
	fresh.NotBefore, fresh.NotAfter, fresh.Status, fresh.RevokedAt, fresh.Reason, fresh.Domain = e.NotBefore, e.NotAfter, e.Status, e.RevokedAt, e.Reason, e.Domain
	fresh.Country, fresh.Source = e.Country, e.Source
	*e = *fresh
	return nil
}

func (w *Workspace) save() error {
	for name, v := range map[string]any{"anchor.json": w.Meta, "draft.json": w.Draft} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(w.Dir, name), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (w *Workspace) saveDescriptor(d *trustlist.Descriptor) error {
	if err := atomicfile.WriteFile(filepath.Join(w.Dir, "descriptors", fmt.Sprintf("v%d.cose", d.Version)), d.Raw(), 0o644); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(w.Dir, "descriptor.cose"), d.Raw(), 0o644)
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
		k, err := readKeyFile(filepath.Join(w.Dir, rel))
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
	old, err := w.signingKeys()
	if err != nil {
		return nil, err
	}
	return w.RotateWith(old, n, t, alg)
}

// RotateWith is Rotate with the old keys given (they must reach the old
// threshold).
func (w *Workspace) RotateWith(old []*trustlist.PrivateKey, n, t int, alg trustlist.KeyAlg) (*trustlist.Descriptor, error) {
	if n < 1 || t < 1 || t > n || n > trustlist.MaxAnchorKeys {
		return nil, fmt.Errorf("need 1 <= threshold (%d) <= keys (%d) <= %d", t, n, trustlist.MaxAnchorKeys)
	}
	// The new descriptor seals the last list signed with the old keys:
	// verifiers accept old-key lists up to it and none after.
	nd, keys, files, err := w.newDescriptor(n, t, alg)
	if err != nil {
		return nil, err
	}
	v := nd.Version
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
	keys, err := w.signingKeys()
	if err != nil {
		return nil, err
	}
	return w.EndorseWithFor(other, keys, validFor)
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

// CheckAdd reports whether AddWith(replace, e) would accept e, without
// changing the draft (for importers that refuse items one by one).
func (w *Workspace) CheckAdd(e *trustlist.Entry, replace bool) error { return w.checkAdd(e, replace) }

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
		return nil, fmt.Errorf("a revocation needs a reason (e.g. \"key compromise\")")
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(kid), "0x"))
	if err != nil {
		return nil, fmt.Errorf("kid %q is not hex", kid)
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
	return nil, fmt.Errorf("%w: %s in %s", ErrNoEntry, kid, w.Dir)
}

// Sign signs the draft as the next list: seq = last seq + 1, prev = the last
// list's hash, valid for validFor from now.
func (w *Workspace) Sign(validFor time.Duration, now time.Time) (*trustlist.List, string, error) {
	if validFor <= 0 {
		return nil, "", fmt.Errorf("the validity period must be positive")
	}
	keys, err := w.signingKeys()
	if err != nil {
		return nil, "", err
	}
	return w.SignWith(keys, validFor, now)
}

// ReadKeys reads private key files that may live anywhere (a custodian's own
// machine, a removable disk) and checks that each is a key of the anchor's
// current descriptor, so a custodian cannot sign with a stale or foreign key.
func (w *Workspace) ReadKeys(paths []string) ([]*trustlist.PrivateKey, error) {
	d, err := w.Descriptor()
	if err != nil {
		return nil, err
	}
	var keys []*trustlist.PrivateKey
	for _, p := range paths {
		k, err := readKeyFile(p)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", p, err)
		}
		if d.Key(k.Public().KID()) == nil {
			return nil, fmt.Errorf("key %s (kid %x) is not a key of %s descriptor v%d", p, k.Public().KID(), d.Country, d.Version)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// SigningKeys returns the keys that sign: the files named by paths (anywhere
// on disk), or the current version's keys in DIR/keys when paths is empty.
// Unless partial, they must reach the threshold.
func (w *Workspace) SigningKeys(paths []string, partial bool) ([]*trustlist.PrivateKey, error) {
	if len(paths) == 0 {
		if partial {
			return nil, fmt.Errorf("a partial signature needs the custodian's key")
		}
		return w.signingKeys()
	}
	keys, err := w.ReadKeys(paths)
	if err != nil {
		return nil, err
	}
	if !partial && len(keys) < w.Meta.Threshold {
		return nil, fmt.Errorf("%d keys given, %d needed: sign with %d keys, or let each custodian sign a part (partial signatures)", len(keys), w.Meta.Threshold, w.Meta.Threshold)
	}
	return keys, nil
}

// nextList is the draft as the next list, unsigned.
func (w *Workspace) nextList(validFor time.Duration, now time.Time) (*trustlist.List, error) {
	if validFor <= 0 {
		return nil, fmt.Errorf("the validity period must be positive")
	}
	l := &trustlist.List{Country: w.Meta.Country, DescriptorVersion: w.Meta.Version, Seq: w.Draft.Seq + 1,
		IssuedAt: now.UTC().Truncate(time.Second), NextUpdate: now.Add(validFor).UTC().Truncate(time.Second), Entries: w.Draft.Entries}
	if w.Draft.LastHash != "" {
		var err error
		if l.Prev, err = hex.DecodeString(w.Draft.LastHash); err != nil {
			return nil, fmt.Errorf("draft.json last_hash: %w", err)
		}
	}
	return l, nil
}

// SignWith signs the draft as the next list with keys, which must reach the
// threshold, and records it like Sign.
func (w *Workspace) SignWith(keys []*trustlist.PrivateKey, validFor time.Duration, now time.Time) (*trustlist.List, string, error) {
	l, err := w.nextList(validFor, now)
	if err != nil {
		return nil, "", err
	}
	sl, err := trustlist.SignList(l, keys)
	if err != nil {
		return nil, "", err
	}
	return w.recordList(sl)
}

func (w *Workspace) recordList(sl *trustlist.List) (*trustlist.List, string, error) {
	path := filepath.Join(w.Dir, "lists", fmt.Sprintf("seq-%06d.cose", sl.Seq))
	if err := atomicfile.WriteFile(path, sl.Raw(), 0o644); err != nil {
		return nil, "", err
	}
	w.Draft.Seq, w.Draft.LastHash = sl.Seq, hex.EncodeToString(sl.Hash())
	w.Draft.Reinstated = nil // the reasons went with the changes they explained
	return sl, path, w.save()
}

// SignListPart signs the draft as the next list with one custodian's keys
// and returns the part; nothing is recorded until the parts are combined.
func (w *Workspace) SignListPart(keys []*trustlist.PrivateKey, validFor time.Duration, now time.Time) (*trustlist.List, []byte, error) {
	l, err := w.nextList(validFor, now)
	if err != nil {
		return nil, nil, err
	}
	sl, err := trustlist.SignList(l, keys)
	if err != nil {
		return nil, nil, err
	}
	return sl, sl.Raw(), nil
}

// SignPartOf signs the object of another custodian's part (a list, a
// rotation or an endorsement of this anchor) with keys, returning a part with
// only their signatures. The object must be this anchor's.
func (w *Workspace) SignPartOf(part []byte, keys []*trustlist.PrivateKey) (string, []byte, error) {
	what, err := w.describePart(part)
	if err != nil {
		return "", nil, err
	}
	out, err := trustlist.SignPart(part, keys)
	return what, out, err
}

// describePart says what a part signs, after checking it is this anchor's.
func (w *Workspace) describePart(part []byte) (string, error) {
	kind, err := trustlist.PeekKind(part)
	if err != nil {
		return "", err
	}
	switch kind {
	case trustlist.KindList:
		l, err := trustlist.ParseList(part)
		if err != nil {
			return "", err
		}
		if l.Country != w.Meta.Country || l.DescriptorVersion != w.Meta.Version {
			return "", fmt.Errorf("the part is a %s list under descriptor v%d, not one of %s v%d", l.Country, l.DescriptorVersion, w.Meta.Country, w.Meta.Version)
		}
		return fmt.Sprintf("%s list seq %d (%d entries, issued %s, hash %x)", l.Country, l.Seq, len(l.Entries), l.IssuedAt.Format(time.RFC3339), l.Hash()), nil
	case trustlist.KindDescriptor:
		d, err := trustlist.ParseDescriptor(part)
		if err != nil {
			return "", err
		}
		if d.Country != w.Meta.Country || d.Version != w.Meta.Version+1 {
			return "", fmt.Errorf("the part is %s descriptor v%d, not the rotation of %s v%d", d.Country, d.Version, w.Meta.Country, w.Meta.Version)
		}
		return fmt.Sprintf("rotation of %s to descriptor v%d (%d keys, threshold %d, hash %x)", d.Country, d.Version, len(d.Keys), d.Threshold, d.Hash()), nil
	case trustlist.KindEndorsement:
		e, err := trustlist.ParseEndorsement(part)
		if err != nil {
			return "", err
		}
		if e.Endorser != w.Meta.Country || e.EndorserVersion != w.Meta.Version {
			return "", fmt.Errorf("the part is an endorsement by %s v%d, not by %s v%d", e.Endorser, e.EndorserVersion, w.Meta.Country, w.Meta.Version)
		}
		return fmt.Sprintf("%s endorsement of %s descriptor %x", e.Endorser, e.Subject, e.SubjectHash), nil
	}
	return "", fmt.Errorf("a %s cannot be signed in parts", kind)
}

// RotatePart starts a rotation signed in parts: it makes n new keys (written
// under DIR/keys; hand each to its custodian) and the new descriptor, signed
// by t of the new keys and by the old keys given. The other old custodians
// sign it with SignPartOf; Combine records it.
func (w *Workspace) RotatePart(old []*trustlist.PrivateKey, n, t int, alg trustlist.KeyAlg) (*trustlist.Descriptor, []string, error) {
	if n < 1 || t < 1 || t > n || n > trustlist.MaxAnchorKeys {
		return nil, nil, fmt.Errorf("need 1 <= threshold (%d) <= keys (%d) <= %d", t, n, trustlist.MaxAnchorKeys)
	}
	nd, keys, files, err := w.newDescriptor(n, t, alg)
	if err != nil {
		return nil, nil, err
	}
	d, err := trustlist.SignDescriptor(nd, append(append([]*trustlist.PrivateKey(nil), old...), keys[:t]...))
	return d, files, err
}

func (w *Workspace) newDescriptor(n, t int, alg trustlist.KeyAlg) (*trustlist.Descriptor, []*trustlist.PrivateKey, []string, error) {
	v := w.Meta.Version + 1
	keys, files, err := w.newKeys(v, n, alg)
	if err != nil {
		return nil, nil, nil, err
	}
	nd := &trustlist.Descriptor{Country: w.Meta.Country, Name: w.Meta.Name, Version: v, Threshold: t, Keys: publics(keys), IssuedAt: time.Now()}
	if w.Draft.Seq > 0 {
		if nd.SealedHash, err = hex.DecodeString(w.Draft.LastHash); err != nil {
			return nil, nil, nil, fmt.Errorf("draft.json last_hash: %w", err)
		}
		nd.SealedSeq = w.Draft.Seq
	}
	return nd, keys, files, nil
}

// EndorseWith signs an endorsement of another anchor's descriptor with keys
// (all the threshold, or one custodian's part), valid for
// trustlist.DefaultEndorsementValidity.
func (w *Workspace) EndorseWith(other []byte, keys []*trustlist.PrivateKey) (*trustlist.Endorsement, error) {
	return w.EndorseWithFor(other, keys, trustlist.DefaultEndorsementValidity)
}

// EndorseWithFor is EndorseWith with the endorsement expiring validFor from now.
func (w *Workspace) EndorseWithFor(other []byte, keys []*trustlist.PrivateKey, validFor time.Duration) (*trustlist.Endorsement, error) {
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
	now := time.Now()
	return trustlist.EndorseUntil(me, subject, keys, now, now.Add(validFor))
}

// Combined is the outcome of Combine.
type Combined struct {
	Kind       trustlist.Kind
	Raw        []byte
	Path       string // where the anchor directory now keeps it ("" for an endorsement)
	List       *trustlist.List
	Descriptor *trustlist.Descriptor
	// OldKeys are the previous version's key files still in the anchor
	// directory after a rotation.
	OldKeys []string
}

// Combine merges custodians' parts of one object and verifies the result
// exactly as a verifier would: a list against the current descriptor's
// threshold (and as the next in the chain), a rotation by the old and the new
// thresholds, an endorsement by this anchor's threshold. Only then is it
// recorded: a list in lists/, a rotation as the current descriptor.
func (w *Workspace) Combine(parts ...[]byte) (*Combined, error) {
	for i, p := range parts {
		if _, err := w.describePart(p); err != nil {
			return nil, fmt.Errorf("part %d: %w", i+1, err)
		}
	}
	raw, err := trustlist.CombineParts(parts...)
	if err != nil {
		return nil, err
	}
	cur, err := w.Descriptor()
	if err != nil {
		return nil, err
	}
	kind, _ := trustlist.PeekKind(raw)
	out := &Combined{Kind: kind, Raw: raw}
	switch kind {
	case trustlist.KindList:
		l, err := trustlist.ParseList(raw)
		if err != nil {
			return nil, err
		}
		if err := l.Verify(cur); err != nil {
			return nil, fmt.Errorf("the combined list does not verify: %w", err)
		}
		if l.Seq != w.Draft.Seq+1 || hex.EncodeToString(l.Prev) != w.Draft.LastHash {
			return nil, fmt.Errorf("the combined list is seq %d, but %s's next list is seq %d after %s: sign parts of the current draft", l.Seq, w.Dir, w.Draft.Seq+1, orFirst(w.Draft.LastHash))
		}
		out.List, out.Path, err = w.recordList(l)
		return out, err
	case trustlist.KindDescriptor:
		d, err := trustlist.ParseDescriptor(raw)
		if err != nil {
			return nil, err
		}
		if err := d.VerifyRotation(cur); err != nil {
			return nil, fmt.Errorf("the combined rotation does not verify: %w", err)
		}
		if err := w.saveDescriptor(d); err != nil {
			return nil, err
		}
		for _, rel := range w.Meta.KeyFiles {
			if _, err := os.Stat(filepath.Join(w.Dir, rel)); err == nil {
				out.OldKeys = append(out.OldKeys, filepath.Join(w.Dir, rel))
			}
		}
		var files []string
		for i := 1; i <= len(d.Keys); i++ {
			files = append(files, filepath.Join("keys", fmt.Sprintf("v%d-key-%d.cose", d.Version, i)))
		}
		w.Meta.Version, w.Meta.Threshold, w.Meta.KeyFiles = d.Version, d.Threshold, files
		out.Descriptor, out.Path = d, w.DescriptorPath()
		return out, w.save()
	case trustlist.KindEndorsement:
		e, err := trustlist.ParseEndorsement(raw)
		if err != nil {
			return nil, err
		}
		if err := e.Verify(cur); err != nil {
			return nil, fmt.Errorf("the combined endorsement does not verify: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %s cannot be combined", kind)
}

// OldKeyFiles returns the key files of versions before the current one that
// are still in the anchor directory.
func (w *Workspace) OldKeyFiles() []string {
	cur := map[string]bool{}
	for _, f := range w.Meta.KeyFiles {
		cur[filepath.Clean(f)] = true
	}
	matches, _ := filepath.Glob(filepath.Join(w.Dir, "keys", "v*-key-*.cose"))
	var out []string
	for _, m := range matches {
		rel, err := filepath.Rel(w.Dir, m)
		if err == nil && !cur[rel] {
			out = append(out, m)
		}
	}
	return out
}

func orFirst(h string) string {
	if h == "" {
		return "none (the first list)"
	}
	return "list hash " + h[:min(16, len(h))] + "…"
}

// readKeyFile loads an anchor key, refusing a file with loose permissions.
func readKeyFile(path string) (*trustlist.PrivateKey, error) {
	b, err := keyfile.Read(path)
	if err != nil {
		return nil, err
	}
	k, err := trustlist.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// writeKeyFile writes k to a new file with mode 0600; it never overwrites a
// key.
func writeKeyFile(path string, k *trustlist.PrivateKey) error {
	b, err := k.MarshalPrivateKey()
	if err != nil {
		return err
	}
	return keyfile.Create(path, b)
}
