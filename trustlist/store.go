package trustlist

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/accord-network/accord/internal/atomicfile"
	"github.com/veraison/go-cose"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// A store is a directory:
//
//	DIR/store.db        bbolt database: the log of every pinned or accepted object, in order
//	DIR/objects/*.cose  the same objects as files, one per log record, written after each commit
//	DIR/policy.json     the verifier's policy (endorsement threshold, clock skew)
//
// The log is the source of truth. Objects are self-authenticating, so opening
// a store for writing replays the log through a fresh Set, which checks every
// signature, threshold and chain again. Each commit also updates the verified
// index in the same transaction (index.go), through which a verifier opens
// the store without replaying it (View). A writer (a node, `accord trust
// import`) holds the database exclusively; a reader (`accord verify`) that
// finds it locked replays objects/ instead (see spec/trustlist.md §5).

const (
	storeDB    = "store.db"
	objectsDir = "objects"
	policyFile = "policy.json"
	recordPin  = byte('p')
	recordObj  = byte('o')
	// recordReplace is a descriptor the operator pinned as a replacement
	// of its anchor, outright (PinOptions.Replace).
	recordReplace = byte('r')
	bucketLog     = "log"
	bucketSeen    = "seen"
	lockTimeout   = 2 * time.Second
)

// Store errors. They say what is wrong; what to do about it is the caller's
// (the CLI names the command). Each is matched with errors.Is.
var (
	// ErrStoreBusy: another process holds the store for writing.
	ErrStoreBusy = errors.New("trust store is in use by another process")
	// ErrStoreDamaged: store.db cannot be read (garbled pages, a bad
	// checksum, a structure bbolt refuses). The objects/ mirror can rebuild it.
	ErrStoreDamaged = errors.New("trust store is damaged")
	// ErrStoreBehind: objects/ holds verified state that store.db lacks (an
	// emptied, deleted, truncated or restored-from-old-backup store.db).
	ErrStoreBehind = errors.New("trust store is behind its objects/ mirror")
	// ErrStoreWrite: a durable write failed (a full disk, an I/O error).
	// Nothing of the failed write was kept, in memory or on disk.
	ErrStoreWrite = errors.New("trust store write failed")
)

// StoreOptions configure OpenStore.
type StoreOptions struct {
	// Policy, if non-nil, replaces the policy saved in the store.
	Policy *Policy
	// WriteFault, if non-nil, is called before each durable commit; a
	// non-nil result fails the commit exactly as a failed disk write does.
	// It is a seam for fault tests on machines where a full filesystem
	// cannot be mounted.
	WriteFault func() error
	// NoSync skips the fsync of each commit (bbolt's NoSync): a crash may
	// lose or damage recent commits. Only for simulations that run
	// thousands of stores in one process; never for a store that matters.
	NoSync bool
}

// Store is a persistent Set. All methods are safe for concurrent use.
type Store struct {
	dir   string
	db    *bolt.DB
	set   *Set
	fault func() error
	mu    sync.Mutex // serialises writes so the log order is the acceptance order
	// Skipped counts log records that no longer pass under the current policy.
	Skipped int

	hmu         sync.Mutex
	writeErrors uint64
	lastErr     error
	lastErrAt   time.Time
	mirrorDebt  []record // committed records whose mirror file could not be written
	// indexStale is set when the index could not be rebuilt at open; the
	// next commit rebuilds it whole rather than updating it.
	indexStale bool
	// deferIndex counts DeferIndex holds (under mu). While it is positive,
	// commits leave the index behind the log; indexBehind says one did, and
	// pendingRefs holds the refs of what they logged.
	deferIndex  int
	indexBehind bool
	pendingRefs loggedRefs
}

