package pdf

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	pdflib "github.com/digitorus/pdf"

	"github.com/accord-network/accord/verify"
)

// maxDescribed bounds how many changed objects are named one by one.
const maxDescribed = 12

var reObjHeader = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[^0-9])([0-9]{1,10})[ \t\r\n\f\x00]+([0-9]{1,5})[ \t\r\n\f\x00]+obj\b`)
})

// unsignedChanges adds the document-level check that nothing follows the
// end of the last signature's byte range. Trailing whitespace (some writers
// pad the file) is allowed and said; anything else is an incremental update
// no signature covers, and fails, naming what it changed where it can.
func unsignedChanges(r *verify.Result, in []byte, rdr *pdflib.Reader, lastEnd int64) {
	if lastEnd <= 0 {
		r.Add(CheckUnsignedChanges, verify.Skip, "no signature has a usable byte range")
		return
	}
	tail := in[lastEnd:]
	switch {
	case len(tail) == 0:
		r.Add(CheckUnsignedChanges, verify.Pass, "the last signature covers the file to its end (byte %d)", lastEnd)
		return
	case len(bytes.TrimLeft(tail, " \t\r\n\f\x00")) == 0:
		r.Add(CheckUnsignedChanges, verify.Pass, "the last signature covers the file to byte %d; only %d byte(s) of whitespace follow", lastEnd, len(tail))
		return
	}
	ch := describeChanges(in, rdr, lastEnd, int64(len(in)))
	switch {
	case ch.risky:
		r.Add(CheckUnsignedChanges, verify.Fail, "%d byte(s) were appended after the last signature (from byte %d) as an incremental update no signature covers, and it modifies the document: %s",
			len(tail), lastEnd, ch.desc)
	case strict.Load():
		r.Add(CheckUnsignedChanges, verify.Fail, "%d byte(s) were appended after the last signature (from byte %d) as an incremental update no signature covers; the strict policy refuses any change: %s",
			len(tail), lastEnd, ch.desc)
	default:
		r.Add(CheckUnsignedChanges, verify.Pass, "%d byte(s) appended after the last signature (from byte %d) are an allowed change (validation data, document timestamps, signatures, form fields, annotations): %s",
			len(tail), lastEnd, ch.desc)
		r.Warn("an unsigned incremental update follows the last signature; it changes nothing a page shows: %s", ch.desc)
	}
}

var strict atomic.Bool

// SetStrict makes any incremental update after the last signature fail
// no_unsigned_changes, even an allowed one (validation data, a document
// timestamp, an annotation). By default allowed changes pass with a
// warning and modifications fail (spec/pdf.md §Allowed changes).
func SetStrict(on bool) { strict.Store(on) }

// laterRevisions adds, to the part of a signature that is not the last,
// the check that the revisions added after it (and covered by later
// signatures) only add signatures, form fields, annotations and the
// dictionaries that reference them. Replacing or adding what a page shows —
// content streams, images, form XObjects, fonts — or changing the page
// count is what a "shadow attack" does, and fails.
func laterRevisions(part *verify.Result, in []byte, rdr *pdflib.Reader, end, lastEnd int64) {
	if end >= lastEnd {
		return
	}
	ch := describeChanges(in, rdr, end, lastEnd)
	if ch.risky {
		part.Add(CheckLaterRevisions, verify.Fail, "revisions signed later (bytes %d-%d) change what this signature's revision shows: %s", end, lastEnd, ch.desc)
		return
	}
	part.Add(CheckLaterRevisions, verify.Pass, "revisions signed later (bytes %d-%d) only add signatures, fields or annotations: %s", end, lastEnd, ch.desc)
}

type changes struct {
	desc  string
	risky bool // changes page content, resources or the page count
}

// describeChanges says, in words, what the bytes of in from from to to
// change, judged against the final document rdr.
func describeChanges(in []byte, rdr *pdflib.Reader, from, to int64) (ch changes) {
	defer func() {
		if p := recover(); p != nil {
			ch = changes{desc: "the changes could not be analysed", risky: true}
		}
	}()
	tail := in[from:to]
	var prev *pdflib.Reader
	if p, err := pdflib.NewReader(bytes.NewReader(in[:from]), from); err == nil {
		prev = p
	}
	pageNo, contentOf := pageIndex(rdr)
	var added, replaced []string
	seen := map[uint64]bool{}
	xrefMoved := misplacedXrefEntries(in, tail, from)
	for id := range xrefMoved {
		if _, named := headerIDs(tail)[id]; !named {
			ch.risky = true
			replaced = append(replaced, fmt.Sprintf("object %d (its cross-reference entry points at another object's bytes)", id))
		}
	}
	var judge func(id uint32, depth int)
	judge = func(id uint32, depth int) {
		if seen[uint64(id)] {
			return
		}
		seen[uint64(id)] = true
		what, risky := describeObject(rdr, id, pageNo, contentOf)
		if what == "an object stream (its objects are not named here)" && depth == 0 {
			// Judge the objects it holds instead, one by one.
			if members, ok := objStmMembers(rdr, id); ok {
				for _, m := range members {
					judge(m, depth+1)
				}
				added = append(added, fmt.Sprintf("object %d (an object stream of %d object(s))", id, len(members)))
				return
			}
		}
		if xrefMoved[id] {
			what += ", which the update's cross-reference table places at another object's bytes"
			risky = true
		}
		existed := false
		if prev != nil {
			if old, err := prev.GetObject(id); err == nil && old.Kind() != pdflib.Null {
				existed = true
				if _, isPage := pageNo[id]; isPage {
					if cur, err := rdr.GetObject(id); err == nil && pagePrint(old) != pagePrint(cur) {
						what += ", with other content, resources or size"
						risky = true
					}
				}
			}
		}
		switch {
		case existed && (what == "a signature" || what == "a signature field"):
			what += ", replaced: a signed signature dictionary or field was rewritten"
			risky = true
		case !existed && addedIsHarmless(what):
			risky = false // a new font or image shows nothing until a page uses it
		}
		ch.risky = ch.risky || risky
		s := fmt.Sprintf("object %d (%s)", id, what)
		if existed {
			replaced = append(replaced, s)
		} else {
			added = append(added, s)
		}
	}
	for _, m := range reObjHeader().FindAllSubmatch(tail, -1) {
		id64, err := strconv.ParseUint(string(m[1]), 10, 32)
		if err != nil {
			continue
		}
		judge(uint32(id64), 0)
	}
	var parts []string
	if len(replaced) > 0 {
		parts = append(parts, "replaced "+list(replaced))
	}
	if len(added) > 0 {
		parts = append(parts, "added "+list(added))
	}
	if prev != nil {
		before, after := prev.NumPage(), rdr.NumPage()
		if before != after {
			parts = append(parts, fmt.Sprintf("the page count changed from %d to %d", before, after))
			ch.risky = true
		}
	}
	if len(parts) == 0 {
		ch.desc = "the appended bytes define no objects the verifier can name"
		return ch
	}
	ch.desc = strings.Join(parts, "; ")
	return ch
}

// pagePrint summarises what a page dictionary makes the page show: its
// content streams, the fonts and XObjects it names, and its boxes. Adding
// /Annots to a page leaves it unchanged.
func pagePrint(v pdflib.Value) string {
	var b strings.Builder
	c := v.Key("Contents")
	if c.Kind() == pdflib.Array {
		for i := 0; i < c.Len() && i < 1000; i++ {
			fmt.Fprintf(&b, "c%d ", c.Index(i).GetPtr().GetID())
		}
	} else {
		fmt.Fprintf(&b, "c%d ", c.GetPtr().GetID())
	}
	res := v.Key("Resources")
	fmt.Fprintf(&b, "r%d ", res.GetPtr().GetID())
	for _, kind := range []string{"Font", "XObject"} {
		d := res.Key(kind)
		for _, k := range d.Keys() {
			fmt.Fprintf(&b, "%s/%s=%d ", kind, k, d.Key(k).GetPtr().GetID())
		}
	}
	for _, box := range []string{"MediaBox", "CropBox", "Rotate"} {
		fmt.Fprintf(&b, "%s=%v ", box, v.Key(box))
	}
	return b.String()
}

func list(s []string) string {
	if len(s) > maxDescribed {
		return strings.Join(s[:maxDescribed], ", ") + fmt.Sprintf(" and %d more", len(s)-maxDescribed)
	}
	return strings.Join(s, ", ")
}

// pageIndex maps page object numbers to page numbers (1-based), and content
// stream object numbers to the page they draw.
func pageIndex(rdr *pdflib.Reader) (pageNo, contentOf map[uint32]int) {
	pageNo, contentOf = map[uint32]int{}, map[uint32]int{}
	walkPages(rdr, -1, func(n int, page, _ pdflib.Value) bool {
		if id := page.GetPtr().GetID(); id != 0 {
			pageNo[id] = n
		}
		c := page.Key("Contents")
		if c.Kind() == pdflib.Array {
			for i := 0; i < c.Len(); i++ {
				if cid := c.Index(i).GetPtr().GetID(); cid != 0 {
					contentOf[cid] = n
				}
			}
		} else if cid := c.GetPtr().GetID(); cid != 0 {
			contentOf[cid] = n
		}
		return true
	})
	return pageNo, contentOf
}

// walkPages calls fn for each leaf of the page tree in order, with its
// page number (1-based) and its resources (inherited from an ancestor when
// the page has none), until fn returns false or limit pages (if > 0) were
// visited. It guards against cycles and absurd depth.
func walkPages(rdr *pdflib.Reader, limit int, fn func(n int, page, resources pdflib.Value) bool) {
	visited := map[uint32]bool{}
	n, steps := 0, 0
	stop := false
	var walk func(v, res pdflib.Value, depth int)
	walk = func(v, res pdflib.Value, depth int) {
		if stop || v.Kind() != pdflib.Dict {
			return
		}
		if steps++; steps > 200000 || depth > 64 {
			stop = true
			return
		}
		if id := v.GetPtr().GetID(); id != 0 {
			if visited[id] {
				return
			}
			visited[id] = true
		}
		if r := v.Key("Resources"); r.Kind() == pdflib.Dict {
			res = r
		}
		if kids := v.Key("Kids"); kids.Kind() == pdflib.Array {
			for i := 0; i < kids.Len() && !stop; i++ {
				walk(kids.Index(i), res, depth+1)
			}
			return
		}
		n++
		if !fn(n, v, res) || (limit > 0 && n >= limit) {
			stop = true
		}
	}
	walk(rdr.Trailer().Key("Root").Key("Pages"), pdflib.Value{}, 0)
}

// describeObject names object id of the final document, and says whether
// changing it changes what a page shows.
func describeObject(rdr *pdflib.Reader, id uint32, pageNo, contentOf map[uint32]int) (string, bool) {
	if p, ok := pageNo[id]; ok {
		return fmt.Sprintf("page %d", p), false
	}
	if p, ok := contentOf[id]; ok {
		return fmt.Sprintf("the content stream of page %d: what the page shows", p), true
	}
	v, err := rdr.GetObject(id)
	if err != nil {
		return "no longer in use", false
	}
	typ, subtype := v.Key("Type").Name(), v.Key("Subtype").Name()
	switch {
	case typ == "Annot" && subtype == "Widget" && v.Key("FT").Name() == "Sig":
		return "a signature field", false
	case typ == "Annot" || subtype == "Widget" || subtype == "Text" || subtype == "FreeText":
		return "an annotation /" + subtype, false
	case typ == "Sig" || typ == "DocTimeStamp" || !v.Key("ByteRange").IsNull():
		return "a signature", false
	case typ == "Catalog":
		return "the document catalog", false
	case typ == "Pages":
		return "the page tree", true
	case subtype == "Image":
		return "an image", true
	case typ == "XObject" || subtype == "Form":
		return "a form XObject (a signature appearance, or page content)", false
	case typ == "Font":
		return "a font", true
	case typ == "XRef":
		return "a cross-reference stream", false
	case typ == "ObjStm":
		return "an object stream (its objects are not named here)", true
	case typ == "Metadata":
		return "XMP metadata", false
	case typ != "":
		return "/" + typ, false
	case v.Kind() == pdflib.Stream:
		return "a stream", false
	case !v.Key("Producer").IsNull() || !v.Key("Title").IsNull():
		return "the document information", false
	default:
		return "an object", false
	}
}

// addedIsHarmless reports whether a newly added object of this kind can
// change what the earlier revision shows only through a page that uses
// it (and a changed page is caught by pagePrint).
func addedIsHarmless(what string) bool {
	return what == "a font" || what == "an image"
}

var reXrefEntry = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{10}) (\d{5}) ([nf])`) })

