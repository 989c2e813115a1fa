package pdf

import (
	"bytes"
	"math"
	"slices"
	"sync"
)

// Reading a signed PDF without the PDF library (the direct reader).
//
// digitorus/pdf's NewReader parses every cross-reference entry of the file
// into tokens and objects, and each object it resolves is read through a
// buffered token reader: on a 200-page file, more work than everything
// else the verification does but hashing. Most signed PDFs are of one
// simple shape: classic cross-reference tables, the signature fields in
// the AcroForm, one signature covering the whole file (or several, the
// last covering it). For them, readDirect reads the few objects the
// verification needs (trailer, catalog, document information, the form
// fields and their signature dictionaries) by their offsets, with the
// structural pre-scan's tokenizer, following the library's rules: the
// cross-reference chain from the last startxref through /Prev, the newest
// in-use entry with a non-zero offset wins, ids at or beyond the newest
// /Size do not exist, "id gen obj" must match, the last of a repeated key
// wins, a direct value belongs to the object it is written in.
//
// Whenever the file departs from that shape, in anything the verification
// or the library could read differently — an object stream or
// cross-reference stream, encryption, a /DSS, a /Reference (DocMDP), an
// image (QR search), another revision with signatures, bytes after the last
// signature, a name with # escapes, a string with escapes or bytes outside
// printable ASCII, a signed or real number, a dangling or mismatched
// reference, a limit reached — readDirect returns false and the library
// reads the file, so the result is always the library path's. Tests
// compare both paths on every fixture and generated layout, and a fuzz
// target compares them on mutations (TestDirectAgreesWithLibrary,
// FuzzDirectAgreesWithLibrary).

// Limits of the direct reader; beyond them the library reads the file.
const (
	directMaxObjects = 1 << 18 // highest object number + 1
	directMaxValues  = 1 << 14 // values parsed in one document
)

// dval is a value read by the direct reader. Strings and names are kept
// as offsets into the file (56 bytes a value, one allocation a container).
type dval struct {
	elem   []dval // Array elements or Dict entries
	num    int64  // Integer; Indirect: the object number
	s, e   int32  // String: the token, delimiters included; Name: without the slash
	ks, ke int32  // the key (without the slash) of a Dict entry
	obj    uint32 // the object the value was read from (the library's GetPtr().GetID())
	gen    uint16 // Indirect: the generation
	kind   dkind
	// escaped: a Name with # escapes, not decoded
	escaped bool
}

// dkind is the kind of a dval, as pdflib.Kind names them.
type dkind uint8

const (
	kNull dkind = iota
	kBool
	kInteger
	kString
	kName
	kArray
	kDict
	kIndirect
)

// xrefSub is a cross-reference subsection: count entries for the objects
// from first, the first entry after white space at in[at:].
type xrefSub struct {
	first, count int64
	at           int
}

// directReader holds where the file's cross-reference sections are and the
// objects read.
type directReader struct {
	in       []byte
	sections [][]xrefSub // newest first
	// stack holds the values of the containers being parsed; each gets one
	// slice of the right length when it closes.
	stack   []dval
	size    int64 // the newest trailer's /Size
	trailer dval
	cache   map[uint32]dval
	// seen and seenValue are directFinder's.
	seen, seenValue map[uint32]bool
	values          int
	failed          bool // something the library might read differently: use it
}

func (d *directReader) fail() dval {
	d.failed = true
	return dval{}
}

// directPool keeps directReaders, whose containers and maps are reused
// from one document to the next.
var directPool = sync.Pool{New: func() any {
	return &directReader{cache: map[uint32]dval{}, seen: map[uint32]bool{}, seenValue: map[uint32]bool{}}
}}

// release empties d (keeping its capacity) and returns it to directPool.
func (d *directReader) release() {
	clear(d.stack[:cap(d.stack)])
	clear(d.cache)
	clear(d.seen)
	clear(d.seenValue)
	*d = directReader{stack: d.stack[:0], cache: d.cache, seen: d.seen, seenValue: d.seenValue}
	directPool.Put(d)
}

