package trustlist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"unicode/utf8"
	"unsafe"

	"github.com/accord-network/accord/internal/cborscan"
)

// A list payload is read by a strict reader written for its one layout
// rather than by reflection followed by a re-encoding: it accepts only the
// deterministic encoding (RFC 8949 §4.2.1) that SignList produces, so there
// is nothing to re-encode, and byte strings are views into the payload, not
// copies. It accepts exactly what decoding into listWire and re-encoding to
// the same bytes accepts (FuzzListPayloadStrict checks the two agree); on any
// refusal parseList asks the generic path for its error message.

var errNotCanonical = errors.New("not the deterministic encoding of a list")

// cborReader reads canonical CBOR items from b.
type cborReader struct {
	b    []byte
	off  int
	docs []DocType // backing store for every entry's uses: one allocation, not one per entry
	// arena holds the bytes of the texts read (names): see arenaString.
	arena []byte
	// view makes texts views into b rather than copies, and reuses docs
	// for each entry's uses: for an entry only checked, then dropped.
	view bool
	// noTags makes item refuse tags (COSE_Sign forbids them inside).
	noTags bool
	// sink, when set, takes each entry as it is read instead of
	// listWire.Entries keeping them all.
	sink entrySink
}

// entrySink takes a list's entries one at a time: start with their number,
// then add for each entry, which reads it from r.
type entrySink interface {
	start(n int)
	add(r *cborReader) error
}

// rawEntrySink is an entrySink that takes each entry's encoded bytes
// (well-formed, not decoded) instead: for a list already verified whole
// when it was accepted, whose entries a View decodes only when a lookup
// needs them.
type rawEntrySink interface {
	entrySink
	raw(b []byte)
}

// head reads an item's initial byte and argument, refusing non-shortest
// arguments, indefinite lengths and reserved values.
func (r *cborReader) head() (major byte, arg uint64, err error) {
	// The common heads first: an argument in the initial byte, or in the
	// 1, 2 or 4 bytes after it (which must not fit a narrower width).
	b := r.b[min(r.off, len(r.b)):]
	if len(b) >= 5 {
		ib := b[0]
		switch major, ai := ib>>5, ib&0x1f; {
		case ai < 24:
			r.off++
			return major, uint64(ai), nil
		case major == 7: // simple values and floats: headSlow decides
		case ai == 24:
			if b[1] < 24 {
				return 0, 0, errNotCanonical
			}
			r.off += 2
			return major, uint64(b[1]), nil
		case ai == 25:
			a := uint64(binary.BigEndian.Uint16(b[1:]))
			if a <= math.MaxUint8 {
				return 0, 0, errNotCanonical
			}
			r.off += 3
			return major, a, nil
		case ai == 26:
			a := uint64(binary.BigEndian.Uint32(b[1:]))
			if a <= math.MaxUint16 {
				return 0, 0, errNotCanonical
			}
			r.off += 5
			return major, a, nil
		}
	}
	return r.headSlow()
}

func (r *cborReader) headSlow() (major byte, arg uint64, err error) {
	major, arg, n, ok := cborscan.Head(r.b, r.off)
	if !ok {
		return 0, 0, errNotCanonical
	}
	r.off += 1 + n
	// The shortest form: an argument that fits a narrower width must use it.
	switch {
	case n == 1 && arg < 24,
		n == 2 && arg <= math.MaxUint8,
		n == 4 && arg <= math.MaxUint16,
		n == 8 && arg <= math.MaxUint32:
		return 0, 0, errNotCanonical
	}
	if major == 7 && n > 0 { // only simple values are read here (false, true, null), never floats
		return 0, 0, errNotCanonical
	}
	return major, arg, nil
}

func (r *cborReader) uint() (uint64, error) {
	m, a, err := r.head()
	if err != nil || m != 0 {
		return 0, errNotCanonical
	}
	return a, nil
}

func (r *cborReader) int() (int64, error) {
	// A time in seconds since the epoch: an unsigned 4-byte argument.
	if off := r.off; off+5 <= len(r.b) && r.b[off] == 0x1a {
		a := binary.BigEndian.Uint32(r.b[off+1:])
		if a <= math.MaxUint16 {
			return 0, errNotCanonical
		}
		r.off = off + 5
		return int64(a), nil
	}
	m, a, err := r.head()
	if err != nil || (m != 0 && m != 1) || a > math.MaxInt64 {
		return 0, errNotCanonical
	}
	if m == 1 {
		return -1 - int64(a), nil
	}
	return int64(a), nil
}

