package dccschema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// This file checks a payload held as JSON-like Go values (the JSON view of
// Validate, and ValidateValue) against the same compiled tree ValidateCBOR
// uses (compiled.go), with the JSON Schema 2020-12 semantics of the generic
// validator the tree replaces (github.com/santhosh-tekuri/jsonschema/v6,
// which is no longer linked: its package initialisation compiles its
// meta-schemas, a cost every process paid). reference_test.go holds the
// library as the reference and checks agreement on the EU DCC test data and
// under fuzzing.

// valueChecker validates Go values against a compiled tree.
type valueChecker struct {
	// quiet > 0 while only validity matters (inside oneOf).
	quiet int
}

func (c *valueChecker) fail(format string, args ...any) *failure {
	if c.quiet > 0 {
		return quietFailure
	}
	return fail(format, args...)
}

// valueKind is the JSON type of a Go value as the generic validator sees
// it; ok is false for a value that is not JSON-like (a time.Time, []byte,
// map[any]any, …).
func valueKind(v any) (k typeSet, ok bool) {
	switch v.(type) {
	case nil:
		return tNull, true
	case bool:
		return tBool, true
	case json.Number, float32, float64:
		return tNumber, true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return tInteger, true
	case string:
		return tString, true
	case []any:
		return tArray, true
	case map[string]any:
		return tObject, true
	}
	return 0, false
}

// rat is the exact value of a number as the generic validator reads it
// (its decimal text as a big.Rat), or nil for NaN and infinities.
func rat(v any) *big.Rat {
	r, ok := new(big.Rat).SetString(fmt.Sprint(v))
	if !ok {
		return nil
	}
	return r
}

// typeMatches is the "type" keyword: an integer type also admits a number
// whose value is an integer (1.0, 1e2).
func typeMatches(k, ts typeSet, v any) bool {
	switch {
	case ts&k != 0:
		return true
	case k == tInteger:
		return ts&tNumber != 0
	case k == tNumber && ts&tInteger != 0:
		r := rat(v)
		return r != nil && r.IsInt()
	}
	return false
}

// checkValue validates v against n.
func (c *valueChecker) checkValue(n *node, v any) *failure {
	if n == nil {
		return nil
	}
	k, ok := valueKind(v)
	if !ok {
		return c.fail("%T is not a JSON value", v)
	}
	if n.types != 0 && !typeMatches(k, n.types, v) {
		name := typeSetName(k)
		if k == tInteger {
			name = "integer"
		}
		return c.fail("got %s, want %s", name, typeSetName(n.types))
	}
	switch x := v.(type) {
	case string:
		if f := checkString(n, []byte(x)); f != nil {
			if c.quiet > 0 {
				return quietFailure
			}
			return f
		}
	case []any:
		if len(x) < n.minItems {
			return c.fail("minItems: got %d, want %d", len(x), n.minItems)
		}
		if n.maxItems >= 0 && len(x) > n.maxItems {
			return c.fail("maxItems: got %d, want %d", len(x), n.maxItems)
		}
		for i, e := range x {
			if f := c.checkValue(n.items, e); f != nil {
				return f.at(strconv.Itoa(i))
			}
		}
	case map[string]any:
		for _, req := range n.required {
			if _, ok := x[req]; !ok {
				return c.fail("missing property '%s'", req)
			}
		}
		if f := c.checkProps(n, x); f != nil {
			return f
		}
	default:
		if f := c.checkNumber(n, v); f != nil {
			return f
		}
	}
	if len(n.oneOf) > 0 {
		var names []string
		c.quiet++
		for i, s := range n.oneOf {
			if c.checkValue(s, v) == nil {
				names = append(names, strconv.Itoa(i))
			}
		}
		c.quiet--
		switch len(names) {
		case 1:
		case 0:
			if c.quiet > 0 {
				return quietFailure
			}
			return noneMatched(n.oneOf, func(s *node) *failure { return c.checkValue(s, v) })
		default:
			return c.fail("oneOf failed, subschemas %s matched", strings.Join(names, ", "))
		}
	}
	return c.checkValue(n.ref, v)
}

// noneMatched describes a oneOf that no alternative matched, for both
// checkers (check is the checker's non-quiet check of the value against one
// alternative): by the alternatives' own failure when they all fail alike (a
// DCC without dob misses it in each alternative), else by listing them. It
// decides no verdict: it is called only once every alternative has failed.
func noneMatched(alts []*node, check func(*node) *failure) *failure {
	var first *failure
	var msgs []string
	for _, s := range alts {
		f := check(s)
		if f == nil { // not reached: every alternative failed quietly
			continue
		}
		d := f.location() + ": " + f.msg
		if first == nil {
			first = f
		}
		if !slices.Contains(msgs, d) {
			msgs = append(msgs, d)
		}
	}
	if len(msgs) == 1 {
		return first
	}
	return fail("oneOf failed, none matched (%s)", strings.Join(msgs, "; "))
}

// checkProps checks the properties of object x that n describes, in name
// order (so that the failure reported does not depend on map order).
func (c *valueChecker) checkProps(n *node, x map[string]any) *failure {
	for _, p := range n.props {
		if e, ok := x[p.name]; ok {
			if f := c.checkValue(p.n, e); f != nil {
				return f.at(p.name)
			}
		}
	}
	return nil
}

// checkNumber is minimum and maximum, compared exactly.
func (c *valueChecker) checkNumber(n *node, v any) *failure {
	if _, isNum := valueKind(v); !n.hasMin && !n.hasMax || !isNum {
		return nil
	}
	r := rat(v)
	if r == nil {
		return c.fail("%v is not a finite number", v)
	}
	if n.hasMin && r.Cmp(new(big.Rat).SetFloat64(n.min)) < 0 {
		return c.fail("must be >= %v but found %v", n.min, v)
	}
	if n.hasMax && r.Cmp(new(big.Rat).SetFloat64(n.max)) > 0 {
		return c.fail("must be <= %v but found %v", n.max, v)
	}
	return nil
}