// readDirect reads the document directly (see above); false means the
// library must read it.
func readDirect(in []byte, scan *scanInfo) (*document, bool) {
	if scan.objStmAt >= 0 || scan.mayHaveImages || len(in) > math.MaxInt32 {
		return nil, false
	}
	d := directPool.Get().(*directReader)
	d.in = in
	defer d.release()
	startxref, ok := libraryStartxref(in)
	if !ok || !d.readXrefChain(startxref) {
		return nil, false
	}
	if _, enc := d.get(d.trailer, "Encrypt"); enc {
		return nil, false
	}
	root := d.key(d.trailer, "Root")
	if d.failed || root.kind != kDict {
		return nil, false
	}
	if _, dss := d.get(root, "DSS"); dss {
		return nil, false
	}
	rootRef, _ := d.get(d.trailer, "Root")
	if rootRef.kind != kIndirect {
		return nil, false
	}
	pages, ok := pageCountWith(in, d.lookup, uint32(rootRef.num), rootRef.gen)
	if !ok {
		return nil, false
	}
	doc := &document{pages: int(pages)}
	f := &directFinder{d: d, seen: d.seen, seenValue: d.seenValue}
	if !f.walkFields(d.key(d.key(root, "AcroForm"), "Fields"), 0) || d.failed {
		return nil, false
	}
	if n, _ := scan.signaturesBefore(len(in)); len(f.out) < n {
		return nil, false // a signature the fields do not name: the library walks the pages
	}
	if !noEarlierSignedRevision(in, scan) {
		return nil, false
	}
	doc.sigs = make([]sigDict, 0, len(f.out))
	for _, v := range f.out {
		s, ok := d.sigDict(v)
		if !ok {
			return nil, false
		}
		doc.sigs = append(doc.sigs, s)
	}
	if !coversToEnd(in, doc.sigs) {
		return nil, false
	}
	doc.nFinal = len(doc.sigs)
	doc.title = d.text(d.key(d.trailer, "Info"), "Title")
	if d.failed {
		return nil, false
	}
	return doc, true
}

// coversToEnd reports whether every usable byte range ends where the last
// one ends, and only white space follows it: then no signature has later
// revisions to judge and nothing was appended after the last, so the
// checks that read the document through the library have nothing to do.
func coversToEnd(in []byte, sigs []sigDict) bool {
	var lastEnd int64
	ends := make([]int64, len(sigs))
	for i := range sigs {
		br, err := byteRange(&sigs[i], in)
		if err != nil {
			continue
		}
		ends[i] = br[2] + br[3]
		lastEnd = max(lastEnd, ends[i])
	}
	for _, e := range ends {
		if e != 0 && e != lastEnd {
			return false
		}
	}
	return lastEnd <= 0 || len(bytes.TrimLeft(in[lastEnd:], " \t\r\n\f\x00")) == 0
}

// noEarlierSignedRevision reports whether removedSignatures would search no
// earlier revision: no revision it lists ends after a /ByteRange name.
// revisionEnds lists the ends of the first maxRevisions "%%EOF" markers
// that more bytes follow; a marker cannot overlap a name, so the markers
// after the first /ByteRange are found by searching from it.
func noEarlierSignedRevision(in []byte, scan *scanInfo) bool {
	if len(scan.byteRanges) == 0 {
		return true
	}
	from := slices.Min(scan.byteRanges)
	i := bytes.Index(in[from:], []byte("%%EOF"))
	if i < 0 {
		return true
	}
	end := from + i + len("%%EOF")
	for end < len(in) && (in[end] == '\r' || in[end] == '\n') {
		end++
	}
	return end >= len(in) // the final marker is not an earlier revision
}