// StoreHealth describes whether a store is taking writes (Store.Health).
type StoreHealth struct {
	// OK is false while the last durable write failed (or a mirror file is
	// owed); it turns true again with the next successful write.
	OK bool `json:"ok"`
	// WriteErrors counts failed durable writes since the store was opened.
	WriteErrors uint64 `json:"write_errors"`
	// LastError is the most recent write failure, if any.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// NoSpace is true if the last failure was a full disk or quota.
	NoSpace bool `json:"no_space,omitempty"`
	// Skipped counts stored records that did not verify when the store was opened.
	Skipped int `json:"skipped"`
}

// OpenStore opens (creating if needed) the store in dir for reading and
// writing, and replays it. It fails with ErrStoreBusy if another process has
// it open for writing, ErrStoreDamaged if store.db cannot be read, and
// ErrStoreBehind if the objects/ mirror holds verified state the database
// lacks (RepairStore rebuilds the database from the mirror).
func OpenStore(dir string, opts StoreOptions) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, objectsDir), 0o700); err != nil {
		return nil, fmt.Errorf("create trust store: %w", err)
	}
	p, err := readPolicy(dir)
	if err != nil {
		return nil, err
	}
	if opts.Policy != nil {
		p = *opts.Policy
		if err := writePolicy(dir, p); err != nil {
			return nil, err
		}
	}
	db, err := openDB(filepath.Join(dir, storeDB), false, precheckDB)
	if err != nil {
		return nil, fmt.Errorf("open trust store %s: %w", dir, err)
	}
	db.NoSync = opts.NoSync
	if err := contain(func() error {
		return db.Update(func(tx *bolt.Tx) error {
			for _, b := range []string{bucketLog, bucketSeen} {
				if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
					return err
				}
			}
			return nil
		})
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("open trust store %s: %w", dir, err)
	}
	st := &Store{dir: dir, db: db, set: NewSet(p), fault: opts.WriteFault}
	recs, err := readLog(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open trust store %s: %w", dir, err)
	}
	ok := replayEach(st.set, recs)
	for _, good := range ok {
		if !good {
			st.Skipped++
		}
	}
	if err := checkMirror(dir, st.set, recs); err != nil {
		db.Close()
		return nil, err
	}
	st.ensureIndex()
	noteWalked(filepath.Join(dir, storeDB))
	// Restore mirror files a crash may have lost between commit and write
	// (only for records that verified: garbage is never mirrored).
	var buf []byte
	for i, r := range recs {
		if !ok[i] {
			continue
		}
		if err := writeMirrorBuf(dir, r, &buf); err != nil {
			db.Close()
			return nil, fmt.Errorf("open trust store %s: %w", dir, err)
		}
	}
	releaseMappedPages(db, filepath.Join(dir, storeDB))
	return st, nil
}

// openDB opens store.db, mapping bbolt's failures (and panics) to the store
// errors.
func openDB(path string, readOnly bool, precheck func(string) error) (db *bolt.DB, err error) {
	timeout := lockTimeout
	if readOnly {
		timeout = 100 * time.Millisecond
	}
	if err := precheck(path); err != nil {
		return nil, err
	}
	err = contain(func() error {
		var oerr error
		o := &bolt.Options{Timeout: timeout, ReadOnly: readOnly}
		if !readOnly {
			o.InitialMmapSize = writerMmapSize
		}
		db, oerr = bolt.Open(path, 0o600, o)
		return oerr
	})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s", ErrStoreBusy, filepath.Dir(path))
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, ErrStoreDamaged):
		if errors.Is(err, ErrStoreDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrStoreDamaged, err)
	}
	return nil, err
}

// writerMmapSize is the address space a writer maps store.db with from the
// start (virtual memory only: pages count as resident when read). bbolt
// remaps whenever the file outgrows its mapping, and a remap in the middle of
// a commit first copies every key and value the transaction has touched out
// of the old mapping: a catch-up of 200 lists of 1,000 keys grew the file
// through a dozen remaps, each copying the commit's index and lists again.
const writerMmapSize = 256 << 20

