package certlogic

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/accord-network/accord/internal/jsonvalue"
	"github.com/accord-network/accord/internal/rfc3339"
)

// This file checks a rule against the EU DCC validation-rule schema
// (schema/validation-rule.schema.json, embedded unchanged). The schema is
// compiled on first use into a tree of checks that understands exactly the
// JSON Schema 2020-12 keywords it uses; compiling it with any other
// assertion keyword fails, so it cannot be checked less strictly than it
// says. ruleschema_test.go holds the checks to a general JSON Schema
// validator (github.com/santhosh-tekuri/jsonschema/v6), which is not linked
// here: its package initialisation compiles its meta-schemas in every
// process that links it, the accord verifier included.

//go:embed schema/validation-rule.schema.json
var ruleSchemaJSON []byte

// schemaNode is one compiled schema object; a nil *schemaNode accepts
// everything.
type schemaNode struct {
	typ           string // "", "object", "array" or "string"
	props         map[string]*schemaNode
	noAdditional  bool // additionalProperties: false
	required      []string
	minProperties int
	items         *schemaNode
	contains      *schemaNode
	minItems      int
	minLength     int
	pattern       *regexp.Regexp
	enum          []string
	dateTime      bool // format: date-time (asserted)
}

// ruleSchemaAnnotations are the keywords that assert nothing.
var ruleSchemaAnnotations = map[string]bool{"$schema": true, "$id": true, "title": true, "description": true}

// compiledRuleSchema compiles the embedded schema once.
var compiledRuleSchema = sync.OnceValues(func() (*schemaNode, error) {
	doc, err := jsonvalue.Decode(ruleSchemaJSON)
	if err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("not a schema object")
	}
	return compileSchema(m)
})

// compileSchema compiles schema object m.
func compileSchema(m map[string]any) (*schemaNode, error) {
	n := &schemaNode{}
	for k, v := range m {
		if err := n.keyword(k, v); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return n, nil
}

// keyword compiles one keyword of a schema object into n.
func (n *schemaNode) keyword(k string, v any) error {
	var err error
	switch k {
	case "type":
		s, _ := v.(string)
		if s != "object" && s != "array" && s != "string" {
			return fmt.Errorf("type %v is not supported", v)
		}
		n.typ = s
	case "properties":
		ps, ok := v.(map[string]any)
		if !ok {
			return errors.New("not an object")
		}
		n.props = map[string]*schemaNode{}
		for name, sub := range ps {
			if n.props[name], err = subSchema(sub); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	case "additionalProperties":
		if b, ok := v.(bool); !ok || b {
			return errors.New("only false is supported")
		}
		n.noAdditional = true
	case "required":
		n.required, err = stringArray(v, "not an array of strings")
	case "enum":
		n.enum, err = stringArray(v, "only strings are supported")
	case "items":
		n.items, err = subSchema(v)
	case "contains":
		n.contains, err = subSchema(v)
	case "minItems":
		n.minItems, err = schemaCount(v)
	case "minLength":
		n.minLength, err = schemaCount(v)
	case "minProperties":
		n.minProperties, err = schemaCount(v)
	case "pattern":
		s, _ := v.(string)
		n.pattern, err = regexp.Compile(s)
	case "format":
		if v != "date-time" {
			return fmt.Errorf("format %v is not supported", v)
		}
		n.dateTime = true
	default:
		if !ruleSchemaAnnotations[k] {
			return fmt.Errorf("keyword %q is not supported by the compiled checks", k)
		}
	}
	return err
}

func subSchema(v any) (*schemaNode, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a schema object")
	}
	return compileSchema(m)
}

func schemaCount(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%v is not a count", v)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil || i < 0 {
		return 0, fmt.Errorf("%v is not a count", v)
	}
	return i, nil
}

// schemaErrors collects every failure, as "location: message".
type schemaErrors []string

func (e *schemaErrors) add(loc []string, format string, args ...any) {
	*e = append(*e, "/"+strings.Join(loc, "/")+": "+fmt.Sprintf(format, args...))
}

// jsonTypeName is the JSON type of a decoded value.
func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// check validates v (at location loc) against n, adding each failure.
func (n *schemaNode) check(v any, loc []string, errs *schemaErrors) {
	if n == nil {
		return
	}
	if got := jsonTypeName(v); n.typ != "" && got != n.typ {
		errs.add(loc, "got %s, want %s", got, n.typ)
		return
	}
	if n.enum != nil {
		if s, ok := v.(string); !ok || !slices.Contains(n.enum, s) {
			errs.add(loc, "value must be one of %s", strings.Join(n.enum, ", "))
		}
	}
	switch x := v.(type) {
	case string:
		n.checkString(x, loc, errs)
	case []any:
		n.checkArray(x, loc, errs)
	case map[string]any:
		n.checkObject(x, loc, errs)
	}
}

func (n *schemaNode) checkString(s string, loc []string, errs *schemaErrors) {
	if l := utf8.RuneCountInString(s); l < n.minLength {
		errs.add(loc, "length must be >= %d, but got %d", n.minLength, l)
	}
	if n.pattern != nil && !n.pattern.MatchString(s) {
		errs.add(loc, "%q does not match pattern %q", s, n.pattern.String())
	}
	if n.dateTime {
		if err := rfc3339.DateTime(s); err != nil {
			errs.add(loc, "%q is not a valid date-time: %v", s, err)
		}
	}
}

func (n *schemaNode) checkArray(a []any, loc []string, errs *schemaErrors) {
	if len(a) < n.minItems {
		errs.add(loc, "minItems: got %d, want %d", len(a), n.minItems)
	}
	for i, e := range a {
		n.items.check(e, append(loc[:len(loc):len(loc)], strconv.Itoa(i)), errs)
	}
	if n.contains != nil && !slices.ContainsFunc(a, func(e any) bool {
		var none schemaErrors
		n.contains.check(e, nil, &none)
		return len(none) == 0
	}) {
		errs.add(loc, "no items match contains schema")
	}
}

func (n *schemaNode) checkObject(m map[string]any, loc []string, errs *schemaErrors) {
	if len(m) < n.minProperties {
		errs.add(loc, "minProperties: got %d, want %d", len(m), n.minProperties)
	}
	var missing, additional []string
	for _, r := range n.required {
		if _, ok := m[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		errs.add(loc, "missing properties %s", strings.Join(missing, ", "))
	}
	for k, e := range m {
		p, ok := n.props[k]
		if !ok && n.noAdditional {
			additional = append(additional, k)
		}
		p.check(e, append(loc[:len(loc):len(loc)], k), errs)
	}
	if len(additional) > 0 {
		sort.Strings(additional)
		errs.add(loc, "additional properties %s not allowed", strings.Join(additional, ", "))
	}
}

// checkRuleSchema validates a rule's JSON against the validation-rule
// schema; the error lists every failure, sorted.
func checkRuleSchema(raw []byte) error {
	root, err := compiledRuleSchema()
	if err != nil {
		return fmt.Errorf("rule schema: %w", err)
	}
	doc, err := jsonvalue.Decode(raw)
	if err != nil {
		return fmt.Errorf("rule: not JSON: %w", err)
	}
	var errs schemaErrors
	root.check(doc, nil, &errs)
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("rule does not match the EU DCC validation-rule schema: %s", strings.Join(errs, "; "))
	}
	return nil
}

// stringArray returns schema value v as the strings of a JSON array, or
// an error: "not an array", or notString when an element is not a string.
func stringArray(v any, notString string) ([]string, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, errors.New("not an array")
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil, errors.New(notString)
		}
		out = append(out, s)
	}
	return out, nil
}