// libraryStartxref finds the startxref value as digitorus/pdf's NewReader
// does, for files of the usual shape: the header at byte 0, "%%EOF" at the
// end (after white space), "startxref" on its own line in the 200 bytes
// that end with it, then an unsigned integer.
func libraryStartxref(in []byte) (int64, bool) {
	if len(in) < 1024 || !(bytes.HasPrefix(in, []byte("%PDF-1.")) && in[7] >= '0' && in[7] <= '7' || bytes.HasPrefix(in, []byte("%PDF-2.0"))) {
		return 0, false
	}
	eofEnd := len(bytes.TrimRight(in, "\r\n\t "))
	if len(in)-eofEnd > 100 || !bytes.HasSuffix(in[:eofEnd], []byte("%%EOF")) {
		return 0, false
	}
	win := in[eofEnd-200 : eofEnd]
	top := len(win)
	i := -1
	for {
		k := bytes.LastIndex(win[:top], []byte("startxref"))
		if k <= 0 || k+len("startxref") >= len(win) {
			return 0, false
		}
		if isEOL(win[k-1]) && isEOL(win[k+len("startxref")]) {
			i = eofEnd - 200 + k
			break
		}
		top = k
	}
	tok, s, e, err := scanToken(in, i)
	if err != nil || tok != tokKeyword || string(in[s:e]) != "startxref" {
		return 0, false
	}
	tok, s, e, err = scanToken(in, e)
	if err != nil || tok != tokKeyword {
		return 0, false
	}
	n := number(in[s:e])
	return n, n >= 0 && n < int64(len(in))
}

func isEOL(c byte) bool { return c == '\n' || c == '\r' }

// readXrefChain reads the classic cross-reference sections from startxref
// through /Prev into d.table, as the library's readXrefTable does, and
// keeps the newest trailer. False when a section is not a classic table or
// the chain is not one the library reads the same way.
func (d *directReader) readXrefChain(startxref int64) bool {
	var seen []int64
	for off, first := startxref, true; ; first = false {
		if off < 0 || off >= int64(len(d.in)) || len(seen) > maxRevisions || slices.Contains(seen, off) {
			return false
		}
		seen = append(seen, off)
		tok, s, e, err := scanToken(d.in, int(off))
		if err != nil || tok != tokKeyword || string(d.in[s:e]) != "xref" {
			return false
		}
		subs, trailerAt, ok := d.readXrefSection(e)
		if !ok {
			return false
		}
		d.sections = append(d.sections, subs)
		t, end := d.value(trailerAt, 0, 0)
		if d.failed || t.kind != kDict {
			return false
		}
		if tok, s, e, err := scanToken(d.in, end); err != nil || tok == tokKeyword && string(d.in[s:e]) == "stream" {
			return false // the library would read a stream, not a trailer
		}
		if first {
			d.trailer = t
			size, ok := d.get(t, "Size")
			if !ok || size.kind != kInteger {
				return false
			}
			d.size = size.num
		}
		prev, ok := d.get(t, "Prev")
		switch {
		case !ok || prev.kind == kNull:
			return true
		case prev.kind != kInteger:
			return false
		}
		off = prev.num
	}
}

// readXrefSection checks the subsections after "xref" (ending at i) as
// the library reads them (each entry an unsigned integer, another and f or
// n) and returns them and where the trailer dictionary starts.
func (d *directReader) readXrefSection(i int) (subs []xrefSub, trailer int, ok bool) {
	in := d.in
	s := &scanner{in: in, i: i}
	for {
		tok, start, end, err := scanToken(in, s.i)
		if err != nil || tok != tokKeyword {
			return nil, 0, false
		}
		s.i = end
		if string(in[start:end]) == "trailer" {
			return subs, end, true
		}
		first := number(in[start:end])
		tok, start, end, err = scanToken(in, s.i)
		if err != nil || tok != tokKeyword || first < 0 {
			return nil, 0, false
		}
		s.i = end
		count := number(in[start:end])
		if count < 0 || first+count > directMaxObjects {
			return nil, 0, false
		}
		subs = append(subs, xrefSub{first: first, count: count, at: s.i})
		for range count {
			if s.fixedXrefEntry() {
				continue // digits, digits, f or n: nothing more to check
			}
			if _, _, _, ok := s.xrefEntry(); !ok {
				return nil, 0, false
			}
		}
	}
}