// contain runs f, turning a panic (bbolt asserts on garbled pages) or a
// memory fault in the map of a damaged file into ErrStoreDamaged.
func contain(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrStoreDamaged, r)
		}
	}()
	return f()
}

// Dir returns the store's directory.
func (st *Store) Dir() string { return st.dir }

// Set returns the trusted state. It is live: imports show up in it.
func (st *Store) Set() *Set { return st.set }

// Close brings the verified index up to date (DeferIndex) and releases the
// store.
func (st *Store) Close() error {
	st.mu.Lock()
	st.deferIndex = 0
	ierr := st.flushIndexLocked()
	st.mu.Unlock()
	if err := st.db.Close(); err != nil {
		return err
	}
	return ierr
}

// DeferIndex lets the commits made until release leave the verified index
// behind the log, and brings it up to date once, when the last hold is
// released (or at Close): a node catching up hundreds of lists commits them
// in many batches, and each batch rewriting the index pages of every key
// cost more than the batch itself. Nothing a reader can see changes: no
// reader uses the index while a writer holds the store (spec/trustlist.md
// §5.2), and an index behind its log is stale, never used, and rebuilt by
// the next writer's open if the process dies first. Every commit is still
// durable when it returns. release reports a failed index write (the store
// keeps working; the next commit rewrites the index whole).
func (st *Store) DeferIndex() (release func() error) {
	st.mu.Lock()
	st.deferIndex++
	st.mu.Unlock()
	var once sync.Once
	return func() error {
		var err error
		once.Do(func() {
			st.mu.Lock()
			defer st.mu.Unlock()
			if st.deferIndex > 0 { // Close may have ended every hold
				st.deferIndex--
			}
			if st.deferIndex == 0 {
				err = st.flushIndexLocked()
			}
		})
		return err
	}
}

// flushIndexLocked writes the index the deferred commits left behind, in a
// transaction of its own (st.mu held).
func (st *Store) flushIndexLocked() error {
	if !st.indexBehind {
		return nil
	}
	st.set.mu.Lock()
	defer st.set.mu.Unlock()
	err := contain(func() error {
		return st.db.Update(func(tx *bolt.Tx) error { return st.indexLocked(tx, st.pendingRefs) })
	})
	st.indexBehind, st.pendingRefs = false, nil
	if err != nil {
		st.indexStale = true
		err = fmt.Errorf("%w: write index: %w", ErrStoreWrite, err)
		st.noteWrite(err)
		return err
	}
	st.set.dirty, st.indexStale = nil, false
	if st.dir != "" {
		noteWalked(filepath.Join(st.dir, storeDB))
	}
	return nil
}

// Pin verifies and pins a descriptor and records the pin durably.
//
// Like Import, it holds the set's lock until the pin is on disk.
func (st *Store) Pin(raw []byte) (*Descriptor, error) { return st.PinWith(raw, PinOptions{}) }

// PinWith is Pin with the operator's options (Set.PinWith). The rotation
// chain is logged as accepted descriptors before the pin; an explicit
// replacement is logged as its own record kind, so replaying the store
// repeats it and `accord trust show` can say the anchor was replaced.
func (st *Store) PinWith(raw []byte, o PinOptions) (*Descriptor, error) {
	d, chain, err := parsePin(raw, o)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var recs []record
	if o.Replace {
		recs = append(recs, record{kind: recordReplace, raw: raw})
	} else {
		for _, c := range chain {
			recs = append(recs, record{kind: recordObj, raw: c.Raw()})
		}
		recs = append(recs, record{kind: recordPin, raw: raw})
	}
	st.set.mu.Lock()
	if err := st.set.pinLocked(d, chain, o); err != nil {
		st.set.mu.Unlock()
		return nil, err
	}
	err = st.commitLocked(recs)
	st.set.mu.Unlock()
	if err != nil {
		return nil, err
	}
	st.mirror(recs)
	return d, nil
}

