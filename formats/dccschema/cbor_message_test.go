package dccschema

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/accord-network/accord/internal/jsonvalue"
)

// cborOf re-encodes a JSON payload as the plain CBOR an HC1 carries.
func cborOf(t *testing.T, js []byte) []byte {
	t.Helper()
	v, err := jsonvalue.Decode(js)
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := plainCBOR(v)
	if !ok {
		t.Fatalf("payload has no plain CBOR form: %s", js)
	}
	return raw
}

// TestValidateCBORNamesField: the CBOR path describes a failure as the JSON
// path does, naming the missing or wrong field rather than the oneOf that
// holds it ("oneOf failed, none matched").
func TestValidateCBORNamesField(t *testing.T) {
	cases := []struct {
		name, path string
		val        any
		want       string
	}{
		{"no dob", "dob", nil, "/: missing property 'dob'"},
		{"dob 1815", "dob", "1815-08-24", "/dob"},
		{"no fnt", "nam.fnt", nil, "missing property 'fnt'"},
		{"lower-case fnt", "nam.fnt", "Musterfrau", "/nam/fnt"},
		{"bad dose", "v.0.dn", 0, "/v/0/dn"},
		{"impossible date", "v.0.dt", "2021-02-30", "/v/0/dt"},
		{"missing ci", "v.0.ci", nil, "missing property 'ci'"},
		{"co lower case", "v.0.co", "at", "/v/0/co"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			js := edit(t, vaccination, c.path, c.val)
			got := ValidateCBOR(cborOf(t, js))
			if !errors.Is(got, ErrInvalid) {
				t.Fatalf("ValidateCBOR = %v, want ErrInvalid", got)
			}
			if !strings.Contains(got.Error(), c.want) || strings.Contains(got.Error(), "none matched") {
				t.Errorf("ValidateCBOR error %q does not name %q", got, c.want)
			}
			if want := Validate(js); want == nil || got.Error() != want.Error() {
				t.Errorf("ValidateCBOR error %q, Validate error %v: want the same", got, want)
			}
		})
	}
}

// TestValidateCBORNamesFieldTestData: an EU DCC test-data payload with dob
// removed, re-encoded as CBOR, is refused naming dob.
func TestValidateCBORNamesFieldTestData(t *testing.T) {
	cases, _ := loadCases(t) // skips when ../shared is absent
	var payload []byte       // the first payload with a dob that the schema accepts
	for _, tc := range cases {
		if !bytes.Contains(tc.json, []byte(`"dob"`)) {
			continue
		}
		if v, err := jsonvalue.Decode(tc.json); err == nil {
			if raw, ok := plainCBOR(v); ok && ValidateCBOR(raw) == nil {
				payload = tc.json
				break
			}
		}
	}
	if payload == nil {
		t.Fatal("no EU DCC test-data payload with a dob passes the schema")
	}
	js := edit(t, string(payload), "dob", nil)
	err := ValidateCBOR(cborOf(t, js))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "missing property 'dob'") {
		t.Fatalf("ValidateCBOR without dob = %v, want a failure naming dob", err)
	}
}
