package dccschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-network/accord/fixtures"
)

// cborOf re-encodes a JSON payload as the plain CBOR an HC1 carries.
func cborOf(t *testing.T, js []byte) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
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
	root, err := fixtures.Root()
	if err != nil {
		t.Skipf("../shared/fixtures is absent: %v", err)
	}
	dir := filepath.Join(root, "..", "shared", "fixtures", "dcc-testdata", "common", "2DCode", "raw")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("EU DCC test data absent: %v", err)
	}
	var payload []byte // the first payload with a dob that the schema accepts
	for _, e := range ents {
		file, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		var c map[string]json.RawMessage
		if json.Unmarshal(file, &c) != nil || !bytes.Contains(c["JSON"], []byte(`"dob"`)) {
			continue
		}
		if ValidateCBOR(cborOf(t, c["JSON"])) == nil {
			payload = c["JSON"]
			break
		}
	}
	if payload == nil {
		t.Fatalf("no payload of %s passes the schema", dir)
	}
	js := edit(t, string(payload), "dob", nil)
	err = ValidateCBOR(cborOf(t, js))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "missing property 'dob'") {
		t.Fatalf("ValidateCBOR without dob = %v, want a failure naming dob", err)
	}
}
