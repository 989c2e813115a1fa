package dccschema

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// This file compiles the embedded schema releases into a small tree of
// checks (a node per schema object) for ValidateCBOR. The tree understands
// exactly the JSON Schema 2020-12 keywords the published DCC schemas use;
// compiling a schema with any other assertion keyword fails, so a release
// that needs more cannot be checked less strictly than it says.

// node is one compiled schema object. A nil *node accepts everything.
type node struct {
	types    typeSet
	props    []prop // sorted by name
	required []string
	// keys are the names an object's keys are looked up in: the properties
	// and then the required names that are not properties (whose schema is
	// nil), each with its bit in reqAll (0 for an optional property).
	keys      []key
	reqAll    uint64
	pattern   *regexp.Regexp
	match     func([]byte) bool // pattern's test (matcherFor)
	maxLength int               // -1: none
	hasMin    bool
	hasMax    bool
	min, max  float64
	format    string // "", "date" or "date-time" (only when formats are asserted)
	items     *node
	minItems  int // 0: none
	maxItems  int // -1: none
	oneOf     []*node
	ref       *node
}

type prop struct {
	name string
	n    *node
}

// typeSet is a set of JSON types; 0 means any type.
type typeSet uint8

const (
	tNull typeSet = 1 << iota
	tBool
	tInteger
	tNumber // any number, integer or not
	tString
	tArray
	tObject
)

var typeNames = map[string]typeSet{
	"null": tNull, "boolean": tBool, "integer": tInteger, "number": tNumber,
	"string": tString, "array": tArray, "object": tObject,
}

// annotations are keywords that assert nothing.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$defs": true, "title": true,
	"description": true, "examples": true, "valueset-uri": true,
}

// key is a name an object's keys are looked up in (node.keys).
type key struct {
	name string
	n    *node  // the property's schema; nil: any value
	req  uint64 // the name's bit in reqAll; 0: not required
}

// lookup returns the entry of keys for an object key, or nil. The keys of
// a DCC schema object are few and short, so comparing lengths first and
// then bytes beats a search or a hash.
func (n *node) lookup(name []byte) *key {
	for i := range n.keys {
		k := &n.keys[i]
		if len(k.name) == len(name) && k.name == string(name) {
			return k
		}
	}
	return nil
}

// prop returns the compiled schema of a property, or nil.
func (n *node) prop(name []byte) *node {
	if k := n.lookup(name); k != nil {
		return k.n
	}
	return nil
}

// index fills n.keys and n.reqAll from n.props and n.required. A schema
// object requiring more than 64 names is refused: its checks would need
// another representation, never a weaker one.
func (n *node) index() error {
	if len(n.required) > 64 {
		return fmt.Errorf("required lists %d names; the compiled checks handle at most 64", len(n.required))
	}
	n.keys = n.keys[:0]
	for _, p := range n.props {
		n.keys = append(n.keys, key{name: p.name, n: p.n})
	}
	for i, r := range n.required {
		bit := uint64(1) << i
		n.reqAll |= bit
		found := false
		for j := range n.keys {
			if n.keys[j].name == r {
				n.keys[j].req |= bit
				found = true
			}
		}
		if !found {
			n.keys = append(n.keys, key{name: r, req: bit})
		}
	}
	return nil
}

// missing returns the first of n.required (in the schema's order) whose
// bit is not in have.
func (n *node) missing(have uint64) string {
	for i, r := range n.required {
		if have&(uint64(1)<<i) == 0 {
			return r
		}
	}
	return ""
}

// compiler turns the JSON documents of one release into nodes.
type compiler struct {
	docs    map[string]map[string]any // $id → document
	done    map[string]*node          // "$id#pointer" → node
	formats bool
}

// compiledTrees holds one lazily compiled tree per release: a document is
// checked with the release its ver names, and only that one is compiled.
type compiledTree struct {
	once sync.Once
	root *node
	err  error
}

var trees = make([]compiledTree, len(releases))

// tree returns the compiled checks of release i, compiling them on first use.
func tree(i int) (*node, error) {
	t := &trees[i]
	t.once.Do(func() { t.root, t.err = compileRelease(releases[i], assertFormat) })
	return t.root, t.err
}

func compileRelease(rel release, formats bool) (*node, error) {
	c := &compiler{docs: map[string]map[string]any{}, done: map[string]*node{}, formats: formats}
	err := releaseFiles(rel, func(name string, raw []byte) (string, error) {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return "", err
		}
		id, _ := doc["$id"].(string)
		if id != "" {
			c.docs[id] = doc
		}
		return id, nil
	})
	if err != nil {
		return nil, err
	}
	root, err := c.ref(rel.main, rel.main)
	if err == nil {
		root, err = skipRefs(root)
	}
	if err != nil {
		return nil, fmt.Errorf("dccschema: compile schema %s: %w", rel.version, err)
	}
	return root, nil
}

// refOnly reports whether n asserts nothing of its own but its $ref: then
// checking a value against n is checking it against n.ref.
func (n *node) refOnly() bool {
	return n.ref != nil && n.types == 0 && len(n.props) == 0 && len(n.required) == 0 && len(n.keys) == 0 &&
		n.pattern == nil && n.maxLength < 0 && !n.hasMin && !n.hasMax && n.format == "" &&
		n.items == nil && n.minItems == 0 && n.maxItems < 0 && len(n.oneOf) == 0
}

