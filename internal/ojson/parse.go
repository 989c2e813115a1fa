package ojson

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Parse parses in as JavaScript's JSON.parse would, within MaxDocumentSize
// and MaxDepth. Errors are one line and say where the input went wrong.
func Parse(in []byte) (*Value, error) {
	var s Slab
	return s.Parse(in)
}

// Parse is the package's Parse with the values taken from s, so that later
// values built for the same document (an unsalted copy, say) share its
// chunks.
func (s *Slab) Parse(in []byte) (*Value, error) {
	v, _, err := s.ParseText(in)
	return v, err
}

// ParseText is Parse that also returns the copy of in (without a byte order
// mark) that the parsed strings are cut from, for a caller that keeps the
// text: keeping it costs nothing more, and parsing it again gives the same
// values.
func (s *Slab) ParseText(in []byte) (*Value, string, error) {
	if len(in) > MaxDocumentSize {
		return nil, "", fmt.Errorf("document of %d bytes exceeds the %d byte limit", len(in), MaxDocumentSize)
	}
	in = bytes.TrimPrefix(in, []byte("\xef\xbb\xbf"))
	st := stacks.Get().(*stack)
	defer func() {
		if cap(st.m) <= 1<<12 && cap(st.e) <= 1<<12 { // keep no huge document's scratch
			stacks.Put(st)
		}
	}()
	p := parser{in: in, src: string(in), slab: s, mstack: st.m[:0], estack: st.e[:0]}
	defer func() {
		// Hold no values of this document: the containers leave their
		// members on the stack (clearing them here once, up to the
		// deepest use, costs less than clearing each container's).
		st.m, st.e = p.mstack[:0], p.estack[:0]
		if p.failed {
			// Unfinished containers left members past the marks.
			p.mhigh, p.ehigh = cap(st.m), cap(st.e)
		}
		clear(st.m[:p.mhigh])
		clear(st.e[:p.ehigh])
	}()
	p.ws()
	v, err := p.value(0)
	if err == nil {
		p.ws()
		if p.i != len(p.in) {
			err = p.errf("unexpected data after the JSON value")
		}
	}
	if err != nil {
		p.failed = true
		return nil, "", err
	}
	return v, p.src, nil
}

// stack is a parser's scratch space, recycled across documents.
type stack struct {
	m []Member
	e []*Value
}

var stacks = sync.Pool{New: func() any { return &stack{m: make([]Member, 0, 64), e: make([]*Value, 0, 64)} }}

