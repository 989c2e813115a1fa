package trustlist

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RepairReport says what RepairStore recovered.
type RepairReport struct {
	// FromStore and FromMirror count the records read from the old store.db
	// and from objects/.
	FromStore, FromMirror int
	// StoreError says why the old store.db could not be read, if it could not.
	StoreError string
	// Recovered counts the records of the rebuilt log; Skipped the distinct
	// records that did not verify, by reason.
	Recovered int
	Skipped   int
	Reasons   map[Reason]int
	// Anchors is the rebuilt trusted state.
	Anchors []AnchorInfo
	// Backup is where the old store.db was moved ("" if there was none or
	// it was empty): store.db.damaged-STAMP when it could not be read,
	// else store.db.before-repair-STAMP;
	// OldObjects where the old objects/ directory was moved.
	Backup, OldObjects string
}

// RepairStore rebuilds the store in dir from everything that still verifies:
// the records of the old store.db, as far as it can be read, and the
// self-authenticating files of objects/. Every object is verified again, in
// dependency order, under the store's policy; what verifies becomes the new
// log. The old store.db and objects/ are kept beside the new ones (see the
// report). It fails with ErrStoreBusy if a process holds the store.
func RepairStore(dir string) (*RepairReport, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("trust store %s: %w", dir, err)
	}
	p, err := readPolicy(dir)
	if err != nil {
		return nil, err
	}
	rep := &RepairReport{Reasons: map[Reason]int{}}
	cands, err := repairCandidates(dir, rep)
	if err != nil {
		return nil, err
	}
	unlock, err := lockFile(filepath.Join(dir, storeDB))
	if err != nil {
		return nil, err
	}
	defer unlock()
	set, recs := repairReplay(NewSet(p), cands, rep)
	if err := repairInstall(dir, recs, set, rep); err != nil {
		return nil, err
	}
	rep.Recovered = len(recs)
	rep.Anchors = set.Anchors()
	return rep, nil
}

// repairCandidates gathers the records of the old log (if readable) and of
// the mirror, in that order, without duplicates.
func repairCandidates(dir string, rep *RepairReport) ([]record, error) {
	var cands []record
	seen := map[[32]byte]bool{}
	add := func(rs []record) int {
		n := 0
		occ := map[[32]byte]int{}
		for _, r := range rs {
			h := sha256.Sum256(append([]byte{r.kind}, r.raw...))
			if r.kind == recordReplace {
				// Replacements repeat (back and forth); the n-th of one
				// source is the n-th of the other.
				occ[h]++
				h = sha256.Sum256(append(h[:], byte(occ[h]), byte(occ[h]>>8)))
			}
			if seen[h] {
				continue
			}
			seen[h] = true
			cands = append(cands, record{kind: r.kind, raw: r.raw})
			n++
		}
		return n
	}
	path := filepath.Join(dir, storeDB)
	if _, err := os.Stat(path); err == nil {
		db, err := openDB(path, true, precheckDB)
		switch {
		case errors.Is(err, ErrStoreBusy):
			return nil, fmt.Errorf("%w: %s", ErrStoreBusy, dir)
		case err != nil:
			rep.StoreError = err.Error()
		default:
			recs, rerr := readLog(db)
			db.Close()
			if rerr != nil {
				// A damaged tree may still yield a prefix; take none of it
				// rather than guess: the mirror has every record.
				rep.StoreError = rerr.Error()
			} else {
				rep.FromStore = add(recs)
			}
		}
	}
	mrecs, err := readMirror(dir)
	if err != nil {
		return nil, err
	}
	rep.FromMirror = len(mrecs)
	add(mrecs)
	return cands, nil
}

// repairReplay verifies the candidates into set, in passes, so that a record
// that arrived before what it depends on (a list before the one it links
// to) is taken on a later pass. It returns the records to log, in order.
func repairReplay(set *Set, cands []record, rep *RepairReport) (*Set, []record) {
	var out []record
	left := cands
	last := map[int]*Decision{}
	for len(left) > 0 {
		var next []record
		for _, r := range left {
			if r.kind == recordPin || r.kind == recordReplace {
				o := PinOptions{}
				if r.kind == recordReplace {
					o = replaceOptions(r.raw)
				}
				if _, err := set.PinWith(r.raw, o); err != nil {
					next = append(next, r)
					last[len(next)-1] = rejected(err)
					continue
				}
				out = append(out, r)
				continue
			}
			d := set.Replay(r.raw)
			if d.Outcome == Rejected && d.Reason != ReasonEquivocation {
				next = append(next, r)
				last[len(next)-1] = d
				continue
			}
			out = append(out, toPersist(r.raw, d)...)
		}
		if len(next) == len(left) {
			for i := range next {
				rep.Skipped++
				rep.Reasons[last[i].Reason]++
			}
			break
		}
		left = next
		last = map[int]*Decision{}
	}
	return set, dedupRecords(out)
}

func dedupRecords(recs []record) []record {
	seen := map[[32]byte]bool{}
	out := recs[:0]
	for _, r := range recs {
		h := sha256.Sum256(append([]byte{r.kind}, r.raw...))
		if r.kind == recordReplace || !seen[h] { // replacements repeat: keep each
			seen[h] = true
			out = append(out, r)
		}
	}
	return out
}

// repairInstall writes recs as a new store.db and objects/, keeping the old
// ones under a timestamped name.
func repairInstall(dir string, recs []record, set *Set, rep *RepairReport) error {
	stamp := time.Now().UTC().Format("20060102T150405")
	tmp := filepath.Join(dir, storeDB+".repair")
	os.Remove(tmp)
	if err := writeLog(tmp, recs, set); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write rebuilt store: %w", err)
	}
	db := filepath.Join(dir, storeDB)
	if fi, err := os.Stat(db); err == nil {
		// The copy is named for what was found: ".damaged-" only when the
		// old store.db could not be read; a store rebuilt while readable
		// (emptied of nothing, behind its mirror, or healthy) is kept as
		// ".before-repair-", like objects/.
		suffix := ".before-repair-"
		if rep.StoreError != "" {
			suffix = ".damaged-"
		}
		rep.Backup = freeName(db + suffix + stamp)
		if fi.Size() == 0 {
			rep.Backup = ""
			os.Remove(db)
		} else if err := os.Rename(db, rep.Backup); err != nil {
			return fmt.Errorf("keep old store: %w", err)
		}
	}
	if err := os.Rename(tmp, db); err != nil {
		return fmt.Errorf("install rebuilt store: %w", err)
	}
	noteWalked(db) // written whole by bbolt just now
	objs := filepath.Join(dir, objectsDir)
	rep.OldObjects = freeName(objs + ".before-repair-" + stamp)
	if err := os.Rename(objs, rep.OldObjects); err != nil {
		if !os.IsNotExist(err) {
			return fmt.Errorf("keep old objects: %w", err)
		}
		rep.OldObjects = ""
	}
	if err := os.MkdirAll(objs, 0o700); err != nil {
		return err
	}
	for _, r := range recs {
		if err := writeMirror(dir, r); err != nil {
			return fmt.Errorf("write objects: %w", err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeLog creates a bbolt log at path holding recs (their seqs are set),
// and the verified index of set, the state recs replay to.
func writeLog(path string, recs []record, set *Set) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return err
	}
	st := &Store{db: db, set: set, indexStale: true}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{bucketLog, bucketSeen} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = st.commit(recs)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// freeName returns base, or base-2, base-3, ... whichever does not exist.
func freeName(base string) string {
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); os.IsNotExist(err) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}
