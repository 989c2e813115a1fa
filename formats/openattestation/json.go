package openattestation

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/accord-network/accord/verify"
)

// Limits on the JSON this package reads. A wrapped e-BL is a few kilobytes;
// documents with embedded attachments may reach megabytes.
const (
	// MaxDocumentSize is the largest document accepted, in bytes.
	MaxDocumentSize = 16 << 20
	// MaxDepth is the deepest nesting of objects and arrays accepted.
	MaxDepth = 64
)

// Kind is the JSON type of a Value.
type Kind uint8

// JSON value kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Object
	Array
)

// Value is a parsed JSON value with JavaScript semantics: numbers are
// float64, object members keep the order JSON.parse gives them (array-index
// keys first in ascending order, then the others in first-seen order; a
// duplicate key keeps its first position and its last value), and strings may
// hold lone UTF-16 surrogates (stored WTF-8 style) so that JSON.stringify can
// be reproduced byte for byte.
type Value struct {
	kind Kind
	b    bool
	n    float64
	s    string
	obj  []Member
	arr  []*Value
}

// Member is one key/value pair of an object.
type Member struct {
	Key   string
	Value *Value
}

// Kind returns the value's JSON type.
func (v *Value) Kind() Kind {
	if v == nil {
		return Null
	}
	return v.kind
}

// Str returns the string of a String value and whether v is one.
func (v *Value) Str() (string, bool) {
	if v == nil || v.kind != String {
		return "", false
	}
	return v.s, true
}

// Num returns the number of a Number value and whether v is one.
func (v *Value) Num() (float64, bool) {
	if v == nil || v.kind != Number {
		return 0, false
	}
	return v.n, true
}

// Members returns the members of an Object value.
func (v *Value) Members() []Member {
	if v == nil || v.kind != Object {
		return nil
	}
	return v.obj
}

// Elems returns the elements of an Array value.
func (v *Value) Elems() []*Value {
	if v == nil || v.kind != Array {
		return nil
	}
	return v.arr
}

// Get returns the member key of an object, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.kind != Object {
		return nil
	}
	for i := range v.obj {
		if v.obj[i].Key == key {
			return v.obj[i].Value
		}
	}
	return nil
}

// Path follows object keys.
func (v *Value) Path(keys ...string) *Value {
	for _, k := range keys {
		v = v.Get(k)
		if v == nil {
			return nil
		}
	}
	return v
}

// set replaces or appends an object member.
func (v *Value) set(key string, val *Value) {
	for i := range v.obj {
		if v.obj[i].Key == key {
			v.obj[i].Value = val
			return
		}
	}
	v.obj = append(v.obj, Member{Key: key, Value: val})
}

// del removes an object member and reports whether it existed.
func (v *Value) del(key string) bool {
	for i := range v.obj {
		if v.obj[i].Key == key {
			v.obj = append(v.obj[:i], v.obj[i+1:]...)
			return true
		}
	}
	return false
}

// Constructors.
func strV(s string) *Value          { return &Value{kind: String, s: s} }
func numV(n float64) *Value         { return &Value{kind: Number, n: n} }
func boolV(b bool) *Value           { return &Value{kind: Bool, b: b} }
func objV(m ...Member) *Value       { return &Value{kind: Object, obj: m} }
func arrV(e ...*Value) *Value       { return &Value{kind: Array, arr: e} }
func mem(k string, v *Value) Member { return Member{Key: k, Value: v} }

// MarshalJSON encodes v as JSON.stringify would.
func (v *Value) MarshalJSON() ([]byte, error) { return Stringify(v), nil }

// ParseJSON parses in as JavaScript's JSON.parse would, within
// MaxDocumentSize and MaxDepth. Errors wrap verify.ErrMalformed and say where
// the input went wrong.
func ParseJSON(in []byte) (*Value, error) {
	if len(in) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: document of %d bytes exceeds the %d byte limit", verify.ErrMalformed, len(in), MaxDocumentSize)
	}
	in = bytes.TrimPrefix(in, []byte("\xef\xbb\xbf"))
	p := parser{in: in, src: string(in)}
	p.ws()
	v, err := p.value(0)
	if err == nil {
		p.ws()
		if p.i != len(p.in) {
			err = p.errf("unexpected data after the JSON value")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", verify.ErrMalformed, err)
	}
	return v, nil
}

