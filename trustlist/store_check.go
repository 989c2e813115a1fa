package trustlist

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"

	"github.com/accord-network/accord/internal/atomicfile"
)

// bbolt's on-disk meta page (go.etcd.io/bbolt internal/common/meta.go):
// a 16-byte page header, then magic, version, page size, flags (uint32
// each), the root bucket (pgid, sequence), the freelist pgid, the high-water
// pgid, the txid and an FNV-64a checksum of everything before it, in the
// machine's byte order.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSum    = 56 // offset of the checksum within the meta
	boltMetaSize   = 64
)

type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

func parseBoltMeta(b []byte) (boltMeta, bool) {
	if len(b) < boltPageHeader+boltMetaSize {
		return boltMeta{}, false
	}
	m := b[boltPageHeader : boltPageHeader+boltMetaSize]
	e := binary.NativeEndian
	h := fnv.New64a()
	h.Write(m[:boltMetaSum])
	if e.Uint32(m[0:]) != boltMagic || e.Uint32(m[4:]) != boltVersion || e.Uint64(m[boltMetaSum:]) != h.Sum64() {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: e.Uint32(m[8:]), root: e.Uint64(m[16:]), freelist: e.Uint64(m[32:]),
		pgid: e.Uint64(m[40:]), txid: e.Uint64(m[48:])}, true
}

// precheckDB looks at store.db before bbolt maps it: bbolt trusts the meta
// page's high-water mark and reads through a memory map, so a truncated file
// would fault (SIGBUS) rather than fail. An absent or empty file is fine
// (bbolt initialises it).
func precheckDB(path string) error {
	m, fi, err := precheckMeta(path)
	if err != nil || m == nil || fi.Size() > boltWalkMax {
		return err
	}
	all, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return walkBoltTree(all, *m)
}

// precheckDBWalked is precheckDB for a reader that opens the store through
// its index (View): the whole-file walk is skipped when the file is exactly
// as the writer left it after walking it at open and writing it with bbolt
// since (its stamp in store.db.walked: txid, size, modification time), so
// opening costs the same whatever the store holds. Any other file is walked.
func precheckDBWalked(path string) error {
	m, fi, err := precheckMeta(path)
	if err != nil || m == nil || fi.Size() > boltWalkMax {
		return err
	}
	if b, err := os.ReadFile(path + walkedSuffix); err == nil && string(b) == walkStamp(m, fi) {
		return nil
	}
	all, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return walkBoltTree(all, *m)
}

const walkedSuffix = ".walked"

func walkStamp(m *boltMeta, fi os.FileInfo) string {
	return fmt.Sprintf("txid %d size %d mtime %d\n", m.txid, fi.Size(), fi.ModTime().UnixNano())
}

// noteWalked records store.db's current state as walked (the writer walked
// it at open and has written it only through bbolt since). Best effort: a
// missing or stale stamp only makes the next reader walk the file.
func noteWalked(path string) {
	m, fi, err := precheckMeta(path)
	if err != nil || m == nil {
		os.Remove(path + walkedSuffix)
		return
	}
	if err := atomicfile.WriteFileNoSync(path+walkedSuffix, []byte(walkStamp(m, fi)), 0o600); err != nil {
		os.Remove(path + walkedSuffix)
	}
}

// precheckMeta checks store.db's meta pages and size: the cheap part of
// precheckDB. A nil meta means there is nothing to check (absent or empty).
func precheckMeta(path string) (*boltMeta, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Size() == 0 {
		return nil, fi, nil
	}
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, nil, err
	}
	head = head[:n]
	var best *boltMeta
	var sizes []int
	if m0, ok := parseBoltMeta(head); ok {
		best = &m0
		sizes = []int{int(m0.pageSize)}
	} else {
		sizes = []int{os.Getpagesize(), 4096, 8192, 16384, 65536}
	}
	for _, ps := range sizes {
		if ps <= 0 || ps >= len(head) {
			continue
		}
		if m1, ok := parseBoltMeta(head[ps:]); ok && (best == nil || m1.txid > best.txid) {
			best = &m1
			break
		}
	}
	if best == nil {
		return nil, nil, fmt.Errorf("%w: store.db has no valid meta page", ErrStoreDamaged)
	}
	ps := uint64(best.pageSize)
	if ps < 512 || ps > 1<<20 || best.pgid < 2 || best.pgid > math.MaxInt64/ps {
		return nil, nil, fmt.Errorf("%w: store.db meta page is implausible (page size %d, %d pages)", ErrStoreDamaged, ps, best.pgid)
	}
	if uint64(fi.Size()) < best.pgid*ps {
		return nil, nil, fmt.Errorf("%w: store.db is truncated (%d bytes; its meta page says %d pages of %d bytes)", ErrStoreDamaged, fi.Size(), best.pgid, ps)
	}
	if best.root >= best.pgid || (best.freelist >= best.pgid && best.freelist != math.MaxUint64) {
		return nil, nil, fmt.Errorf("%w: store.db meta page points past the end of the database", ErrStoreDamaged)
	}
	return best, fi, nil
}