// Import accepts raw into the set and, if it changed anything (or was kept
// pending, or revealed an equivocation), records it durably before
// returning. The error is non-nil only when persisting failed; it wraps
// ErrStoreWrite, and then nothing of raw was kept: the set is rolled back to
// exactly what the disk holds, so a retry is decided afresh.
//
// The set's write lock is held from the decision until the commit is on disk,
// so nothing a reader can see is lost if the process dies.
func (st *Store) Import(raw []byte, at time.Time) (*Decision, error) {
	ds, err := st.ImportAll([][]byte{raw}, at)
	return ds[0], err
}

// toPersist lists what a decision adds to the log. Pending descriptors are
// not persisted; a descriptor an endorsement admitted is, after it.
func toPersist(raw []byte, d *Decision) []record {
	var recs []record
	if d.Changed() {
		recs = append(recs, record{kind: recordObj, raw: raw})
	}
	if d.Admitted != nil {
		recs = append(recs, record{kind: recordObj, raw: d.Admitted.Raw()})
	}
	if d.Evidence != nil {
		recs = append(recs, record{kind: recordObj, raw: d.Evidence.Raw()})
	}
	return recs
}

// ImportAll accepts several objects, in order, and persists everything that
// changed in one durable commit: the way to take in a sync batch or a
// directory of lists without one fsync per object.
func (st *Store) ImportAll(raws [][]byte, at time.Time) ([]*Decision, error) {
	return st.importEach(raws, func(int) time.Time { return at })
}

// ImportEach is ImportAll with each object decided as of its own time
// (at[i] for raws[i]): a node commits objects that arrived concurrently,
// by gossip and by sync, together.
func (st *Store) ImportEach(raws [][]byte, at []time.Time) ([]*Decision, error) {
	if len(at) != len(raws) {
		return nil, fmt.Errorf("import: %d objects but %d times", len(raws), len(at))
	}
	return st.importEach(raws, func(i int) time.Time { return at[i] })
}

func (st *Store) importEach(raws [][]byte, at func(int) time.Time) ([]*Decision, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]*Decision, len(raws))
	kinds := make([]Kind, len(raws))
	msgs := make([]*cose.SignMessage, len(raws))
	for i, raw := range raws {
		k, msg, err := peek(raw) // outside the set's lock: decoding can be slow
		if err != nil {
			out[i] = &Decision{Outcome: Rejected, Reason: ReasonMalformed, Detail: err.Error()}
		}
		kinds[i], msgs[i] = k, msg
	}
	var recs []record
	st.set.mu.Lock()
	for i, raw := range raws {
		if out[i] != nil {
			continue
		}
		out[i] = st.set.acceptLocked(raw, kinds[i], msgs[i], at(i), false)
		recs = append(recs, toPersist(raw, out[i])...)
	}
	err := st.commitLocked(recs)
	st.set.mu.Unlock()
	if err != nil {
		return out, err
	}
	st.mirror(recs)
	return out, nil
}

type record struct {
	seq  uint64
	kind byte
	raw  []byte
}

// commitLocked makes recs durable with st.set.mu held. On failure it rolls
// the set back to what the log holds, so memory never runs ahead of disk.
func (st *Store) commitLocked(recs []record) error {
	err := st.commit(recs)
	if err == nil {
		if len(recs) > 0 {
			st.noteWrite(nil)
		}
		return nil
	}
	st.noteWrite(err)
	if rerr := st.rollbackLocked(); rerr != nil {
		return fmt.Errorf("%w (and reloading the store failed: %v)", err, rerr)
	}
	return err
}

// rollbackLocked rebuilds the set from the durable log, with st.set.mu held.
// Descriptors waiting for endorsements (never persisted) are kept, and so are
// installed foreign lists (SetForeign: not in the log, held by their importer).
func (st *Store) rollbackLocked() error {
	recs, err := readLog(st.db)
	if err != nil {
		return err
	}
	fresh := NewSet(st.set.policy)
	replayEach(fresh, recs)
	s := st.set
	s.anchors, s.endorsements, s.index, s.byCountry, s.pubs = fresh.anchors, fresh.endorsements, fresh.index, fresh.byCountry, fresh.pubs
	s.pending = fresh.pending
	// s.dirty is kept: the failed transaction left the index as the log
	// is, and rewriting an anchor the next commit need not is harmless.
	return nil
}

