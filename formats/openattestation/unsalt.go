package openattestation

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/ojson"
)

// errMalformedSalt marks a salted string whose type annotation is unknown.
var errMalformedSalt = errors.New("malformed salt")

// unsaltString reverses the v2 salt "<uuid>:<type>:<value>" as the reference
// unsalt does. A string without a v4 UUID prefix is returned unchanged
// (v=nil, salted=false). Values come from sl.
func unsaltString(sl *ojson.Slab, s string) (v *ojson.Value, salted bool, err error) {
	// A UUID holds no ':', so this is "the text before the first ':' is a
	// v4 UUID".
	if len(s) < 37 || s[36] != ':' || !oacore.UUIDv4(s[:36]) {
		return nil, false, nil
	}
	rest := strings.TrimFunc(s[37:], isJSSpace)
	typ, val, _ := strings.Cut(rest, ":")
	switch typ {
	case "string":
		return sl.String(val), true, nil
	case "number":
		f, err := jsNumber(val)
		if err != nil {
			return nil, true, fmt.Errorf("%w: %q: %v", errMalformedSalt, clip(s), err)
		}
		return sl.Number(f), true, nil
	case "boolean":
		return sl.Bool(val == "true"), true, nil
	case "null", "undefined":
		return sl.Null(), true, nil
	default:
		return nil, true, fmt.Errorf("%w: %q has unknown type %q (want string, number, boolean or null)", errMalformedSalt, clip(s), clip(typ))
	}
}

// jsNumber parses the decimal forms JavaScript's Number(s) accepts that
// salting can produce.
func jsNumber(s string) (float64, error) {
	s = strings.TrimFunc(s, isJSSpace)
	switch s {
	case "":
		return 0, nil
	case "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	if strings.ContainsAny(s, "_xXpPnN") {
		return 0, fmt.Errorf("not a number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number")
	}
	return f, nil
}

// isJSSpace is ECMAScript's WhiteSpace and LineTerminator (String.prototype.trim).
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// unsaltTree returns a copy of a v2 data tree with every salted string
// replaced by its typed value, built in sl. It counts unsalted strings and
// returns the first malformed salt found (with its path).
func unsaltTree(sl *ojson.Slab, v *ojson.Value, path string, unsalted *int) (*ojson.Value, error) {
	u, se := unsalt(sl, v, unsalted)
	if se != nil {
		for i := len(se.path) - 1; i >= 0; i-- {
			path = joinPath(path, se.path[i])
		}
		return nil, fmt.Errorf("at %s: %w", path, se.err)
	}
	return u, nil
}

// saltErr is a malformed salt and its path, innermost key first.
type saltErr struct {
	path []string
	err  error
}

func unsalt(sl *ojson.Slab, v *ojson.Value, unsalted *int) (*ojson.Value, *saltErr) {
	switch v.Kind() {
	case ojson.String:
		s, _ := v.Str()
		u, salted, err := unsaltString(sl, s)
		if err != nil {
			return nil, &saltErr{err: err}
		}
		if !salted {
			*unsalted++
			return v, nil
		}
		return u, nil
	case ojson.Object:
		in := v.Members()
		out := sl.Object(len(in))
		om := out.Members()
		for i, m := range in {
			c, se := unsalt(sl, m.Value, unsalted)
			if se != nil {
				se.path = append(se.path, m.Key)
				return nil, se
			}
			om[i] = ojson.Member{Key: m.Key, Value: c}
		}
		return out, nil
	case ojson.Array:
		in := v.Elems()
		out := sl.Array(len(in))
		oe := out.Elems()
		for i, e := range in {
			c, se := unsalt(sl, e, unsalted)
			if se != nil {
				se.path = append(se.path, strconv.Itoa(i))
				return nil, se
			}
			oe[i] = c
		}
		return out, nil
	default:
		return v, nil
	}
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}
