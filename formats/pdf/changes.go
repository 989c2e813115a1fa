package pdf

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	pdflib "github.com/digitorus/pdf"

	"github.com/accord-network/accord/verify"
)

// maxDescribed bounds how many changed objects are named one by one.
const maxDescribed = 12

var reObjHeader = regexp.MustCompile(`(?:^|[^0-9])([0-9]{1,10})[ \t\r\n\f\x00]+([0-9]{1,5})[ \t\r\n\f\x00]+obj\b`)

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
	r.Add(CheckUnsignedChanges, verify.Fail, "%d byte(s) were appended after the last signature (from byte %d) as an incremental update no signature covers: %s",
		len(tail), lastEnd, describeChanges(in, rdr, lastEnd))
}

// describeChanges says, in words, what the bytes of in after from change.
func describeChanges(in []byte, rdr *pdflib.Reader, from int64) (desc string) {
	defer func() {
		if p := recover(); p != nil {
			desc = "the changes could not be analysed"
		}
	}()
	tail := in[from:]
	var prev *pdflib.Reader
	if p, err := pdflib.NewReader(bytes.NewReader(in[:from]), from); err == nil {
		prev = p
	}
	pageNo, contentOf := pageIndex(rdr)
	var added, replaced []string
	seen := map[uint64]bool{}
	for _, m := range reObjHeader.FindAllSubmatch(tail, -1) {
		id64, err := strconv.ParseUint(string(m[1]), 10, 32)
		if err != nil || seen[id64] {
			continue
		}
		seen[id64] = true
		id := uint32(id64)
		what := describeObject(rdr, id, pageNo, contentOf)
		existed := false
		if prev != nil {
			if _, err := prev.GetObject(id); err == nil {
				existed = true
			}
		}
		s := fmt.Sprintf("object %d (%s)", id, what)
		if existed {
			replaced = append(replaced, s)
		} else {
			added = append(added, s)
		}
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
		}
	}
	if len(parts) == 0 {
		return "the appended bytes define no objects the verifier can name"
	}
	return strings.Join(parts, "; ")
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
	visited := map[uint32]bool{}
	n, steps := 0, 0
	var walk func(v pdflib.Value, depth int)
	walk = func(v pdflib.Value, depth int) {
		if steps++; steps > 100000 || depth > 64 || v.Kind() != pdflib.Dict {
			return
		}
		id := v.GetPtr().GetID()
		if id != 0 {
			if visited[id] {
				return
			}
			visited[id] = true
		}
		if kids := v.Key("Kids"); kids.Kind() == pdflib.Array {
			for i := 0; i < kids.Len(); i++ {
				walk(kids.Index(i), depth+1)
			}
			return
		}
		n++
		if id != 0 {
			pageNo[id] = n
		}
		c := v.Key("Contents")
		if c.Kind() == pdflib.Array {
			for i := 0; i < c.Len(); i++ {
				if cid := c.Index(i).GetPtr().GetID(); cid != 0 {
					contentOf[cid] = n
				}
			}
		} else if cid := c.GetPtr().GetID(); cid != 0 {
			contentOf[cid] = n
		}
	}
	walk(rdr.Trailer().Key("Root").Key("Pages"), 0)
	return pageNo, contentOf
}

func describeObject(rdr *pdflib.Reader, id uint32, pageNo, contentOf map[uint32]int) string {
	if p, ok := pageNo[id]; ok {
		return fmt.Sprintf("page %d", p)
	}
	if p, ok := contentOf[id]; ok {
		return fmt.Sprintf("the content stream of page %d: what the page shows", p)
	}
	v, err := rdr.GetObject(id)
	if err != nil {
		return "no longer in use"
	}
	typ, subtype := v.Key("Type").Name(), v.Key("Subtype").Name()
	switch {
	case typ == "Annot" && subtype == "Widget" && v.Key("FT").Name() == "Sig":
		return "a signature field"
	case typ == "Annot":
		return "an annotation /" + subtype
	case typ == "Sig" || !v.Key("ByteRange").IsNull():
		return "a signature"
	case typ == "Catalog":
		return "the document catalog"
	case typ == "Pages":
		return "the page tree"
	case typ == "XObject" && subtype == "Image":
		return "an image"
	case typ == "XObject":
		return "a form XObject /" + subtype
	case typ == "Font":
		return "a font"
	case typ == "XRef":
		return "a cross-reference stream"
	case typ == "ObjStm":
		return "an object stream (its objects are not named here)"
	case typ == "Metadata":
		return "XMP metadata"
	case typ != "":
		return "/" + typ
	case v.Kind() == pdflib.Stream:
		return "a stream"
	case !v.Key("Producer").IsNull() || !v.Key("Title").IsNull():
		return "the document information"
	default:
		return "an object"
	}
}
