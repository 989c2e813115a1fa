package anchor

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/accord-network/accord/internal/atomicfile"
	"github.com/accord-network/accord/trustlist"
)

// Publications of an anchor directory (spec/rules.md):
//
//	rules.json              the draft rule set: every rule version to publish, and the last seq
//	valuesets.json          the draft value sets and the last seq
//	revocations.json        the revocation chain's state: version, seq, last hash, batches in force
//	rules/seq-N.cose        every signed rule set
//	valuesets/seq-N.cose    every signed value sets object
//	revocations/vV-seq-N.cose every signed revocation delta

// RulesDraft is rules.json.
type RulesDraft struct {
	Seq   uint64            `json:"last_seq"`
	Rules []json.RawMessage `json:"rules"`
}

// ValueSetsDraft is valuesets.json.
type ValueSetsDraft struct {
	Seq  uint64              `json:"last_seq"`
	Sets map[string][]string `json:"sets"`
}

// RevocationState is revocations.json: where the anchor's chain stands.
type RevocationState struct {
	Version  uint64      `json:"descriptor_version"`
	Seq      uint64      `json:"last_seq"`
	LastHash string      `json:"last_hash,omitempty"`
	Batches  []HeldBatch `json:"batches"` // in force
}

// HeldBatch is one batch in force, with the delta that added it.
type HeldBatch struct {
	Ref      trustlist.BatchRef `json:"ref"`
	HashType string             `json:"hash_type"`
	KID      string             `json:"kid,omitempty"` // hex
	Expires  time.Time          `json:"expires"`
	Reason   string             `json:"reason,omitempty"`
	Hashes   []string           `json:"hashes"` // hex
}

func (w *Workspace) readJSON(name string, v any) error {
	b, err := os.ReadFile(filepath.Join(w.Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(w.Dir, name), err)
	}
	return nil
}

func (w *Workspace) writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(w.Dir, name), append(b, '\n'), 0o644)
}

// Rules returns the draft rule set.
func (w *Workspace) Rules() (*RulesDraft, error) {
	d := &RulesDraft{}
	return d, w.readJSON("rules.json", d)
}

// AddRules adds rule versions (JSON, already validated by the caller) to the
// draft; a rule with the Identifier and Version of a held one replaces it.
func (w *Workspace) AddRules(rules ...[]byte) (*RulesDraft, error) {
	d, err := w.Rules()
	if err != nil {
		return nil, err
	}
	key := func(raw []byte) string {
		var h struct{ Identifier, Version string }
		_ = json.Unmarshal(raw, &h)
		return h.Identifier + "@" + h.Version
	}
	for _, r := range rules {
		k := key(r)
		replaced := false
		for i, held := range d.Rules {
			if key(held) == k {
				d.Rules[i], replaced = json.RawMessage(r), true
			}
		}
		if !replaced {
			d.Rules = append(d.Rules, json.RawMessage(r))
		}
	}
	sort.SliceStable(d.Rules, func(i, j int) bool { return key(d.Rules[i]) < key(d.Rules[j]) })
	return d, w.writeJSON("rules.json", d)
}

// SetValueSets replaces the draft value sets.
func (w *Workspace) SetValueSets(sets map[string][]string) error {
	d := &ValueSetsDraft{}
	if err := w.readJSON("valuesets.json", d); err != nil {
		return err
	}
	d.Sets = sets
	return w.writeJSON("valuesets.json", d)
}

// SignRules signs the draft rule set as the next one (seq + 1) and, if value
// sets are drafted, the value sets too. It returns the signed objects and
// the files written.
func (w *Workspace) SignRules(now time.Time) (*trustlist.RuleSet, *trustlist.ValueSets, []string, error) {
	keys, err := w.signingKeys()
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := w.Rules()
	if err != nil {
		return nil, nil, nil, err
	}
	at := now.UTC().Truncate(time.Second)
	raws := make([][]byte, len(d.Rules))
	for i, r := range d.Rules {
		raws[i] = r
	}
	rs, err := trustlist.SignRuleSet(&trustlist.RuleSet{PublicationHeader: trustlist.PublicationHeader{Country: w.Meta.Country,
		DescriptorVersion: w.Meta.Version, Seq: d.Seq + 1, IssuedAt: at}, Rules: raws}, keys)
	if err != nil {
		return nil, nil, nil, err
	}
	files := []string{filepath.Join(w.Dir, "rules", fmt.Sprintf("seq-%06d.cose", rs.Seq))}
	if err := writeObject(files[0], rs.Raw()); err != nil {
		return nil, nil, nil, err
	}
	d.Seq = rs.Seq
	if err := w.writeJSON("rules.json", d); err != nil {
		return nil, nil, nil, err
	}
	vd := &ValueSetsDraft{}
	if err := w.readJSON("valuesets.json", vd); err != nil || vd.Sets == nil {
		return rs, nil, files, err
	}
	vs, err := trustlist.SignValueSets(&trustlist.ValueSets{PublicationHeader: trustlist.PublicationHeader{Country: w.Meta.Country,
		DescriptorVersion: w.Meta.Version, Seq: vd.Seq + 1, IssuedAt: at}, Sets: vd.Sets}, keys)
	if err != nil {
		return rs, nil, files, err
	}
	p := filepath.Join(w.Dir, "valuesets", fmt.Sprintf("seq-%06d.cose", vs.Seq))
	if err := writeObject(p, vs.Raw()); err != nil {
		return rs, nil, files, err
	}
	vd.Seq = vs.Seq
	return rs, vs, append(files, p), w.writeJSON("valuesets.json", vd)
}