// skipRefs points every reference in the tree under root (property, items,
// oneOf branch, $ref) past the ref-only nodes it names, to the node that
// asserts something: the published schemas name most property schemas by
// $ref alone, and each such hop was one more call per value checked. The
// checks are the same; only the path to them is shorter.
func skipRefs(root *node) (*node, error) {
	var cycle bool
	through := func(n *node) *node {
		for hops := 0; n != nil && n.refOnly(); hops++ {
			if hops > 64 {
				cycle = true
				return n
			}
			n = n.ref
		}
		return n
	}
	seen := map[*node]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		for i := range n.props {
			n.props[i].n = through(n.props[i].n)
			walk(n.props[i].n)
		}
		for i := range n.keys {
			n.keys[i].n = through(n.keys[i].n)
		}
		n.items = through(n.items)
		walk(n.items)
		for i := range n.oneOf {
			n.oneOf[i] = through(n.oneOf[i])
			walk(n.oneOf[i])
		}
		n.ref = through(n.ref)
		walk(n.ref)
	}
	root = through(root)
	walk(root)
	if cycle {
		return nil, fmt.Errorf("a cycle of $ref with no assertion")
	}
	return root, nil
}

// ref compiles the schema a $ref names, relative to the document base.
func (c *compiler) ref(base, ref string) (*node, error) {
	docID, ptr, _ := strings.Cut(ref, "#")
	if docID == "" {
		docID = base
	}
	key := docID + "#" + ptr
	if n, ok := c.done[key]; ok {
		return n, nil
	}
	doc, ok := c.docs[docID]
	if !ok {
		return nil, fmt.Errorf("$ref %q: no embedded schema has $id %q", ref, docID)
	}
	var v any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if tok == "" {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		if v, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q is not a schema object", ref)
	}
	n := new(node)
	c.done[key] = n // before compiling: a cycle finds the node under way
	if err := c.fill(n, docID, m); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return n, nil
}

// fill compiles the keywords of schema object m into n.
func (c *compiler) fill(n *node, base string, m map[string]any) error {
	n.maxLength, n.maxItems = -1, -1
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		var err error
		switch k {
		case "type":
			s, _ := v.(string)
			t, ok := typeNames[s]
			if !ok {
				return fmt.Errorf("type %v is not supported", v)
			}
			n.types = t
		case "properties":
			ps, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("properties is not an object")
			}
			for name, sub := range ps {
				sm, ok := sub.(map[string]any)
				if !ok {
					return fmt.Errorf("properties/%s is not a schema object", name)
				}
				pn := new(node)
				if err := c.fill(pn, base, sm); err != nil {
					return fmt.Errorf("properties/%s: %w", name, err)
				}
				n.props = append(n.props, prop{name, pn})
			}
			sort.Slice(n.props, func(i, j int) bool { return n.props[i].name < n.props[j].name })
		case "required":
			n.required, err = stringList(v)
		case "pattern":
			s, _ := v.(string)
			if n.pattern, err = regexp.Compile(s); err == nil {
				n.match = matcherFor(n.pattern)
			}
		case "maxLength":
			n.maxLength, err = count(v)
		case "minItems":
			n.minItems, err = count(v)
		case "maxItems":
			n.maxItems, err = count(v)
		case "minimum":
			n.min, n.hasMin, err = number(v)
		case "maximum":
			n.max, n.hasMax, err = number(v)
		case "format":
			s, _ := v.(string)
			if s != "date" && s != "date-time" {
				return fmt.Errorf("format %q is not supported", s)
			}
			if c.formats {
				n.format = s
			}
		case "items":
			sm, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("items is not a schema object")
			}
			n.items = new(node)
			err = c.fill(n.items, base, sm)
		case "oneOf":
			subs, ok := v.([]any)
			if !ok || len(subs) > 8 {
				return fmt.Errorf("oneOf is not an array of at most 8 schemas")
			}
			for i, s := range subs {
				sm, ok := s.(map[string]any)
				if !ok {
					return fmt.Errorf("oneOf/%d is not a schema object", i)
				}
				sn := new(node)
				if err := c.fill(sn, base, sm); err != nil {
					return fmt.Errorf("oneOf/%d: %w", i, err)
				}
				n.oneOf = append(n.oneOf, sn)
			}
		case "$ref":
			s, _ := v.(string)
			n.ref, err = c.ref(base, s)
		default:
			if !annotations[k] {
				return fmt.Errorf("keyword %q is not supported by the compiled checks", k)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return n.index()
}

func stringList(v any) ([]string, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not an array")
	}
	out := make([]string, len(a))
	for i, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("not an array of strings")
		}
		out[i] = s
	}
	return out, nil
}

func count(v any) (int, error) {
	f, ok := v.(float64)
	if !ok || f < 0 || f != float64(int(f)) {
		return 0, fmt.Errorf("%v is not a count", v)
	}
	return int(f), nil
}

func number(v any) (float64, bool, error) {
	f, ok := v.(float64)
	if !ok {
		return 0, false, fmt.Errorf("%v is not a number", v)
	}
	return f, true, nil
}
