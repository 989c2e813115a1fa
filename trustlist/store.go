package trustlist

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/veraison/go-cose"

	bolt "go.etcd.io/bbolt"
)

// A store is a directory:
//
//	DIR/store.db        bbolt database: the log of every pinned or accepted object, in order
//	DIR/objects/*.cose  the same objects as files, one per log record, written after each commit
//	DIR/policy.json     the verifier's policy (endorsement threshold, clock skew)
//
// The log is the source of truth. Objects are self-authenticating, so opening
// a store replays the log through a fresh Set, which checks every signature,
// threshold and chain again: a store tampered with on disk yields nothing that
// would not have been accepted. A writer (a node, `accord trust import`) holds
// the database exclusively; a reader (`accord verify`) that finds it locked
// replays objects/ instead (see spec/trustlist.md §Store).

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

// ErrStoreBusy is returned when another process holds the store for writing.
var ErrStoreBusy = errors.New("trust store is in use by another process")

// StoreOptions configure OpenStore.
type StoreOptions struct {
	// Policy, if non-nil, replaces the policy saved in the store.
	Policy *Policy
}

// Store is a persistent Set. All methods are safe for concurrent use.
type Store struct {
	dir string
	db  *bolt.DB
	set *Set
	mu  sync.Mutex // serialises writes so the log order is the acceptance order
	// Skipped counts log records that no longer pass under the current policy.
	Skipped int
}

// OpenStore opens (creating if needed) the store in dir for reading and
// writing, and replays it. It fails with ErrStoreBusy if another process has
// it open for writing.
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
	db, err := bolt.Open(filepath.Join(dir, storeDB), 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s (a running node holds it: pin through the node with `accord node pin`, read it with `accord verify --trust %s`, which works alongside a running node, or stop the node)", ErrStoreBusy, dir, dir)
		}
		return nil, fmt.Errorf("open trust store %s: %w", dir, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{bucketLog, bucketSeen} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("open trust store %s: %w", dir, err)
	}
	st := &Store{dir: dir, db: db, set: NewSet(p)}
	recs, err := readLog(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	st.Skipped = replay(st.set, recs)
	// Restore mirror files a crash may have lost between commit and write.
	for _, r := range recs {
		if err := writeMirror(dir, r); err != nil {
			db.Close()
			return nil, err
		}
	}
	return st, nil
}

// Dir returns the store's directory.
func (st *Store) Dir() string { return st.dir }

// Set returns the trusted state. It is live: imports show up in it.
func (st *Store) Set() *Set { return st.set }

// Close releases the store.
func (st *Store) Close() error { return st.db.Close() }

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
	err = st.commit(recs)
	st.set.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return d, st.mirror(recs)
}

// Import accepts raw into the set and, if it changed anything (or was kept
// pending, or revealed an equivocation), records it durably before
// returning. The error is non-nil only when persisting failed.
//
// The set's write lock is held from the decision until the commit is on disk,
// so nothing a reader can see is lost if the process dies. After a persist
// error the in-memory set is ahead of the disk: the caller should stop.
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
		out[i] = st.set.acceptLocked(raw, kinds[i], msgs[i], at, false)
		recs = append(recs, toPersist(raw, out[i])...)
	}
	err := st.commit(recs)
	st.set.mu.Unlock()
	if err != nil {
		return out, err
	}
	return out, st.mirror(recs)
}

type record struct {
	seq  uint64
	kind byte
	raw  []byte
}

// commit appends recs to the log in one durable bbolt transaction and sets
// each one's log seq (0 for records already logged).
func (st *Store) commit(recs []record) error {
	if len(recs) == 0 {
		return nil
	}
	err := st.db.Update(func(tx *bolt.Tx) error {
		lg, seen := tx.Bucket([]byte(bucketLog)), tx.Bucket([]byte(bucketSeen))
		for i := range recs {
			h := sha256.Sum256(append([]byte{recs[i].kind}, recs[i].raw...))
			if seen.Get(h[:]) != nil {
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
			if err := lg.Put(k[:], append([]byte{recs[i].kind}, recs[i].raw...)); err != nil {
				return err
			}
			if err := seen.Put(h[:], k[:]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("persist to trust store: %w", err)
	}
	return nil
}

// mirror writes the committed records as files for concurrent readers.
func (st *Store) mirror(recs []record) error {
	for _, r := range recs {
		if r.seq == 0 {
			continue
		}
		if err := writeMirror(st.dir, r); err != nil {
			return err
		}
	}
	return nil
}

func readLog(db *bolt.DB) ([]record, error) {
	var recs []record
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketLog))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 8 || len(v) < 1 {
				return fmt.Errorf("corrupt log record")
			}
			recs = append(recs, record{seq: binary.BigEndian.Uint64(k), kind: v[0], raw: append([]byte(nil), v[1:]...)})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read trust store: %w", err)
	}
	return recs, nil
}

// replay feeds records into s in order and returns how many were refused.
func replay(s *Set, recs []record) int {
	skipped := 0
	for _, r := range recs {
		switch r.kind {
		case recordPin:
			if _, err := s.Pin(r.raw); err != nil {
				skipped++
			}
		case recordReplace:
			h := sha256.Sum256(r.raw)
			if _, err := s.PinWith(r.raw, PinOptions{Replace: true, ExpectHash: h[:]}); err != nil {
				skipped++
			}
		case recordObj:
			if d := s.Replay(r.raw); d.Outcome == Rejected && d.Reason != ReasonEquivocation {
				skipped++
			}
		default:
			skipped++
		}
	}
	return skipped
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

func writeMirror(dir string, r record) error {
	path := filepath.Join(dir, objectsDir, mirrorName(r))
	if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, r.raw) {
		return nil
	}
	// No fsync: the log in store.db is the durable copy. A mirror file lost
	// or torn by a crash fails verification on read and is rewritten the
	// next time a writer opens the store.
	return writeFile(path, r.raw, 0o644, false)
}

// LoadDir returns the trusted state of the store in dir without taking it for
// writing. If no process holds the store it reads the database; if a node
// holds it, it replays the mirror files in objects/. Either way every object
// is verified again under the store's policy.
func LoadDir(dir string) (*Set, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("trust store %s: %w (create one with `accord trust init --dir %s`)", dir, err, dir)
	}
	p, err := readPolicy(dir)
	if err != nil {
		return nil, err
	}
	set := NewSet(p)
	db, err := bolt.Open(filepath.Join(dir, storeDB), 0o600, &bolt.Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if err == nil {
		recs, rerr := readLog(db)
		db.Close()
		if rerr != nil {
			return nil, rerr
		}
		replay(set, recs)
		return set, nil
	}
	if !errors.Is(err, bolt.ErrTimeout) && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read trust store %s: %w", dir, err)
	}
	recs, err := readMirror(dir)
	if err != nil {
		return nil, err
	}
	replay(set, recs)
	return set, nil
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
	return WriteFileAtomic(filepath.Join(dir, policyFile), append(b, '\n'), 0o644)
}

// WriteFileAtomic writes data to path via a synced temporary file and a
// rename, so a crash leaves either the old file or the new one, never half.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeFile(path, data, perm, true)
}

func writeFile(path string, data []byte, perm os.FileMode, durable bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if durable {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if !durable {
		return nil
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
