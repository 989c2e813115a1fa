package hcert_test

import (
	"testing"

	"github.com/accord-network/accord/formats/hcert"
)

// TestNextTextHint pins the text buffer's sizing: up at once, down slowly,
// bounded.
func TestNextTextHint(t *testing.T) {
	h := hcert.NextTextHint(0, 1000)
	if h != 1064 {
		t.Fatalf("first hint %d, want 1064", h)
	}
	if h2 := hcert.NextTextHint(h, 2000); h2 != 2064 {
		t.Fatalf("hint after a larger text %d, want 2064", h2)
	}
	if h3 := hcert.NextTextHint(2064, 1000); h3 >= 2064 || h3 < 1064+(2064-1064)*7/8 {
		t.Fatalf("hint after a smaller text %d: want a step of an eighth down from 2064", h3)
	}
	if h4 := hcert.NextTextHint(0, 1<<20); h4 != 4096 {
		t.Fatalf("hint for a huge text %d, want the bound 4096", h4)
	}
}
