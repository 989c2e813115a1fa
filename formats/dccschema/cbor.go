package dccschema

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/accord-network/accord/internal/cborscan"
	"github.com/accord-network/accord/internal/rfc3339"
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

// ValidateCBOR checks a DCC payload given as the CBOR an HC1 carries (the
// value of claim -260 → 1) against the schema release its "ver" names,
// compiling that release's checks on first use. It reads the CBOR directly,
// without building the payload's JSON form, and is exactly as strict as
// Validate of that JSON form (the differential test in internal/hc1 pins
// this). Errors are those of Validate, or ErrNotPlain (see there).
func ValidateCBOR(raw []byte) error {
	if len(raw) > MaxPayload {
		return fmt.Errorf("%w: payload of %d bytes exceeds the %d byte limit", ErrInvalid, len(raw), MaxPayload)
	}
	tp := cborscan.Get()
	defer cborscan.Put(tp)
	toks, ok := cborscan.Scan(*tp, raw)
	*tp = toks
	if !ok {
		return ErrNotPlain
	}
	return ValidateTokens(toks)
}

// ValidateTokens is ValidateCBOR for a payload already scanned (by
// internal/hc1, which reads its fields from the same tokens).
func ValidateTokens(toks []cborscan.Token) error {
	if len(toks) == 0 || toks[0].Kind != cborscan.Object {
		return ErrNotPlain
	}
	v := checker{toks: toks}
	return v.document()
}

// checker validates tokens against a compiled tree.
type checker struct {
	toks []cborscan.Token
	// quiet > 0 while only validity matters (inside oneOf): failures are
	// not described.
	quiet int
}

// quietFailure stands for every failure while the checker is quiet.
var quietFailure = &failure{}

// failure is a schema violation: where, and what.
type failure struct {
	loc []string // innermost last once reversed
	msg string
}

func fail(format string, args ...any) *failure {
	return &failure{msg: fmt.Sprintf(format, args...)}
}

func (f *failure) at(seg string) *failure {
	if f != quietFailure {
		f.loc = append(f.loc, seg)
	}
	return f
}