// null reports whether the next item is null, consuming it if so.
func (r *cborReader) null() bool {
	if r.off < len(r.b) && r.b[r.off] == 0xf6 {
		r.off++
		return true
	}
	return false
}

// raw reads a byte or text string of major type want as a view.
func (r *cborReader) raw(want byte) ([]byte, error) {
	// Strings under 24 bytes (kids, addresses, names, tokens) have their
	// length in the initial byte.
	if off := r.off; off < len(r.b) {
		if ib := r.b[off]; ib>>5 == want && ib&0x1f < 24 {
			end := off + 1 + int(ib&0x1f)
			if end > len(r.b) {
				return nil, errNotCanonical
			}
			r.off = end
			return r.b[off+1 : end : end], nil
		}
	}
	m, a, err := r.head()
	if err != nil || m != want || a > uint64(len(r.b)-r.off) {
		return nil, errNotCanonical
	}
	v := r.b[r.off : r.off+int(a) : r.off+int(a)]
	r.off += int(a)
	return v, nil
}

// bytes reads a byte string (a view), or null as nil: a nil []byte field
// encodes as null, so null is the canonical form of an absent value.
func (r *cborReader) bytes() ([]byte, error) {
	if r.null() {
		return nil, nil
	}
	v, err := r.raw(2)
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

func (r *cborReader) text() (string, error) {
	v, err := r.raw(3)
	if err != nil {
		return "", errNotCanonical
	}
	// The tokens every entry repeats (kind, status, uses) are ASCII
	// constants: valid UTF-8 without looking.
	if s, ok := internText(v); ok {
		return s, nil
	}
	if !utf8.Valid(v) {
		return "", errNotCanonical
	}
	if r.view {
		return unsafe.String(unsafe.SliceData(v), len(v)), nil
	}
	return r.arenaString(v), nil
}

// arenaString copies v into the reader's text arena and returns it as a
// string: the names of 1,000 entries take a few allocations, not 1,000.
// Arena bytes are written once and never changed, so the strings are
// immutable as strings must be.
func (r *cborReader) arenaString(v []byte) string {
	if len(v) > 256 {
		return string(v)
	}
	if cap(r.arena)-len(r.arena) < len(v) {
		// The first arena holds a list header's text; later ones its
		// entries', each twice the last up to 64 KiB: sized from the payload
		// instead, a list of certificates (mostly DER, little text) kept a
		// 64 KiB arena for a few KiB of names.
		size := 256
		if cap(r.arena) > 0 {
			size = max(4096, min(2*cap(r.arena), 64<<10))
		}
		r.arena = make([]byte, 0, max(size, len(v)))
	}
	start := len(r.arena)
	r.arena = append(r.arena, v...)
	return unsafe.String(&r.arena[start], len(v))
}

// internText returns the constant for the tokens every entry repeats, so
// 1,000 entries do not make 1,000 copies of "active".
func internText(v []byte) (string, bool) {
	switch string(v) {
	case "":
		return "", true
	case string(EntryX509):
		return string(EntryX509), true
	case string(EntryCOSEKey):
		return string(EntryCOSEKey), true
	case string(EntryEth):
		return string(EntryEth), true
	case string(StatusActive):
		return string(StatusActive), true
	case string(StatusRevoked):
		return string(StatusRevoked), true
	case string(DocHCert):
		return string(DocHCert), true
	case string(DocOA):
		return string(DocOA), true
	case string(DocPDF):
		return string(DocPDF), true
	case string(DocTSA):
		return string(DocTSA), true
	}
	return "", false
}

// container reads an array or map head of major type want; its count is
// bounded by the bytes left (every element takes at least one byte).
func (r *cborReader) container(want byte) (int, error) {
	m, a, err := r.head()
	if err != nil || m != want || a > uint64(len(r.b)-r.off) {
		return 0, errNotCanonical
	}
	return int(a), nil
}

// item skips one well-formed item and returns its bytes.
func (r *cborReader) item(depth int) ([]byte, error) {
	if depth > 16 {
		return nil, errNotCanonical
	}
	start := r.off
	if r.off < len(r.b) && r.b[r.off]>>5 == 7 {
		if ib := r.b[r.off]; ib < 0xf4 || ib > 0xf7 { // false, true, null, undefined only
			return nil, errNotCanonical
		}
		r.off++
		return r.b[start:r.off], nil
	}
	m, a, err := r.head()
	if err != nil {
		return nil, err
	}
	switch m {
	case 2, 3:
		if a > uint64(len(r.b)-r.off) {
			return nil, errNotCanonical
		}
		r.off += int(a)
	case 4, 5:
		n := a
		if m == 5 {
			n *= 2
		}
		if a > uint64(len(r.b)-r.off) {
			return nil, errNotCanonical
		}
		for i := uint64(0); i < n; i++ {
			if _, err := r.item(depth + 1); err != nil {
				return nil, err
			}
		}
	case 6:
		if r.noTags {
			return nil, errNotCanonical
		}
		if _, err := r.item(depth + 1); err != nil {
			return nil, err
		}
	}
	return r.b[start:r.off], nil
}

// keys walks a map of n pairs whose keys must be small unsigned integers in
// strictly ascending order (the canonical order of such keys), calling f for
// each key with the reader positioned at its value.
func (r *cborReader) keys(n int, f func(k uint64) error) error {
	prev := -1
	for i := 0; i < n; i++ {
		k, err := r.uint()
		if err != nil || int64(k) <= int64(prev) || k > 23 {
			return errNotCanonical
		}
		prev = int(k)
		if err := f(k); err != nil {
			return err
		}
	}
	return nil
}

// decodeListPayload reads a list payload in its deterministic encoding. With
// a sink, the entries go to it and the result's Entries stays nil.
func decodeListPayload(p []byte, sink entrySink) (*listWire, error) {
	if len(p) > MaxObjectSize {
		return nil, errNotCanonical
	}
	r := &cborReader{b: p, sink: sink}
	n, err := r.container(5)
	if err != nil || n != 8 {
		return nil, errNotCanonical
	}
	w := &listWire{}
	err = r.keys(n, func(k uint64) error {
		var err error
		switch k {
		case 0:
			w.Type, err = r.text()
		case 1:
			w.Country, err = r.text()
		case 2:
			w.DescriptorVersion, err = r.uint()
		case 3:
			w.Seq, err = r.uint()
		case 4:
			w.IssuedAt, err = r.int()
		case 5:
			w.NextUpdate, err = r.int()
		case 6:
			w.Prev, err = r.bytes()
		case 7:
			w.Entries, err = r.entries()
		default:
			err = errNotCanonical
		}
		return err
	})
	if err != nil || r.off != len(p) || w.Type != string(KindList) {
		return nil, errNotCanonical
	}
	return w, nil
}

func (r *cborReader) entries() ([]entryWire, error) {
	if r.null() {
		return nil, nil
	}
	n, err := r.container(4)
	if err != nil || n > MaxEntries {
		return nil, errNotCanonical
	}
	if rs, ok := r.sink.(rawEntrySink); ok {
		rs.start(n)
		for i := 0; i < n; i++ {
			b, err := r.item(1)
			if err != nil || len(b) == 0 || b[0]>>5 != 5 {
				return nil, errNotCanonical
			}
			rs.raw(b)
		}
		return nil, nil
	}
	if r.sink != nil {
		r.sink.start(n)
		for i := 0; i < n; i++ {
			if err := r.sink.add(r); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	out := make([]entryWire, n)
	var e Entry
	for i := range out {
		e = Entry{}
		if err := r.entry(&e); err != nil {
			return nil, err
		}
		out[i] = wireOf(&e)
	}
	return out, nil
}

// wireOf is the entryWire e was decoded from (entry): the inverse of the
// reader, for comparing it with the generic decoder.
func wireOf(e *Entry) entryWire {
	w := entryWire{KID: e.KID, Kind: string(e.Kind), Data: e.Data, CA: e.CA, NotBefore: toUnix(e.NotBefore), NotAfter: toUnix(e.NotAfter),
		Status: string(e.Status), RevokedAt: toUnix(e.RevokedAt), Reason: e.Reason, Name: e.Name, Domain: e.Domain, Thumbprint: e.Thumbprint,
		Country: e.Country, Source: e.Source, DCCTypes: e.DCCTypes}
	if e.Uses != nil {
		w.Uses = make([]string, len(e.Uses))
		for i, u := range e.Uses {
			w.Uses[i] = string(u)
		}
	}
	return w
}

// key reads a map key that must be a small unsigned integer (0–23, one
// byte in its shortest form) above prev, the previous key: the canonical
// order of such keys.
func (r *cborReader) key(prev int) (int, error) {
	if r.off >= len(r.b) || r.b[r.off] > 23 || int(r.b[r.off]) <= prev {
		return 0, errNotCanonical
	}
	k := int(r.b[r.off])
	r.off++
	return k, nil
}

// entry decodes one entry map into e, which must be zero, without checking
// it (Entry.check does). Its byte strings are views into r.b; its uses come
// from the reader's shared slab.
func (r *cborReader) entry(e *Entry) error {
	n, err := r.container(5)
	if err != nil {
		return err
	}
	seen, k := 0, -1
	for i := 0; i < n; i++ {
		if k, err = r.key(k); err != nil {
			return err
		}
		seen |= 1 << k
		var v int64
		switch k {
		case 1:
			e.KID, err = r.bytes()
		case 2:
			var s string
			s, err = r.text()
			e.Kind = EntryKind(s)
		case 3:
			e.Data, err = r.bytes()
		case 4: // omitempty: present only as true
			if r.off < len(r.b) && r.b[r.off] == 0xf5 {
				r.off++
				e.CA = true
			} else {
				err = errNotCanonical
			}
		case 5:
			e.Uses, err = r.docTypes()
		case 6:
			v, err = r.int()
			e.NotBefore = unixTime(v)
		case 7:
			v, err = r.int()
			e.NotAfter = unixTime(v)
		case 8:
			var s string
			s, err = r.text()
			e.Status = Status(s)
		case 9:
			if v, err = r.int(); err == nil && v == 0 {
				err = errNotCanonical
			}
			e.RevokedAt = unixTime(v)
		case 10:
			e.Reason, err = r.nonEmptyText()
		case 11:
			e.Name, err = r.text()
		case 12:
			e.Domain, err = r.nonEmptyText()
		case 13:
			if e.Thumbprint, err = r.bytes(); err == nil && len(e.Thumbprint) == 0 {
				err = errNotCanonical
			}
		case 14:
			e.Country, err = r.nonEmptyText()
		case 15:
			if e.Source, err = r.provenance(); err == nil {
				e.Source.Issued = unixTime(e.Source.IssuedUnix)
			}
		case 16:
			if e.DCCTypes, err = r.uses(); err == nil && len(e.DCCTypes) == 0 {
				err = errNotCanonical // omitempty: absent, never empty
			}
		default:
			err = errNotCanonical
		}
		if err != nil {
			return err
		}
	}
	// Fields without omitempty are always encoded.
	const required = 1<<1 | 1<<2 | 1<<3 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<11
	if seen&required != required {
		return errNotCanonical
	}
	return nil
}

func (r *cborReader) nonEmptyText() (string, error) {
	s, err := r.text()
	if err == nil && s == "" {
		err = errNotCanonical
	}
	return s, err
}

func (r *cborReader) uses() ([]string, error) {
	if r.null() {
		return nil, nil
	}
	n, err := r.container(4)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		if out[i], err = r.text(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// docTypes reads an entry's uses into the reader's slab: one allocation
// for the uses of many entries, not one per entry.
func (r *cborReader) docTypes() ([]DocType, error) {
	if r.null() {
		return nil, nil
	}
	n, err := r.container(4)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return []DocType{}, nil
	}
	if cap(r.docs)-len(r.docs) < n {
		size := 1024
		if r.view { // reused for each entry
			size = 16
		}
		r.docs = make([]DocType, 0, max(n, 2*cap(r.docs), size))
	}
	start := len(r.docs)
	for i := 0; i < n; i++ {
		u, err := r.text()
		if err != nil {
			return nil, err
		}
		r.docs = append(r.docs, DocType(u))
	}
	return r.docs[start:len(r.docs):len(r.docs)], nil
}

// provenance decodes the rare Source map with the generic decoder and
// checks it is canonical by re-encoding it: it is small and seldom present.
func (r *cborReader) provenance() (*Provenance, error) {
	b, err := r.item(2)
	if err != nil {
		return nil, err
	}
	var p *Provenance
	if err := decMode.Unmarshal(b, &p); err != nil || p == nil {
		return nil, errNotCanonical
	}
	again, err := marshal(p)
	if err != nil || !bytes.Equal(again, b) {
		return nil, errNotCanonical
	}
	return p, nil
}