// noteWrite records the outcome of a durable write for Health.
func (st *Store) noteWrite(err error) {
	st.hmu.Lock()
	defer st.hmu.Unlock()
	if err == nil {
		st.lastErr = nil
		return
	}
	st.writeErrors++
	st.lastErr, st.lastErrAt = err, time.Now()
}

// Health reports whether the store is taking writes.
func (st *Store) Health() StoreHealth {
	st.hmu.Lock()
	defer st.hmu.Unlock()
	h := StoreHealth{OK: st.lastErr == nil && len(st.mirrorDebt) == 0, WriteErrors: st.writeErrors, Skipped: st.Skipped}
	if st.lastErr != nil {
		h.LastError, h.LastErrorAt = st.lastErr.Error(), st.lastErrAt
		h.NoSpace = IsNoSpace(st.lastErr)
	} else if len(st.mirrorDebt) > 0 {
		h.LastError = fmt.Sprintf("%d objects/ mirror files could not be written", len(st.mirrorDebt))
	}
	return h
}

// IsNoSpace reports whether err is a full filesystem or an exhausted quota.
func IsNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG)
}

// commit appends recs to the log in one durable bbolt transaction and sets
// each one's log seq (0 for records already logged).
func (st *Store) commit(recs []record) error {
	if len(recs) == 0 {
		return nil
	}
	if st.fault != nil {
		if err := st.fault(); err != nil {
			return fmt.Errorf("%w: %w", ErrStoreWrite, err)
		}
	}
	deferred := st.deferIndex > 0 && st.set != nil
	logged := make(loggedRefs, len(recs))
	err := contain(func() error {
		return st.db.Update(func(tx *bolt.Tx) error {
			lg, seen := tx.Bucket([]byte(bucketLog)), tx.Bucket([]byte(bucketSeen))
			lg.FillPercent = 1.0 // append-only: full pages, no splits to come
			for i := range recs {
				// One copy of the record: hashed for seen, then stored
				// (bbolt keeps the slice until the commit).
				v := append(make([]byte, 0, 1+len(recs[i].raw)), recs[i].kind)
				v = append(v, recs[i].raw...)
				h := sha256.Sum256(v)
				// A replacement is an act, not an object: replacing back
				// and forth must log each one, or replay ends elsewhere.
				if recs[i].kind != recordReplace && seen.Get(h[:]) != nil {
					recs[i].seq = 0
					continue
				}
				n, err := lg.NextSequence()
				if err != nil {
					return err
				}
				recs[i].seq = n
				var k [8]byte
				binary.BigEndian.PutUint64(k[:], n)
				if err := lg.Put(k[:], v); err != nil {
					return err
				}
				if err := seen.Put(h[:], k[:]); err != nil {
					return err
				}
				logged.note(recs[i].raw, n)
			}
			if deferred {
				return nil
			}
			return st.indexLocked(tx, logged)
		})
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStoreWrite, err)
	}
	switch {
	case deferred:
		st.indexBehind = true
		if st.pendingRefs == nil {
			st.pendingRefs = loggedRefs{}
		}
		for k, r := range logged {
			st.pendingRefs[k] = r
		}
	case st.set != nil:
		st.set.dirty, st.indexStale = nil, false
	}
	if st.dir != "" {
		noteWalked(filepath.Join(st.dir, storeDB))
	}
	return nil
}

// indexLocked updates the verified index in the commit's transaction, so
// it never differs from the log it is committed with (st.set.mu is held).
func (st *Store) indexLocked(tx *bolt.Tx, logged loggedRefs) error {
	switch {
	case st.set == nil:
		return nil
	case st.indexStale:
		return rebuildIndex(tx, st.set, logged)
	}
	return writeIndex(tx, st.set, logged)
}

