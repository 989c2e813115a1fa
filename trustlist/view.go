package trustlist

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// View is the trusted state of a store read through its verified index
// (spec/trustlist.md §5.2), for a verifier: opening it costs the same
// whatever the store holds, and each lookup loads only the anchors whose
// head lists hold the key, verifying those lists' signatures against their
// descriptors before any entry is used. It implements what the verify
// package asks of trusted material (Find, rules, value sets, revocations).
//
// A View keeps store.db open for reading (a shared lock: a writer that
// starts meanwhile waits for Close). It is safe for concurrent use.
type View struct {
	db      *bolt.DB
	policy  Policy
	anchors int
	foreign *Set // foreign lists installed by the caller (SetForeign)

	mu      sync.Mutex
	loaded  map[string]*viewAnchor
	loadErr error

	// found caches Find's candidates (before the query's filters) per
	// lookup, and pubsOf each anchor's publications once loaded: the store
	// does not change while the View is open (it holds the shared lock), so
	// a bulk verification reads bbolt and takes mu once per key, not once
	// per document on every worker.
	found  sync.Map // findKey → []*Match
	pubsOf sync.Map // country → *pubState
}

// findKey names the candidates of q (what Find gathers before applying q's
// filters: its cases are those of candidates), or "" for a query that is
// not cached.
func findKey(q Query) string {
	switch {
	case q.KID != nil:
		return idxKID + string(q.KID)
	case q.Thumbprint != nil:
		return idxThumb + string(q.Thumbprint)
	case q.Address != nil:
		return idxAddr + string(q.Address)
	case q.CA != nil && *q.CA:
		return "ca:" + q.Country
	case q.Country != "":
		return "country:" + q.Country
	}
	return ""
}

// viewAnchor is one anchor's state as a View loaded and verified it.
type viewAnchor struct {
	rec   anchorRecord
	descs map[uint64]*Descriptor
	// tmpl is every match's anchor and list part; raws are the head list's
	// entries, encoded, decoded when a lookup needs them (byKey, all).
	tmpl  Match
	raws  [][]byte
	all   []*Match // nil until a lookup needs every entry
	byKey map[string][]*Match
	pubs  *pubState // loaded on first use
	err   error     // the anchor's objects failed to load or verify
}

// rawEntries collects a list's entries as encoded bytes (rawEntrySink).
type rawEntries struct{ raws [][]byte }

func (s *rawEntries) start(n int)           { s.raws = make([][]byte, 0, n) }
func (s *rawEntries) add(*cborReader) error { return errNotCanonical } // never called: raw takes every entry
func (s *rawEntries) raw(b []byte)          { s.raws = append(s.raws, b) }
func decodeEntry(b []byte) (*Entry, error) {
	e := new(Entry)
	if r := (&cborReader{b: b}); r.entry(e) != nil || r.off != len(b) {
		return nil, fmt.Errorf("%w: entry: %v", ErrMalformed, errNotCanonical)
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	e.ready()
	return e, nil
}

// keyMatches returns a's matches for the lookup key k, decoding only the
// entries whose bytes hold the key (a byte search), and remembers them.
func (v *View) keyMatches(a *viewAnchor, k string) []*Match {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ms, ok := a.byKey[k]; ok {
		return ms
	}
	var ms []*Match
	needle := []byte(k[1:])
	for _, b := range a.raws {
		if !bytes.Contains(b, needle) {
			continue
		}
		e, err := decodeEntry(b)
		if err != nil {
			if v.loadErr == nil {
				v.loadErr = fmt.Errorf("%w: %s: %w", ErrStoreDamaged, a.tmpl.Country, err)
			}
			continue
		}
		for _, ek := range indexKeys(e) {
			if ek == k {
				m := a.tmpl
				m.Entry = e
				ms = append(ms, &m)
				break
			}
		}
	}
	a.byKey[k] = ms
	return ms
}

// allMatches returns every match of a, decoding every entry once.
func (v *View) allMatches(a *viewAnchor) []*Match {
	v.mu.Lock()
	defer v.mu.Unlock()
	if a.all != nil || len(a.raws) == 0 {
		return a.all
	}
	all := make([]*Match, 0, len(a.raws))
	for _, b := range a.raws {
		e, err := decodeEntry(b)
		if err != nil {
			if v.loadErr == nil {
				v.loadErr = fmt.Errorf("%w: %s: %w", ErrStoreDamaged, a.tmpl.Country, err)
			}
			continue
		}
		m := a.tmpl
		m.Entry = e
		all = append(all, &m)
	}
	a.all = all
	return all
}

// OpenView opens the store in dir through its index. It fails with
// ErrIndexStale when the store has no index matching its log and policy, or
// store.db is behind its objects/ mirror, and with ErrStoreBusy when a writer
// holds the store: LoadDir (a full replay) is the way to read it then.
func OpenView(dir string) (*View, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("trust store %s: %w", dir, err)
	}
	p, err := readPolicy(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, storeDB)
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return nil, fmt.Errorf("%w: %s has no store.db", ErrIndexStale, dir)
	}
	db, err := openDB(path, true, precheckDBWalked)
	if err != nil {
		return nil, fmt.Errorf("read trust store %s: %w", dir, err)
	}
	v := &View{db: db, policy: p, foreign: NewSet(p), loaded: map[string]*viewAnchor{}}
	var why string
	var m indexMeta
	err = contain(func() error {
		return db.View(func(tx *bolt.Tx) error {
			if m, why = indexFresh(tx, p); why == "" {
				v.anchors = tx.Bucket([]byte(bucketIndex)).Bucket([]byte(idxAnchorsB)).Stats().KeyN
			}
			return nil
		})
	})
	if err == nil && why == "" {
		why, err = mirrorAhead(dir, m.LogSeq)
	}
	if err != nil || why != "" {
		db.Close()
		if err != nil {
			return nil, fmt.Errorf("read trust store %s: %w", dir, err)
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrIndexStale, dir, why)
	}
	return v, nil
}

