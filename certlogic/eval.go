package certlogic

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxDepth bounds the nesting of an expression (and of reduce lambdas), so a
// hostile rule cannot exhaust the stack.
const MaxDepth = 200

// Error is an evaluation error: the expression is invalid or met a value of
// the wrong type. A rule whose evaluation fails is "open", neither passed
// nor failed.
type Error struct{ Msg string }

// Error implements error.
func (e *Error) Error() string { return "certlogic: " + e.Msg }

func fail(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Evaluate evaluates the CertLogic expression expr against the data context
// data. Both are values as ParseJSON returns them.
func Evaluate(expr, data any) (any, error) {
	ev := &evaluator{}
	return ev.eval(expr, data, 0)
}

// MaxSteps bounds the operations one evaluation performs: nested reduce
// over data can otherwise take time exponential in the expression's size.
const MaxSteps = 1_000_000

type evaluator struct{ steps int }

func (ev *evaluator) eval(expr, data any, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fail("expression nested deeper than %d levels", MaxDepth)
	}
	if ev.steps++; ev.steps > MaxSteps {
		return nil, fail("evaluation takes more than %d steps", MaxSteps)
	}
	switch x := expr.(type) {
	case string, bool, int64:
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			v, err := ev.eval(item, data, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case map[string]any:
		return ev.evalOperation(x, data, depth)
	case nil:
		return nil, fail("null is not a valid expression")
	}
	return nil, fail("invalid expression: %v (literals are booleans, integers, strings and arrays)", expr)
}

func (ev *evaluator) evalOperation(x map[string]any, data any, depth int) (any, error) {
	if len(x) != 1 {
		return nil, fail("an operation object must have exactly one key, not %d", len(x))
	}
	var op string
	var operand any
	for k, v := range x {
		op, operand = k, v
	}
	if op == "var" {
		return evalVar(operand, data)
	}
	args, ok := operand.([]any)
	if !ok || len(args) == 0 {
		return nil, fail(`operation %q is not of the form {"%s": [operands...]}`, op, op)
	}
	switch op {
	case "if":
		return ev.evalIf(args, data, depth)
	case "and":
		return ev.evalAnd(args, data, depth)
	case "===", "in", "+":
		return ev.evalBinary(op, args, data, depth)
	case ">", "<", ">=", "<=", "after", "before", "not-after", "not-before":
		return ev.evalCompare(op, args, data, depth)
	case "!":
		return ev.evalNot(args, data, depth)
	case "plusTime":
		return ev.evalPlusTime(args, data, depth)
	case "dccDateOfBirth":
		return ev.evalDateOfBirth(args, data, depth)
	case "reduce":
		return ev.evalReduce(args, data, depth)
	case "extractFromUVCI":
		return ev.evalExtractFromUVCI(args, data, depth)
	}
	return nil, fail("unknown operation %q", op)
}

// evalVar drills into data along a dot-separated path; anything missing is null.
func evalVar(operand, data any) (any, error) {
	var path string
	switch p := operand.(type) {
	case string:
		path = p
	case int64:
		path = strconv.FormatInt(p, 10)
	default:
		return nil, fail(`var is not of the form {"var": "<path>"}`)
	}
	if path == "" {
		return data, nil
	}
	cur := data
	for _, frag := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[frag]
		case []any:
			i, err := strconv.Atoi(frag)
			if err != nil || i < 0 || i >= len(c) {
				return nil, nil
			}
			cur = c[i]
		default:
			return nil, nil
		}
	}
	return cur, nil
}

func (ev *evaluator) evalIf(args []any, data any, depth int) (any, error) {
	if len(args) != 3 {
		return nil, fail("if needs a guard, a then and an else (3 operands), not %d", len(args))
	}
	g, err := ev.eval(args[0], data, depth+1)
	if err != nil {
		return nil, err
	}
	switch {
	case IsTruthy(g):
		return ev.eval(args[1], data, depth+1)
	case IsFalsy(g):
		return ev.eval(args[2], data, depth+1)
	}
	return nil, fail("if guard is neither truthy nor falsy: %v", g)
}

// evalAnd returns the first falsy operand, or the last one; operands are
// evaluated lazily, in order, and each before the last must be truthy or falsy.
func (ev *evaluator) evalAnd(args []any, data any, depth int) (any, error) {
	if len(args) < 2 {
		return nil, fail("and needs at least 2 operands")
	}
	var acc any = true
	for _, a := range args {
		switch {
		case IsFalsy(acc):
			return acc, nil
		case IsTruthy(acc):
			v, err := ev.eval(a, data, depth+1)
			if err != nil {
				return nil, err
			}
			acc = v
		default:
			return nil, fail("and operand is neither truthy nor falsy: %v", acc)
		}
	}
	return acc, nil
}

func (ev *evaluator) evalArgs(args []any, data any, depth int) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		v, err := ev.eval(a, data, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (ev *evaluator) evalBinary(op string, args []any, data any, depth int) (any, error) {
	if len(args) != 2 {
		return nil, fail("%s needs 2 operands, not %d", op, len(args))
	}
	v, err := ev.evalArgs(args, data, depth)
	if err != nil {
		return nil, err
	}
	switch op {
	case "===":
		return strictEqual(v[0], v[1]), nil
	case "in":
		list, ok := v[1].([]any)
		if !ok {
			return nil, fail("the right-hand side of in must be an array, not %T", v[1])
		}
		for _, item := range list {
			if strictEqual(v[0], item) {
				return true, nil
			}
		}
		return false, nil
	default: // "+"
		l, lok := v[0].(int64)
		r, rok := v[1].(int64)
		if !lok || !rok {
			return nil, fail("both operands of + must be integers")
		}
		return l + r, nil
	}
}

// strictEqual is JavaScript's === on CertLogic values: primitives compare by
// value; arrays, objects and date-times are never equal (they are compared
// by reference in JavaScript, and no two evaluations share one).
func strictEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return x == float64(y)
		case float64:
			return x == y
		}
	}
	return false
}

