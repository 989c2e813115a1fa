package verify

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/accord-network/accord/trustlist"
)

// ErrMalformed is wrapped by errors for input that cannot be read or decoded;
// the CLI maps it to exit status 2. It is the same value as
// trustlist.ErrMalformed, so one errors.Is covers documents and trust objects.
var ErrMalformed = trustlist.ErrMalformed

// ErrUnknownFormat is returned when no registered format recognises the input.
var ErrUnknownFormat = fmt.Errorf("%w: not a document this verifier knows (no registered format recognised it)", ErrMalformed)

// Format is a document format that can be verified. Implementations live in
// packages under formats/ and call Register from init, as image/png does.
type Format interface {
	// Name is a short stable identifier ("hcert", "oa", "pdf").
	Name() string
	// Detect reports whether in looks like this format. It must be cheap
	// and must not fail on any input.
	Detect(in []byte) bool
	// Verify checks in against env's trusted material. It returns an error
	// wrapping ErrMalformed when in cannot be decoded; the Result it returns
	// then still carries the checks made so far. Verify must be safe for
	// concurrent use.
	Verify(ctx context.Context, in []byte, env *Env) (*Result, error)
}

var (
	formatsMu sync.RWMutex
	formats   = map[string]Format{}
	order     []string
)

// Register makes a format available to every Verifier. Formats are tried in
// registration priority order (by Priority if implemented, then name).
func Register(f Format) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	if _, dup := formats[f.Name()]; dup {
		panic("verify: format " + f.Name() + " registered twice")
	}
	formats[f.Name()] = f
	order = append(order, f.Name())
	sort.SliceStable(order, func(i, j int) bool { return priority(formats[order[i]]) < priority(formats[order[j]]) })
	snap := make([]Format, 0, len(order))
	for _, n := range order {
		snap = append(snap, formats[n])
	}
	detectOrder.Store(&snap)
}

// detectOrder is the formats in detection order, replaced whole by each
// Register: Detect, which runs for every document, reads it without a lock
// shared by every worker of a bulk run.
var detectOrder atomic.Pointer[[]Format]

// Prioritizer may be implemented by a Format to be detected before others
// (lower first; default 100). Formats with unambiguous magic bytes (PDF)
// should come before formats that sniff loosely.
type Prioritizer interface{ Priority() int }

func priority(f Format) int {
	if p, ok := f.(Prioritizer); ok {
		return p.Priority()
	}
	return 100
}

// Formats returns the registered formats in detection order.
func Formats() []Format {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	out := make([]Format, 0, len(order))
	for _, n := range order {
		out = append(out, formats[n])
	}
	return out
}

// Lookup returns the registered format with that name.
func Lookup(name string) (Format, bool) {
	formatsMu.RLock()
	defer formatsMu.RUnlock()
	f, ok := formats[name]
	return f, ok
}

// Detect returns the first registered format that recognises in.
func Detect(in []byte) (Format, error) {
	fs := detectOrder.Load()
	if fs == nil {
		return nil, ErrUnknownFormat
	}
	for _, f := range *fs {
		if f.Detect(in) {
			return f, nil
		}
	}
	return nil, ErrUnknownFormat
}