// mirrorAhead reports whether objects/ holds a record the log does not
// reach ("" if not): store.db is then behind its mirror, which the full
// replay diagnoses (ErrStoreBehind). Mirror files are named by log seq.
//
// Only the names are read, unsorted (Readdirnames, not ReadDir): a store of
// 200 anchors holds hundreds of records, and every verify opens it.
func mirrorAhead(dir string, logSeq uint64) (string, error) {
	names, err := readNames(filepath.Join(dir, objectsDir))
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil
		}
		return "", fmt.Errorf("read trust store objects: %w", err)
	}
	first := "" // the first offending name in name order, as a sorted listing gives
	for _, n := range names {
		if !strings.HasSuffix(n, ".cose") || strings.HasPrefix(n, ".") {
			continue
		}
		i := strings.IndexByte(n, '-')
		seq, err := strconv.ParseUint(n[:max(i, 0)], 10, 64)
		if (i < 0 || err != nil || seq > logSeq) && (first == "" || n < first) {
			first = n
		}
	}
	if first != "" {
		return fmt.Sprintf("objects/%s is not a record of the log (which ends at %d)", first, logSeq), nil
	}
	return "", nil
}

// readNames returns the names in directory dir, in no particular order.
func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// Close releases the store.
func (v *View) Close() error { return v.db.Close() }

// Policy returns the store's policy.
func (v *View) Policy() Policy { return v.policy }

// NumAnchors returns how many anchors the store admits.
func (v *View) NumAnchors() int { return v.anchors }

// Foreign returns the Set that holds foreign lists installed for this view
// (Set.SetForeign); Find consults it beside the store.
func (v *View) Foreign() *Set { return v.foreign }

// Err returns the first failure to load or verify an anchor's objects
// through the index (a damaged store), or nil. The entries of such an anchor
// are not found, so documents it vouches for are not trusted.
func (v *View) Err() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.loadErr
}

// Find is Set.Find over the store: the same query, the same matches.
func (v *View) Find(q Query) []Match {
	key := findKey(q)
	if key != "" {
		if c, ok := v.found.Load(key); ok {
			return append(filterMatches(c.([]*Match), q), v.foreign.Find(q)...)
		}
	}
	ccs, err := v.candidates(q)
	var cands []*Match
	for _, cc := range ccs {
		a := v.anchor(cc)
		if a == nil || a.err != nil {
			continue
		}
		switch {
		case q.KID != nil:
			cands = append(cands, v.keyMatches(a, idxKID+string(q.KID))...)
			if len(q.KID) == 20 {
				cands = append(cands, v.keyMatches(a, idxAddr+string(q.KID))...)
			}
		case q.Thumbprint != nil:
			cands = append(cands, v.keyMatches(a, idxThumb+string(q.Thumbprint))...)
		case q.Address != nil:
			cands = append(cands, v.keyMatches(a, idxAddr+string(q.Address))...)
		default:
			cands = append(cands, v.allMatches(a)...)
		}
	}
	if err != nil {
		v.noteErr(err)
	} else if key != "" {
		v.found.Store(key, cands)
	}
	out := filterMatches(cands, q)
	return append(out, v.foreign.Find(q)...)
}