// xrefEntry reads one cross-reference entry: its offset, its generation
// and whether it is in use, n (false for f). ok is false when it is not
// two unsigned integers and f or n.
func (s *scanner) xrefEntry() (off, gen int64, inUse, ok bool) {
	var f [3][]byte
	if s.fixedXrefEntry() {
		j := s.i - 18
		f = [3][]byte{s.in[j : j+10], s.in[j+11 : j+16], s.in[j+17 : j+18]}
	} else {
		for n := range f {
			tok, start, end, err := scanToken(s.in, s.i)
			if err != nil || tok != tokKeyword {
				return 0, 0, false, false
			}
			f[n], s.i = s.in[start:end], end
		}
	}
	off, gen = number(f[0]), number(f[1])
	if off < 0 || gen < 0 || (string(f[2]) != "n" && string(f[2]) != "f") {
		return 0, 0, false, false
	}
	return off, gen, string(f[2]) == "n", true
}

// lookup finds object id as the library's table has it: the first in-use
// entry with a non-zero offset, newest section first; none for ids at or
// beyond the newest /Size.
func (d *directReader) lookup(id uint32) (off int64, gen uint16, ok bool) {
	if int64(id) >= d.size {
		return 0, 0, false
	}
	for _, subs := range d.sections {
		for _, sub := range subs {
			k := int64(id) - sub.first
			if k < 0 || k >= sub.count {
				continue
			}
			s := &scanner{in: d.in, i: sub.at}
			for range k {
				s.xrefEntry() // checked by readXrefSection
			}
			o, g, inUse, _ := s.xrefEntry()
			if inUse && o != 0 {
				if g > 65535 {
					return 0, 0, false
				}
				return o, uint16(g), true
			}
		}
	}
	return 0, 0, false
}

// get returns the value of key in dictionary v (the last occurrence), not
// resolved.
func (d *directReader) get(v dval, key string) (dval, bool) {
	for i := len(v.elem) - 1; i >= 0; i-- {
		if string(d.in[v.elem[i].ks:v.elem[i].ke]) == key {
			return v.elem[i], true
		}
	}
	return dval{}, false
}

// key returns v.Key(key) as the library resolves it: a missing key or a
// value that is not a dictionary gives null.
func (d *directReader) key(v dval, key string) dval {
	if v.kind != kDict {
		return dval{}
	}
	x, ok := d.get(v, key)
	if !ok {
		return dval{}
	}
	return d.resolve(x)
}

// index returns v.Index(i), resolved.
func (d *directReader) index(v dval, i int) dval {
	if v.kind != kArray || i < 0 || i >= len(v.elem) {
		return dval{}
	}
	return d.resolve(v.elem[i])
}

// resolve reads the object a reference names; other values are returned
// as they are.
func (d *directReader) resolve(v dval) dval {
	if v.kind != kIndirect || d.failed {
		return v
	}
	id, gen := uint32(v.num), v.gen
	if o, ok := d.cache[id]; ok {
		return o
	}
	off, g, ok := d.lookup(id)
	if !ok || g != gen {
		return d.fail() // a dangling reference: the library's null, and its own quirks
	}
	i := int(off)
	if i >= len(d.in) {
		return d.fail()
	}
	var hdr [3][]byte
	for k := range hdr {
		tok, start, end, err := scanToken(d.in, i)
		if err != nil || tok != tokKeyword {
			return d.fail()
		}
		hdr[k], i = d.in[start:end], end
	}
	if number(hdr[0]) != int64(id) || number(hdr[1]) != int64(gen) || string(hdr[2]) != "obj" {
		return d.fail()
	}
	o, end := d.value(i, id, 0)
	if tok, s, e, err := scanToken(d.in, end); err != nil || tok != tokKeyword || string(d.in[s:e]) != "endobj" {
		return d.fail() // a stream, or what the library reads otherwise
	}
	if o.kind != kDict && o.kind != kArray {
		return d.fail()
	}
	d.cache[id] = o
	return o
}