var dateOps = map[string]string{"after": ">", "before": "<", "not-after": "<=", "not-before": ">="}

func (ev *evaluator) evalCompare(op string, args []any, data any, depth int) (any, error) {
	if len(args) != 2 && len(args) != 3 {
		return nil, fail("%s needs 2 or 3 operands, not %d", op, len(args))
	}
	v, err := ev.evalArgs(args, data, depth)
	if err != nil {
		return nil, err
	}
	keys := make([]int64, len(v))
	if iop, ok := dateOps[op]; ok {
		for i, x := range v {
			d, ok := x.(DateTime)
			if !ok {
				return nil, fail("all operands of %s must be date-times (made by plusTime or dccDateOfBirth), not %T", op, x)
			}
			keys[i] = d.UnixMilli()
		}
		op = iop
	} else {
		for i, x := range v {
			n, ok := x.(int64)
			if !ok {
				return nil, fail("all operands of %s must be integers, not %T", op, x)
			}
			keys[i] = n
		}
	}
	for i := 0; i+1 < len(keys); i++ {
		if !compare(op, keys[i], keys[i+1]) {
			return false, nil
		}
	}
	return true, nil
}

func compare(op string, l, r int64) bool {
	switch op {
	case ">":
		return l > r
	case "<":
		return l < r
	case ">=":
		return l >= r
	}
	return l <= r
}

func (ev *evaluator) evalNot(args []any, data any, depth int) (any, error) {
	if len(args) != 1 {
		return nil, fail("! needs 1 operand, not %d", len(args))
	}
	v, err := ev.eval(args[0], data, depth+1)
	if err != nil {
		return nil, err
	}
	switch {
	case IsFalsy(v):
		return true, nil
	case IsTruthy(v):
		return false, nil
	}
	return nil, fail("operand of ! is neither truthy nor falsy: %v", v)
}

func (ev *evaluator) evalPlusTime(args []any, data any, depth int) (any, error) {
	if len(args) != 3 {
		return nil, fail("plusTime needs a date-time, an amount and a unit (3 operands), not %d", len(args))
	}
	amount, ok := args[1].(int64)
	if !ok {
		return nil, fail("the amount (operand 2) of plusTime must be an integer literal")
	}
	unit, ok := args[2].(string)
	if !ok || (unit != "year" && unit != "month" && unit != "day" && unit != "hour") {
		return nil, fail(`the unit (operand 3) of plusTime must be "year", "month", "day" or "hour"`)
	}
	v, err := ev.eval(args[0], data, depth+1)
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, fail("the date-time (operand 1) of plusTime must be a string, not %T", v)
	}
	d, err := ParseDateTime(s)
	if err != nil {
		return nil, &Error{Msg: "plusTime: " + err.Error()}
	}
	d, err = plusTime(d, amount, unit)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	return d, nil
}

func (ev *evaluator) evalDateOfBirth(args []any, data any, depth int) (any, error) {
	if len(args) != 1 {
		return nil, fail("dccDateOfBirth needs 1 operand, not %d", len(args))
	}
	v, err := ev.eval(args[0], data, depth+1)
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, fail("the operand of dccDateOfBirth must be a string, not %T", v)
	}
	d, err := DateOfBirth(s)
	if err != nil {
		return nil, &Error{Msg: "dccDateOfBirth: " + err.Error()}
	}
	return d, nil
}

func (ev *evaluator) evalReduce(args []any, data any, depth int) (any, error) {
	if len(args) != 3 {
		return nil, fail("reduce needs an operand, a lambda and an initial value (3 operands), not %d", len(args))
	}
	v, err := ev.eval(args[0], data, depth+1)
	if err != nil {
		return nil, err
	}
	acc, err := ev.eval(args[2], data, depth+1)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return acc, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fail("the operand of reduce must be an array or null, not %T", v)
	}
	for _, cur := range list {
		if acc, err = ev.eval(args[1], map[string]any{"accumulator": acc, "current": cur}, depth+1); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// ExtractFromUVCI returns fragment index of a UVCI split on '/', '#' and ':'
// after an optional "URN:UVCI:" prefix, or nil if there is no such fragment.
func ExtractFromUVCI(uvci string, index int64) any {
	if index < 0 {
		return nil
	}
	uvci = strings.TrimPrefix(uvci, "URN:UVCI:")
	frags := splitAny(uvci, "/#:")
	if index >= int64(len(frags)) {
		return nil
	}
	return frags[index]
}

func splitAny(s, seps string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(seps, s[i]) >= 0 {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func (ev *evaluator) evalExtractFromUVCI(args []any, data any, depth int) (any, error) {
	if len(args) != 2 {
		return nil, fail("extractFromUVCI needs an operand and an index (2 operands), not %d", len(args))
	}
	index, ok := args[1].(int64)
	if !ok {
		return nil, fail("the index (operand 2) of extractFromUVCI must be an integer literal")
	}
	v, err := ev.eval(args[0], data, depth+1)
	if err != nil {
		return nil, err
	}
	switch s := v.(type) {
	case nil:
		return nil, nil
	case string:
		return ExtractFromUVCI(s, index), nil
	}
	return nil, fail("the operand of extractFromUVCI must be a string or null, not %T", v)
}

// IsEvalError reports whether err came from evaluating an expression.
func IsEvalError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
