package oacore

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/internal/ojson"
)

// V2Leaves flattens a v2 document's data as the reference library does
// (flatley with "." as delimiter): objects and arrays are descended into
// when they have at least one key, array indexes are keys, and empty objects
// or arrays are leaves themselves. A key containing "." is an error, as
// there. fn receives the dot path and the leaf.
func V2Leaves(v *ojson.Value, prefix string, depth int, fn func(path string, leaf *ojson.Value)) error {
	if depth > ojson.MaxDepth {
		return fmt.Errorf("data nested deeper than %d", ojson.MaxDepth)
	}
	visit := func(key string, child *ojson.Value) error {
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		if child.Container() {
			return V2Leaves(child, path, depth+1, fn)
		}
		fn(path, child)
		return nil
	}
	switch v.Kind() {
	case ojson.Object:
		for _, m := range v.Members() {
			if strings.Contains(m.Key, ".") {
				return fmt.Errorf("key %q contains '.', which OpenAttestation forbids", Clip(m.Key))
			}
			if err := visit(m.Key, m.Value); err != nil {
				return err
			}
		}
	case ojson.Array:
		for i, e := range v.Elems() {
			if err := visit(strconv.Itoa(i), e); err != nil {
				return err
			}
		}
	default:
		return errors.New("data is not an object")
	}
	return nil
}

// LeafHash is keccak256(JSON.stringify({[path]: value})) as lowercase hex.
func LeafHash(buf []byte, path string, leaf *ojson.Value) ([]byte, string) {
	buf = append(buf[:0], '{')
	buf = ojson.AppendString(buf, path)
	buf = append(buf, ':')
	buf = ojson.AppendValue(buf, leaf)
	buf = append(buf, '}')
	h := Keccak(buf)
	return buf, h.Hex()
}

// LeafHashString is LeafHash for a string value built by concatenation
// (v3: salt + ":" + String(value)).
func LeafHashString(buf []byte, path, value string) ([]byte, string) {
	buf = append(buf[:0], '{')
	buf = ojson.AppendString(buf, path)
	buf = append(buf, ':')
	buf = ojson.AppendString(buf, value)
	buf = append(buf, '}')
	h := Keccak(buf)
	return buf, h.Hex()
}

// ObfuscatedHashes reads an array of obfuscated leaf hashes. OpenAttestation
// writes them as 64 lowercase hex digits; anything else is refused.
func ObfuscatedHashes(v *ojson.Value, where string) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	if v.Kind() != ojson.Array {
		return nil, fmt.Errorf("%s is not an array", where)
	}
	out := make([]string, 0, len(v.Elems()))
	for i, e := range v.Elems() {
		s, ok := e.Str()
		if !ok || !IsLowerHex64(s) {
			return nil, fmt.Errorf("%s[%d] is not a 64-digit lowercase hex hash", where, i)
		}
		out = append(out, s)
	}
	return out, nil
}

