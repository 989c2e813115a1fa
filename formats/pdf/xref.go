package pdf

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync"
)

// Rebuilding a broken cross-reference table (spec/pdf.md §Malformed input),
// as mature readers do: when the library cannot read the table the file
// points to, every "N G obj" header in the file is taken as where object N
// is (the last definition wins, as in an incremental update), the catalog
// is the last object whose dictionary says /Type /Catalog, and a fresh
// table and trailer are appended to a copy of the file for the library to
// read. The signed bytes are the original file's.

var reObjAtLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^[ \t]*([0-9]{1,10})[ \t\r\n]+([0-9]{1,5})[ \t\r\n]+obj\b`)
})

var reCatalog = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`/Type\s*/Catalog\b`) })

// maxRebuiltObjects bounds the objects a rebuilt table may hold.
const maxRebuiltObjects = 1 << 20

// rebuildXref returns in followed by a cross-reference table and trailer
// for the objects found by scanning, or false when no catalog is found.
func rebuildXref(in []byte) ([]byte, bool) {
	at := map[uint64]int{}
	root := uint64(0)
	found := false
	ms := reObjAtLine().FindAllSubmatchIndex(in, maxRebuiltObjects)
	for k, m := range ms {
		id, err := strconv.ParseUint(string(in[m[2]:m[3]]), 10, 32)
		if err != nil || id == 0 || id > maxObjectNumber {
			continue
		}
		start := m[2]
		at[id] = start
		end := len(in)
		if k+1 < len(ms) {
			end = ms[k+1][0]
		}
		body := in[m[1]:end]
		if e := bytes.Index(body, []byte("endobj")); e >= 0 {
			body = body[:e]
		}
		if s := bytes.Index(body, []byte("stream")); s >= 0 {
			body = body[:s]
		}
		if reCatalog().Match(body) {
			root, found = id, true
		}
	}
	if !found {
		return nil, false
	}
	ids := make([]uint64, 0, len(at))
	for id := range at {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var b bytes.Buffer
	b.Grow(len(in) + 20*len(ids) + 128)
	b.Write(in)
	b.WriteString("\n")
	xref := b.Len()
	b.WriteString("xref\n0 1\n0000000000 65535 f \n")
	for _, id := range ids {
		fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", id, at[id])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", ids[len(ids)-1]+1, root, xref)
	return b.Bytes(), true
}
