package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/accord-network/accord/internal/clibase"
)

// readBounded reads r to its end, or fails past limit bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) { return clibase.ReadBounded(r, limit) }

// plural says "1 key", "2 keys", "1 entry", "3 entries".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	switch {
	case strings.HasSuffix(word, "y") && !strings.HasSuffix(word, "ey"):
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	case strings.HasSuffix(word, "s"), strings.HasSuffix(word, "sh"), strings.HasSuffix(word, "ch"):
		return fmt.Sprintf("%d %ses", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