// value parses the value at in[i:], written in object obj, and returns it
// and where it ends.
func (d *directReader) value(i int, obj uint32, depth int) (dval, int) {
	in := d.in
	if d.values++; d.values > directMaxValues || depth > maxNesting || d.failed {
		return d.fail(), i
	}
	tok, start, end, err := scanToken(in, i)
	if err != nil {
		return d.fail(), i
	}
	v := dval{obj: obj}
	switch tok {
	case tokOpenDict:
		v.kind = kDict
		base := len(d.stack)
		for {
			tok, s, e, err := scanToken(in, end)
			switch {
			case err != nil:
				return d.fail(), end
			case tok == tokCloseDict:
				v.elem = d.pop(base)
				return v, e
			case tok != tokName || bytes.IndexByte(in[s:e], '#') >= 0:
				return d.fail(), end
			}
			x, next := d.value(e, obj, depth+1)
			if d.failed {
				return x, next
			}
			x.ks, x.ke = int32(s+1), int32(e)
			d.stack, end = append(d.stack, x), next
		}
	case tokOpenArray:
		v.kind = kArray
		base := len(d.stack)
		for {
			tok, _, e, err := scanToken(in, end)
			switch {
			case err != nil:
				return d.fail(), end
			case tok == tokCloseArray:
				v.elem = d.pop(base)
				return v, e
			}
			x, next := d.value(end, obj, depth+1)
			if d.failed {
				return x, next
			}
			d.stack, end = append(d.stack, x), next
		}
	case tokName:
		// A name with # escapes (the library decodes them) is kept
		// undecoded: reading it (name) declines the file.
		v.kind, v.s, v.e, v.escaped = kName, int32(start+1), int32(end), bytes.IndexByte(in[start:end], '#') >= 0
	case tokString:
		v.kind, v.s, v.e = kString, int32(start), int32(end)
		if in[start] == '<' {
			break // decoded when read (str)
		}
		// A literal string of printable ASCII without escapes: its bytes,
		// and its own text (PDFDocEncoding is ASCII there).
		for _, c := range in[start+1 : end-1] {
			if c < 0x20 || c > 0x7e || c == '\\' {
				return d.fail(), end
			}
		}
	case tokKeyword:
		switch t := in[start:end]; {
		case string(t) == "true" || string(t) == "false":
			v.kind = kBool
		case string(t) == "null":
		case number(t) >= 0:
			v.kind, v.num = kInteger, number(t)
			// "id gen R" is a reference, as the library reads it.
			tok2, s2, e2, err2 := scanToken(in, end)
			if err2 != nil || tok2 != tokKeyword || number(in[s2:e2]) < 0 {
				break
			}
			tok3, s3, e3, err3 := scanToken(in, e2)
			if err3 != nil || tok3 != tokKeyword || string(in[s3:e3]) != "R" {
				break
			}
			g := number(in[s2:e2])
			if v.num > maxObjectNumber || g > 65535 {
				return d.fail(), e3
			}
			v = dval{kind: kIndirect, num: v.num, gen: uint16(g), obj: obj}
			end = e3
		default:
			return d.fail(), end // a real, a signed number, R alone or another keyword
		}
	default:
		return d.fail(), end
	}
	return v, end
}

// str returns the bytes of a String: a literal's as written (the reader
// keeps only literals without escapes), a hex string's decoded.
func (d *directReader) str(v dval) []byte {
	if d.in[v.s] == '<' {
		return decodeHex(d.in[v.s+1 : v.e-1])
	}
	return d.in[v.s+1 : v.e-1]
}

// pop returns the values pushed since base, in a slice of their own.
func (d *directReader) pop(base int) []dval {
	if len(d.stack) == base {
		return nil
	}
	out := slices.Clone(d.stack[base:])
	d.stack = d.stack[:base]
	return out
}

// decodeHex decodes a hex string's digits as the library does: white space
// is skipped, a final odd digit is followed by 0. (The pre-scan has
// refused any other byte in a hex string.)
func decodeHex(h []byte) []byte {
	out := make([]byte, 0, len(h)/2)
	hi := -1
	for i := 0; i < len(h); i++ {
		if hi < 0 && i+1 < len(h) {
			// Two digits at once, the usual case.
			if a, b := hexValue[h[i]], hexValue[h[i+1]]; a|b < 16 {
				out = append(out, a<<4|b)
				i++
				continue
			}
		}
		switch x := hexValue[h[i]]; {
		case x > 15: // white space
		case hi < 0:
			hi = int(x)
		default:
			out = append(out, byte(hi)<<4|x)
			hi = -1
		}
	}
	if hi >= 0 {
		out = append(out, byte(hi)<<4)
	}
	return out
}

