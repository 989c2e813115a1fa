package pdf

import (
	"bytes"
	"fmt"
)

// Structural pre-check (spec/pdf.md §Input limits and malformed input).
//
// prescan tokenises the whole file with the PDF library's own token rules
// (ISO 32000-1 §7.2-7.3: comments, literal strings with nested parentheses
// and escapes, hex strings, names, the delimiters [ ] << >> { }) and checks
// that every indirect object is well formed: its arrays and dictionaries
// close in order with their own closer, it holds no keyword but numbers,
// true, false, null and R, no hex string holds a non-hex byte, no object
// is left open at "endobj", "stream" or the end of the file, and no
// container is nested deeper than maxNesting. It is linear in the input,
// allocates only the nesting stack and never recurses.
//
// That is the shape of input that sends digitorus/pdf into an endless,
// memory-growing loop (an array still open at endobj) or into deep
// recursion. The check cannot see into compressed object streams, nor
// objects that a cross-reference offset places inside another object's
// bytes: that is why untrusted PDFs are also parsed in a bounded worker
// process (worker.go).
//
// It also reports what it saw on the way (scanInfo): whether the file may
// hold images, so the QR search can be skipped, and where /ByteRange and
// /ObjStm names are, so the signature search need not scan the file again.
func prescan(in []byte) (info scanInfo, err error) {
	info.objStmAt = -1
	s := &scanner{in: in}
	var stack []byte // '[' or '<' per open container
	objStart := -1
	// The two keyword tokens before the current one ([start, end), start -1
	// when that token was not a keyword): an "obj" reads its object number
	// from the first, only when it comes.
	var prevKw, lastKw [2]int
	prevKw[0], lastKw[0] = -1, -1
	length := lengthTracker{val: -1}
	for {
		// Names and regular-character runs (numbers, keywords), most of
		// the tokens, are read here; next reads the rest.
		var tok token
		var start int
		i := s.i
		for i < len(in) && spaceTab[in[i]] {
			i++
		}
		if j := digitsEnd(in, i); j > i || i < len(in) && in[i] == 'R' && (i+1 == len(in) || !regularTab[in[i+1]]) {
			// An unsigned integer or R, most of the keywords inside
			// objects: no check applies to it (objectKeyword accepts it),
			// only the /Length tracking and the "obj" number follow it.
			if j == i {
				j++
			}
			s.i = j
			if length.state != 0 {
				length.see(tokKeyword, in[i:j])
			}
			prevKw, lastKw = lastKw, [2]int{i, j}
			continue
		}
		if i < len(in) && (regularTab[in[i]] || in[i] == '/') {
			start, tok = i, tokKeyword
			if in[i] == '/' {
				tok = tokName
				i++
			}
			for i < len(in) && regularTab[in[i]] {
				i++
			}
			s.i = i
		} else if i+1 < len(in) && (in[i] == '<' || in[i] == '>') && in[i+1] == in[i] {
			// "<<" and ">>" as next reads them.
			start, tok, s.i = i, tokOpenDict, i+2
			if in[i] == '>' {
				tok = tokCloseDict
			}
		} else if i < len(in) && (in[i] == '[' || in[i] == ']') {
			start, tok, s.i = i, tokOpenArray, i+1
			if in[i] == ']' {
				tok = tokCloseArray
			}
		} else {
			s.i = i
			var err error
			if tok, start, err = s.next(); err != nil {
				return info, err
			}
			if tok == tokEOF {
				break
			}
		}
		text := in[start:s.i]
		switch tok {
		case tokOpenArray, tokOpenDict:
			if len(stack) >= maxNesting {
				return info, fmt.Errorf("arrays and dictionaries are nested more than %d deep at byte %d", maxNesting, start)
			}
			stack = append(stack, text[0])
		case tokCloseArray, tokCloseDict:
			want := byte('[')
			if tok == tokCloseDict {
				want = '<'
			}
			if len(stack) == 0 {
				if objStart >= 0 {
					return info, fmt.Errorf("the object at byte %d closes %q at byte %d that it never opened", objStart, text, start)
				}
				continue // junk between objects is not parsed by readers
			}
			if stack[len(stack)-1] != want {
				return info, fmt.Errorf("the object at byte %d closes %s with %q at byte %d", max(objStart, 0), containerName(stack[len(stack)-1]), text, start)
			}
			stack = stack[:len(stack)-1]
		case tokName:
			if len(text) < 6 || (text[1] != 'B' && text[1] != 'O' && text[1] != 'I') {
				break // not /ByteRange, /ObjStm or /Image...
			}
			switch {
			case bytes.Equal(text, []byte("/ByteRange")):
				info.byteRanges = append(info.byteRanges, start)
			case bytes.HasPrefix(text, []byte("/ObjStm")):
				info.mayHaveImages = true
				if info.objStmAt < 0 {
					info.objStmAt = start
				}
			case bytes.HasPrefix(text, []byte("/Image")):
				info.mayHaveImages = true
			}
		case tokKeyword:
			switch string(text) {
			case "obj":
				length = lengthTracker{val: -1}
				if len(stack) > 0 {
					return info, fmt.Errorf("a new object starts at byte %d inside an open %s", start, containerName(stack[len(stack)-1]))
				}
				if prevKw[0] >= 0 {
					if n := number(in[prevKw[0]:prevKw[1]]); n > maxObjectNumber {
						return info, fmt.Errorf("object number %d at byte %d exceeds the PDF limit of %d", n, start, maxObjectNumber)
					}
				}
				objStart = start
			case "xref":
				if len(stack) == 0 {
					if err := s.checkXrefSection(); err != nil {
						return info, err
					}
				}
			case "endobj":
				if len(stack) > 0 {
					return info, fmt.Errorf("the object at byte %d has %s still open at its endobj (byte %d)", objStart, containerName(stack[len(stack)-1]), start)
				}
				objStart = -1
			case "stream":
				if len(stack) > 0 {
					return info, fmt.Errorf("the stream at byte %d starts inside an open %s", start, containerName(stack[len(stack)-1]))
				}
				if end, ok := streamEndByLength(in, s.i, length.val); ok {
					s.i = end
					break
				}
				k := bytes.Index(in[s.i:], []byte("endstream"))
				if k < 0 {
					return info, fmt.Errorf("the stream at byte %d has no endstream", start)
				}
				s.i += k + len("endstream")
			default:
				if len(stack) > 0 && !objectKeyword(text) {
					return info, fmt.Errorf("unexpected %q at byte %d inside %s", clip(text), start, containerName(stack[len(stack)-1]))
				}
			}
		}
		if length.state != 0 || tok == tokName && len(text) == len("/Length") && text[1] == 'L' {
			length.see(tok, text) // (with state 0, see ignores every other name)
		}
		if tok == tokKeyword {
			prevKw, lastKw = lastKw, [2]int{start, s.i}
		} else {
			prevKw[0], lastKw[0] = -1, -1
		}
	}
	if len(stack) > 0 {
		return info, fmt.Errorf("the file ends inside an open %s", containerName(stack[len(stack)-1]))
	}
	return info, nil
}

