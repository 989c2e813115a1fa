// Package cborscan reads plain CBOR — the subset a JSON document maps to
// one to one — into a flat list of tokens, without decoding values: maps
// with distinct text keys, arrays, text, integers within int64, byte
// strings, false, true, null and undefined, all of definite length. It
// refuses (ok false) everything else, so a caller can hand such input to a
// full CBOR decoder, which then decides: tags, floats, indefinite lengths,
// other simple values, non-text or duplicate map keys, invalid UTF-8,
// integers beyond int64, nesting deeper than MaxDepth, containers of more
// than MaxItems items, truncated or trailing bytes.
package cborscan

import (
	"bytes"
	"math"
	"sync"
	"unicode/utf8"
)

// Bounds of a plain document; deeper or larger ones are refused.
const (
	MaxDepth = 16
	MaxItems = 1024
)

// Kind is the JSON type of a token.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Int
	String
	Array
	Object
	Bytes // a byte string: no JSON value
)

// Token is one data item, in document order; a container's items follow
// it (an object's as key, value, key, value...), and End is the index
// after its last one.
type Token struct {
	Kind Kind
	Bool bool
	Int  int64
	Text []byte // String: the text (pointing into the scanned bytes)
	N    int    // Array: items; Object: pairs
	End  int
}

var pool = sync.Pool{New: func() any { s := make([]Token, 0, 128); return &s }}

// Get takes a token buffer from a pool.
func Get() *[]Token { return pool.Get().(*[]Token) }

// Put returns a token buffer to the pool.
func Put(p *[]Token) {
	if cap(*p) <= 4096 {
		*p = (*p)[:0]
		pool.Put(p)
	}
}

// ScanPrefix is Scan for the data item at the start of b, followed by
// anything: n is the number of bytes the item takes.
func ScanPrefix(dst []Token, b []byte) (toks []Token, n int, ok bool) {
	s := scanner{b: b, toks: dst[:0]}
	ok = s.item(0)
	return s.toks, s.off, ok
}

// Scan appends the tokens of the one data item b holds to dst. ok is false
// when b is not plain (see the package comment); dst is then partly filled.
func Scan(dst []Token, b []byte) (toks []Token, ok bool) {
	s := scanner{b: b, toks: dst[:0]}
	ok = s.item(0) && s.off == len(b)
	return s.toks, ok
}

// scanner reads plain CBOR into tokens.
type scanner struct {
	b    []byte
	off  int
	toks []Token
}

// Head reads the initial byte and argument of the CBOR item at b[off:]: its
// major type, its argument and the argument's width in bytes (0 when it is
// held in the initial byte; else 1, 2, 4 or 8), so the item's content starts
// at off+1+width. ok is false for a truncated head and for additional
// information 28–31 (reserved values and indefinite lengths). It applies no
// other policy: callers decide on non-shortest arguments, floats and simple
// values.
func Head(b []byte, off int) (major byte, arg uint64, width int, ok bool) {
	if off < 0 || off >= len(b) {
		return 0, 0, 0, false
	}
	major, ai := b[off]>>5, b[off]&0x1f
	switch {
	case ai < 24:
		return major, uint64(ai), 0, true
	case ai == 24:
		width = 1
	case ai == 25:
		width = 2
	case ai == 26:
		width = 4
	case ai == 27:
		width = 8
	default:
		return 0, 0, 0, false
	}
	if len(b)-off-1 < width {
		return 0, 0, 0, false
	}
	for _, c := range b[off+1 : off+1+width] {
		arg = arg<<8 | uint64(c)
	}
	return major, arg, width, true
}

// head reads an item's initial byte and argument. ok is false for what a
// plain payload never holds (indefinite lengths, reserved values, floats)
// or a truncated input.
func (s *scanner) head() (major byte, arg uint64, ok bool) {
	major, arg, n, ok := Head(s.b, s.off)
	if !ok {
		return 0, 0, false
	}
	s.off += 1 + n
	if major == 7 && n >= 2 {
		return 0, 0, false // a float
	}
	if major == 7 && n == 1 && arg < 32 {
		return 0, 0, false // not well-formed
	}
	return major, arg, true
}

// item scans one data item and everything inside it.
func (s *scanner) item(depth int) bool {
	if depth >= MaxDepth {
		return false
	}
	major, arg, ok := s.head()
	if !ok {
		return false
	}
	idx := len(s.toks)
	s.toks = append(s.toks, Token{})
	t := Token{}
	switch major {
	case 0:
		if arg > math.MaxInt64 {
			return false
		}
		t.Kind, t.Int = Int, int64(arg)
	case 1:
		if arg > math.MaxInt64 {
			return false
		}
		t.Kind, t.Int = Int, -1-int64(arg)
	case 2, 3:
		if arg > uint64(len(s.b)-s.off) {
			return false
		}
		str := s.b[s.off : s.off+int(arg)]
		s.off += int(arg)
		if major == 2 {
			t.Kind = Bytes
			break
		}
		if !utf8.Valid(str) {
			return false
		}
		t.Kind, t.Text = String, str
	case 4:
		if arg > MaxItems {
			return false
		}
		t.Kind, t.N = Array, int(arg)
		for range t.N {
			if !s.item(depth + 1) {
				return false
			}
		}
	case 5:
		if arg > MaxItems {
			return false
		}
		t.Kind, t.N = Object, int(arg)
		keys := idx + 1
		for range t.N {
			k := len(s.toks)
			if !s.item(depth+1) || s.toks[k].Kind != String {
				return false
			}
			// Duplicate keys are the decoder's to refuse.
			for j := keys; j < k; j = s.toks[j+1].End {
				if bytes.Equal(s.toks[j].Text, s.toks[k].Text) {
					return false
				}
			}
			if !s.item(depth + 1) {
				return false
			}
		}
	case 7:
		switch arg {
		case 20, 21:
			t.Kind, t.Bool = Bool, arg == 21
		case 22, 23: // null, undefined: both decode to nil
			t.Kind = Null
		default:
			return false
		}
	default: // tags
		return false
	}
	t.End = len(s.toks)
	s.toks[idx] = t
	return true
}