// mirror writes the committed records as files for concurrent readers. The
// records are durable in the log already, so a failure here does not fail
// the write: the files are owed (Health says so) and written with the next
// commit, or at the next open.
func (st *Store) mirror(recs []record) {
	st.hmu.Lock()
	todo := append(st.mirrorDebt, recs...)
	st.mirrorDebt = nil
	st.hmu.Unlock()
	var owed []record
	for _, r := range todo {
		if r.seq == 0 {
			continue
		}
		if err := writeMirror(st.dir, r); err != nil {
			owed = append(owed, r)
		}
	}
	st.hmu.Lock()
	st.mirrorDebt = append(st.mirrorDebt, owed...)
	st.hmu.Unlock()
}

// readLog reads every log record; damage (a failed check, a malformed
// record, a bbolt panic) is ErrStoreDamaged.
func readLog(db *bolt.DB) ([]record, error) {
	var recs []record
	err := contain(func() error {
		return db.View(func(tx *bolt.Tx) error {
			// Not tx.Check: it walks pages in a goroutine of its own, where a
			// fault on a garbled page cannot be contained. Walking the log
			// here, under contain, and replaying it is the check; the mirror
			// comparison catches records lost to damage.
			b := tx.Bucket([]byte(bucketLog))
			if b == nil {
				return nil
			}
			copied := 0
			defer releaseMapped(db, tx.Size())
			return b.ForEach(func(k, v []byte) error {
				if len(k) != 8 || len(v) < 1 {
					return fmt.Errorf("%w: malformed log record", ErrStoreDamaged)
				}
				recs = append(recs, record{seq: binary.BigEndian.Uint64(k), kind: v[0], raw: append([]byte(nil), v[1:]...)})
				// The records are copied out: the file's pages need not
				// stay resident beside the copies (a 150 MB store.db).
				if copied += len(v); copied >= releaseEvery {
					releaseMapped(db, tx.Size())
					copied = 0
				}
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	return recs, nil
}

// releaseEvery is how many bytes of log records readLog copies between
// releases of the mapping's resident pages.
const releaseEvery = 8 << 20

// replay feeds records into s in order and returns how many were refused.
func replay(s *Set, recs []record) int {
	skipped := 0
	for _, ok := range replayEach(s, recs) {
		if !ok {
			skipped++
		}
	}
	return skipped
}

// replayEach feeds records into s in order and reports which verified.
func replayEach(s *Set, recs []record) []bool {
	ok := make([]bool, len(recs))
	for i, r := range recs {
		ok[i] = replayOne(s, r) == nil
	}
	return ok
}

// replayOne feeds one record into s; the decision is non-nil for objects.
func replayOne(s *Set, r record) *Decision {
	switch r.kind {
	case recordPin:
		if _, err := s.Pin(r.raw); err != nil {
			return rejected(err)
		}
		return nil
	case recordReplace:
		if _, err := s.PinWith(r.raw, replaceOptions(r.raw)); err != nil {
			return rejected(err)
		}
		return nil
	case recordObj:
		if d := s.Replay(r.raw); d.Outcome == Rejected && d.Reason != ReasonEquivocation {
			return d
		}
		return nil
	}
	return &Decision{Outcome: Rejected, Reason: ReasonMalformed, Detail: fmt.Sprintf("unknown record kind %q", r.kind)}
}

// replaceOptions are the options a logged replacement is replayed with: the
// operator checked its hash when it was first pinned.
func replaceOptions(raw []byte) PinOptions {
	h := sha256.Sum256(raw)
	return PinOptions{Replace: true, ExpectHash: h[:]}
}

func mirrorName(r record) string {
	h := sha256.Sum256(r.raw)
	kind := "pin"
	switch r.kind {
	case recordObj:
		kind = "obj"
	case recordReplace:
		kind = "replace"
	}
	return fmt.Sprintf("%012d-%s-%x.cose", r.seq, kind, h[:6])
}

func writeMirror(dir string, r record) error { return writeMirrorBuf(dir, r, nil) }

// writeMirrorBuf is writeMirror comparing an existing file through *buf
// (reused across calls when non-nil): opening a store checks every mirror
// file, and reading each into a fresh slice left the size of the whole
// store as garbage at the moment the heap is largest.
func writeMirrorBuf(dir string, r record, buf *[]byte) error {
	path := filepath.Join(dir, objectsDir, mirrorName(r))
	if mirrorHolds(path, r.raw, buf) {
		return nil
	}
	// No fsync: the log in store.db is the durable copy. A mirror file lost
	// or torn by a crash fails verification on read and is rewritten the
	// next time a writer opens the store.
	return atomicfile.WriteFileNoSync(path, r.raw, 0o644)
}

// mirrorHolds reports whether the file at path holds exactly raw.
func mirrorHolds(path string, raw []byte, buf *[]byte) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != int64(len(raw)) {
		return false
	}
	var b []byte
	if buf != nil {
		if cap(*buf) < len(raw)+1 {
			*buf = make([]byte, len(raw)+1)
		}
		b = (*buf)[:len(raw)+1]
	} else {
		b = make([]byte, len(raw)+1)
	}
	// One byte more than raw: a file that grew since Stat is not raw.
	n, err := io.ReadFull(f, b)
	if (err != io.ErrUnexpectedEOF && err != io.EOF) || n != len(raw) {
		return false
	}
	return bytes.Equal(b[:n], raw)
}

// LoadDir returns the trusted state of the store in dir without taking it for
// writing. If no process holds the store it reads the database; if a node
// holds it, it replays the mirror files in objects/. Either way every object
// is verified again under the store's policy.
func LoadDir(dir string) (*Set, error) {
	set, _, err := LoadDirReport(dir)
	return set, err
}

// LoadReport says how a store was read by LoadDirReport.
type LoadReport struct {
	// FromMirror is true if a writer held store.db and objects/ was replayed.
	FromMirror bool
	// Skipped counts stored records that did not verify under the policy.
	Skipped int
}

// LoadDirReport is LoadDir, also reporting where the state came from and how
// many stored records were skipped. A database that is damaged or behind its
// mirror is an error (ErrStoreDamaged, ErrStoreBehind), as for OpenStore.
func LoadDirReport(dir string) (*Set, LoadReport, error) {
	var rep LoadReport
	if _, err := os.Stat(dir); err != nil {
		return nil, rep, fmt.Errorf("trust store %s: %w", dir, err)
	}
	p, err := readPolicy(dir)
	if err != nil {
		return nil, rep, err
	}
	set := NewSet(p)
	path := filepath.Join(dir, storeDB)
	if fi, serr := os.Stat(path); serr == nil && fi.Size() == 0 {
		// An emptied database (bbolt would initialise it, but a reader may not write).
		if err := checkMirror(dir, set, nil); err != nil {
			return nil, rep, err
		}
		return set, rep, nil
	} else if serr == nil {
		db, err := openDB(path, true, precheckDB)
		if err == nil {
			recs, rerr := readLog(db)
			db.Close()
			if rerr != nil {
				return nil, rep, fmt.Errorf("read trust store %s: %w", dir, rerr)
			}
			rep.Skipped = replay(set, recs)
			if err := checkMirror(dir, set, recs); err != nil {
				return nil, rep, err
			}
			return set, rep, nil
		}
		if !errors.Is(err, ErrStoreBusy) {
			return nil, rep, fmt.Errorf("read trust store %s: %w", dir, err)
		}
	}
	recs, err := readMirror(dir)
	if err != nil {
		return nil, rep, err
	}
	rep.FromMirror = true
	rep.Skipped = replay(set, recs)
	return set, rep, nil
}

// checkMirror refuses a store whose database is behind its objects/ mirror.
// Every mirror file is named after a log record; if all of them are, the
// database holds everything (cheap, the usual case). Otherwise the mirror is
// replayed, verifying every object, and each anchor's descriptor version
// and head list is compared with the database's.
func checkMirror(dir string, set *Set, recs []record) error {
	names := make(map[string]bool, len(recs))
	for _, r := range recs {
		names[mirrorName(r)] = true
	}
	ents, err := os.ReadDir(filepath.Join(dir, objectsDir))
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("read trust store objects: %w", err)
	}
	unknown := false
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".cose") && !strings.HasPrefix(e.Name(), ".") && !names[e.Name()] {
			unknown = true
			break
		}
	}
	if !unknown {
		return nil
	}
	mrecs, err := readMirror(dir)
	if err != nil {
		return err
	}
	mset := NewSet(set.Policy())
	replay(mset, mrecs)
	have := map[string]AnchorInfo{}
	for _, a := range set.Anchors() {
		have[a.Country] = a
	}
	var behind []string
	for _, m := range mset.Anchors() {
		h, ok := have[m.Country]
		switch {
		case !ok:
			behind = append(behind, fmt.Sprintf("%s: absent from store.db, list seq %d in objects/", m.Country, m.Seq))
		case h.Version < m.Version:
			behind = append(behind, fmt.Sprintf("%s: descriptor v%d in store.db, v%d in objects/", m.Country, h.Version, m.Version))
		case h.Seq < m.Seq:
			behind = append(behind, fmt.Sprintf("%s: list seq %d in store.db, seq %d in objects/", m.Country, h.Seq, m.Seq))
		}
	}
	if len(behind) > 0 {
		return fmt.Errorf("%w: %s (%s)", ErrStoreBehind, dir, strings.Join(behind, "; "))
	}
	return nil
}

func readMirror(dir string) ([]record, error) {
	ents, err := os.ReadDir(filepath.Join(dir, objectsDir))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read trust store objects: %w", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".cose") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var recs []record
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, objectsDir, n))
		if err != nil {
			return nil, fmt.Errorf("read trust store object %s: %w", n, err)
		}
		kind := recordObj
		switch {
		case strings.Contains(n, "-pin-"):
			kind = recordPin
		case strings.Contains(n, "-replace-"):
			kind = recordReplace
		}
		recs = append(recs, record{kind: kind, raw: b})
	}
	return recs, nil
}

