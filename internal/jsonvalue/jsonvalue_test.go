package jsonvalue

import (
	"encoding/json"
	"testing"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{"a":1.0}`, true},
		{` [1, "x", null, true] `, true},
		{`12345678901234567890`, true},
		{`{"a":1} {"b":2}`, false},
		{`{"a":1} x`, false},
		{`{"a":`, false},
		{``, false},
	} {
		v, err := Decode([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("Decode(%q) = %v, %v; want ok %v", tc.in, v, err, tc.ok)
		}
	}
	v, _ := Decode([]byte(`{"a":1.0}`))
	if n, ok := v.(map[string]any)["a"].(json.Number); !ok || n.String() != "1.0" {
		t.Errorf("number kept as %#v, want json.Number 1.0", v)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"ver":"1.3.0","v":[{"dn":1}]}`))
	f.Add([]byte(`[1,2] 3`))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := Decode(in)
		if err != nil {
			return
		}
		if !json.Valid(in) {
			t.Fatalf("Decode accepted invalid JSON %q as %v", in, v)
		}
	})
}