type parser struct {
	in   []byte
	src  string // in as one string: unescaped strings are substrings of it
	i    int
	slab []Value
}

// alloc hands out Values from a slab, so a document costs a few
// allocations instead of one per node.
func (p *parser) alloc() *Value {
	if len(p.slab) == 0 {
		p.slab = make([]Value, 64)
	}
	v := &p.slab[0]
	p.slab = p.slab[1:]
	return v
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
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
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		v := p.alloc()
		v.kind, v.s = String, s
		return v, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case p.lit("true"):
		v := p.alloc()
		v.kind, v.b = Bool, true
		return v, nil
	case p.lit("false"):
		v := p.alloc()
		v.kind = Bool
		return v, nil
	case p.lit("null"):
		v := p.alloc()
		v.kind = Null
		return v, nil
	default:
		return nil, p.errf("unexpected character %q", c)
	}
}

func (p *parser) lit(s string) bool {
	if bytes.HasPrefix(p.in[p.i:], []byte(s)) {
		p.i += len(s)
		return true
	}
	return false
}

func (p *parser) object(depth int) (*Value, error) {
	p.i++ // {
	v := p.alloc()
	v.kind = Object
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == '}' {
		p.i++
		v.obj = []Member{}
		return v, nil
	}
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
			return nil, p.errf("expected ':' after key %q", k)
		}
		p.i++
		p.ws()
		val, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		if len(v.obj) >= 8 && seen == nil {
			seen = make(map[string]int, 16)
			for i, m := range v.obj {
				seen[m.Key] = i
			}
		}
		dup := -1
		if seen != nil {
			if i, ok := seen[k]; ok {
				dup = i
			}
		} else {
			for i := range v.obj {
				if v.obj[i].Key == k {
					dup = i
					break
				}
			}
		}
		if dup >= 0 {
			v.obj[dup].Value = val // JSON.parse: first position, last value
		} else {
			if seen != nil {
				seen[k] = len(v.obj)
			}
			v.obj = append(v.obj, Member{Key: k, Value: val})
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
	if indexKeys {
		// ECMAScript property order: integer indexes ascending, then strings
		// in insertion order.
		sort.SliceStable(v.obj, func(i, j int) bool {
			a, b := isArrayIndex(v.obj[i].Key), isArrayIndex(v.obj[j].Key)
			if a && b {
				x, _ := strconv.ParseUint(v.obj[i].Key, 10, 32)
				y, _ := strconv.ParseUint(v.obj[j].Key, 10, 32)
				return x < y
			}
			return a && !b
		})
	}
	return v, nil
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
	v := p.alloc()
	v.kind, v.arr = Array, []*Value{}
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		p.ws()
		e, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		v.arr = append(v.arr, e)
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
	f, err := strconv.ParseFloat(string(p.in[start:p.i]), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, p.errf("invalid number %q", p.in[start:p.i])
	}
	v := p.alloc()
	v.kind, v.n = Number, f // out of range: ±Inf or 0, as JavaScript
	return v, nil
}

