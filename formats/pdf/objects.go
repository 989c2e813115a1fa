package pdf

import (
	"bytes"
	"slices"

	pdflib "github.com/digitorus/pdf"
)

// Reading one object by its offset, for values the checks only report.
//
// The page count shown in the result is the catalog's /Pages dictionary's
// /Count. Asking the PDF library for it parses the whole page-tree root,
// whose /Kids array names every page (on a 200-page file, most of the
// library's work and memory for the verification). pageCount reads the
// same value from the same bytes: it follows the file's classic
// cross-reference tables from startxref through /Prev exactly as
// digitorus/pdf does (the newest section's first in-use entry with a
// non-zero offset for an object wins; objects at or beyond the newest
// trailer's /Size do not exist), checks the "id gen obj" header at that
// offset, and reads the dictionary there with the structural pre-scan's
// tokenizer, which follows the library's token rules. Whenever the file
// departs from that simple shape (a cross-reference stream, an object in
// an object stream, an indirect /Count, a header that does not match), it
// asks the library instead, so the count reported is always the library's.

// pageCount returns the /Count of root's /Pages, as
// root.Key("Pages").Key("Count").Int64() would.
func pageCount(in []byte, rdr *pdflib.Reader, root pdflib.Value, rebuilt bool) int64 {
	if !rebuilt {
		if n, ok := pageCountDirect(in, rdr.XrefInformation.StartPos, root.GetPtr().GetID(), root.GetPtr().GetGen()); ok {
			return n
		}
	}
	return root.Key("Pages").Key("Count").Int64()
}

func pageCountDirect(in []byte, startxref int64, rootID uint32, rootGen uint16) (int64, bool) {
	return pageCountWith(in, func(id uint32) (int64, uint16, bool) { return xrefLookup(in, startxref, id) }, rootID, rootGen)
}

// xrefFinder finds an object's offset and generation as the library's
// cross-reference table has them.
type xrefFinder func(id uint32) (offset int64, gen uint16, ok bool)

// pageCountWith reads the page count with the objects find finds.
func pageCountWith(in []byte, find xrefFinder, rootID uint32, rootGen uint16) (int64, bool) {
	cat, ok := objectDict(in, find, rootID, rootGen, "/Pages")
	if !ok {
		return 0, false
	}
	pages, ok := cat.get("/Pages")
	if !ok || !pages.ref {
		return 0, false
	}
	pd, ok := objectDict(in, find, pages.id, pages.gen, "/Count")
	if !ok {
		return 0, false
	}
	count, ok := pd.get("/Count")
	if !ok || count.ref || count.num < 0 {
		return 0, false
	}
	return count.num, true
}

// dictValue is a value of a shallow dictionary: usable when it is a
// non-negative integer (num) or a reference "id gen R".
type dictValue struct {
	num    int64
	ref    bool
	id     uint32
	gen    uint16
	usable bool
}

// shallowDict holds the values of some of a dictionary's own keys.
type shallowDict struct {
	keys []string
	vals []dictValue
}

// get returns the usable value of key; the last occurrence wins, as it
// does in the library's map.
func (d *shallowDict) get(key string) (dictValue, bool) {
	for i := len(d.keys) - 1; i >= 0; i-- {
		if d.keys[i] == key {
			return d.vals[i], d.vals[i].usable
		}
	}
	return dictValue{}, false
}

// readShallowDict reads the dictionary whose "<<" comes next at in[i:]:
// names as keys, each followed by one value, as the library reads it. It
// keeps the values of the keys wanted. ok is false when it is not such a
// dictionary.
func readShallowDict(in []byte, i int, wanted ...string) (d shallowDict, ok bool) {
	tok, _, end, err := scanToken(in, i)
	if err != nil || tok != tokOpenDict {
		return d, false
	}
	i = end
	for {
		tok, start, end, err := scanToken(in, i)
		switch {
		case err != nil:
			return d, false
		case tok == tokCloseDict:
			return d, true
		case tok != tokName:
			return d, false // a key that is not a name
		}
		key := in[start:end]
		if bytes.IndexByte(key, '#') >= 0 {
			return d, false // an escaped name: the library decodes it, this reader does not
		}
		v, next, ok := readValue(in, end)
		if !ok {
			return d, false
		}
		i = next
		for _, w := range wanted {
			if string(key) == w {
				d.keys, d.vals = append(d.keys, w), append(d.vals, v)
			}
		}
	}
}

// readValue reads one value at in[i:]: an array or dictionary (stepped
// over), a string, a name, a reference "id gen R" or a keyword. It returns
// where the value ends; the value is usable when it is a non-negative
// integer or a reference.
func readValue(in []byte, i int) (v dictValue, end int, ok bool) {
	tok, start, end, err := scanToken(in, i)
	if err != nil {
		return v, i, false
	}
	switch tok {
	case tokOpenArray, tokOpenDict:
		return v, skipContainer(in, end), skipContainer(in, end) >= 0
	case tokString, tokName:
		return v, end, true
	case tokKeyword:
	default:
		return v, i, false // a closer, a brace or the end of the file
	}
	a := number(in[start:end])
	if a < 0 {
		return v, end, true // true, null, a real, a signed number...: not usable
	}
	// The library reads "a g R" as a reference and a number otherwise.
	tok2, s2, e2, err2 := scanToken(in, end)
	g := int64(-1)
	if err2 == nil && tok2 == tokKeyword {
		g = number(in[s2:e2])
	}
	if g >= 0 {
		tok3, s3, e3, err3 := scanToken(in, e2)
		if err3 == nil && tok3 == tokKeyword && string(in[s3:e3]) == "R" {
			if a > maxObjectNumber || g > 65535 {
				return v, e3, true
			}
			return dictValue{ref: true, id: uint32(a), gen: uint16(g), usable: true}, e3, true
		}
	}
	return dictValue{num: a, usable: true}, end, true
}

