package verify

import (
	"encoding/hex"
	"strconv"
	"time"
	"unsafe"
)

// TextBuf builds the detail strings of one verification's checks in one
// growing buffer, so that a passing check's detail costs no allocation of
// its own (in bulk verification, details are built for every document and
// read for few). The strings are ordinary Go strings: bytes once handed out
// are never written again, because the buffer only grows by appending and a
// full buffer is replaced by a new one, never reused.
//
// The zero value is ready to use. A TextBuf is not safe for concurrent use;
// keep one per verification.
type TextBuf struct {
	b    []byte
	done int // bytes written to chunks given up for a larger one
}

// textChunk is the size of a fresh buffer: the details of a typical
// document fit in one.
const textChunk = 1536

// reserve makes room for n more bytes without moving bytes handed out.
func (t *TextBuf) reserve(n int) {
	if cap(t.b)-len(t.b) < n {
		t.done += len(t.b)
		t.b = make([]byte, 0, max(textChunk, n))
	}
}

// Grow makes room for n more bytes in one piece, as one allocation of
// about n bytes rather than of the default chunk: a format that knows how
// much text a verification writes (Len of a similar one) allocates that
// much and no more.
func (t *TextBuf) Grow(n int) {
	if cap(t.b)-len(t.b) < n {
		t.done += len(t.b)
		t.b = make([]byte, 0, n)
	}
}

// Len returns the number of bytes written to t.
func (t *TextBuf) Len() int { return t.done + len(t.b) }

// cut returns the bytes appended since start as a string.
func (t *TextBuf) cut(start int) string {
	if len(t.b) == start {
		return ""
	}
	return unsafe.String(&t.b[start], len(t.b)-start)
}

// Join returns the concatenation of parts.
func (t *TextBuf) Join(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	t.reserve(n)
	start := len(t.b)
	for _, p := range parts {
		t.b = append(t.b, p...)
	}
	return t.cut(start)
}

// Time returns tm in UTC as RFC 3339 (the form every check detail uses).
func (t *TextBuf) Time(tm time.Time) string {
	t.reserve(len(time.RFC3339) + 16)
	start := len(t.b)
	t.b = tm.UTC().AppendFormat(t.b, time.RFC3339)
	return t.cut(start)
}

// Uint returns n in decimal.
func (t *TextBuf) Uint(n uint64) string {
	t.reserve(20)
	start := len(t.b)
	t.b = strconv.AppendUint(t.b, n, 10)
	return t.cut(start)
}

// Hex returns b in lowercase hexadecimal.
func (t *TextBuf) Hex(b []byte) string {
	t.reserve(2 * len(b))
	start := len(t.b)
	t.b = hex.AppendEncode(t.b, b)
	return t.cut(start)
}

// Int returns n in decimal.
func (t *TextBuf) Int(n int64) string {
	t.reserve(20)
	start := len(t.b)
	t.b = strconv.AppendInt(t.b, n, 10)
	return t.cut(start)
}

// Quote returns s as a double-quoted Go string literal (strconv.Quote).
func (t *TextBuf) Quote(s string) string {
	t.reserve(len(s) + 2)
	start := len(t.b)
	t.b = strconv.AppendQuote(t.b, s)
	return t.cut(start)
}
