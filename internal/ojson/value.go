// Package ojson reads and writes JSON with JavaScript's semantics, as
// OpenAttestation needs them: every hash OpenAttestation computes is
// keccak256 of JSON.stringify output, so the encoder reproduces it byte for
// byte (encoding/json would escape U+2028/U+2029 and '<', rewrite invalid
// UTF-8 and print -0, each of which changes a hash), and the parser keeps
// what JSON.parse keeps: lone UTF-16 surrogates such as "\ud800", duplicate
// keys at their first position with their last value, and ECMAScript
// property order (spec/openattestation.md §2, §3).
//
// The parser agrees with encoding/json on which inputs are valid JSON
// except for one deliberate rule: a \u escape of a lone surrogate is kept
// (encoding/json replaces it with U+FFFD, which would change the document's
// hash). FuzzDifferential pins that.
package ojson

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
	b    bool // Bool: the value; String: s needs no escaping in JSON
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

// Kind returns the value's JSON type (Null for a nil Value).
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

// Boolean returns the value of a Bool value and whether v is one.
func (v *Value) Boolean() (bool, bool) {
	if v == nil || v.kind != Bool {
		return false, false
	}
	return v.b, true
}

// Members returns the members of an Object value. The slice may be written
// in place; use Set, Del or SetMembers to change its length.
func (v *Value) Members() []Member {
	if v == nil || v.kind != Object {
		return nil
	}
	return v.obj
}

// Elems returns the elements of an Array value. The slice may be written in
// place; use Append to add to it.
func (v *Value) Elems() []*Value {
	if v == nil || v.kind != Array {
		return nil
	}
	return v.arr
}

// Elem returns element i of an Array value, or nil when v is not an array
// or i is out of range.
func (v *Value) Elem(i int) *Value {
	if v == nil || v.kind != Array || i < 0 || i >= len(v.arr) {
		return nil
	}
	return v.arr[i]
}

