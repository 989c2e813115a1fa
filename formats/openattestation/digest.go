package openattestation

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/crypto"
)

// v2Leaves flattens a v2 document's data as the reference library does
// (flatley with "." as delimiter): objects and arrays are descended into
// when they have at least one key, array indexes are keys, and empty objects
// or arrays are leaves themselves. A key containing "." is an error, as
// there. fn receives the dot path and the leaf.
func v2Leaves(v *Value, prefix string, depth int, fn func(path string, leaf *Value)) error {
	if depth > MaxDepth {
		return fmt.Errorf("data nested deeper than %d", MaxDepth)
	}
	visit := func(key string, child *Value) error {
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		if (child.Kind() == Object && len(child.obj) > 0) || (child.Kind() == Array && len(child.arr) > 0) {
			return v2Leaves(child, path, depth+1, fn)
		}
		fn(path, child)
		return nil
	}
	switch v.Kind() {
	case Object:
		for _, m := range v.obj {
			if strings.Contains(m.Key, ".") {
				return fmt.Errorf("key %q contains '.', which OpenAttestation forbids", clip(m.Key))
			}
			if err := visit(m.Key, m.Value); err != nil {
				return err
			}
		}
	case Array:
		for i, e := range v.arr {
			if err := visit(strconv.Itoa(i), e); err != nil {
				return err
			}
		}
	default:
		return errors.New("data is not an object")
	}
	return nil
}

// leafHash is keccak256(JSON.stringify({[path]: value})) as lowercase hex.
func leafHash(buf []byte, path string, leaf *Value) ([]byte, string) {
	buf = append(buf[:0], '{')
	buf = appendJSString(buf, path)
	buf = append(buf, ':')
	buf = appendValue(buf, leaf, "", "")
	buf = append(buf, '}')
	h := keccak(buf)
	return buf, h.Hex()
}

// leafHashString is leafHash for a string value built by concatenation
// (v3: salt + ":" + String(value)).
func leafHashString(buf []byte, path, value string) ([]byte, string) {
	buf = append(buf[:0], '{')
	buf = appendJSString(buf, path)
	buf = append(buf, ':')
	buf = appendJSString(buf, value)
	buf = append(buf, '}')
	h := keccak(buf)
	return buf, h.Hex()
}

// obfuscatedHashes reads an array of obfuscated leaf hashes. OpenAttestation
// writes them as 64 lowercase hex digits; anything else is refused.
func obfuscatedHashes(v *Value, where string) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	if v.Kind() != Array {
		return nil, fmt.Errorf("%s is not an array", where)
	}
	out := make([]string, 0, len(v.arr))
	for i, e := range v.arr {
		s, ok := e.Str()
		if !ok || !isLowerHex64(s) {
			return nil, fmt.Errorf("%s[%d] is not a 64-digit lowercase hex hash", where, i)
		}
		out = append(out, s)
	}
	return out, nil
}

func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// digestHashes is keccak256(JSON.stringify(sortBy(hashes))) for hex hashes.
func digestHashes(hashes []string) string {
	sort.Strings(hashes)
	n := 2
	for _, h := range hashes {
		n += len(h) + 3
	}
	buf := make([]byte, 0, n)
	buf = append(buf, '[')
	for i, h := range hashes {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, h...)
		buf = append(buf, '"')
	}
	buf = append(buf, ']')
	d := keccak(buf)
	return d.Hex()
}

// errProtoKey refuses "__proto__" keys: JavaScript verifiers silently drop
// such a field from the hash, so it could be added to a signed document.
var errProtoKey = errors.New(`a "__proto__" key is not allowed (JavaScript verifiers would not hash it)`)

// DigestV2 computes the targetHash of an OpenAttestation v2 document: the
// hashes of every flattened leaf of data plus privacy.obfuscatedData,
// sorted, hashed as a JSON array.
func DigestV2(doc *Value) (string, error) {
	h, _, err := digestV2(doc)
	if err != nil {
		return "", err
	}
	return h.Hex(), nil
}