// misplacedXrefEntries reads the classic cross-reference sections in tail
// (the bytes from offset from on) and returns the objects whose entry
// points at bytes that do not begin "id gen obj" for that object: the
// trick of pointing an object at another object's bytes, which redefines
// it without an "obj" header of its own (a shadow attack).
func misplacedXrefEntries(in, tail []byte, from int64) map[uint32]bool {
	out := map[uint32]bool{}
	for off := 0; ; {
		i := bytes.Index(tail[off:], []byte("xref"))
		if i < 0 {
			break
		}
		off += i + 4
		if off-4 > 0 && tail[off-5] == 't' { // "startxref"
			continue
		}
		lines := strings.Split(string(tail[off:min(len(tail), off+64<<10)]), "\n")
		id, left := 0, 0
		for _, ln := range lines {
			ln = strings.TrimSpace(ln)
			if ln == "" {
				continue
			}
			if left == 0 {
				f := strings.Fields(ln)
				if len(f) != 2 {
					break
				}
				a, err1 := strconv.Atoi(f[0])
				b, err2 := strconv.Atoi(f[1])
				if err1 != nil || err2 != nil || b > 100000 {
					break
				}
				id, left = a, b
				continue
			}
			m := reXrefEntry().FindStringSubmatch(ln)
			if m == nil {
				break
			}
			if m[3] == "n" {
				pos, _ := strconv.ParseInt(m[1], 10, 64)
				if !objectAt(in, pos, id) {
					out[uint32(id)] = true
				}
			}
			id++
			left--
		}
	}
	return out
}

