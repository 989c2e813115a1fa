package trustlist

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The verified index (spec/trustlist.md §5.2) lets a verifier open a store
// without replaying it. A writer keeps it inside store.db, in the same bbolt
// transaction as the log records that changed it, so it can never be behind
// the log it was written with. It records, per admitted anchor, the outcome
// of the acceptance decisions (pinned or admitted until when, the current
// descriptor version, equivocation) and where the objects that vouch for its
// keys are in the log (the head list, its descriptor, the publications), and
// it maps every lookup key (kid, thumbprint, address) to the anchors whose
// head lists hold it. A verifier looks a key up, loads only those anchors'
// head lists and verifies their signatures (View).
//
// Layout, under the bucket "index":
//
//	meta     "v" → indexMeta: format, the log position and policy it was built from
//	anchors  country → anchorRecord
//	keys     lookup key ‖ country → "" (a lookup key is its kind byte, a
//	         uvarint length and the key bytes)
//	owned    country → the lookup keys its head list added, concatenated
//	         (so they can be removed when its head changes): one record per
//	         anchor, not one per key
const (
	bucketIndex = "index"
	idxMetaB    = "meta"
	idxAnchorsB = "anchors"
	idxKeysB    = "keys"
	idxOwnedB   = "owned"
	idxMetaKey  = "v"
	// indexFormat changes whenever what the index records, or the rules
	// that produce it, change: an index of another format is rebuilt.
	// Format 3: owned holds one record per anchor (format 2: one per key).
	indexFormat = 3
	// idxCA marks an anchor whose head list holds CA entries (lookups of
	// all CAs, as PDF chain building makes, load only those anchors).
	idxCA = "c"
)

// ErrIndexStale: the store's verified index is missing or does not match
// the log and policy it must have been built from. A reader falls back to
// replaying the store; a writer rebuilds the index when it opens the store.
var ErrIndexStale = errors.New("trust store index does not match the store")

type indexMeta struct {
	Format int `cbor:"1,keyasint"`
	// LogSeq, LogHash and LogLen are the last log record when the index
	// was written: its key, the SHA-256 of its last 4 KiB (tailHash) and
	// its length.
	LogSeq  uint64 `cbor:"2,keyasint"`
	LogHash []byte `cbor:"3,keyasint"`
	LogLen  int    `cbor:"6,keyasint"`
	// The policy the acceptance decisions were made under.
	Threshold    int   `cbor:"4,keyasint"`
	MaxClockSkew int64 `cbor:"5,keyasint"`
}

// objRef locates a verified object in the log and binds it by hash.
type objRef struct {
	Seq     uint64 `cbor:"1,keyasint"`           // log key
	Hash    []byte `cbor:"2,keyasint"`           // SHA-256 of the object's bytes
	Version uint64 `cbor:"3,keyasint,omitempty"` // descriptors: their version
}

// anchorRecord is what the index holds of one admitted anchor.
type anchorRecord struct {
	Name          string   `cbor:"1,keyasint"`
	Version       uint64   `cbor:"2,keyasint"` // current descriptor version
	Pinned        bool     `cbor:"3,keyasint"`
	AdmittedUntil int64    `cbor:"4,keyasint,omitempty"` // unix nanoseconds; 0 if pinned
	Equivocated   bool     `cbor:"5,keyasint"`
	Descriptors   []objRef `cbor:"6,keyasint"` // every held version
	Head          *objRef  `cbor:"7,keyasint,omitempty"`
	HeadHash      []byte   `cbor:"8,keyasint,omitempty"` // List.Hash of the head (its payload)
	Entries       int      `cbor:"9,keyasint"`
	Rules         *objRef  `cbor:"10,keyasint,omitempty"`
	ValueSets     *objRef  `cbor:"11,keyasint,omitempty"`
	Revocations   []objRef `cbor:"12,keyasint,omitempty"` // the current chain, seq 1 first
}

// markDirty notes that country's indexed state changed; s.mu is held.
func (s *Set) markDirty(country string) {
	if s.dirty == nil {
		s.dirty = map[string]bool{}
	}
	s.dirty[country] = true
}

// lookupKey encodes an index key (idxKID+kid, ...) for the keys bucket.
func lookupKey(k string) []byte {
	out := make([]byte, 0, len(k)+4)
	out = append(out, k[0])
	out = binary.AppendUvarint(out, uint64(len(k)-1))
	return append(out, k[1:]...)
}