type parser struct {
	in   []byte
	src  string // in as one string: unescaped strings are substrings of it
	i    int
	slab *Slab
	// Members and elements of the containers being parsed, innermost last;
	// a finished container copies its part into the slab.
	mstack []Member
	estack []*Value
	// The high-water marks of mstack and estack: how much of them holds
	// references.
	mhigh, ehigh int
	failed       bool
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
	// Indentation: eight spaces at a time.
	for p.i+8 <= len(p.in) && binary.LittleEndian.Uint64(p.in[p.i:]) == ones*' ' {
		p.i += 8
	}
	for p.i < len(p.in) {
		switch p.in[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (*Value, error) {
	if p.i >= len(p.in) {
		return nil, p.errf("unexpected end of input")
	}
	switch c := p.in[p.i]; {
	case c == '{':
		if depth >= MaxDepth {
			return nil, p.errf("nesting deeper than %d", MaxDepth)
		}
		return p.object(depth + 1)
	case c == '[':
		if depth >= MaxDepth {
			return nil, p.errf("nesting deeper than %d", MaxDepth)
		}
		return p.array(depth + 1)
	case c == '"':
		raw := p.i
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		v := p.slab.String(s)
		// Written without escapes: JSON.stringify writes it back as it is.
		v.b = p.i-raw == len(s)+2
		return v, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case p.lit("true"):
		return p.slab.Bool(true), nil
	case p.lit("false"):
		return p.slab.Bool(false), nil
	case p.lit("null"):
		return p.slab.Null(), nil
	default:
		return nil, p.errf("unexpected character %q", c)
	}
}

func (p *parser) lit(s string) bool {
	if strings.HasPrefix(p.src[p.i:], s) {
		p.i += len(s)
		return true
	}
	return false
}

// linearDedup is the member count up to which duplicate keys are found by
// scanning the members so far; larger objects use a map.
const linearDedup = 32

func (p *parser) object(depth int) (*Value, error) {
	p.i++ // {
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == '}' {
		p.i++
		return p.slab.Object(0), nil
	}
	base := len(p.mstack)
	defer func() { p.mstack = p.mstack[:base] }()
	var seen map[string]int
	indexKeys := false
	for {
		p.ws()
		if p.i >= len(p.in) || p.in[p.i] != '"' {
			return nil, p.errf("expected a string key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.in) || p.in[p.i] != ':' {
			return nil, p.errf("expected ':' after key %q", clip(k))
		}
		p.i++
		p.ws()
		val, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		cur := p.mstack[base:]
		if len(cur) >= linearDedup && seen == nil {
			seen = make(map[string]int, 2*len(cur))
			for i, m := range cur {
				seen[m.Key] = i
			}
		}
		dup := -1
		if seen != nil {
			if i, ok := seen[k]; ok {
				dup = i
			}
		} else {
			for i := range cur {
				// Keys of one length mostly differ in their last byte
				// ("line1", "line2"): test it before comparing them whole.
				if c := cur[i].Key; len(c) == len(k) && (k == "" || c[len(c)-1] == k[len(k)-1]) && c == k {
					dup = i
					break
				}
			}
		}
		if dup >= 0 {
			cur[dup].Value = val // JSON.parse: first position, last value
		} else {
			if seen != nil {
				seen[k] = len(cur)
			}
			p.mstack = append(p.mstack, Member{Key: k, Value: val})
			if !indexKeys && isArrayIndex(k) {
				indexKeys = true
			}
		}
		p.ws()
		if p.i >= len(p.in) {
			return nil, p.errf("unterminated object")
		}
		if p.in[p.i] == ',' {
			p.i++
			continue
		}
		if p.in[p.i] == '}' {
			p.i++
			break
		}
		return nil, p.errf("expected ',' or '}' in object")
	}
	p.mhigh = max(p.mhigh, len(p.mstack))
	cur := p.mstack[base:]
	v := p.slab.Object(len(cur))
	copy(v.obj, cur) // the stack's references are dropped once, by ParseText
	if indexKeys {
		// ECMAScript property order: integer indexes ascending, then strings
		// in insertion order.
		slices.SortStableFunc(v.obj, func(a, b Member) int {
			ai, bi := isArrayIndex(a.Key), isArrayIndex(b.Key)
			switch {
			case ai && bi:
				x, _ := strconv.ParseUint(a.Key, 10, 32)
				y, _ := strconv.ParseUint(b.Key, 10, 32)
				return cmpUint(x, y)
			case ai:
				return -1
			case bi:
				return 1
			}
			return 0
		})
	}
	return v, nil
}

func cmpUint(x, y uint64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// isArrayIndex reports whether k is a canonical array index (0 .. 2^32-2).
func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n < math.MaxUint32
}

func (p *parser) array(depth int) (*Value, error) {
	p.i++ // [
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == ']' {
		p.i++
		return p.slab.Array(0), nil
	}
	base := len(p.estack)
	defer func() { p.estack = p.estack[:base] }()
	for {
		p.ws()
		e, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.estack = append(p.estack, e)
		p.ws()
		if p.i >= len(p.in) {
			return nil, p.errf("unterminated array")
		}
		if p.in[p.i] == ',' {
			p.i++
			continue
		}
		if p.in[p.i] == ']' {
			p.i++
			p.ehigh = max(p.ehigh, len(p.estack))
			cur := p.estack[base:]
			v := p.slab.Array(len(cur))
			copy(v.arr, cur)
			return v, nil
		}
		return nil, p.errf("expected ',' or ']' in array")
	}
}

func (p *parser) number() (*Value, error) {
	start := p.i
	if p.in[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.in) && p.in[p.i] >= '0' && p.in[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.in) && p.in[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, p.errf("invalid number")
	}
	if p.i < len(p.in) && p.in[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.errf("invalid number: no digits after '.'")
		}
	}
	if p.i < len(p.in) && (p.in[p.i] == 'e' || p.in[p.i] == 'E') {
		p.i++
		if p.i < len(p.in) && (p.in[p.i] == '+' || p.in[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errf("invalid number: no digits in exponent")
		}
	}
	f, err := strconv.ParseFloat(p.src[start:p.i], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, p.errf("invalid number %q", p.in[start:p.i])
	}
	return p.slab.Number(f), nil // out of range: ±Inf or 0, as JavaScript
}

// HexVal is the value of a hex digit, or -1.
func HexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func (p *parser) hex4() (rune, error) {
	if p.i+4 > len(p.in) {
		return 0, p.errf("truncated \\u escape")
	}
	var r rune
	for k := 0; k < 4; k++ {
		h := HexVal(p.in[p.i+k])
		if h < 0 {
			return 0, p.errf("invalid \\u escape")
		}
		r = r<<4 | rune(h)
	}
	p.i += 4
	return r, nil
}

// str parses a JSON string starting at the opening quote.
func (p *parser) str() (string, error) {
	p.i++ // "
	start := p.i
	// Fast path: no escapes; UTF-8 is checked only when a byte ≥ 0x80 occurs.
	// Eight bytes at a time while none of them ends the fast path.
	var high uint64
	for p.i+8 <= len(p.in) {
		w := binary.LittleEndian.Uint64(p.in[p.i:])
		if stopsString(w) {
			break
		}
		high |= w
		p.i += 8
	}
	for p.i < len(p.in) {
		c := p.in[p.i]
		if c == '"' {
			p.i++
			if high&0x8080808080808080 != 0 && !utf8.ValidString(p.src[start:p.i-1]) {
				return "", fmt.Errorf("at byte %d: string is not valid UTF-8", start)
			}
			return p.src[start : p.i-1], nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errf("control character in string (must be escaped)")
		}
		high |= uint64(c)
		p.i++
	}
	return p.strEscaped(start)
}

// Word-at-a-time byte tests (eight bytes in a little-endian uint64).
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasLess reports whether a byte of w is below n (n <= 0x80).
func hasLess(w uint64, n byte) bool { return (w-ones*uint64(n))&^w&highs != 0 }

// hasByte reports whether a byte of w equals c.
func hasByte(w uint64, c byte) bool { return hasLess(w^(ones*uint64(c)), 1) }

// stopsString reports whether a byte of w is '"', '\\' or a control
// character: one the string fast path must look at.
func stopsString(w uint64) bool { return hasLess(w, 0x20) || hasByte(w, '"') || hasByte(w, '\\') }

// strEscaped is the rest of str once an escape was seen at p.i.
func (p *parser) strEscaped(start int) (string, error) {
	var b strings.Builder
	b.WriteString(p.src[start:p.i])
	for {
		if p.i >= len(p.in) {
			return "", p.errf("unterminated string")
		}
		c := p.in[p.i]
		switch {
		case c == '"':
			p.i++
			s := b.String()
			if !validWTF8(s) {
				return "", fmt.Errorf("at byte %d: string is not valid UTF-8", start)
			}
			return s, nil
		case c < 0x20:
			return "", p.errf("control character in string (must be escaped)")
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.in) {
			return "", p.errf("unterminated escape")
		}
		e := p.in[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if r >= 0xD800 && r < 0xDC00 && p.i+6 <= len(p.in) && p.in[p.i] == '\\' && p.in[p.i+1] == 'u' {
				save := p.i
				p.i += 2
				r2, err := p.hex4()
				if err == nil && r2 >= 0xDC00 && r2 < 0xE000 {
					b.WriteRune(0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00))
					continue
				}
				p.i = save
			}
			if r >= 0xD800 && r < 0xE000 {
				writeSurrogate(&b, r) // lone surrogate, kept as JavaScript keeps it
				continue
			}
			b.WriteRune(r)
		default:
			return "", p.errf("invalid escape \\%c", e)
		}
	}
}

// writeSurrogate stores a lone UTF-16 surrogate as its generalized UTF-8
// (WTF-8) three-byte form, which no valid UTF-8 string contains.
func writeSurrogate(b *strings.Builder, r rune) {
	b.WriteByte(byte(0xE0 | r>>12))
	b.WriteByte(byte(0x80 | (r>>6)&0x3F))
	b.WriteByte(byte(0x80 | r&0x3F))
}

// surrogateAt returns the surrogate encoded at s[i:], if any.
func surrogateAt(s string, i int) (rune, bool) {
	if i+2 < len(s) && s[i] == 0xED && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF {
		return rune(s[i]&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), true
	}
	return 0, false
}

// validWTF8 accepts valid UTF-8 plus encoded lone surrogates.
func validWTF8(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		if _, ok := surrogateAt(s, i); ok {
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return false
		}
		i += n
	}
	return true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