// filterMatches applies q's filters to candidate matches (Set.Find's rule).
func filterMatches(cands []*Match, q Query) []Match {
	var out []Match
	for _, m := range cands {
		e := m.Entry
		if (q.Country != "" && m.Country != q.Country) || (q.Use != "" && !e.Allows(q.Use)) ||
			(q.Kind != "" && e.Kind != q.Kind) || (q.CA != nil && e.CA != *q.CA) {
			continue
		}
		if !q.ActiveAt.IsZero() && (!e.ValidAt(q.ActiveAt) || e.RevokedBy(q.ActiveAt)) {
			continue
		}
		out = append(out, *m)
	}
	return out
}

// candidates returns the anchors whose head lists may hold q's key, sorted.
func (v *View) candidates(q Query) ([]string, error) {
	var keys []string
	var only string // the one country the CA marker is read for, if any
	switch {
	case q.KID != nil:
		keys = append(keys, idxKID+string(q.KID))
		if len(q.KID) == 20 {
			keys = append(keys, idxAddr+string(q.KID))
		}
	case q.Thumbprint != nil:
		keys = append(keys, idxThumb+string(q.Thumbprint))
	case q.Address != nil:
		keys = append(keys, idxAddr+string(q.Address))
	case q.CA != nil && *q.CA:
		// The CA marker names the anchors whose head list holds a CA (with
		// a country, at most that one: a DSC's chain check then decodes no
		// list of a country that lists no CA).
		keys, only = append(keys, idxCA), q.Country
	case q.Country != "":
		return []string{q.Country}, nil
	}
	set := map[string]bool{}
	err := contain(func() error {
		return v.db.View(func(tx *bolt.Tx) error {
			kb := tx.Bucket([]byte(bucketIndex)).Bucket([]byte(idxKeysB))
			if keys == nil {
				return tx.Bucket([]byte(bucketIndex)).Bucket([]byte(idxAnchorsB)).ForEach(func(k, _ []byte) error {
					set[string(k)] = true
					return nil
				})
			}
			for _, k := range keys {
				pre := lookupKey(k)
				c := kb.Cursor()
				for kk, _ := c.Seek(pre); kk != nil && bytes.HasPrefix(kk, pre); kk, _ = c.Next() {
					set[string(kk[len(pre):])] = true
				}
			}
			return nil
		})
	})
	out := make([]string, 0, len(set))
	for cc := range set {
		if only == "" || cc == only {
			out = append(out, cc)
		}
	}
	sort.Strings(out)
	return out, err
}

func (v *View) noteErr(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.loadErr == nil {
		v.loadErr = err
	}
}

// anchor returns cc's state, loading and verifying it on first use; nil if
// the store does not admit cc.
func (v *View) anchor(cc string) *viewAnchor {
	v.mu.Lock()
	defer v.mu.Unlock()
	if a, ok := v.loaded[cc]; ok {
		return a
	}
	a, err := v.load(cc)
	if err != nil {
		a = &viewAnchor{err: fmt.Errorf("%w: %s: %w", ErrStoreDamaged, cc, err)}
		if v.loadErr == nil {
			v.loadErr = a.err
		}
	}
	v.loaded[cc] = a
	return a
}