func readPolicy(dir string) (Policy, error) {
	p := DefaultPolicy()
	b, err := os.ReadFile(filepath.Join(dir, policyFile))
	if os.IsNotExist(err) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("read policy: %w", err)
	}
	var pj policyJSON
	if err := json.Unmarshal(b, &pj); err != nil {
		return p, fmt.Errorf("%s: %w", filepath.Join(dir, policyFile), err)
	}
	p.EndorsementThreshold = pj.EndorsementThreshold
	if pj.MaxClockSkew != "" {
		if p.MaxClockSkew, err = time.ParseDuration(pj.MaxClockSkew); err != nil {
			return p, fmt.Errorf("%s: max_clock_skew: %w", filepath.Join(dir, policyFile), err)
		}
	}
	return p, nil
}

type policyJSON struct {
	EndorsementThreshold int    `json:"endorsement_threshold"`
	MaxClockSkew         string `json:"max_clock_skew"`
}

// WritePolicy saves p as the store's policy; it applies from the next open.
func WritePolicy(dir string, p Policy) error { return writePolicy(dir, p) }

func writePolicy(dir string, p Policy) error {
	b, _ := json.MarshalIndent(policyJSON{EndorsementThreshold: p.EndorsementThreshold, MaxClockSkew: p.MaxClockSkew.String()}, "", "  ")
	return atomicfile.WriteFile(filepath.Join(dir, policyFile), append(b, '\n'), 0o644)
}
