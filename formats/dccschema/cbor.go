package dccschema

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// ErrNotPlain is returned by ValidateCBOR for a payload that uses CBOR the
// direct check does not read: tags (such as the date-time tags 0 and 1),
// floating-point numbers, indefinite lengths, simple values other than
// false, true, null and undefined, nesting deeper than 16 or containers of
// more than 1024 items, non-text map keys, duplicate keys, invalid UTF-8 or
// integers beyond int64. Such a payload must be decoded into its JSON form
// and checked with ValidateValue; the decoder decides whether it is
// well-formed at all.
var ErrNotPlain = errors.New("the DCC's CBOR needs the generic decoder")

// Bounds of the direct check; a payload beyond them goes to ErrNotPlain.
const (
	plainMaxDepth = 16
	plainMaxItems = 1024
)

// kind is the JSON type of a token.
type kind uint8

const (
	kNull kind = iota
	kBool
	kInt
	kString
	kArray
	kObject
	kInvalid // a byte string: no JSON value (the schema check fails on it)
)

// tok is one CBOR data item of a plain payload, in document order; a
// container's items follow it, and end is the index after its last one.
type tok struct {
	k   kind
	b   bool
	i   int64
	s   []byte // kString: the text; kObject keys are kString tokens
	n   int    // kArray: items; kObject: pairs
	end int
}

var tokPool = sync.Pool{New: func() any { s := make([]tok, 0, 128); return &s }}

// ValidateCBOR checks a DCC payload given as the CBOR an HC1 carries (the
// value of claim -260 → 1) against the schema release its "ver" names,
// compiling that release's checks on first use. It reads the CBOR directly,
// without building the payload's JSON form, and is exactly as strict as
// Validate of that JSON form (formats/dccschema's differential test pins
// this). Errors are those of Validate, or ErrNotPlain (see there).
func ValidateCBOR(raw []byte) error {
	if len(raw) > MaxPayload {
		return fmt.Errorf("%w: payload of %d bytes exceeds the %d byte limit", ErrInvalid, len(raw), MaxPayload)
	}
	tp := tokPool.Get().(*[]tok)
	defer func() {
		if cap(*tp) <= 4096 {
			*tp = (*tp)[:0]
			tokPool.Put(tp)
		}
	}()
	sc := scanner{b: raw, toks: (*tp)[:0]}
	if !sc.item(0) || sc.off != len(raw) || sc.toks[0].k != kObject {
		*tp = sc.toks
		return ErrNotPlain
	}
	*tp = sc.toks
	v := checker{toks: sc.toks}
	return v.document()
}

// scanner reads plain CBOR into tokens.
type scanner struct {
	b    []byte
	off  int
	toks []tok
}

