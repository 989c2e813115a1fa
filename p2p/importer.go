package p2p

import (
	"sync"
	"time"

	"github.com/accord-network/accord/trustlist"
)

// importer coalesces the imports that gossip validators and sync rounds
// make at the same time into one store commit (group commit): a commit
// costs about the same for one list as for several (the log pages, the
// index pages it touches, the fsync), so a node taking in many lists at
// once — a fresh node catching up, a busy moment on gossip — pays it once
// per batch instead of once per list. Each object is still decided on its
// own, as of its own time, exactly as Store.Import decides it.
type importer struct {
	st *trustlist.Store

	mu      sync.Mutex
	queue   []*importReq
	running bool // a caller is committing batches
}

type importReq struct {
	raw  []byte
	at   time.Time
	d    *trustlist.Decision
	err  error
	done chan struct{}
}

// maxImportBatch and maxImportBytes bound one commit (it always takes at
// least one object), so that a batch of large lists holds the store's lock
// for a bounded time. Within them a batch is as large as the queue: a commit
// costs about as much for 16 lists as for 4 (its index pages), so the slower
// commits get, the more each one takes — a fresh node catching up 200 lists
// of 1,000 keys commits them in about 13 transactions, not 50.
const (
	maxImportBatch = 64
	maxImportBytes = 16 << 20
)

// Import is Store.Import, committed together with the imports that are
// waiting when it starts. The first caller to find no commit running
// commits batches until the queue is empty; the others wait for theirs.
func (im *importer) Import(raw []byte, at time.Time) (*trustlist.Decision, error) {
	r := &importReq{raw: raw, at: at, done: make(chan struct{})}
	im.mu.Lock()
	im.queue = append(im.queue, r)
	if im.running {
		im.mu.Unlock()
		<-r.done
		return r.d, r.err
	}
	im.running = true
	im.mu.Unlock()
	for im.commitNext() {
	}
	return r.d, r.err
}

// commitNext commits the next batch of the queue; false when it was empty.
func (im *importer) commitNext() bool {
	im.mu.Lock()
	n, size := 0, 0
	for n < min(len(im.queue), maxImportBatch) && (n == 0 || size+len(im.queue[n].raw) <= maxImportBytes) {
		size += len(im.queue[n].raw)
		n++
	}
	if n == 0 {
		im.running = false
		im.mu.Unlock()
		return false
	}
	batch := im.queue[:n:n]
	im.queue = im.queue[n:]
	im.mu.Unlock()
	raws, ats := make([][]byte, n), make([]time.Time, n)
	for i, r := range batch {
		raws[i], ats[i] = r.raw, r.at
	}
	ds, err := im.st.ImportEach(raws, ats)
	for i, r := range batch {
		if i < len(ds) {
			r.d = ds[i]
		}
		r.err = err
		close(r.done)
	}
	return true
}