// Revocations returns the anchor's revocation state.
func (w *Workspace) Revocations() (*RevocationState, error) {
	st := &RevocationState{}
	return st, w.readJSON("revocations.json", st)
}

// RevokeDocuments signs the next revocation delta adding batch. When the anchor's
// descriptor has been rotated since the last delta, the delta starts a new
// chain (seq 1 under the new version) restating every batch still in force,
// as verifiers drop chains signed under superseded keys. Expired batches
// are not restated.
func (w *Workspace) RevokeDocuments(batch *trustlist.RevocationBatch, now time.Time) (*trustlist.Revocations, string, error) {
	keys, err := w.signingKeys()
	if err != nil {
		return nil, "", err
	}
	st, err := w.Revocations()
	if err != nil {
		return nil, "", err
	}
	at := now.UTC().Truncate(time.Second)
	r := &trustlist.Revocations{PublicationHeader: trustlist.PublicationHeader{Country: w.Meta.Country,
		DescriptorVersion: w.Meta.Version, Seq: st.Seq + 1, IssuedAt: at}}
	if st.Version != w.Meta.Version && st.Seq > 0 {
		r.Seq = 1
		for _, hb := range st.Batches {
			if hb.Expires.Before(at) {
				continue
			}
			b, err := hb.batch()
			if err != nil {
				return nil, "", err
			}
			r.Batches = append(r.Batches, b)
		}
		st.Batches = nil
	} else if st.LastHash != "" {
		if r.Prev, err = hex.DecodeString(st.LastHash); err != nil {
			return nil, "", fmt.Errorf("revocations.json last_hash: %w", err)
		}
	}
	r.Batches = append(r.Batches, batch)
	sr, err := trustlist.SignRevocations(r, keys)
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(w.Dir, "revocations", fmt.Sprintf("v%d-seq-%06d.cose", sr.DescriptorVersion, sr.Seq))
	if err := writeObject(path, sr.Raw()); err != nil {
		return nil, "", err
	}
	st.Version, st.Seq, st.LastHash = sr.DescriptorVersion, sr.Seq, hex.EncodeToString(sr.Hash())
	for i, b := range sr.Batches {
		hb := HeldBatch{Ref: trustlist.BatchRef{Seq: sr.Seq, Index: uint64(i)}, HashType: string(b.HashType), KID: hex.EncodeToString(b.KID),
			Expires: b.Expires, Reason: b.Reason}
		for j := 0; j < b.Len(); j++ {
			hb.Hashes = append(hb.Hashes, hex.EncodeToString(b.Hash(j)))
		}
		st.Batches = append(st.Batches, hb)
	}
	return sr, path, w.writeJSON("revocations.json", st)
}

func (hb HeldBatch) batch() (*trustlist.RevocationBatch, error) {
	kid, err := hex.DecodeString(hb.KID)
	if err != nil {
		return nil, fmt.Errorf("revocations.json: kid: %w", err)
	}
	var hs [][trustlist.RevocationHashSize]byte
	for _, h := range hb.Hashes {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != trustlist.RevocationHashSize {
			return nil, fmt.Errorf("revocations.json: hash %q", h)
		}
		hs = append(hs, [trustlist.RevocationHashSize]byte(b))
	}
	return trustlist.NewRevocationBatch(trustlist.HashType(hb.HashType), kid, hb.Expires, hb.Reason, hs), nil
}

// writeObject writes a signed object, creating its folder on first use.
func writeObject(path string, raw []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, raw, 0o644)
}