// digestV2 returns the digest and the number of visible leaves.
func digestV2(doc *Value) (Hash, int, error) {
	data := doc.Get("data")
	if data.Kind() != Object {
		return Hash{}, 0, errors.New("data is missing or not an object")
	}
	obf, err := obfuscatedHashes(doc.Path("privacy", "obfuscatedData"), "privacy.obfuscatedData")
	if err != nil {
		return Hash{}, 0, err
	}
	dg := digesters.Get().(*digester)
	defer func() {
		if cap(dg.buf) > 1<<20 || cap(dg.hashes) > 1<<14 {
			dg.buf, dg.hashes = nil, nil // do not keep a huge document's buffers
		}
		digesters.Put(dg)
	}()
	dg.hashes, dg.path = dg.hashes[:0], dg.path[:0]
	for _, o := range obf {
		h, _ := parseHash(o)
		dg.hashes = append(dg.hashes, h)
	}
	if err := dg.walkV2(data, 0); err != nil {
		return Hash{}, 0, err
	}
	return dg.digest(), len(dg.hashes) - len(obf), nil
}

// digesters recycles digesters (keccak state and buffers) across documents.
var digesters = sync.Pool{New: func() any {
	return &digester{st: crypto.NewKeccakState(), hashes: make([]Hash, 0, 128), buf: make([]byte, 0, 4096)}
}}

// digester hashes v2 leaves without allocating per leaf: the JSON-escaped
// path is kept on a stack and each {"path":value} is built in one buffer.
type digester struct {
	st     crypto.KeccakState
	path   []byte
	buf    []byte
	hashes []Hash
}

func (d *digester) sum(b []byte) Hash {
	var h Hash
	d.st.Reset()
	d.st.Write(b)
	d.st.Read(h[:])
	return h
}

func (d *digester) leaf(v *Value) {
	d.buf = append(d.buf[:0], '{', '"')
	d.buf = append(d.buf, d.path...)
	d.buf = append(d.buf, '"', ':')
	d.buf = appendValue(d.buf, v, "", "")
	d.buf = append(d.buf, '}')
	d.hashes = append(d.hashes, d.sum(d.buf))
}

func (d *digester) child(key string, idx int, v *Value, depth int) error {
	mark := len(d.path)
	if mark > 0 {
		d.path = append(d.path, '.')
	}
	if idx >= 0 {
		d.path = strconv.AppendInt(d.path, int64(idx), 10)
	} else {
		d.path = appendJSStringBody(d.path, key)
	}
	var err error
	if (v.Kind() == Object && len(v.obj) > 0) || (v.Kind() == Array && len(v.arr) > 0) {
		err = d.walkV2(v, depth+1)
	} else {
		d.leaf(v)
	}
	d.path = d.path[:mark]
	return err
}

func (d *digester) walkV2(v *Value, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("data nested deeper than %d", MaxDepth)
	}
	if v.Kind() == Array {
		for i, e := range v.arr {
			if err := d.child("", i, e, depth); err != nil {
				return err
			}
		}
		return nil
	}
	for _, m := range v.obj {
		if strings.Contains(m.Key, ".") {
			return fmt.Errorf("key %q contains '.', which OpenAttestation forbids", clip(m.Key))
		}
		if m.Key == "__proto__" {
			return errProtoKey
		}
		if err := d.child(m.Key, -1, m.Value, depth); err != nil {
			return err
		}
	}
	return nil
}

// digest is keccak256(JSON.stringify(sortBy(hex hashes))). Lowercase hex
// strings sort as their bytes do.
func (d *digester) digest() Hash {
	sort.Slice(d.hashes, func(i, j int) bool { return bytes.Compare(d.hashes[i][:], d.hashes[j][:]) < 0 })
	buf := append(d.buf[:0], '[')
	for i, h := range d.hashes {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = hex.AppendEncode(buf, h[:])
		buf = append(buf, '"')
	}
	buf = append(buf, ']')
	d.buf = buf
	return d.sum(buf)
}

// Salt is one v3 salt: the random value for the leaf at Path.
type Salt struct {
	Value string
	Path  string
}

