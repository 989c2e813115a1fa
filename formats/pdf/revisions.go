package pdf

import (
	"bytes"
	"fmt"

	pdflib "github.com/digitorus/pdf"

	"github.com/accord-network/accord/verify"
)

// maxRevisions bounds how many earlier revisions are searched for
// signatures.
const maxRevisions = 32

// revisionEnds returns the end of every revision but the last: the offset
// after each "%%EOF" marker (and its end of line) that more bytes follow.
func revisionEnds(in []byte) []int64 {
	var ends []int64
	for off := 0; len(ends) < maxRevisions; {
		i := bytes.Index(in[off:], []byte("%%EOF"))
		if i < 0 {
			break
		}
		end := off + i + len("%%EOF")
		for end < len(in) && (in[end] == '\r' || in[end] == '\n') {
			end++
		}
		if end >= len(in) {
			break
		}
		ends = append(ends, int64(end))
		off = end
	}
	return ends
}

func rangeKey(v pdflib.Value) string {
	a := v.Key("ByteRange")
	if a.Kind() != pdflib.Array || a.Len() != 4 {
		return ""
	}
	return fmt.Sprint(a.Index(0).Int64(), a.Index(1).Int64(), a.Index(2).Int64(), a.Index(3).Int64())
}

// removedSignatures finds the signatures of earlier revisions that the
// final revision no longer references: a later revision removed their
// field. They are verified like the others, and fail later_revisions.
func removedSignatures(in []byte, found []pdflib.Value, scan *scanInfo) (removed []pdflib.Value) {
	defer func() {
		if recover() != nil {
			removed = nil // an earlier revision the library cannot read hides nothing it could verify
		}
	}()
	seen := map[string]bool{}
	for _, v := range found {
		seen[rangeKey(v)] = true
	}
	for _, end := range revisionEnds(in) {
		if n, objStm := scan.signaturesBefore(int(end)); n == 0 && !objStm {
			continue // no signature dictionary can be in this revision
		}
		prefix := in[:end]
		rdr, err := pdflib.NewReader(bytes.NewReader(prefix), end)
		if err != nil {
			continue
		}
		root := rdr.Trailer().Key("Root")
		sigs, err := findSignatures(root, prefix, scan)
		if err != nil {
			continue
		}
		for _, v := range sigs {
			k := rangeKey(v)
			if k == "" || seen[k] || len(found)+len(removed) >= maxSignatures {
				continue
			}
			seen[k] = true
			removed = append(removed, v)
		}
	}
	return removed
}

// markRemoved records on a removed signature's part that a later revision
// took its field away.
func markRemoved(part *verify.Result) {
	part.Add(CheckLaterRevisions, verify.Fail, "a later revision removed this signature's field from the document: what was signed is no longer shown as signed")
}
