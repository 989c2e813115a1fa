package trustlist

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
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
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() == 0 {
		return nil
	}
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return err
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
		return fmt.Errorf("%w: store.db has no valid meta page", ErrStoreDamaged)
	}
	ps := uint64(best.pageSize)
	if ps < 512 || ps > 1<<20 || best.pgid < 2 || best.pgid > math.MaxInt64/ps {
		return fmt.Errorf("%w: store.db meta page is implausible (page size %d, %d pages)", ErrStoreDamaged, ps, best.pgid)
	}
	if uint64(fi.Size()) < best.pgid*ps {
		return fmt.Errorf("%w: store.db is truncated (%d bytes; its meta page says %d pages of %d bytes)", ErrStoreDamaged, fi.Size(), best.pgid, ps)
	}
	if best.root >= best.pgid || (best.freelist >= best.pgid && best.freelist != math.MaxUint64) {
		return fmt.Errorf("%w: store.db meta page points past the end of the database", ErrStoreDamaged)
	}
	return nil
}
