package trustlist

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// MaxObjectSize bounds every signed object this package decodes (descriptor,
// list, endorsement, evidence). A list of 1,000 X.509 certificates is well
// under 2 MiB; 16 MiB leaves room without letting a hostile peer make us
// allocate without limit.
const MaxObjectSize = 16 << 20

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	// RFC 8949 §4.2.1 core deterministic encoding: shortest forms, sorted map keys.
	encMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF, // duplicate keys are an attack, not a format
		MaxNestedLevels:  16,
		MaxArrayElements: 200_000,
		MaxMapPairs:      200_000,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsAllowed,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

func marshal(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cbor encode: %w", err)
	}
	return b, nil
}

func unmarshal(b []byte, v any) error {
	if len(b) > MaxObjectSize {
		return fmt.Errorf("%w: object of %d bytes exceeds the %d byte limit", ErrMalformed, len(b), MaxObjectSize)
	}
	if err := decMode.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}
