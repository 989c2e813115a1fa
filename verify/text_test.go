package verify

import (
	"strings"
	"testing"
)

// TestTextBufGrowLen pins that strings handed out stay intact across Grow
// and chunk changes, and that Len counts every byte written.
func TestTextBufGrowLen(t *testing.T) {
	var tb TextBuf
	tb.Grow(8)
	a := tb.Join("abcd", "efgh") // fills the 8-byte chunk
	b := tb.Join("ijk")          // a new default chunk
	tb.Grow(4096)                // a new chunk again
	c := tb.Join(strings.Repeat("x", 100))
	if a != "abcdefgh" || b != "ijk" || c != strings.Repeat("x", 100) {
		t.Fatalf("strings changed: %q %q %q", a, b, c)
	}
	if tb.Len() != 8+3+100 {
		t.Fatalf("Len = %d, want %d", tb.Len(), 8+3+100)
	}
	if cap(tb.b) != 4096 {
		t.Fatalf("Grow(4096) left a chunk of %d", cap(tb.b))
	}
}