func hexVal(c byte) int {
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
		h := hexVal(p.in[p.i+k])
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
	// Fast path: no escapes, ASCII or valid UTF-8.
	for p.i < len(p.in) {
		c := p.in[p.i]
		if c == '"' {
			s := p.in[start:p.i]
			p.i++
			if !utf8.Valid(s) {
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
		p.i++
	}
	var b strings.Builder
	b.Write(p.in[start:p.i])
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

// Stringify returns JSON.stringify(v) byte for byte.
func Stringify(v *Value) []byte {
	var b []byte
	return appendValue(b, v, "", "")
}

// StringifyIndent returns JSON.stringify(v, null, indent).
func StringifyIndent(v *Value, indent string) []byte {
	b := appendValue(nil, v, indent, "")
	return append(b, '\n')
}

func appendValue(b []byte, v *Value, indent, cur string) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch v.kind {
	case Null:
		return append(b, "null"...)
	case Bool:
		if v.b {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case Number:
		return appendJSNumber(b, v.n)
	case String:
		return appendJSString(b, v.s)
	case Array:
		if len(v.arr) == 0 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		next := cur + indent
		for i, e := range v.arr {
			if i > 0 {
				b = append(b, ',')
			}
			if indent != "" {
				b = append(b, '\n')
				b = append(b, next...)
			}
			b = appendValue(b, e, indent, next)
		}
		if indent != "" {
			b = append(b, '\n')
			b = append(b, cur...)
		}
		return append(b, ']')
	default:
		if len(v.obj) == 0 {
			return append(b, "{}"...)
		}
		b = append(b, '{')
		next := cur + indent
		for i, m := range v.obj {
			if i > 0 {
				b = append(b, ',')
			}
			if indent != "" {
				b = append(b, '\n')
				b = append(b, next...)
			}
			b = appendJSString(b, m.Key)
			b = append(b, ':')
			if indent != "" {
				b = append(b, ' ')
			}
			b = appendValue(b, m.Value, indent, next)
		}
		if indent != "" {
			b = append(b, '\n')
			b = append(b, cur...)
		}
		return append(b, '}')
	}
}

const hexDigits = "0123456789abcdef"

// appendJSString quotes s as ECMAScript's JSON.stringify does (QuoteJSONString,
// ES2019 well-formed): only '"', '\\' and control characters below U+0020 are
// escaped (the usual short forms, else \u00xx), lone surrogates become
// \udxxx, and everything else, including '<', '>', '&', U+2028 and U+2029,
// is written as is.
func appendJSString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSStringBody(b, s)
	return append(b, '"')
}

// appendJSStringBody is appendJSString without the quotes.
func appendJSStringBody(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != 0xED {
			i++
			continue
		}
		if c == 0xED {
			r, ok := surrogateAt(s, i)
			if !ok {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[(r>>8)&0xF], hexDigits[(r>>4)&0xF], hexDigits[r&0xF])
			i += 3
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	return append(b, s[start:]...)
}

// appendJSNumber formats f as ECMAScript Number::toString (radix 10) does,
// which is what JSON.stringify and String(n) use. Non-finite numbers are
// "null" in JSON.
func appendJSNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return append(b, jsNumberString(f)...)
}

// jsNumberString is String(f) in JavaScript.
func jsNumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0" // also -0
	}
	neg := f < 0
	if neg {
		f = -f
	}
	// Shortest round-trip digits and exponent: d.ddde±x
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k := len(digits)
	n := x + 1 // position of the decimal point relative to the digits
	var s string
	switch {
	case k <= n && n <= 21:
		s = digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		s = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		s = "0." + strings.Repeat("0", -n) + digits
	default:
		sign := "+"
		if n-1 < 0 {
			sign = "-"
		}
		ex := n - 1
		if ex < 0 {
			ex = -ex
		}
		if k == 1 {
			s = digits + "e" + sign + strconv.Itoa(ex)
		} else {
			s = digits[:1] + "." + digits[1:] + "e" + sign + strconv.Itoa(ex)
		}
	}
	if neg {
		return "-" + s
	}
	return s
}

// jsString is String(v) for the values a document leaf can hold (used by
// v3 digests, which concatenate "salt:" + value).
func jsString(v *Value) string {
	switch v.Kind() {
	case Null:
		return "null"
	case Bool:
		if v.b {
			return "true"
		}
		return "false"
	case Number:
		return jsNumberString(v.n)
	case String:
		return v.s
	case Array:
		parts := make([]string, len(v.arr))
		for i, e := range v.arr {
			if e.Kind() != Null {
				parts[i] = jsString(e)
			}
		}
		return strings.Join(parts, ",")
	default:
		return "[object Object]"
	}
}