// hexValue maps a hex digit to its value and every other byte to 0xff.
var hexValue = func() (t [256]byte) {
	for c := range t {
		t[c] = 0xff
		if v := unhex(byte(c)); v >= 0 {
			t[c] = byte(v)
		}
	}
	return t
}()

// sigDict reads a signature dictionary. False when it has a /Reference
// (pdfsign's DocMDP check needs the library's value) or a key the
// verification reads is not of a kind read the same way.
func (d *directReader) sigDict(v dval) (sigDict, bool) {
	if _, ok := d.get(v, "Reference"); ok {
		return sigDict{}, false
	}
	s := sigDict{
		subFilter:   d.name(v, "SubFilter"),
		typ:         d.name(v, "Type"),
		name:        d.text(v, "Name"),
		reason:      d.text(v, "Reason"),
		location:    d.text(v, "Location"),
		contactInfo: d.text(v, "ContactInfo"),
		m:           d.text(v, "M"),
		contents:    d.text2(v, "Contents"),
	}
	if a := d.key(v, "ByteRange"); a.kind == kArray && len(a.elem) == 4 {
		s.rangeOK = true
		for i := range s.br {
			if e := d.index(a, i); e.kind == kInteger {
				s.isInt[i], s.br[i] = true, e.num
			}
		}
	}
	return s, !d.failed
}

// name returns v.Key(key).Name().
func (d *directReader) name(v dval, key string) string {
	if x := d.key(v, key); x.kind == kName {
		if x.escaped {
			d.fail()
			return ""
		}
		return string(d.in[x.s:x.e])
	}
	return ""
}

// text returns v.Key(key).Text() for the strings the reader keeps (hex
// strings only when they are printable ASCII too).
func (d *directReader) text(v dval, key string) string {
	x := d.key(v, key)
	if x.kind != kString {
		return ""
	}
	b := d.str(x)
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			d.fail()
			return ""
		}
	}
	return string(b)
}

// text2 returns v.Key(key).RawString() as bytes.
func (d *directReader) text2(v dval, key string) []byte {
	if x := d.key(v, key); x.kind == kString {
		return d.str(x)
	}
	return nil
}

// directFinder is sigFinder (pdf.go) over the direct reader's values: the
// same walk, limits and de-duplication by object id.
type directFinder struct {
	d         *directReader
	out       []dval
	seen      map[uint32]bool
	seenValue map[uint32]bool
	visited   int
}

func (f *directFinder) walkFields(arr dval, depth int) bool {
	if arr.kind != kArray {
		return !f.d.failed
	}
	if depth > 32 {
		return false
	}
	for i := range arr.elem {
		fld := f.d.index(arr, i)
		if f.visited++; f.visited > maxFields || f.d.failed {
			return false
		}
		if id := fld.obj; id != 0 {
			if f.seen[id] {
				continue
			}
			f.seen[id] = true
		}
		if !f.add(fld) || !f.walkFields(f.d.key(fld, "Kids"), depth+1) {
			return false
		}
	}
	return !f.d.failed
}

func (f *directFinder) add(field dval) bool {
	var ft string
	var v, holder dval
	n := field
	for depth := 0; depth < 32 && n.kind == kDict; depth++ {
		if ft == "" {
			ft = f.d.name(n, "FT")
		}
		if v.kind != kDict {
			if x := f.d.key(n, "V"); x.kind == kDict {
				v, holder = x, n
			}
		}
		if ft != "" && v.kind == kDict {
			break
		}
		n = f.d.key(n, "Parent")
	}
	if f.d.failed {
		return false
	}
	if ft != "Sig" || v.kind != kDict {
		return true
	}
	id := v.obj
	if id == 0 {
		id = holder.obj
	}
	if id != 0 {
		if f.seenValue[id] {
			return true
		}
		f.seenValue[id] = true
	}
	if len(f.out) >= maxSignatures {
		return false
	}
	f.out = append(f.out, v)
	return true
}