// decodeSalts reads proof.salts of a v3 document: base64 of a JSON array of
// {value, path}, each value 32 bytes as 64 hex digits.
func decodeSalts(s string) ([]Salt, error) {
	raw, err := decodeBase64Loose(s)
	if err != nil {
		return nil, fmt.Errorf("proof.salts is not base64: %v", err)
	}
	v, err := ParseJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("proof.salts: %v", err)
	}
	if v.Kind() != Array {
		return nil, errors.New("proof.salts is not a JSON array")
	}
	out := make([]Salt, 0, len(v.arr))
	for i, e := range v.arr {
		val, ok1 := e.Get("value").Str()
		path, ok2 := e.Get("path").Str()
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("proof.salts[%d] lacks a string value or path", i)
		}
		if len(val) != 64 {
			return nil, fmt.Errorf("proof.salts[%d] (%s): salt must be 32 bytes (64 hex digits)", i, clip(path))
		}
		out = append(out, Salt{Value: val, Path: path})
	}
	return out, nil
}

// decodeBase64Loose accepts standard or URL-safe base64, padded or not (as
// js-base64 does).
func decodeBase64Loose(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	return base64.RawStdEncoding.DecodeString(s)
}

// encodeSalts is the inverse of decodeSalts.
func encodeSalts(salts []Salt) string {
	arr := &Value{kind: Array, arr: make([]*Value, len(salts))}
	for i, s := range salts {
		arr.arr[i] = objV(mem("value", strV(s.Value)), mem("path", strV(s.Path)))
	}
	return base64.StdEncoding.EncodeToString(Stringify(arr))
}

// v3Leaves walks a v3 credential as the reference traverseAndFlatten does:
// paths "a.b[0].c", primitives (string, number, boolean, null) are leaves,
// empty objects and arrays contribute nothing. Keys containing '.', '[' or
// ']' are refused, as the reference salt() refuses them.
func v3Leaves(v *Value, path string, depth int, fn func(path string, leaf *Value)) error {
	if depth > MaxDepth {
		return fmt.Errorf("credential nested deeper than %d", MaxDepth)
	}
	switch v.Kind() {
	case Array:
		for i, e := range v.arr {
			if err := v3Leaves(e, path+"["+strconv.Itoa(i)+"]", depth+1, fn); err != nil {
				return err
			}
		}
	case Object:
		for _, m := range v.obj {
			if m.Key == "__proto__" {
				return errProtoKey
			}
			if strings.ContainsAny(m.Key, ".[]") {
				return fmt.Errorf("key %q contains '.', '[' or ']', which OpenAttestation v3 forbids", clip(m.Key))
			}
			p := m.Key
			if path != "" {
				p = path + "." + m.Key
			}
			if err := v3Leaves(m.Value, p, depth+1, fn); err != nil {
				return err
			}
		}
	default:
		fn(path, v)
	}
	return nil
}

// withoutProof returns the credential minus its top-level "proof".
func withoutProof(doc *Value) *Value {
	c := &Value{kind: Object, obj: make([]Member, 0, len(doc.obj))}
	for _, m := range doc.obj {
		if m.Key != "proof" {
			c.obj = append(c.obj, m)
		}
	}
	return c
}

// DigestV3 computes the targetHash of an OpenAttestation v3 credential: for
// each visible leaf keccak256(JSON.stringify({[path]: salt + ":" + String(value)})),
// plus proof.privacy.obfuscated, sorted, hashed as a JSON array. Every
// visible leaf must have exactly one salt and every salt a visible leaf
// (stricter than the reference, which only compares counts).
func DigestV3(doc *Value) (string, error) {
	saltsStr, ok := doc.Path("proof", "salts").Str()
	if !ok {
		return "", errors.New("proof.salts is missing")
	}
	salts, err := decodeSalts(saltsStr)
	if err != nil {
		return "", err
	}
	obf, err := obfuscatedHashes(doc.Path("proof", "privacy", "obfuscated"), "proof.privacy.obfuscated")
	if err != nil {
		return "", err
	}
	byPath := make(map[string]string, len(salts))
	for _, s := range salts {
		if _, dup := byPath[s.Path]; dup {
			return "", fmt.Errorf("proof.salts names %q twice", clip(s.Path))
		}
		byPath[s.Path] = s.Value
	}
	hashes := obf
	var buf []byte
	var h string
	var missing string
	n := 0
	err = v3Leaves(withoutProof(doc), "", 0, func(path string, leaf *Value) {
		n++
		salt, ok := byPath[path]
		if !ok {
			if missing == "" {
				missing = path
			}
			return
		}
		buf, h = leafHashString(buf, path, salt+":"+jsString(leaf))
		hashes = append(hashes, h)
	})
	if err != nil {
		return "", err
	}
	if missing != "" {
		return "", fmt.Errorf("field %q has no salt (added after wrapping?)", clip(missing))
	}
	if n != len(salts) {
		return "", fmt.Errorf("%d salts for %d visible fields (a field was removed without being obfuscated)", len(salts), n)
	}
	return digestHashes(hashes), nil
}