// load reads cc's record, its head list and the descriptor that signed it,
// checks each against the hash the index recorded, and verifies the list's
// signatures (spec/trustlist.md §5.2).
func (v *View) load(cc string) (*viewAnchor, error) {
	var recRaw []byte
	descRaw := map[uint64][]byte{}
	var headRaw []byte
	err := contain(func() error {
		return v.db.View(func(tx *bolt.Tx) error {
			recRaw = bytes.Clone(tx.Bucket([]byte(bucketIndex)).Bucket([]byte(idxAnchorsB)).Get([]byte(cc)))
			if recRaw == nil {
				return nil
			}
			var rec anchorRecord
			if err := unmarshal(recRaw, &rec); err != nil {
				return err
			}
			for _, d := range rec.Descriptors {
				b, err := logObject(tx, d, true)
				if err != nil {
					return fmt.Errorf("descriptor v%d: %w", d.Version, err)
				}
				descRaw[d.Version] = b
			}
			if rec.Head != nil {
				// Bound by its payload hash (HeadHash) and signatures
				// below: hashing the whole file as well would only
				// double the cost of a large list.
				b, err := logObject(tx, *rec.Head, false)
				if err != nil {
					return fmt.Errorf("head list: %w", err)
				}
				headRaw = b
			}
			return nil
		})
	})
	if err != nil || recRaw == nil {
		return nil, err
	}
	a := &viewAnchor{descs: map[uint64]*Descriptor{}}
	if err := unmarshal(recRaw, &a.rec); err != nil {
		return nil, err
	}
	for ver, b := range descRaw {
		d, err := ParseDescriptor(b)
		if err != nil {
			return nil, fmt.Errorf("descriptor v%d: %w", ver, err)
		}
		if d.Country != cc || d.Version != ver {
			return nil, fmt.Errorf("descriptor v%d: the log holds %s v%d there", ver, d.Country, d.Version)
		}
		a.descs[ver] = d
	}
	cur := a.descs[a.rec.Version]
	if cur == nil {
		return nil, fmt.Errorf("current descriptor v%d is not indexed", a.rec.Version)
	}
	a.byKey = map[string][]*Match{}
	if headRaw == nil {
		return a, nil
	}
	h, raws, err := parseVerifiedList(headRaw)
	if err != nil {
		return nil, fmt.Errorf("head list: %w", err)
	}
	d := a.descs[h.DescriptorVersion]
	switch {
	case h.Country != cc || !bytes.Equal(h.Hash(), a.rec.HeadHash):
		return nil, errors.New("the head list in the log is not the one indexed")
	case d == nil:
		return nil, fmt.Errorf("head list seq %d names descriptor v%d, which is not indexed", h.Seq, h.DescriptorVersion)
	}
	if err := h.Verify(d); err != nil {
		return nil, fmt.Errorf("head list seq %d: %w", h.Seq, err)
	}
	var until time.Time
	if a.rec.AdmittedUntil != 0 {
		until = time.Unix(0, a.rec.AdmittedUntil).UTC()
	}
	a.tmpl = Match{Country: cc, Anchor: cur.Name, DescriptorVersion: h.DescriptorVersion, Seq: h.Seq, ListHash: h.Hash(),
		IssuedAt: h.IssuedAt, NextUpdate: h.NextUpdate, Equivocated: a.rec.Equivocated, AdmittedUntil: until}
	a.raws = raws
	return a, nil
}

// parseVerifiedList decodes a head list the store accepted (its bytes bound
// to the index by hash): the COSE envelope and the list header in full, the
// entries only as far as their encoded bytes (each is decoded, and checked,
// when a lookup needs it). The caller verifies the signatures.
func parseVerifiedList(raw []byte) (*List, [][]byte, error) {
	msg, err := decodeSignMessage(raw)
	if err != nil {
		return nil, nil, err
	}
	payloadView(raw, msg)
	var es rawEntries
	w, err := decodeListPayload(msg.Payload, &es)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s payload: %v", ErrMalformed, KindList, err)
	}
	l := &List{Country: w.Country, DescriptorVersion: w.DescriptorVersion, Seq: w.Seq, IssuedAt: unixTime(w.IssuedAt),
		NextUpdate: unixTime(w.NextUpdate), Prev: w.Prev, signed: signed{raw: raw, payload: msg.Payload, hash: sha256.Sum256(msg.Payload), msg: msg}}
	if len(l.Prev) == 0 {
		l.Prev = nil
	}
	if err := l.checkHeader(); err != nil {
		return nil, nil, err
	}
	return l, es.raws, nil
}

// logObject returns a copy of the log record ref names, checked against
// the hash the index recorded if check is set.
func logObject(tx *bolt.Tx, ref objRef, check bool) ([]byte, error) {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], ref.Seq)
	v := tx.Bucket([]byte(bucketLog)).Get(k[:])
	if len(v) < 1 {
		return nil, fmt.Errorf("log record %d is missing", ref.Seq)
	}
	raw := v[1:]
	if check {
		if h := sha256.Sum256(raw); !bytes.Equal(h[:], ref.Hash) {
			return nil, fmt.Errorf("log record %d does not have the indexed hash", ref.Seq)
		}
	}
	return bytes.Clone(raw), nil
}

