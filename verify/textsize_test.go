package verify

import (
	"strings"
	"testing"
)

// TestNextTextHint pins the text buffer's sizing: up at once to a larger
// need, down by an eighth after a smaller one, bounded.
func TestNextTextHint(t *testing.T) {
	h := nextTextHint(0, 1000)
	if h != 1064 {
		t.Fatalf("first hint %d, want 1064", h)
	}
	if h2 := nextTextHint(h, 2000); h2 != 2064 {
		t.Fatalf("hint after a larger text %d, want 2064", h2)
	}
	if h3 := nextTextHint(980, 100); h3 != 980-(980-164+7)/8 {
		t.Fatalf("hint after a smaller text %d, want a step of an eighth down from 980", h3)
	}
	if h4 := nextTextHint(980, 1<<20); h4 != maxTextHint {
		t.Fatalf("hint for a huge text %d, want the bound %d", h4, maxTextHint)
	}
	if h5 := nextTextHint(1064, 1000); h5 != 1064 {
		t.Fatalf("hint after an equal text %d, want it kept at 1064", h5)
	}
}

// TestTextSizer: a zero TextSizer leaves the default chunk; after a
// recorded verification the next buffer starts at that text plus the slack,
// and what the buffer holds does not depend on the hint.
func TestTextSizer(t *testing.T) {
	var s TextSizer
	var first TextBuf
	s.Grow(&first)
	if cap(first.b) != 0 {
		t.Fatalf("zero TextSizer grew the buffer to %d", cap(first.b))
	}
	text := first.Join(strings.Repeat("x", 3000))
	s.Record(&first)

	var next TextBuf
	s.Grow(&next)
	if cap(next.b) != 3064 {
		t.Fatalf("next buffer capacity %d, want 3064", cap(next.b))
	}
	if got := next.Join(strings.Repeat("y", 5000)); len(got) != 5000 || next.Len() != 5000 {
		t.Fatalf("a text longer than the hint: len %d, Len %d", len(got), next.Len())
	}
	if text != strings.Repeat("x", 3000) {
		t.Fatal("an earlier text changed")
	}
}
