package pdf

import (
	"bytes"
	"fmt"
)

// prescan rejects inputs that send digitorus/pdf into an endless loop, so
// that no goroutine is ever left spinning: the library's array reader
// loops forever (growing memory) when an array is still open at "endobj".
// prescan tokenises the file just enough to find that: comments, literal
// and hex strings and stream data are skipped, array depth is tracked per
// object. It is linear in the input and allocates nothing. It also reports
// whether the file may hold images (a /Image name outside stream data, or
// an object stream that could hide one), so the QR search can be skipped.
func prescan(in []byte) (mayHaveImages bool, err error) {
	depth, obj := 0, int64(-1)
	n := len(in)
	for i := 0; i < n; {
		c := in[i]
		switch {
		case c == '%':
			for i < n && in[i] != '\n' && in[i] != '\r' {
				i++
			}
		case c == '(':
			nest := 0
			for i < n {
				switch in[i] {
				case '\\':
					i++
				case '(':
					nest++
				case ')':
					nest--
				}
				i++
				if nest == 0 {
					break
				}
			}
		case c == '<':
			if i+1 < n && in[i+1] == '<' {
				i += 2
				continue
			}
			j := bytes.IndexByte(in[i:], '>')
			if j < 0 {
				return mayHaveImages, nil
			}
			i += j + 1
		case c == '[':
			depth++
			i++
		case c == ']':
			if depth > 0 {
				depth--
			}
			i++
		case isRegular(c):
			j := i
			for j < n && isRegular(in[j]) {
				j++
			}
			switch kw := in[i:j]; string(kw) {
			case "obj":
				depth, obj = 0, int64(i)
			case "endobj":
				if depth > 0 {
					return false, fmt.Errorf("the object at byte %d has an array still open at its endobj (byte %d)", obj, i)
				}
				depth = 0
			case "stream":
				k := bytes.Index(in[j:], []byte("endstream"))
				if k < 0 {
					return mayHaveImages, nil
				}
				j += k + len("endstream")
			}
			i = j
		case c == '/':
			if bytes.HasPrefix(in[i:], []byte("/Image")) || bytes.HasPrefix(in[i:], []byte("/ObjStm")) {
				mayHaveImages = true
			}
			i++
		default:
			i++
		}
	}
	return mayHaveImages, nil
}

func isRegular(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\f', 0, '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return false
	}
	return true
}
