package cborscan

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/accord-network/accord/fixtures"
)

// general is the reference decoder: what Scan reads, it must decode, with
// the bounds internal/hc1 decodes a DCC with.
var general = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  24,
		MaxArrayElements: 4096,
		MaxMapPairs:      4096,
		IndefLength:      cbor.IndefLengthAllowed,
		IntDec:           cbor.IntDecConvertSignedOrFail,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// check compares Scan with the general decoder on b: a plain item must
// decode, into as many values as Scan found tokens.
func check(t *testing.T, b []byte) {
	toks, ok := Scan(nil, b)
	if !ok {
		return
	}
	var v any
	if err := general.Unmarshal(b, &v); err != nil {
		t.Fatalf("Scan read what the decoder refuses (%v): %x", err, b)
	}
	if n := count(v); n != len(toks) {
		t.Fatalf("%d tokens for %d values: %x", len(toks), n, b)
	}
	if toks[0].End != len(toks) {
		t.Fatalf("root ends at %d of %d tokens", toks[0].End, len(toks))
	}
}

func count(v any) int {
	switch x := v.(type) {
	case []any:
		n := 1
		for _, e := range x {
			n += count(e)
		}
		return n
	case map[any]any:
		n := 1
		for k, e := range x {
			n += count(k) + count(e)
		}
		return n
	}
	return 1
}

func TestScan(t *testing.T) {
	for _, c := range []struct {
		hex string
		ok  bool
	}{
		{"a263766572653" + "12e332e30" + "61761b0000000000000001", true},
		{"a2616101616102", false}, // duplicate key
		{"a1016161", false},       // integer key
		{"9f01ff", false},         // indefinite length
		{"f93c00", false},         // float
		{"c074323032312d30352d31385431303a30303a30305a", false}, // tag 0
		{"1bffffffffffffffff", false},                           // beyond int64
		{"62c328", false},                                       // invalid UTF-8
		{"8301f6f7", true},                                      // null, undefined
		{"4401020304", true},                                    // byte string
		{"8201", false},                                         // truncated
		{"0101", false},                                         // trailing byte
	} {
		b, err := hex.DecodeString(c.hex)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := Scan(nil, b); ok != c.ok {
			t.Errorf("%s: ok %v, want %v", c.hex, ok, c.ok)
		}
		check(t, b)
	}
}

// FuzzScan checks on arbitrary bytes that Scan reads only what the general
// decoder decodes, item for item. Seeds: the COSE of the EU DCC test data.
func FuzzScan(f *testing.F) {
	f.Add([]byte{0xa1, 0x61, 'v', 0x81, 0xa1, 0x62, 'c', 'i', 0x61, 'x'})
	if _, err := fixtures.Root(); err == nil {
		func() {
			defer func() { _ = recover() }()
			for i, c := range fixtures.DCCCases(&quiet{}) {
				var h string
				if i%5 == 0 && json.Unmarshal(c.Fields["CBOR"], &h) == nil {
					if b, err := hex.DecodeString(h); err == nil {
						f.Add(b)
					}
				}
			}
		}()
	}
	f.Fuzz(check)
}

// quiet is a testing.TB whose skip or failure stops seeding only.
type quiet struct{ testing.TB }

func (quiet) Helper()              {}
func (quiet) Skip(...any)          { panic("skip") }
func (quiet) Skipf(string, ...any) { panic("skip") }
func (quiet) Fatalf(string, ...any) {
	panic("fatal")
}
func (quiet) Fatal(...any) { panic("fatal") }