// pubs returns cc's publications, loading and verifying them on first use
// (nil if it has none or they fail to load: see Err).
func (v *View) pubs(cc string) *pubState {
	if p, ok := v.pubsOf.Load(cc); ok {
		return p.(*pubState)
	}
	a := v.anchor(cc)
	if a == nil || a.err != nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if a.pubs != nil {
		return a.pubs
	}
	p, err := v.loadPubs(cc, a)
	if err != nil {
		err = fmt.Errorf("%w: %s publications: %w", ErrStoreDamaged, cc, err)
		if v.loadErr == nil {
			v.loadErr = err
		}
		p = &pubState{}
	}
	a.pubs = p
	v.pubsOf.Store(cc, p)
	return p
}

// loadPubs reads and verifies cc's rule set, value sets and revocation
// chain, and applies the chain's rules again to rebuild its index.
func (v *View) loadPubs(cc string, a *viewAnchor) (*pubState, error) {
	refs := append([]objRef(nil), a.rec.Revocations...)
	var rulesIdx, vsIdx = -1, -1
	if a.rec.Rules != nil {
		rulesIdx = len(refs)
		refs = append(refs, *a.rec.Rules)
	}
	if a.rec.ValueSets != nil {
		vsIdx = len(refs)
		refs = append(refs, *a.rec.ValueSets)
	}
	raws := make([][]byte, len(refs))
	err := contain(func() error {
		return v.db.View(func(tx *bolt.Tx) error {
			for i, r := range refs {
				b, err := logObject(tx, r, true)
				if err != nil {
					return err
				}
				raws[i] = b
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	p := &pubState{}
	desc := func(h *PublicationHeader) (*Descriptor, error) {
		if d := a.descs[h.DescriptorVersion]; d != nil {
			return d, nil
		}
		return nil, fmt.Errorf("descriptor v%d is not indexed", h.DescriptorVersion)
	}
	if rulesIdx >= 0 {
		rs, err := ParseRuleSet(raws[rulesIdx])
		if err != nil {
			return nil, err
		}
		d, err := desc(&rs.PublicationHeader)
		if err != nil {
			return nil, err
		}
		if err := rs.Verify(d); err != nil || rs.Country != cc {
			return nil, fmt.Errorf("rule set: %v", err)
		}
		p.rules = rs
	}
	if vsIdx >= 0 {
		vs, err := ParseValueSets(raws[vsIdx])
		if err != nil {
			return nil, err
		}
		d, err := desc(&vs.PublicationHeader)
		if err != nil {
			return nil, err
		}
		if err := vs.Verify(d); err != nil || vs.Country != cc {
			return nil, fmt.Errorf("value sets: %v", err)
		}
		p.valueSets = vs
	}
	for i := range a.rec.Revocations {
		r, err := ParseRevocations(raws[i])
		if err != nil {
			return nil, err
		}
		d, err := desc(&r.PublicationHeader)
		if err != nil {
			return nil, err
		}
		if err := r.Verify(d); err != nil || r.Country != cc {
			return nil, fmt.Errorf("revocation delta seq %d: %v", r.Seq, err)
		}
		if dec := p.acceptRevocations(r, &Decision{}); dec != nil {
			return nil, fmt.Errorf("revocation delta seq %d: %s", r.Seq, dec.Detail)
		}
	}
	return p, nil
}

// RuleSet returns the anchor's current rule set, or nil.
func (v *View) RuleSet(country string) *RuleSet {
	if p := v.pubs(country); p != nil {
		return p.rules
	}
	return nil
}

// ValueSets returns the anchor's current value sets, or nil.
func (v *View) ValueSets(country string) *ValueSets {
	if p := v.pubs(country); p != nil {
		return p.valueSets
	}
	return nil
}

// Revoked is Set.Revoked over the store.
func (v *View) Revoked(country string, kid []byte, at time.Time, qs ...RevocationQuery) *Revocation {
	if p := v.pubs(country); p != nil {
		return p.revoked(country, kid, at, qs)
	}
	return nil
}

// RevocationSummary is Set.RevocationSummary over the store.
func (v *View) RevocationSummary(country string) *RevocationInfo {
	if p := v.pubs(country); p != nil {
		return p.summary(country)
	}
	return nil
}