// digitsEnd returns the end of the token at in[i:] when it is made of
// decimal digits only, and i otherwise.
func digitsEnd(in []byte, i int) int {
	j := i
	for j < len(in) && in[j]-'0' < 10 {
		j++
	}
	if j < len(in) && regularTab[in[j]] {
		return i // a longer keyword or a real: the general path reads it
	}
	return j
}

// lengthTracker follows the tokens of an object for a direct /Length
// value, so that prescan can step over stream data the way the library
// reads it (by its length) instead of searching text streams for
// "endstream" byte by byte. An indirect length (N G R) is not used.
type lengthTracker struct {
	val   int64 // the direct /Length of the current object, -1 if none
	state int   // 1: after /Length; 2: after its number; 3: after a second number
	cand  int64
}

func (l *lengthTracker) see(tok token, text []byte) {
	switch {
	case tok == tokName && string(text) == "/Length":
		l.state, l.val = 1, -1
	case l.state == 1 && tok == tokKeyword && number(text) >= 0:
		l.state, l.cand, l.val = 2, number(text), number(text)
	case l.state == 2 && tok == tokKeyword && number(text) >= 0:
		l.state = 3 // perhaps N G R
	case l.state == 3 && tok == tokKeyword && string(text) == "R":
		l.state, l.val = 0, -1
	case l.state == 3:
		l.state, l.val = 0, -1 // "N G" not followed by R: not a length
	default:
		l.state = 0
	}
}