// skipContainer returns the offset after the closer of the array or
// dictionary whose opener ends at i, or -1.
func skipContainer(in []byte, i int) int {
	depth := 1
	for depth > 0 {
		tok, _, end, err := scanToken(in, i)
		if err != nil || tok == tokEOF {
			return -1
		}
		i = end
		switch tok {
		case tokOpenArray, tokOpenDict:
			if depth++; depth > maxNesting {
				return -1
			}
		case tokCloseArray, tokCloseDict:
			depth--
		}
	}
	return i
}

// objectDict returns the dictionary of object id (generation gen) found
// through find.
func objectDict(in []byte, find xrefFinder, id uint32, gen uint16, wanted ...string) (shallowDict, bool) {
	off, g, ok := find(id)
	if !ok || g != gen || off <= 0 || off >= int64(len(in)) {
		return shallowDict{}, false
	}
	i := int(off)
	var hdr [3][]byte
	for k := range hdr {
		tok, start, end, err := scanToken(in, i)
		if err != nil || tok != tokKeyword {
			return shallowDict{}, false
		}
		hdr[k], i = in[start:end], end
	}
	if number(hdr[0]) != int64(id) || number(hdr[1]) != int64(gen) || string(hdr[2]) != "obj" {
		return shallowDict{}, false
	}
	return readShallowDict(in, i, wanted...)
}

// xrefLookup finds object id in the classic cross-reference sections from
// startxref, newest first, as digitorus/pdf builds its table: the first
// in-use entry with a non-zero offset wins, and ids at or beyond the newest
// trailer's /Size are not in the table. ok is false when it is not found
// that way: a section is not a classic table, the chain is longer than
// maxRevisions+1 sections or loops, or no section has the object.
func xrefLookup(in []byte, startxref int64, id uint32) (offset int64, gen uint16, ok bool) {
	size := int64(-1)
	var seen []int64
	for off := startxref; ; {
		if off < 0 || off >= int64(len(in)) || len(seen) > maxRevisions || slices.Contains(seen, off) {
			return 0, 0, false
		}
		seen = append(seen, off)
		found, o, g, trailer, ok := xrefSection(in, int(off), id)
		if !ok {
			return 0, 0, false
		}
		var t shallowDict
		if size < 0 || !found {
			if t, ok = readShallowDict(in, trailer, "/Size", "/Prev"); !ok {
				return 0, 0, false
			}
		}
		if size < 0 {
			sz, ok := t.get("/Size")
			if !ok || sz.ref {
				return 0, 0, false
			}
			size = sz.num
		}
		if found {
			return o, g, int64(id) < size
		}
		prev, ok := t.get("/Prev")
		if !ok || prev.ref {
			return 0, 0, false
		}
		off = prev.num
	}
}

// xrefSection reads the classic cross-reference section at in[off:] for
// object id: whether it has an in-use entry with a non-zero offset for it
// (the first such), and where the dictionary after "trailer" starts.
func xrefSection(in []byte, off int, id uint32) (found bool, offset int64, gen uint16, trailer int, ok bool) {
	tok, start, end, err := scanToken(in, off)
	if err != nil || tok != tokKeyword || string(in[start:end]) != "xref" {
		return false, 0, 0, 0, false
	}
	s := &scanner{in: in, i: end}
	for {
		tok, start, end, err := scanToken(in, s.i)
		if err != nil || tok != tokKeyword {
			return false, 0, 0, 0, false
		}
		s.i = end
		if string(in[start:end]) == "trailer" {
			return found, offset, gen, end, true
		}
		first := number(in[start:end])
		tok, start, end, err = scanToken(in, s.i)
		if err != nil || tok != tokKeyword || first < 0 {
			return false, 0, 0, 0, false
		}
		s.i = end
		count := number(in[start:end])
		if count < 0 || first+count > maxObjectNumber+1 {
			return false, 0, 0, 0, false
		}
		for k := int64(0); k < count; k++ {
			if found || first+k != int64(id) {
				if !s.fixedXrefEntry() {
					for range 3 {
						if tok, _, err := s.next(); err != nil || tok != tokKeyword {
							return false, 0, 0, 0, false
						}
					}
				}
				continue
			}
			var f [3][]byte
			for j := range f {
				tok, start, end, err := scanToken(in, s.i)
				if err != nil || tok != tokKeyword {
					return false, 0, 0, 0, false
				}
				f[j], s.i = in[start:end], end
			}
			o, g := number(f[0]), number(f[1])
			if o < 0 || g < 0 || g > 65535 || (string(f[2]) != "n" && string(f[2]) != "f") {
				return false, 0, 0, 0, false
			}
			if string(f[2]) == "n" && o != 0 {
				found, offset, gen = true, o, uint16(g)
			}
		}
	}
}