// objectAt reports whether in holds "id gen obj" at pos.
func objectAt(in []byte, pos int64, id int) bool {
	if pos < 0 || pos >= int64(len(in)) {
		return false
	}
	m := reObjHeader().FindSubmatch(in[pos:min(int64(len(in)), pos+40)])
	if m == nil {
		return false
	}
	got, err := strconv.Atoi(string(m[1]))
	return err == nil && got == id
}

// headerIDs returns the object numbers defined by "id gen obj" headers in b.
func headerIDs(b []byte) map[uint32]bool {
	out := map[uint32]bool{}
	for _, m := range reObjHeader().FindAllSubmatch(b, -1) {
		if id, err := strconv.ParseUint(string(m[1]), 10, 32); err == nil {
			out[uint32(id)] = true
		}
	}
	return out
}

// objStmMembers returns the object numbers an object stream holds (its
// header of /N number pairs), reading at most /First bytes of it.
func objStmMembers(rdr *pdflib.Reader, id uint32) ([]uint32, bool) {
	v, err := rdr.GetObject(id)
	if err != nil || v.Key("Type").Name() != "ObjStm" {
		return nil, false
	}
	n, first := v.Key("N").Int64(), v.Key("First").Int64()
	if n <= 0 || n > 100000 || first <= 0 || first > 1<<20 {
		return nil, false
	}
	rc := v.Reader()
	defer rc.Close()
	hdr, err := io.ReadAll(io.LimitReader(rc, first))
	if err != nil {
		return nil, false
	}
	f := strings.Fields(string(hdr))
	if int64(len(f)) < 2*n {
		return nil, false
	}
	out := make([]uint32, 0, n)
	for i := int64(0); i < n; i++ {
		m, err := strconv.ParseUint(f[2*i], 10, 32)
		if err != nil {
			return nil, false
		}
		out = append(out, uint32(m))
	}
	return out, true
}
