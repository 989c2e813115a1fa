package trustlist

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// HexBytes is a hash or identifier that encodes to JSON as lower-case hex,
// the form the CLI prints and `sha256sum` prints, so one hash reads the same
// in every tool and API (spec/trustlist.md §1).
type HexBytes []byte

// MarshalJSON encodes b as a hex string.
func (b HexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(b)) }

// UnmarshalJSON decodes a hex string.
func (b *HexBytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("hash %q is not hex: %w", s, err)
	}
	*b = v
	return nil
}

// ParseHash decodes a SHA-256 hash given as 64 hex digits in either case (as
// `sha256sum` prints it; surrounding space and a trailing file name are
// ignored), spec/trustlist.md §1.
func ParseHash(s string) ([]byte, error) {
	if f := strings.Fields(s); len(f) > 0 {
		s = f[0]
	}
	v, err := hex.DecodeString(s)
	if err != nil || len(v) != 32 {
		return nil, fmt.Errorf("%q is not a SHA-256 hash (64 hex digits)", s)
	}
	return v, nil
}