func IsLowerHex64(s string) bool {
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

// DigestHashes is keccak256(JSON.stringify(sortBy(hashes))) for hex hashes.
func DigestHashes(hashes []string) string {
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
	d := Keccak(buf)
	return d.Hex()
}

// ErrProtoKey refuses "__proto__" keys: JavaScript verifiers silently drop
// such a field from the hash, so it could be added to a signed document.
var ErrProtoKey = errors.New(`a "__proto__" key is not allowed (JavaScript verifiers would not hash it)`)

// DigestV2 computes the targetHash of an OpenAttestation v2 document: the
// hashes of every flattened leaf of data plus privacy.obfuscatedData,
// sorted, hashed as a JSON array.
func DigestV2(doc *ojson.Value) (string, error) {
	h, _, err := DigestV2Hash(doc)
	if err != nil {
		return "", err
	}
	return h.Hex(), nil
}

// DigestV2Hash returns the digest and the number of visible leaves.
func DigestV2Hash(doc *ojson.Value) (Hash, int, error) { return DigestV2Visit(doc, nil) }

// DigestV2Visit is DigestV2Hash that hands each leaf to visit (when not
// nil) right after hashing it, in document order, so that a caller can
// rewrite the leaf in place (unsalt it) without walking the data again.
// Leaves after an error are not visited.
func DigestV2Visit(doc *ojson.Value, visit func(leaf *ojson.Value)) (Hash, int, error) {
	data := doc.Get("data")
	if data.Kind() != ojson.Object {
		return Hash{}, 0, errors.New("data is missing or not an object")
	}
	obf, err := ObfuscatedHashes(doc.Path("privacy", "obfuscatedData"), "privacy.obfuscatedData")
	if err != nil {
		return Hash{}, 0, err
	}
	dg := digesters.Get().(*digester)
	defer func() {
		if cap(dg.buf) > 1<<20 || cap(dg.hashes) > 1<<14 {
			dg.buf, dg.hashes = nil, nil // do not keep a huge document's buffers
		}
		dg.visit = nil
		digesters.Put(dg)
	}()
	dg.hashes, dg.path, dg.visit = dg.hashes[:0], dg.path[:0], visit
	for _, o := range obf {
		h, _ := ParseHash(o)
		dg.hashes = append(dg.hashes, h)
	}
	if err := dg.walkV2(data, 0); err != nil {
		return Hash{}, 0, err
	}
	return dg.digest(), len(dg.hashes) - len(obf), nil
}

// digesters recycles digesters (keccak state and buffers) across documents.
var digesters = sync.Pool{New: func() any {
	return &digester{st: NewKeccakState(), hashes: make([]Hash, 0, 128), buf: make([]byte, 0, 4096)}
}}

// digester hashes v2 leaves without allocating per leaf: the JSON-escaped
// path is kept on a stack and each {"path":value} is built in one buffer.
type digester struct {
	st     crypto.KeccakState
	path   []byte
	buf    []byte
	hashes []Hash
	out    Hash
	visit  func(*ojson.Value)
}

func (d *digester) sum(b []byte) Hash {
	d.st.Reset()
	d.st.Write(b)
	d.st.Read(d.out[:]) // into the digester: a local would escape through the interface
	return d.out
}

func (d *digester) leaf(v *ojson.Value) {
	d.buf = append(d.buf[:0], '{', '"')
	d.buf = append(d.buf, d.path...)
	d.buf = append(d.buf, '"', ':')
	d.buf = ojson.AppendValue(d.buf, v)
	d.buf = append(d.buf, '}')
	d.hashes = append(d.hashes, d.sum(d.buf))
	if d.visit != nil {
		d.visit(v)
	}
}

func (d *digester) child(key string, idx int, v *ojson.Value, depth int) error {
	mark := len(d.path)
	if mark > 0 {
		d.path = append(d.path, '.')
	}
	if idx >= 0 {
		d.path = strconv.AppendInt(d.path, int64(idx), 10)
	} else {
		d.path = ojson.AppendStringBody(d.path, key)
	}
	var err error
	if v.Container() {
		err = d.walkV2(v, depth+1)
	} else {
		d.leaf(v)
	}
	d.path = d.path[:mark]
	return err
}

func (d *digester) walkV2(v *ojson.Value, depth int) error {
	if depth > ojson.MaxDepth {
		return fmt.Errorf("data nested deeper than %d", ojson.MaxDepth)
	}
	if v.Kind() == ojson.Array {
		for i, e := range v.Elems() {
			if err := d.child("", i, e, depth); err != nil {
				return err
			}
		}
		return nil
	}
	for _, m := range v.Members() {
		if strings.Contains(m.Key, ".") {
			return fmt.Errorf("key %q contains '.', which OpenAttestation forbids", Clip(m.Key))
		}
		if m.Key == "__proto__" {
			return ErrProtoKey
		}
		if err := d.child(m.Key, -1, m.Value, depth); err != nil {
			return err
		}
	}
	return nil
}

// compareHash orders hashes as bytes.Compare does, a word at a time.
func compareHash(a, b Hash) int {
	for i := 0; i < len(a); i += 8 {
		x, y := binary.BigEndian.Uint64(a[i:]), binary.BigEndian.Uint64(b[i:])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// digest is keccak256(JSON.stringify(sortBy(hex hashes))). Lowercase hex
// strings sort as their bytes do.
func (d *digester) digest() Hash {
	slices.SortFunc(d.hashes, compareHash)
	buf := append(d.buf[:0], '[')
	for i, h := range d.hashes {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendHexQuoted(buf, &h)
	}
	buf = append(buf, ']')
	d.buf = buf
	return d.sum(buf)
}

// hexPairs holds the two lowercase hex digits of every byte.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&15]}
	}
	return t
}()

// appendHexQuoted appends h as 64 lowercase hex digits in double quotes (a
// byte at a time through hexPairs: the digest writes one per leaf).
func appendHexQuoted(buf []byte, h *Hash) []byte {
	n := len(buf)
	buf = slices.Grow(buf, 2*len(h)+2)[:n+2*len(h)+2]
	out := buf[n:]
	out[0] = '"'
	for i, c := range h {
		p := hexPairs[c]
		out[1+2*i], out[2+2*i] = p[0], p[1]
	}
	out[len(out)-1] = '"'
	return buf
}

// Salt is one v3 salt: the random value for the leaf at Path.
type Salt struct {
	Value string
	Path  string
}

// DecodeSalts reads proof.salts of a v3 document: base64 of a JSON array of
// {value, path}, each value 32 bytes as 64 hex digits.
func DecodeSalts(s string) ([]Salt, error) {
	raw, err := decodeBase64Loose(s)
	if err != nil {
		return nil, fmt.Errorf("proof.salts is not base64: %v", err)
	}
	v, err := ojson.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("proof.salts: %v", err)
	}
	if v.Kind() != ojson.Array {
		return nil, errors.New("proof.salts is not a JSON array")
	}
	out := make([]Salt, 0, len(v.Elems()))
	for i, e := range v.Elems() {
		val, ok1 := e.Get("value").Str()
		path, ok2 := e.Get("path").Str()
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("proof.salts[%d] lacks a string value or path", i)
		}
		if len(val) != 64 {
			return nil, fmt.Errorf("proof.salts[%d] (%s): salt must be 32 bytes (64 hex digits)", i, Clip(path))
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

// EncodeSalts is the inverse of DecodeSalts.
func EncodeSalts(salts []Salt) string {
	arr := ojson.NewArray(make([]*ojson.Value, len(salts))...)
	for i, s := range salts {
		arr.Elems()[i] = ojson.NewObject(ojson.M("value", ojson.NewString(s.Value)), ojson.M("path", ojson.NewString(s.Path)))
	}
	return base64.StdEncoding.EncodeToString(ojson.Stringify(arr))
}

// V3Leaves walks a v3 credential as the reference traverseAndFlatten does:
// paths "a.b[0].c", primitives (string, number, boolean, null) are leaves,
// empty objects and arrays contribute nothing. Keys containing '.', '[' or
// ']' are refused, as the reference salt() refuses them.
func V3Leaves(v *ojson.Value, path string, depth int, fn func(path string, leaf *ojson.Value)) error {
	if depth > ojson.MaxDepth {
		return fmt.Errorf("credential nested deeper than %d", ojson.MaxDepth)
	}
	switch v.Kind() {
	case ojson.Array:
		for i, e := range v.Elems() {
			if err := V3Leaves(e, path+"["+strconv.Itoa(i)+"]", depth+1, fn); err != nil {
				return err
			}
		}
	case ojson.Object:
		for _, m := range v.Members() {
			if m.Key == "__proto__" {
				return ErrProtoKey
			}
			if strings.ContainsAny(m.Key, ".[]") {
				return fmt.Errorf("key %q contains '.', '[' or ']', which OpenAttestation v3 forbids", Clip(m.Key))
			}
			p := m.Key
			if path != "" {
				p = path + "." + m.Key
			}
			if err := V3Leaves(m.Value, p, depth+1, fn); err != nil {
				return err
			}
		}
	default:
		fn(path, v)
	}
	return nil
}

// WithoutProof returns the credential minus its top-level "proof".
func WithoutProof(doc *ojson.Value) *ojson.Value {
	ms := make([]ojson.Member, 0, len(doc.Members()))
	for _, m := range doc.Members() {
		if m.Key != "proof" {
			ms = append(ms, m)
		}
	}
	return ojson.NewObject(ms...)
}

// DigestV3 computes the targetHash of an OpenAttestation v3 credential: for
// each visible leaf keccak256(JSON.stringify({[path]: salt + ":" + String(value)})),
// plus proof.privacy.obfuscated, sorted, hashed as a JSON array. Every
// visible leaf must have exactly one salt and every salt a visible leaf
// (stricter than the reference, which only compares counts).
func DigestV3(doc *ojson.Value) (string, error) {
	saltsStr, ok := doc.Path("proof", "salts").Str()
	if !ok {
		return "", errors.New("proof.salts is missing")
	}
	salts, err := DecodeSalts(saltsStr)
	if err != nil {
		return "", err
	}
	obf, err := ObfuscatedHashes(doc.Path("proof", "privacy", "obfuscated"), "proof.privacy.obfuscated")
	if err != nil {
		return "", err
	}
	byPath := make(map[string]string, len(salts))
	for _, s := range salts {
		if _, dup := byPath[s.Path]; dup {
			return "", fmt.Errorf("proof.salts names %q twice", Clip(s.Path))
		}
		byPath[s.Path] = s.Value
	}
	hashes := obf
	var buf []byte
	var h string
	var missing string
	n := 0
	err = V3Leaves(WithoutProof(doc), "", 0, func(path string, leaf *ojson.Value) {
		n++
		salt, ok := byPath[path]
		if !ok {
			if missing == "" {
				missing = path
			}
			return
		}
		buf, h = LeafHashString(buf, path, salt+":"+ojson.JSString(leaf))
		hashes = append(hashes, h)
	})
	if err != nil {
		return "", err
	}
	if missing != "" {
		return "", fmt.Errorf("field %q has no salt (added after wrapping?)", Clip(missing))
	}
	if n != len(salts) {
		return "", fmt.Errorf("%d salts for %d visible fields (a field was removed without being obfuscated)", len(salts), n)
	}
	return DigestHashes(hashes), nil
}

// UUIDv4 reports whether s is a version-4 UUID (validator.js isUUID(s, 4)).
func UUIDv4(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' || s[14] != '4' {
		return false
	}
	switch s[19] {
	case '8', '9', 'a', 'b', 'A', 'B':
	default:
		return false
	}
	for i := 0; i < 36; i++ {
		if !isHex[s[i]] && i != 8 && i != 13 && i != 18 && i != 23 {
			return false
		}
	}
	return true
}

var isHex = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = ojson.HexVal(byte(c)) >= 0
	}
	return t
}()

// UUIDFromBytes formats 16 random bytes as a version-4 UUID.
func UUIDFromBytes(b [16]byte) string {
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