// bbolt page layout: a 16-byte header (id uint64, flags uint16, count
// uint16, overflow uint32), then count 16-byte elements. A branch element
// is (pos uint32, ksize uint32, child pgid uint64); a leaf element is
// (flags uint32, pos uint32, ksize uint32, vsize uint32); pos is relative to
// the element. A leaf element with flag 1 is a bucket whose value starts
// with (root pgid uint64, sequence uint64), followed by an inline page if
// root is 0.
const (
	boltBranch   = 0x01
	boltLeaf     = 0x02
	boltFreelist = 0x10
	boltElem     = 16
	boltMaxDepth = 64
	boltWalkMax  = 1 << 30 // files larger than this are not walked
)

// walkBoltTree checks, on the file's bytes and before bbolt maps it, that
// every page reachable from the root bucket and the freelist lies below the
// high-water mark, is a page of the right type whose elements fit in it,
// and is reached once (no cycles): bbolt follows these pointers without
// bounds checks, so a garbled one would loop forever or fault.
func walkBoltTree(b []byte, m boltMeta) error {
	ps := uint64(m.pageSize)
	seen := map[uint64]bool{}
	e := binary.NativeEndian
	page := func(id uint64) ([]byte, error) {
		if id < 2 || id >= m.pgid || seen[id] {
			return nil, fmt.Errorf("%w: store.db page %d is out of range or referenced twice", ErrStoreDamaged, id)
		}
		seen[id] = true
		off := id * ps
		if off+boltPageHeader > uint64(len(b)) {
			return nil, fmt.Errorf("%w: store.db page %d is past the end of the file", ErrStoreDamaged, id)
		}
		over := uint64(e.Uint32(b[off+12:]))
		if e.Uint64(b[off:]) != id || id+over >= m.pgid || off+(over+1)*ps > uint64(len(b)) {
			return nil, fmt.Errorf("%w: store.db page %d has a bad header", ErrStoreDamaged, id)
		}
		for i := uint64(1); i <= over; i++ {
			seen[id+i] = true
		}
		return b[off : off+(over+1)*ps], nil
	}
	var walk func(p []byte, id uint64, depth int, inline bool) error
	walk = func(p []byte, id uint64, depth int, inline bool) error {
		if depth > boltMaxDepth {
			return fmt.Errorf("%w: store.db tree is deeper than %d at page %d", ErrStoreDamaged, boltMaxDepth, id)
		}
		if len(p) < boltPageHeader {
			return fmt.Errorf("%w: store.db page %d is short", ErrStoreDamaged, id)
		}
		flags, count := e.Uint16(p[8:]), int(e.Uint16(p[10:]))
		if flags != boltBranch && flags != boltLeaf || (inline && flags != boltLeaf) {
			return fmt.Errorf("%w: store.db page %d has type %#x", ErrStoreDamaged, id, flags)
		}
		if boltPageHeader+count*boltElem > len(p) {
			return fmt.Errorf("%w: store.db page %d claims %d elements", ErrStoreDamaged, id, count)
		}
		for i := 0; i < count; i++ {
			at := boltPageHeader + i*boltElem
			el := p[at : at+boltElem]
			if flags == boltBranch {
				pos, ksize := uint64(e.Uint32(el[0:])), uint64(e.Uint32(el[4:]))
				if uint64(at)+pos+ksize > uint64(len(p)) {
					return fmt.Errorf("%w: store.db page %d element %d is out of bounds", ErrStoreDamaged, id, i)
				}
				child, err := page(e.Uint64(el[8:]))
				if err != nil {
					return err
				}
				if err := walk(child, e.Uint64(el[8:]), depth+1, false); err != nil {
					return err
				}
				continue
			}
			fl, pos, ksize, vsize := e.Uint32(el[0:]), uint64(e.Uint32(el[4:])), uint64(e.Uint32(el[8:])), uint64(e.Uint32(el[12:]))
			end := uint64(at) + pos + ksize + vsize
			if end > uint64(len(p)) {
				return fmt.Errorf("%w: store.db page %d element %d is out of bounds", ErrStoreDamaged, id, i)
			}
			if fl&1 == 0 {
				continue
			}
			v := p[uint64(at)+pos+ksize : end]
			if len(v) < 16 {
				return fmt.Errorf("%w: store.db page %d holds a short bucket header", ErrStoreDamaged, id)
			}
			if root := e.Uint64(v); root != 0 {
				rp, err := page(root)
				if err != nil {
					return err
				}
				if err := walk(rp, root, depth+1, false); err != nil {
					return err
				}
			} else if err := walk(v[16:], id, depth+1, true); err != nil {
				return err
			}
		}
		return nil
	}
	if m.freelist != math.MaxUint64 {
		fp, err := page(m.freelist)
		if err != nil {
			return err
		}
		if e.Uint16(fp[8:])&boltFreelist == 0 {
			return fmt.Errorf("%w: store.db freelist page %d has the wrong type", ErrStoreDamaged, m.freelist)
		}
		n, start := uint64(e.Uint16(fp[10:])), uint64(boltPageHeader)
		if n == 0xFFFF {
			n, start = e.Uint64(fp[boltPageHeader:]), boltPageHeader+8
		}
		if start+n*8 > uint64(len(fp)) {
			return fmt.Errorf("%w: store.db freelist claims %d pages", ErrStoreDamaged, n)
		}
		for i := uint64(0); i < n; i++ {
			if id := e.Uint64(fp[start+i*8:]); id < 2 || id >= m.pgid {
				return fmt.Errorf("%w: store.db freelist holds page %d, out of range", ErrStoreDamaged, id)
			}
		}
	}
	rp, err := page(m.root)
	if err != nil {
		return err
	}
	return walk(rp, m.root, 0, false)
}
