package trustlist_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/accord-network/accord/trustlist"
)

// TestParseHash pins spec/trustlist.md §1's expected-hash rule: a descriptor
// hash is given as 64 hex digits in either case (printed lower-case, read out
// and typed back as it comes), alone or as sha256sum prints it; anything
// else is refused saying what a hash is.
func TestParseHash(t *testing.T) {
	lower := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	want := []byte{0x9f, 0x86, 0xd0, 0x81}
	for _, s := range []string{lower, strings.ToUpper(lower), lower + "  descriptor.cose\n", " " + lower[:32] + strings.ToUpper(lower[32:])} {
		b, err := trustlist.ParseHash(s)
		if err != nil || len(b) != 32 || !bytes.HasPrefix(b, want) {
			t.Errorf("ParseHash(%q) = %x, %v", s, b, err)
		}
	}
	for _, s := range []string{"", lower[:63], lower + "0", "0x" + lower, strings.Replace(lower, "9", "g", 1)} {
		if _, err := trustlist.ParseHash(s); err == nil || !strings.Contains(err.Error(), "not a SHA-256 hash (64 hex digits)") {
			t.Errorf("ParseHash(%q): %v", s, err)
		}
	}
}