// streamEndByLength returns the offset after "endstream" when the stream
// whose keyword ends at i has data of exactly length bytes followed by
// "endstream" (after an optional end of line).
func streamEndByLength(in []byte, i int, length int64) (int, bool) {
	if length < 0 {
		return 0, false
	}
	switch {
	case bytes.HasPrefix(in[i:], []byte("\r\n")):
		i += 2
	case i < len(in) && (in[i] == '\n' || in[i] == '\r'):
		i++
	default:
		return 0, false
	}
	if length > int64(len(in)-i) {
		return 0, false
	}
	j := i + int(length)
	for k := 0; k < 2 && j < len(in) && (in[j] == '\r' || in[j] == '\n' || in[j] == ' '); k++ {
		j++
	}
	if !bytes.HasPrefix(in[j:], []byte("endstream")) {
		return 0, false
	}
	return j + len("endstream"), true
}

// scanInfo is what prescan learned about a file beyond its soundness.
type scanInfo struct {
	// mayHaveImages: a /Image name outside stream data, or an object
	// stream that could hide one.
	mayHaveImages bool
	// byteRanges are the offsets of the /ByteRange names outside stream
	// data; objStmAt is the offset of the first /ObjStm name, -1 if none.
	byteRanges []int
	objStmAt   int
}

// signaturesBefore returns how many /ByteRange names lie before end, and
// whether an object stream (which could hide more) starts before it.
func (s *scanInfo) signaturesBefore(end int) (n int, objStm bool) {
	for _, off := range s.byteRanges {
		if off < end {
			n++
		}
	}
	return n, s.objStmAt >= 0 && s.objStmAt < end
}

// maxNesting bounds array and dictionary nesting.
const maxNesting = 64

// maxObjectNumber is the largest object number a PDF may use (ISO 32000-1
// Annex C). The library sizes its object table by the largest number a
// cross-reference table names, so a larger one costs memory and time.
const maxObjectNumber = 8388607

