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

// unsaltString reverses, in place, the v2 salt "<uuid>:<type>:<value>" of
// the string value v as the reference unsalt does. A string without a v4
// UUID prefix is left unchanged (salted=false).
func unsaltString(v *ojson.Value) (salted bool, err error) {
	s, _ := v.Str()
	// A UUID holds no ':', so this is "the text before the first ':' is a
	// v4 UUID".
	if len(s) < 37 || s[36] != ':' || !oacore.UUIDv4(s[:36]) {
		return false, nil
	}
	rest := s[37:]
	if n := len(rest); n == 0 || !plainByte(rest[0]) || !plainByte(rest[n-1]) {
		// Only a first or last byte that is a control character, a space
		// or not ASCII may start or end JavaScript white space.
		rest = strings.TrimFunc(rest, isJSSpace)
	}
	if val, ok := strings.CutPrefix(rest, "string:"); ok { // most salted values
		v.SetString(val)
		return true, nil
	}
	typ, val, _ := strings.Cut(rest, ":")
	switch typ {
	case "string":
		v.SetString(val)
	case "number":
		f, err := jsNumber(val)
		if err != nil {
			return true, fmt.Errorf("%w: %q: %v", errMalformedSalt, clip(s), err)
		}
		v.SetNumber(f)
	case "boolean":
		v.SetBool(val == "true")
	case "null", "undefined":
		v.SetNull()
	default:
		return true, fmt.Errorf("%w: %q has unknown type %q (want string, number, boolean or null)", errMalformedSalt, clip(s), clip(typ))
	}
	return true, nil
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

// plainByte reports whether c is printable ASCII other than a space: a
// byte that neither is nor begins a white space character.
func plainByte(c byte) bool { return c > ' ' && c < 0x80 }

// isJSSpace is ECMAScript's WhiteSpace and LineTerminator (String.prototype.trim).
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// unsaltTree replaces, in place, every salted string of a v2 data tree by
// its typed value. It counts unsalted strings and returns the first
// malformed salt found (with its path); the tree is then partly unsalted.
func unsaltTree(v *ojson.Value, path string, unsalted *int) error {
	if se := unsalt(v, unsalted); se != nil {
		for i := len(se.path) - 1; i >= 0; i-- {
			path = joinPath(path, se.path[i])
		}
		return fmt.Errorf("at %s: %w", path, se.err)
	}
	return nil
}

// saltErr is a malformed salt and its path, innermost key first.
type saltErr struct {
	path []string
	err  error
}

func unsalt(v *ojson.Value, unsalted *int) *saltErr {
	switch v.Kind() {
	case ojson.String:
		salted, err := unsaltString(v)
		if err != nil {
			return &saltErr{err: err}
		}
		if !salted {
			*unsalted++
		}
	case ojson.Object:
		for _, m := range v.Members() {
			if se := unsalt(m.Value, unsalted); se != nil {
				se.path = append(se.path, m.Key)
				return se
			}
		}
	case ojson.Array:
		for i, e := range v.Elems() {
			if se := unsalt(e, unsalted); se != nil {
				se.path = append(se.path, strconv.Itoa(i))
				return se
			}
		}
	}
	return nil
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}