// fail describes a failure, unless the checker is quiet.
func (c *checker) fail(format string, args ...any) *failure {
	if c.quiet > 0 {
		return quietFailure
	}
	return fail(format, args...)
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
	for i := 1; i < len(c.toks) && i < c.toks[0].End; i = c.toks[i+1].End {
		switch string(c.toks[i].Text) {
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
	switch t := c.toks[ver]; t.Kind {
	case cborscan.String:
		if i, ok := pickPlain(t.Text); ok {
			return i, nil
		}
		return pick(string(t.Text), true)
	case cborscan.Null:
		return pick(nil, true)
	case cborscan.Bool:
		return pick(t.Bool, true)
	case cborscan.Int:
		return pick(t.Int, true)
	case cborscan.Array:
		return pick([]any{}, true)
	case cborscan.Object:
		return pick(map[string]any{}, true)
	default:
		return pick([]byte{}, true)
	}
}

// pickPlain is pick for a ver of the form 1.MINOR.PATCH with short
// decimal numbers, without allocating; ok is false for anything else.
func pickPlain(v []byte) (int, bool) {
	if len(v) < 5 || v[0] != '1' || v[1] != '.' {
		return 0, false
	}
	minor, n := 0, 0
	i := 2
	for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		minor, n = minor*10+int(v[i]-'0'), n+1
	}
	if n == 0 || n > 4 || i >= len(v) || v[i] != '.' {
		return 0, false
	}
	j := i + 1
	for ; j < len(v) && v[j] >= '0' && v[j] <= '9'; j++ {
	}
	if j == i+1 || j != len(v) {
		return 0, false
	}
	idx := len(releases) - 1
	for k, r := range releases {
		if r.minor == minor {
			idx = k
		}
	}
	return idx, true
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

var kindNames = [...]string{cborscan.Null: "null", cborscan.Bool: "boolean", cborscan.Int: "integer", cborscan.String: "string", cborscan.Array: "array", cborscan.Object: "object", cborscan.Bytes: "a byte string"}

func matches(k cborscan.Kind, ts typeSet) bool {
	switch k {
	case cborscan.Null:
		return ts&tNull != 0
	case cborscan.Bool:
		return ts&tBool != 0
	case cborscan.Int:
		return ts&(tInteger|tNumber) != 0
	case cborscan.String:
		return ts&tString != 0
	case cborscan.Array:
		return ts&tArray != 0
	case cborscan.Object:
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
	if tk.Kind == cborscan.Bytes {
		return c.fail("a byte string is not a JSON value")
	}
	if n.types != 0 && !matches(tk.Kind, n.types) {
		return c.fail("got %s, want %s", kindNames[tk.Kind], typeSetName(n.types))
	}
	switch tk.Kind {
	case cborscan.String:
		if f := checkString(n, tk.Text); f != nil {
			if c.quiet > 0 {
				return quietFailure
			}
			return f
		}
	case cborscan.Int:
		if n.hasMin && float64(tk.Int) < n.min {
			return c.fail("must be >= %v but found %d", n.min, tk.Int)
		}
		if n.hasMax && float64(tk.Int) > n.max {
			return c.fail("must be <= %v but found %d", n.max, tk.Int)
		}
	case cborscan.Array:
		if tk.N < n.minItems {
			return c.fail("minItems: got %d, want %d", tk.N, n.minItems)
		}
		if n.maxItems >= 0 && tk.N > n.maxItems {
			return c.fail("maxItems: got %d, want %d", tk.N, n.maxItems)
		}
		if n.items != nil {
			for i, j := 0, t+1; i < tk.N; i, j = i+1, c.toks[j].End {
				if f := c.check(n.items, j); f != nil {
					return f.at(strconv.Itoa(i))
				}
			}
		}
	case cborscan.Object:
		if len(n.keys) == 0 {
			break
		}
		// One pass looks every key up: the required names it finds (keys
		// are distinct, so each bit is set once at most) and, for the
		// first keys, their schemas, so the second pass need not look
		// them up again.
		var have uint64
		var schemas [16]*node
		for i, j := t+1, 0; i < tk.End; i, j = c.toks[i+1].End, j+1 {
			if k := n.lookup(c.toks[i].Text); k != nil {
				have |= k.req
				if j < len(schemas) {
					schemas[j] = k.n
				}
			}
		}
		if have != n.reqAll {
			if c.quiet > 0 { // inside oneOf: no message, no allocation
				return quietFailure
			}
			return fail("missing property '%s'", n.missing(have))
		}
		if len(n.props) > 0 {
			for i, j := t+1, 0; i < tk.End; i, j = c.toks[i+1].End, j+1 {
				var s *node
				if j < len(schemas) {
					s = schemas[j]
				} else {
					s = n.prop(c.toks[i].Text)
				}
				if f := c.check(s, i+1); f != nil {
					return f.at(string(c.toks[i].Text))
				}
			}
		}
	}
	if len(n.oneOf) > 0 {
		var ok [8]bool
		matched := 0
		c.quiet++
		for i, s := range n.oneOf {
			if c.check(s, t) == nil {
				matched++
				ok[i%len(ok)] = true
			}
		}
		c.quiet--
		if matched != 1 {
			if c.quiet > 0 {
				return quietFailure
			}
			var names []string
			for i := range n.oneOf {
				if ok[i%len(ok)] {
					names = append(names, strconv.Itoa(i))
				}
			}
			if matched == 0 {
				return noneMatched(n.oneOf, func(s *node) *failure { return c.check(s, t) })
			}
			return c.fail("oneOf failed, subschemas %s matched", strings.Join(names, ", "))
		}
	}
	return c.check(n.ref, t)
}

func checkString(n *node, s []byte) *failure {
	if n.maxLength >= 0 {
		if l := utf8.RuneCount(s); l > n.maxLength {
			return fail("length must be <= %d, but got %d", n.maxLength, l)
		}
	}
	if n.pattern != nil && !n.match(s) {
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

// checkDCCDate is the "date" format as assertFormat describes it.
func checkDCCDate(s string) error {
	if len(s) > 10 && (s[10] == 'T' || s[10] == 't') {
		if _, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err != nil {
			return errors.New("neither a date (YYYY-MM-DD) nor an RFC 3339 date-time")
		}
		return nil
	}
	if !isDate(s) {
		return errors.New("not a calendar date of the form YYYY-MM-DD")
	}
	return nil
}

// isDate reports whether s is a calendar date YYYY-MM-DD, exactly as
// time.Parse("2006-01-02", s) accepts it (TestIsDate holds it to that):
// four digits of year, two of month (01–12), two of a day that exists in
// that month, nothing else.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	var v [8]int
	for i, j := range [8]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[j] < '0' || s[j] > '9' {
			return false
		}
		v[i] = int(s[j] - '0')
	}
	year := v[0]*1000 + v[1]*100 + v[2]*10 + v[3]
	month, day := v[4]*10+v[5], v[6]*10+v[7]
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

// checkDateTime is the JSON Schema "date-time" format.
func checkDateTime(s string) error { return rfc3339.DateTime(s) }