// number returns the non-negative integer t spells, or -1.
func number(t []byte) int64 {
	if len(t) == 0 || len(t) > 18 {
		return -1
	}
	var n int64
	for _, c := range t {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// checkXrefSection reads the subsection headers of a classic
// cross-reference table ("first count", then count entries) and refuses
// object numbers beyond maxObjectNumber.
func (s *scanner) checkXrefSection() error {
	for {
		save := s.i
		tok, start, err := s.next()
		if err != nil || tok != tokKeyword {
			s.i = save
			return nil
		}
		first := number(s.in[start:s.i])
		if first < 0 {
			s.i = save // "trailer", or anything else: the table ends
			return nil
		}
		tok, start, err = s.next()
		if err != nil || tok != tokKeyword {
			return fmt.Errorf("the cross-reference subsection at byte %d has no count", start)
		}
		count := number(s.in[start:s.i])
		if count < 0 || first+count > maxObjectNumber+1 {
			return fmt.Errorf("the cross-reference subsection at byte %d names objects beyond the PDF limit of %d", start, maxObjectNumber)
		}
		for k := int64(0); k < count; k++ {
			if s.fixedXrefEntry() {
				continue // the usual 20-byte entry: three tokens at once
			}
			for range 3 {
				if tok, _, err := s.next(); err != nil || tok != tokKeyword {
					return fmt.Errorf("the cross-reference subsection at byte %d has fewer than %d entries", start, count)
				}
			}
		}
	}
}

// fixedXrefEntry steps over one cross-reference entry in the fixed form
// writers use ("nnnnnnnnnn ggggg n" then the end of line), when it comes
// next after white space: the same three regular-character tokens that
// next would read one by one. Otherwise it leaves s as it is.
func (s *scanner) fixedXrefEntry() bool {
	in, i := s.in, s.i
	for i < len(in) && spaceTab[in[i]] {
		i++
	}
	if len(in)-i < 18 {
		return false
	}
	e := in[i : i+18]
	for k, c := range e {
		switch {
		case k == 10 || k == 16:
			if c != ' ' {
				return false
			}
		case k == 17:
			if c != 'n' && c != 'f' {
				return false
			}
		case c < '0' || c > '9':
			return false
		}
	}
	if i+18 < len(in) && regularTab[in[i+18]] {
		return false // a longer token: let next read it
	}
	s.i = i + 18
	return true
}

type token int

const (
	tokEOF token = iota
	tokOpenArray
	tokCloseArray
	tokOpenDict
	tokCloseDict
	tokName
	tokString
	tokKeyword // a regular-character run: numbers, true, obj, R, ...
	tokBrace
)

// scanner splits a PDF into tokens the way digitorus/pdf's lexer does.
type scanner struct {
	in []byte
	i  int
}

func (s *scanner) next() (token, int, error) {
	tok, start, end, err := scanToken(s.in, s.i)
	s.i = end
	return tok, start, err
}

// scanToken reads the token after white space and comments from in[i:]:
// its kind, where it starts and where it ends. (Its index is a local
// variable, not the scanner's field, so the byte loops run in registers.)
func scanToken(in []byte, i int) (tok token, start, end int, err error) {
	n := len(in)
	for i < n {
		c := in[i]
		if spaceTab[c] {
			i++
			continue
		}
		if c == '%' {
			for i < n && in[i] != '\n' && in[i] != '\r' {
				i++
			}
			continue
		}
		break
	}
	if i >= n {
		return tokEOF, n, n, nil
	}
	start = i
	c := in[i]
	i++
	switch c {
	case '[':
		return tokOpenArray, start, i, nil
	case ']':
		return tokCloseArray, start, i, nil
	case '{', '}':
		return tokBrace, start, i, nil
	case '<':
		if i < n && in[i] == '<' {
			return tokOpenDict, start, i + 1, nil
		}
		for i < n && hexOrSpace[in[i]] { // a signature's /Contents is kilobytes of hex
			i++
		}
		if i < n && in[i] != '>' {
			return 0, start, i, fmt.Errorf("the hex string at byte %d holds %q at byte %d", start, in[i], i)
		}
		if i >= n {
			return 0, start, i, fmt.Errorf("the hex string at byte %d is not closed", start)
		}
		return tokString, start, i + 1, nil
	case '>':
		if i < n && in[i] == '>' {
			return tokCloseDict, start, i + 1, nil
		}
		return 0, start, i, fmt.Errorf("unexpected '>' at byte %d (not part of '>>' or a hex string)", start)
	case ')':
		return 0, start, i, fmt.Errorf("unexpected ')' at byte %d outside a string", start)
	case '(':
		depth := 1
		for i < n && depth > 0 {
			switch in[i] {
			case '\\':
				i++
			case '(':
				depth++
			case ')':
				depth--
			}
			i++
		}
		if depth > 0 {
			return 0, start, i, fmt.Errorf("the string at byte %d is not closed", start)
		}
		return tokString, start, i, nil
	case '/':
		for i < n && regularTab[in[i]] {
			i++
		}
		return tokName, start, i, nil
	}
	for i < n && regularTab[in[i]] {
		i++
	}
	return tokKeyword, start, i, nil
}

// spaceTab marks white space and regularTab the regular characters (neither
// white space nor delimiters), as isSpace and isDelim say: the tokenizer's
// inner loops look them up.
var spaceTab, regularTab = func() (sp, reg [256]bool) {
	for c := 0; c < 256; c++ {
		sp[c] = isSpace(byte(c))
		reg[c] = !isSpace(byte(c)) && !isDelim(byte(c))
	}
	return sp, reg
}()

// hexOrSpace marks the bytes a hex string may hold: hex digits and white
// space.
var hexOrSpace = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isSpace(byte(c)) || unhex(byte(c)) >= 0
	}
	return t
}()

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\f', 0:
		return true
	}
	return false
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func unhex(b byte) int {
	switch {
	case '0' <= b && b <= '9':
		return int(b) - '0'
	case 'a' <= b && b <= 'f':
		return int(b) - 'a' + 10
	case 'A' <= b && b <= 'F':
		return int(b) - 'A' + 10
	}
	return -1
}

// objectKeyword reports whether a regular-character run may appear inside
// an object: a number, true, false, null or R.
func objectKeyword(t []byte) bool {
	switch string(t) {
	case "true", "false", "null", "R":
		return true
	}
	digits := 0
	for i, c := range t {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case (c == '+' || c == '-') && i == 0:
		case c == '.':
		default:
			return false
		}
	}
	return digits > 0
}

func containerName(c byte) string {
	if c == '[' {
		return "an array"
	}
	return "a dictionary"
}

func clip(b []byte) string {
	if len(b) > 24 {
		return string(b[:24]) + "…"
	}
	return string(b)
}