// head reads an item's initial byte and argument. ok is false for what a
// plain payload never holds (indefinite lengths, reserved values, 64-bit
// arguments beyond int64) or a truncated input.
func (s *scanner) head() (major byte, arg uint64, ok bool) {
	if s.off >= len(s.b) {
		return 0, 0, false
	}
	ib := s.b[s.off]
	s.off++
	major, ai := ib>>5, ib&0x1f
	var n int
	switch {
	case ai < 24:
		return major, uint64(ai), true
	case ai == 24:
		n = 1
	case ai == 25:
		n = 2
	case ai == 26:
		n = 4
	case ai == 27:
		n = 8
	default:
		return 0, 0, false
	}
	if len(s.b)-s.off < n {
		return 0, 0, false
	}
	for _, c := range s.b[s.off : s.off+n] {
		arg = arg<<8 | uint64(c)
	}
	s.off += n
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
	if depth >= plainMaxDepth {
		return false
	}
	major, arg, ok := s.head()
	if !ok {
		return false
	}
	idx := len(s.toks)
	s.toks = append(s.toks, tok{})
	t := tok{}
	switch major {
	case 0:
		if arg > math.MaxInt64 {
			return false
		}
		t.k, t.i = kInt, int64(arg)
	case 1:
		if arg > math.MaxInt64 {
			return false
		}
		t.k, t.i = kInt, -1-int64(arg)
	case 2, 3:
		if arg > uint64(len(s.b)-s.off) {
			return false
		}
		str := s.b[s.off : s.off+int(arg)]
		s.off += int(arg)
		if major == 2 {
			t.k = kInvalid
			break
		}
		if !utf8.Valid(str) {
			return false
		}
		t.k, t.s = kString, str
	case 4:
		if arg > plainMaxItems {
			return false
		}
		t.k, t.n = kArray, int(arg)
		for range t.n {
			if !s.item(depth + 1) {
				return false
			}
		}
	case 5:
		if arg > plainMaxItems {
			return false
		}
		t.k, t.n = kObject, int(arg)
		keys := idx + 1
		for range t.n {
			k := len(s.toks)
			if !s.item(depth+1) || s.toks[k].k != kString {
				return false
			}
			// Duplicate keys are the decoder's to refuse.
			for j := keys; j < k; j = s.toks[j+1].end {
				if bytes.Equal(s.toks[j].s, s.toks[k].s) {
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
			t.k, t.b = kBool, arg == 21
		case 22, 23: // null, undefined: both decode to nil
			t.k = kNull
		default:
			return false
		}
	default: // tags
		return false
	}
	t.end = len(s.toks)
	s.toks[idx] = t
	return true
}

// checker validates tokens against a compiled tree.
type checker struct {
	toks []tok
}

// failure is a schema violation: where, and what.
type failure struct {
	loc []string // innermost last once reversed
	msg string
}

func fail(format string, args ...any) *failure {
	return &failure{msg: fmt.Sprintf(format, args...)}
}

func (f *failure) at(seg string) *failure {
	f.loc = append(f.loc, seg)
	return f
}

func (f *failure) location() string {
	var b strings.Builder
	for i := len(f.loc) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(f.loc[i])
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// document checks the root object: ver picks the release, then exactly one
// group, then the release's schema.
func (c *checker) document() error {
	var ver, v, t, r = -1, -1, -1, -1
	for i := 1; i < len(c.toks) && i < c.toks[0].end; i = c.toks[i+1].end {
		switch string(c.toks[i].s) {
		case "ver":
			ver = i + 1
		case "v":
			v = i
		case "t":
			t = i
		case "r":
			r = i
		}
	}
	i, err := c.pick(ver)
	if err != nil {
		return err
	}
	rel := releases[i]
	if err := exactlyOne(v >= 0, t >= 0, r >= 0); err != nil {
		return fmt.Errorf("%w: %v (schema %s)", ErrInvalid, err, rel.version)
	}
	root, err := tree(i)
	if err != nil {
		return err
	}
	if f := c.check(root, 0); f != nil {
		return fmt.Errorf("%w: %s: %s (schema %s)", ErrInvalid, f.location(), oneLine(f.msg), rel.version)
	}
	return nil
}

// pick is pick for the token holding ver (-1: absent).
func (c *checker) pick(ver int) (int, error) {
	if ver < 0 {
		return pick(nil, false)
	}
	switch t := c.toks[ver]; t.k {
	case kString:
		return pick(string(t.s), true)
	case kNull:
		return pick(nil, true)
	case kBool:
		return pick(t.b, true)
	case kInt:
		return pick(t.i, true)
	case kArray:
		return pick([]any{}, true)
	case kObject:
		return pick(map[string]any{}, true)
	default:
		return pick([]byte{}, true)
	}
}

func exactlyOne(v, t, r bool) error {
	var found []string
	for _, g := range []struct {
		name string
		ok   bool
	}{{"v", v}, {"t", t}, {"r", r}} {
		if g.ok {
			found = append(found, g.name)
		}
	}
	switch len(found) {
	case 1:
		return nil
	case 0:
		return errors.New("/: exactly one of v (vaccination), t (test) or r (recovery) is required, found none")
	default:
		return fmt.Errorf("/: exactly one of v, t or r is allowed, found %s", strings.Join(found, " and "))
	}
}

var kindNames = [...]string{kNull: "null", kBool: "boolean", kInt: "integer", kString: "string", kArray: "array", kObject: "object", kInvalid: "a byte string"}

func (k kind) matches(ts typeSet) bool {
	switch k {
	case kNull:
		return ts&tNull != 0
	case kBool:
		return ts&tBool != 0
	case kInt:
		return ts&(tInteger|tNumber) != 0
	case kString:
		return ts&tString != 0
	case kArray:
		return ts&tArray != 0
	case kObject:
		return ts&tObject != 0
	}
	return false
}

func typeSetName(ts typeSet) string {
	for name, t := range typeNames {
		if t == ts {
			return name
		}
	}
	return "another type"
}

// check validates token t against n.
func (c *checker) check(n *node, t int) *failure {
	if n == nil {
		return nil
	}
	tk := &c.toks[t]
	if tk.k == kInvalid {
		return fail("a byte string is not a JSON value")
	}
	if n.types != 0 && !tk.k.matches(n.types) {
		return fail("got %s, want %s", kindNames[tk.k], typeSetName(n.types))
	}
	switch tk.k {
	case kString:
		if f := checkString(n, tk.s); f != nil {
			return f
		}
	case kInt:
		if n.hasMin && float64(tk.i) < n.min {
			return fail("must be >= %v but found %d", n.min, tk.i)
		}
		if n.hasMax && float64(tk.i) > n.max {
			return fail("must be <= %v but found %d", n.max, tk.i)
		}
	case kArray:
		if tk.n < n.minItems {
			return fail("minItems: got %d, want %d", tk.n, n.minItems)
		}
		if n.maxItems >= 0 && tk.n > n.maxItems {
			return fail("maxItems: got %d, want %d", tk.n, n.maxItems)
		}
		if n.items != nil {
			for i, j := 0, t+1; i < tk.n; i, j = i+1, c.toks[j].end {
				if f := c.check(n.items, j); f != nil {
					return f.at(strconv.Itoa(i))
				}
			}
		}
	case kObject:
		for _, req := range n.required {
			if !c.has(t, req) {
				return fail("missing property '%s'", req)
			}
		}
		if len(n.props) > 0 {
			for i := t + 1; i < tk.end; i = c.toks[i+1].end {
				if f := c.check(n.prop(c.toks[i].s), i+1); f != nil {
					return f.at(string(c.toks[i].s))
				}
			}
		}
	}
	if len(n.oneOf) > 0 {
		var ok []string
		for i, s := range n.oneOf {
			if c.check(s, t) == nil {
				ok = append(ok, strconv.Itoa(i))
			}
		}
		if len(ok) != 1 {
			if len(ok) == 0 {
				return fail("oneOf failed, none matched")
			}
			return fail("oneOf failed, subschemas %s matched", strings.Join(ok, ", "))
		}
	}
	return c.check(n.ref, t)
}

// has reports whether object token t has key k.
func (c *checker) has(t int, k string) bool {
	for i := t + 1; i < c.toks[t].end; i = c.toks[i+1].end {
		if string(c.toks[i].s) == k {
			return true
		}
	}
	return false
}

func checkString(n *node, s []byte) *failure {
	if n.maxLength >= 0 {
		if l := utf8.RuneCount(s); l > n.maxLength {
			return fail("length must be <= %d, but got %d", n.maxLength, l)
		}
	}
	if n.pattern != nil && !n.pattern.Match(s) {
		return fail("'%s' does not match pattern '%s'", clip(string(s)), n.pattern.String())
	}
	if n.format != "" {
		// The string is only read during the call and not kept.
		str := unsafe.String(unsafe.SliceData(s), len(s))
		var err error
		if n.format == "date" {
			err = checkDCCDate(str)
		} else {
			err = checkDateTime(str)
		}
		if err != nil {
			return fail("'%s' is not valid %s: %v", clip(string(s)), n.format, err)
		}
	}
	return nil
}

// checkDCCDate is the "date" format of dccDate.
func checkDCCDate(s string) error {
	if len(s) > 10 && (s[10] == 'T' || s[10] == 't') {
		if _, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err != nil {
			return errors.New("neither a date (YYYY-MM-DD) nor an RFC 3339 date-time")
		}
		return nil
	}
	if _, err := time.Parse("2006-01-02", s); err != nil {
		return errors.New("not a calendar date of the form YYYY-MM-DD")
	}
	return nil
}

// checkDateTime is the JSON Schema "date-time" format (RFC 3339 §5.6) as
// the generic validator asserts it: a full-date, T or t, a partial-time
// with an optional fraction, and Z, z or a numeric offset; a leap second
// only at 23:59 UTC.
func checkDateTime(s string) error {
	if len(s) < 20 {
		return errors.New("less than 20 characters long")
	}
	if s[10] != 't' && s[10] != 'T' {
		return errors.New("11th character must be t or T")
	}
	if _, err := time.Parse("2006-01-02", s[:10]); err != nil {
		return errors.New("invalid date element")
	}
	return checkTime(s[11:])
}

func checkTime(str string) error {
	if len(str) < 9 || str[2] != ':' || str[5] != ':' {
		return errors.New("invalid time element")
	}
	h, e1 := strconv.Atoi(str[0:2])
	m, e2 := strconv.Atoi(str[3:5])
	sec, e3 := strconv.Atoi(str[6:8])
	if e1 != nil || e2 != nil || e3 != nil || h < 0 || m < 0 || sec < 0 || h > 23 || m > 59 || sec > 60 {
		return errors.New("invalid hour/min/sec")
	}
	str = str[8:]
	if rem, ok := strings.CutPrefix(str, "."); ok {
		d := 0
		for d < len(rem) && rem[d] >= '0' && rem[d] <= '9' {
			d++
		}
		if d == 0 {
			return errors.New("no digits in second fraction")
		}
		str = rem[d:]
	}
	if str != "z" && str != "Z" {
		if len(str) != 6 || (str[0] != '+' && str[0] != '-') || str[3] != ':' {
			return errors.New("invalid offset")
		}
		zh, e1 := strconv.Atoi(str[1:3])
		zm, e2 := strconv.Atoi(str[4:6])
		if e1 != nil || e2 != nil || zh < 0 || zm < 0 || zh > 23 || zm > 59 {
			return errors.New("invalid offset")
		}
		sign := 1
		if str[0] == '+' {
			sign = -1
		}
		hm := h*60 + m + sign*(zh*60+zm)
		if hm < 0 {
			hm += 24 * 60
		}
		h, m = hm/60, hm%60
	}
	if sec >= 60 && (h != 23 || m != 59) {
		return errors.New("invalid leap second")
	}
	return nil
}