// uuidV4 reports whether s is a version-4 UUID (validator.js isUUID(s, 4)).
func uuidV4(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		case 14:
			if c != '4' {
				return false
			}
		case 19:
			if !strings.ContainsRune("89abAB", rune(c)) {
				return false
			}
		default:
			if hexVal(c) < 0 {
				return false
			}
		}
	}
	return true
}

// errMalformedSalt marks a salted string whose type annotation is unknown.
var errMalformedSalt = errors.New("malformed salt")

// unsaltString reverses the v2 salt "<uuid>:<type>:<value>" as the reference
// unsalt does. A string without a v4 UUID prefix is returned unchanged
// (salted=false).
func unsaltString(s string) (v *Value, salted bool, err error) {
	i := strings.IndexByte(s, ':')
	if i < 0 || !uuidV4(s[:i]) {
		return strV(s), false, nil
	}
	if len(s) < 37 {
		return nil, true, fmt.Errorf("%w: %q has no type annotation", errMalformedSalt, clip(s))
	}
	rest := strings.TrimFunc(s[37:], isJSSpace)
	typ, val, _ := strings.Cut(rest, ":")
	switch typ {
	case "string":
		return strV(val), true, nil
	case "number":
		f, err := jsNumber(val)
		if err != nil {
			return nil, true, fmt.Errorf("%w: %q: %v", errMalformedSalt, clip(s), err)
		}
		return numV(f), true, nil
	case "boolean":
		return boolV(val == "true"), true, nil
	case "null":
		return &Value{kind: Null}, true, nil
	case "undefined":
		return &Value{kind: Null}, true, nil
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
// replaced by its typed value. It counts unsalted strings and returns the
// first malformed salt found (with its path).
func unsaltTree(v *Value, path string, unsalted *int) (*Value, error) {
	var sl slab
	u, se := sl.unsalt(v, unsalted)
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

// slab hands out Values in chunks.
type slab struct{ vs []Value }

func (s *slab) new() *Value {
	if len(s.vs) == 0 {
		s.vs = make([]Value, 64)
	}
	v := &s.vs[0]
	s.vs = s.vs[1:]
	return v
}

func (s *slab) unsalt(v *Value, unsalted *int) (*Value, *saltErr) {
	switch v.Kind() {
	case String:
		u, salted, err := unsaltString(v.s)
		if err != nil {
			return nil, &saltErr{err: err}
		}
		if !salted {
			*unsalted++
			return v, nil
		}
		return u, nil
	case Object:
		out := s.new()
		out.kind, out.obj = Object, make([]Member, len(v.obj))
		for i, m := range v.obj {
			c, se := s.unsalt(m.Value, unsalted)
			if se != nil {
				se.path = append(se.path, m.Key)
				return nil, se
			}
			out.obj[i] = Member{Key: m.Key, Value: c}
		}
		return out, nil
	case Array:
		out := s.new()
		out.kind, out.arr = Array, make([]*Value, len(v.arr))
		for i, e := range v.arr {
			c, se := s.unsalt(e, unsalted)
			if se != nil {
				se.path = append(se.path, strconv.Itoa(i))
				return nil, se
			}
			out.arr[i] = c
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

// randomUUIDv4 formats 16 random bytes as a version-4 UUID.
func uuidFromBytes(b [16]byte) string {
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