// Container reports whether v is an object or array with at least one
// member or element.
func (v *Value) Container() bool {
	return v != nil && (v.kind == Object && len(v.obj) > 0 || v.kind == Array && len(v.arr) > 0)
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

// Path follows object keys; nil when one is missing.
func (v *Value) Path(keys ...string) *Value {
	for _, k := range keys {
		v = v.Get(k)
		if v == nil {
			return nil
		}
	}
	return v
}

// Set replaces or appends an object member.
func (v *Value) Set(key string, val *Value) {
	for i := range v.obj {
		if v.obj[i].Key == key {
			v.obj[i].Value = val
			return
		}
	}
	v.obj = append(v.obj, Member{Key: key, Value: val})
}

// SetMembers replaces all members of an object.
func (v *Value) SetMembers(m []Member) { v.obj = m }

// Del removes an object member and reports whether it existed.
func (v *Value) Del(key string) bool {
	for i := range v.obj {
		if v.obj[i].Key == key {
			v.obj = append(v.obj[:i], v.obj[i+1:]...)
			return true
		}
	}
	return false
}

// Append adds elements to an array.
func (v *Value) Append(e ...*Value) { v.arr = append(v.arr, e...) }

// NewString returns a String value.
func NewString(s string) *Value { return &Value{kind: String, s: s} }

// NewNumber returns a Number value.
func NewNumber(n float64) *Value { return &Value{kind: Number, n: n} }

// NewBool returns a Bool value.
func NewBool(b bool) *Value { return &Value{kind: Bool, b: b} }

// NewNull returns a Null value.
func NewNull() *Value { return &Value{kind: Null} }

// NewObject returns an Object value with the given members (never a nil
// member list, so it prints as {} when empty).
func NewObject(m ...Member) *Value {
	if m == nil {
		m = []Member{}
	}
	return &Value{kind: Object, obj: m}
}

// NewArray returns an Array value with the given elements.
func NewArray(e ...*Value) *Value {
	if e == nil {
		e = []*Value{}
	}
	return &Value{kind: Array, arr: e}
}

// M is shorthand for a Member.
func M(k string, v *Value) Member { return Member{Key: k, Value: v} }

// MarshalJSON encodes v as JSON.stringify would.
func (v *Value) MarshalJSON() ([]byte, error) { return Stringify(v), nil }

// Slab hands out Values, member lists and element lists from chunks, so a
// parsed document costs a few allocations instead of several per node. The
// zero Slab is ready to use. Lists it hands out have their capacity cut to
// their length, so appending to one never writes into a neighbour.
//
// A slab from NewRecyclingSlab keeps its chunks, so that Reset can hand
// the same memory out again for the next document.
type Slab struct {
	vs      chunks[Value]
	ms      chunks[Member]
	ps      chunks[*Value]
	recycle bool
}

const (
	slabValues  = 64
	slabMembers = 128
	slabElems   = 64
	// recycledMax bounds what a recycling slab keeps across Reset, in
	// chunks of each kind: a huge document's memory is not kept.
	recycledMax = 16
)

// NewRecyclingSlab returns a Slab whose memory Reset recycles.
func NewRecyclingSlab() *Slab { return &Slab{recycle: true} }

// Reset zeroes every value, member and element list s handed out and lets s
// hand that memory out again. Every Value from s is invalid afterwards: use
// it only when nothing holds one. It does nothing for a slab that was not
// made by NewRecyclingSlab.
func (s *Slab) Reset() {
	if !s.recycle {
		return
	}
	s.vs.reset()
	s.ms.reset()
	s.ps.reset()
}

// chunks is a run of same-sized chunks that lists are cut from.
type chunks[T any] struct {
	cur   []T   // the free part of the current chunk
	used  [][]T // whole chunks handed out from (recycling slabs only)
	spare [][]T // zeroed chunks ready to be handed out again
}

// refill starts a new chunk of size n.
func (c *chunks[T]) refill(n int, recycle bool) {
	if k := len(c.spare); k > 0 {
		c.cur, c.spare = c.spare[k-1], c.spare[:k-1]
	} else {
		c.cur = make([]T, n)
	}
	if recycle {
		c.used = append(c.used, c.cur)
	}
}

// take cuts a list of n (a list of its own when n is large).
func (c *chunks[T]) take(n, size int, recycle bool) []T {
	if n == 0 {
		return []T{}
	}
	if n > size/4 {
		return make([]T, n)
	}
	if len(c.cur) < n {
		c.refill(size, recycle)
	}
	l := c.cur[:n:n]
	c.cur = c.cur[n:]
	return l
}

func (c *chunks[T]) reset() {
	for i, ch := range c.used {
		if len(c.spare) < recycledMax {
			if i == len(c.used)-1 {
				ch = ch[:len(ch)-len(c.cur)] // the free tail is still zero
			}
			clear(ch)
			c.spare = append(c.spare, ch[:cap(ch)])
		}
	}
	clear(c.used)
	c.used, c.cur = c.used[:0], nil
}

func (s *Slab) value() *Value {
	if len(s.vs.cur) == 0 {
		s.vs.refill(slabValues, s.recycle)
	}
	v := &s.vs.cur[0]
	s.vs.cur = s.vs.cur[1:]
	return v
}

func (s *Slab) members(n int) []Member { return s.ms.take(n, slabMembers, s.recycle) }

func (s *Slab) elems(n int) []*Value { return s.ps.take(n, slabElems, s.recycle) }

// String returns a String value from the slab.
func (s *Slab) String(str string) *Value {
	v := s.value()
	v.kind, v.s = String, str
	return v
}

// Number returns a Number value from the slab.
func (s *Slab) Number(n float64) *Value {
	v := s.value()
	v.kind, v.n = Number, n
	return v
}

// Bool returns a Bool value from the slab.
func (s *Slab) Bool(b bool) *Value {
	v := s.value()
	v.kind, v.b = Bool, b
	return v
}

// Null returns a Null value from the slab.
func (s *Slab) Null() *Value {
	v := s.value()
	v.kind = Null
	return v
}

// Object returns an Object value with n zero members, to be filled in
// through Members.
func (s *Slab) Object(n int) *Value {
	v := s.value()
	v.kind, v.obj = Object, s.members(n)
	return v
}

// Array returns an Array value with n nil elements, to be filled in through
// Elems.
func (s *Slab) Array(n int) *Value {
	v := s.value()
	v.kind, v.arr = Array, s.elems(n)
	return v
}

// SetString turns v, in place, into the String value s.
func (v *Value) SetString(s string) { *v = Value{kind: String, s: s} }

// SetNumber turns v, in place, into the Number value n.
func (v *Value) SetNumber(n float64) { *v = Value{kind: Number, n: n} }

// SetBool turns v, in place, into the Bool value b.
func (v *Value) SetBool(b bool) { *v = Value{kind: Bool, b: b} }

// SetNull turns v, in place, into null.
func (v *Value) SetNull() { *v = Value{kind: Null} }
