package trustlist

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// A Reloader serves the trusted state of a store directory and reloads it
// when the store changes: an app that embeds the verifier beside a node (or
// beside `accord trust import` run by cron) sees every list the node accepts
// without restarting. It implements verify.TrustedMaterial, so it can be
// given to verify.New in place of a *Set.
//
// A change is noticed from the store's files (the database and the mirror
// folder objects/): Find checks them at most once per interval and reloads,
// verifying every object again, only when they changed. A reload that fails
// (a store being repaired) keeps the previous state and is reported by Err.
type Reloader struct {
	dir      string
	interval time.Duration

	set       atomic.Pointer[Set]
	lastCheck atomic.Int64 // unix nanoseconds
	mu        sync.Mutex   // one reload at a time
	stamp     string
	err       error
}

// NewReloader loads the store in dir and returns a Reloader that checks for
// changes at most every interval (0: on every Find).
func NewReloader(dir string, interval time.Duration) (*Reloader, error) {
	r := &Reloader{dir: dir, interval: interval}
	if _, err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Set returns the current trusted state.
func (r *Reloader) Set() *Set { return r.set.Load() }

// Find looks keys up in the current state, first reloading it if the store
// changed since the last check (at most once per interval).
func (r *Reloader) Find(q Query) []Match {
	now := time.Now().UnixNano()
	last := r.lastCheck.Load()
	if now-last >= int64(r.interval) && r.lastCheck.CompareAndSwap(last, now) {
		_, _ = r.Reload()
	}
	return r.set.Load().Find(q)
}

// Err returns the error of the last reload that failed, or nil once a later
// one succeeded.
func (r *Reloader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Reload reloads the store now if its files changed, and reports whether it
// did. On error the previous state stays in use.
func (r *Reloader) Reload() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastCheck.Store(time.Now().UnixNano())
	stamp, err := storeStamp(r.dir)
	if err != nil {
		r.err = err
		return false, err
	}
	if stamp == r.stamp && r.set.Load() != nil {
		return false, nil
	}
	set, err := LoadDir(r.dir)
	if err != nil {
		r.err = err
		return false, err
	}
	r.set.Store(set)
	r.stamp, r.err = stamp, nil
	return true, nil
}

// storeStamp summarises the modification state of a store's files.
func storeStamp(dir string) (string, error) {
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("trust store %s: %w", dir, err)
	}
	var s string
	for _, name := range []string{storeDB, objectsDir, policyFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			s += name + ":none;"
			continue
		}
		s += fmt.Sprintf("%s:%d:%d;", name, fi.ModTime().UnixNano(), fi.Size())
	}
	return s, nil
}