// indexBuckets returns the index's buckets in tx, creating them.
func indexBuckets(tx *bolt.Tx) (meta, anchors, keys, owned *bolt.Bucket, err error) {
	ib, err := tx.CreateBucketIfNotExists([]byte(bucketIndex))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var bs [4]*bolt.Bucket
	for i, n := range []string{idxMetaB, idxAnchorsB, idxKeysB, idxOwnedB} {
		if bs[i], err = ib.CreateBucketIfNotExists([]byte(n)); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	return bs[0], bs[1], bs[2], bs[3], nil
}

// writeIndex brings the index in tx up to date with s for the countries
// marked dirty, then records the log position and policy. s.mu is held.
// logged holds the records this transaction appended (their refs need no
// lookup).
func writeIndex(tx *bolt.Tx, s *Set, logged loggedRefs) error {
	meta, anchors, keys, owned, err := indexBuckets(tx)
	if err != nil {
		return err
	}
	ccs := make([]string, 0, len(s.dirty))
	for cc := range s.dirty {
		ccs = append(ccs, cc)
	}
	sort.Strings(ccs)
	var dels, puts [][]byte
	for _, cc := range ccs {
		if err := indexCountry(tx, anchors, owned, s, cc, logged, &dels, &puts); err != nil {
			return fmt.Errorf("index %s: %w", cc, err)
		}
	}
	// In key order: bbolt inserts into a node's sorted slice, so 200,000
	// keys in random order cost quadratic copying, in order nothing.
	if err := applySorted(dels, keys.Delete); err != nil {
		return err
	}
	if err := applySorted(puts, func(k []byte) error { return keys.Put(k, []byte{}) }); err != nil {
		return err
	}
	return writeIndexMeta(tx, meta, s.policy)
}

// applySorted calls f on each key in ascending order.
func applySorted(ks [][]byte, f func([]byte) error) error {
	sort.Slice(ks, func(i, j int) bool { return bytes.Compare(ks[i], ks[j]) < 0 })
	for _, k := range ks {
		if err := f(k); err != nil {
			return err
		}
	}
	return nil
}

// rebuildIndex replaces the index in tx with one built from s. s.mu is held.
func rebuildIndex(tx *bolt.Tx, s *Set, logged loggedRefs) error {
	if tx.Bucket([]byte(bucketIndex)) != nil {
		if err := tx.DeleteBucket([]byte(bucketIndex)); err != nil {
			return err
		}
	}
	for cc := range s.anchors {
		s.markDirty(cc)
	}
	return writeIndex(tx, s, logged)
}

func writeIndexMeta(tx *bolt.Tx, meta *bolt.Bucket, p Policy) error {
	m := indexMeta{Format: indexFormat, Threshold: p.EndorsementThreshold, MaxClockSkew: int64(p.MaxClockSkew)}
	m.LogSeq, m.LogHash, m.LogLen = lastLog(tx)
	b, err := marshal(&m)
	if err != nil {
		return err
	}
	return meta.Put([]byte(idxMetaKey), b)
}

// lastLog returns the key, tail hash and length of the last log record.
func lastLog(tx *bolt.Tx) (uint64, []byte, int) {
	lg := tx.Bucket([]byte(bucketLog))
	if lg == nil {
		return 0, nil, 0
	}
	k, v := lg.Cursor().Last()
	if len(k) != 8 {
		return 0, nil, 0
	}
	return binary.BigEndian.Uint64(k), tailHash(v), len(v)
}

// tailHash is the SHA-256 of the last 4 KiB of a log record (all of a
// shorter one), where a COSE object keeps its signatures: a constant cost
// however large the record. The objects the index points to are checked
// against their full hashes when they are read (logObject, and the head
// list's payload hash).
func tailHash(v []byte) []byte {
	h := sha256.Sum256(v[max(0, len(v)-4096):])
	return h[:]
}

// indexCountry rewrites what the index holds of one anchor. The lookup
// keys its old head added are appended to dels and those of its head now to
// puts (the caller applies them, all anchors' together, in key order); a
// key both lists hold is left alone.
func indexCountry(tx *bolt.Tx, anchors, owned *bolt.Bucket, s *Set, cc string, logged loggedRefs, dels, puts *[][]byte) error {
	old := ownedKeys(owned.Get([]byte(cc)))
	a := s.anchors[cc]
	if a == nil || a.current == nil {
		addKeys(dels, old, nil, cc)
		if err := owned.Delete([]byte(cc)); err != nil {
			return err
		}
		return anchors.Delete([]byte(cc))
	}
	rec := anchorRecord{Name: a.current.Name, Version: a.current.Version, Pinned: a.pinned, Equivocated: a.equivocated}
	if !a.admittedUntil.IsZero() {
		rec.AdmittedUntil = a.admittedUntil.UnixNano()
	}
	vs := make([]uint64, 0, len(a.versions))
	for v := range a.versions {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	for _, v := range vs {
		r, err := logged.refOf(tx, a.versions[v].Raw())
		if err != nil {
			return fmt.Errorf("descriptor v%d: %w", v, err)
		}
		r.Version = v
		rec.Descriptors = append(rec.Descriptors, r)
	}
	var now map[string]bool
	var ownedNow []byte
	if h := a.head; h != nil {
		r, err := logged.refOf(tx, h.Raw())
		if err != nil {
			return fmt.Errorf("list seq %d: %w", h.Seq, err)
		}
		rec.Head, rec.HeadHash, rec.Entries = &r, h.Hash(), h.entryCount()
		now, ownedNow = headKeys(h.entries())
	}
	addKeys(dels, old, now, cc)
	was := make(map[string]bool, len(old))
	for _, k := range old {
		was[k] = true
	}
	for k := range now {
		if !was[k] {
			*puts = append(*puts, append(lookupKey(k), cc...))
		}
	}
	if ownedNow == nil {
		if err := owned.Delete([]byte(cc)); err != nil {
			return err
		}
	} else if err := owned.Put([]byte(cc), ownedNow); err != nil {
		return err
	}
	if p := s.pubs[cc]; p != nil {
		if err := pubRefs(tx, p, logged, &rec); err != nil {
			return err
		}
	}
	b, err := marshal(&rec)
	if err != nil {
		return err
	}
	return anchors.Put([]byte(cc), b)
}

// addKeys appends to out the keys bucket key of every lookup key in ks
// that keep does not hold.
func addKeys(out *[][]byte, ks []string, keep map[string]bool, cc string) {
	for _, k := range ks {
		if !keep[k] {
			*out = append(*out, append(lookupKey(k), cc...))
		}
	}
}

func pubRefs(tx *bolt.Tx, p *pubState, logged loggedRefs, rec *anchorRecord) error {
	if p.rules != nil {
		r, err := logged.refOf(tx, p.rules.Raw())
		if err != nil {
			return fmt.Errorf("rule set: %w", err)
		}
		rec.Rules = &r
	}
	if p.valueSets != nil {
		r, err := logged.refOf(tx, p.valueSets.Raw())
		if err != nil {
			return fmt.Errorf("value sets: %w", err)
		}
		rec.ValueSets = &r
	}
	if p.revs != nil {
		for _, d := range p.revs.deltas {
			r, err := logged.refOf(tx, d.Raw())
			if err != nil {
				return fmt.Errorf("revocation delta seq %d: %w", d.Seq, err)
			}
			rec.Revocations = append(rec.Revocations, r)
		}
	}
	return nil
}

// headKeys returns the lookup keys of a head list's entries, as a set and
// as the owned record that lists them (each as lookupKey encodes it).
func headKeys(entries []*Entry) (map[string]bool, []byte) {
	set := make(map[string]bool, 2*len(entries))
	var rec []byte
	add := func(k string) {
		if !set[k] {
			set[k] = true
			rec = append(rec, lookupKey(k)...)
		}
	}
	for _, e := range entries {
		for _, k := range indexKeys(e) {
			add(k)
		}
		if e.CA {
			add(idxCA)
		}
	}
	if rec == nil {
		rec = []byte{}
	}
	return set, rec
}

// ownedKeys decodes an owned record into its lookup keys. A record that
// does not decode yields the keys before the damage: the rest stay in the
// keys bucket, where CheckIndex reports them and a rebuild removes them.
func ownedKeys(rec []byte) []string {
	var out []string
	for len(rec) > 0 {
		n, w := binary.Uvarint(rec[1:])
		if w <= 0 || uint64(len(rec)-1-w) < n {
			break
		}
		out = append(out, string(rec[0])+string(rec[1+w:1+w+int(n)]))
		rec = rec[1+w+int(n):]
	}
	return out
}

// loggedRefs are the objects a commit appended to the log, by the address
// and length of their bytes: the index refers to them without finding them
// in the log again (two more SHA-256 passes over each list otherwise).
type loggedRefs map[rawID]objRef

type rawID struct {
	p *byte
	n int
}

func idOf(raw []byte) rawID {
	if len(raw) == 0 {
		return rawID{}
	}
	return rawID{&raw[0], len(raw)}
}

// note records that raw was logged at seq.
func (l loggedRefs) note(raw []byte, seq uint64) {
	if len(raw) == 0 {
		return
	}
	h := sha256.Sum256(raw)
	l[idOf(raw)] = objRef{Seq: seq, Hash: h[:]}
}

// refOf is refOf for an object of this commit, else the log lookup.
func (l loggedRefs) refOf(tx *bolt.Tx, raw []byte) (objRef, error) {
	if r, ok := l[idOf(raw)]; ok && len(raw) > 0 {
		return r, nil
	}
	return refOf(tx, raw)
}

// refOf finds raw in the log (it was logged as an object, a pin or a
// replacement) and returns its reference.
func refOf(tx *bolt.Tx, raw []byte) (objRef, error) {
	seen := tx.Bucket([]byte(bucketSeen))
	if seen == nil {
		return objRef{}, errors.New("no log")
	}
	for _, kind := range []byte{recordObj, recordPin, recordReplace} {
		h := sha256.Sum256(append([]byte{kind}, raw...))
		if k := seen.Get(h[:]); len(k) == 8 {
			fh := sha256.Sum256(raw)
			return objRef{Seq: binary.BigEndian.Uint64(k), Hash: fh[:]}, nil
		}
	}
	return objRef{}, errors.New("object is not in the log")
}

// indexFresh reports why the index in tx does not match the log and policy
// p ("" if it matches).
func indexFresh(tx *bolt.Tx, p Policy) (indexMeta, string) {
	var m indexMeta
	ib := tx.Bucket([]byte(bucketIndex))
	if ib == nil {
		return m, "the store has no index"
	}
	mb := ib.Bucket([]byte(idxMetaB))
	if mb == nil || ib.Bucket([]byte(idxAnchorsB)) == nil || ib.Bucket([]byte(idxKeysB)) == nil || ib.Bucket([]byte(idxOwnedB)) == nil {
		return m, "the index is incomplete"
	}
	if err := unmarshal(mb.Get([]byte(idxMetaKey)), &m); err != nil {
		return m, "the index has no readable header"
	}
	if m.Format != indexFormat {
		return m, fmt.Sprintf("the index is of format %d, not %d", m.Format, indexFormat)
	}
	if seq, h, n := lastLog(tx); seq != m.LogSeq || n != m.LogLen || !bytes.Equal(h, m.LogHash) {
		return m, fmt.Sprintf("the index was built at log record %d, the log ends at %d", m.LogSeq, seq)
	}
	if m.Threshold != p.EndorsementThreshold || time.Duration(m.MaxClockSkew) != p.MaxClockSkew {
		return m, "the index was built under another policy"
	}
	return m, ""
}

// indexAgrees reports where the index in tx differs from what s holds of
// each anchor ("" if nowhere): the cheap comparison a writer makes at open.
func indexAgrees(tx *bolt.Tx, s *Set) string {
	ab := tx.Bucket([]byte(bucketIndex)).Bucket([]byte(idxAnchorsB))
	if n := ab.Stats().KeyN; n != len(s.anchors) {
		return fmt.Sprintf("the index holds %d anchors, the log %d", n, len(s.anchors))
	}
	for cc, a := range s.anchors {
		var rec anchorRecord
		if err := unmarshal(ab.Get([]byte(cc)), &rec); err != nil {
			return fmt.Sprintf("%s: no readable index record", cc)
		}
		var until int64
		if !a.admittedUntil.IsZero() {
			until = a.admittedUntil.UnixNano()
		}
		var head []byte
		if a.head != nil {
			head = a.head.Hash()
		}
		if rec.Version != a.current.Version || rec.Pinned != a.pinned || rec.AdmittedUntil != until ||
			rec.Equivocated != a.equivocated || !bytes.Equal(rec.HeadHash, head) {
			return fmt.Sprintf("%s: the index record differs from the log", cc)
		}
		if p := s.pubs[cc]; p != nil && p.revs != nil && len(p.revs.deltas) != len(rec.Revocations) {
			return fmt.Sprintf("%s: the index holds %d revocation deltas, the log %d", cc, len(rec.Revocations), len(p.revs.deltas))
		}
	}
	return ""
}

// ensureIndex checks the store's index against the replayed set at open and
// rebuilds it if it is missing, stale or disagrees. A rebuild that fails (a
// full disk) does not fail the open: readers keep falling back to a replay,
// and the next commit rebuilds it.
func (st *Store) ensureIndex() {
	s := st.set
	ok := false
	err := contain(func() error {
		return st.db.View(func(tx *bolt.Tx) error {
			if _, why := indexFresh(tx, s.policy); why == "" && indexAgrees(tx, s) == "" {
				ok = true
			}
			return nil
		})
	})
	if err == nil && ok {
		s.dirty = nil
		return
	}
	st.indexStale = true
	err = contain(func() error { return st.db.Update(func(tx *bolt.Tx) error { return rebuildIndex(tx, s, nil) }) })
	if err != nil {
		st.noteWrite(fmt.Errorf("%w: rebuild index: %w", ErrStoreWrite, err))
		return
	}
	st.indexStale, s.dirty = false, nil
}

// IndexCheck is what CheckIndex found.
type IndexCheck struct {
	// Anchors is how many anchors the full replay admits.
	Anchors int `json:"anchors"`
	// Skipped counts log records that no longer verify under the policy.
	Skipped int `json:"skipped"`
	// Keys is how many lookup keys the index holds.
	Keys int `json:"keys"`
	// Problem is why the index does not match the replayed store ("" if it
	// does): a reader would not use it, or would find other keys than the
	// replay.
	Problem string `json:"problem,omitempty"`
}

// CheckIndex compares the verified index of the store in dir with the
// state a full replay of its log gives (every object verified again): the
// header's binding to the log and policy, every anchor's record, and every
// lookup key of every head list. It needs the store not held by a writer
// (ErrStoreBusy). A mismatch is reported in the result, not as an error.
func CheckIndex(dir string) (*IndexCheck, error) {
	p, err := readPolicy(dir)
	if err != nil {
		return nil, err
	}
	db, err := openDB(filepath.Join(dir, storeDB), true, precheckDB)
	if err != nil {
		return nil, fmt.Errorf("read trust store %s: %w", dir, err)
	}
	defer db.Close()
	recs, err := readLog(db)
	if err != nil {
		return nil, fmt.Errorf("read trust store %s: %w", dir, err)
	}
	set := NewSet(p)
	skipped := replay(set, recs)
	out := &IndexCheck{Anchors: len(set.anchors), Skipped: skipped}
	err = contain(func() error {
		return db.View(func(tx *bolt.Tx) error {
			if _, why := indexFresh(tx, p); why != "" {
				out.Problem = why
				return nil
			}
			if why := indexAgrees(tx, set); why != "" {
				out.Problem = why
				return nil
			}
			out.Keys, out.Problem = indexKeysAgree(tx, set)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read trust store %s: %w", dir, err)
	}
	return out, nil
}

// indexKeysAgree compares the keys bucket with the lookup keys of every
// replayed head list; it returns the index's key count and any difference.
func indexKeysAgree(tx *bolt.Tx, s *Set) (int, string) {
	want := map[string]bool{}
	for cc, a := range s.anchors {
		if a.head == nil {
			continue
		}
		var puts [][]byte
		for _, e := range a.head.entries() {
			for _, k := range indexKeys(e) {
				puts = append(puts, append(lookupKey(k), cc...))
			}
			if e.CA {
				puts = append(puts, append(lookupKey(idxCA), cc...))
			}
		}
		for _, k := range puts {
			want[string(k)] = true
		}
	}
	n := 0
	problem := ""
	kb := tx.Bucket([]byte(bucketIndex)).Bucket([]byte(idxKeysB))
	_ = kb.ForEach(func(k, _ []byte) error {
		n++
		if !want[string(k)] && problem == "" {
			problem = fmt.Sprintf("the index holds a lookup key (%x) that no head list has", k)
		}
		delete(want, string(k))
		return nil
	})
	if problem == "" && len(want) > 0 {
		problem = fmt.Sprintf("%d lookup keys of the head lists are missing from the index", len(want))
	}
	if problem == "" {
		problem = ownedAgree(tx, s)
	}
	return n, problem
}

// ownedAgree compares each anchor's owned record (the keys the next head
// change removes) with the lookup keys of its head list.
func ownedAgree(tx *bolt.Tx, s *Set) string {
	ob := tx.Bucket([]byte(bucketIndex)).Bucket([]byte(idxOwnedB))
	if n := ob.Stats().KeyN; n > len(s.anchors) {
		return fmt.Sprintf("the index records owned keys of %d anchors, the log admits %d", n, len(s.anchors))
	}
	for cc, a := range s.anchors {
		var want map[string]bool
		if a.head != nil {
			want, _ = headKeys(a.head.entries())
		}
		got := ownedKeys(ob.Get([]byte(cc)))
		if len(got) != len(want) {
			return fmt.Sprintf("%s: the index records %d owned lookup keys, the head list has %d", cc, len(got), len(want))
		}
		for _, k := range got {
			if !want[k] {
				return fmt.Sprintf("%s: the index records an owned lookup key the head list does not have", cc)
			}
		}
	}
	return ""
}
