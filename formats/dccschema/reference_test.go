package dccschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/accord-network/accord/internal/jsonvalue"
	"github.com/accord-network/accord/internal/jsonvalue/jsonvaluetest"
)

// The reference: the published schemas compiled by a general JSON Schema
// 2020-12 validator (github.com/santhosh-tekuri/jsonschema/v6), with formats
// asserted and the "date" format of assertFormat. The package checks with
// its compiled tree instead (the library's initialisation compiles its
// meta-schemas in every process that links it); these tests hold the tree
// to the library: same verdict on every payload.

var (
	refOnce    sync.Once
	refSchemas []*jsonschema.Schema
	refErr     error
)

func reference(t testing.TB) []*jsonschema.Schema {
	refOnce.Do(func() { refSchemas, refErr = compileReference() })
	if refErr != nil {
		t.Fatal(refErr)
	}
	return refSchemas
}

func compileReference() ([]*jsonschema.Schema, error) {
	dccDate := &jsonschema.Format{Name: "date", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return checkDCCDate(s)
	}}
	out := make([]*jsonschema.Schema, len(releases))
	for i, rel := range releases {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		c.RegisterFormat(dccDate)
		err := releaseFiles(rel, func(name string, raw []byte) (string, error) {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				return "", err
			}
			id, _ := doc.(map[string]any)["$id"].(string)
			if id != "" {
				err = c.AddResource(id, doc)
			}
			return id, err
		})
		if err != nil {
			return nil, err
		}
		if out[i], err = c.Compile(rel.main); err != nil {
			return nil, fmt.Errorf("compile %s: %w", rel.version, err)
		}
	}
	return out, nil
}

// errLibraryPanicked marks a value the library cannot judge (it panics on
// NaN against minimum); such a value has no reference verdict.
var errLibraryPanicked = errors.New("the reference validator panicked")

// referenceValidate is ValidateValue with the schema check done by the
// library (the version choice and the one-group rule are the package's own,
// outside the schema).
func referenceValidate(t testing.TB, v any) (err error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return ErrInvalid
	}
	ver, ok := obj["ver"]
	i, err := pick(ver, ok)
	if err != nil {
		return err
	}
	if err := exactlyOneGroup(obj); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	defer func() {
		if recover() != nil {
			err = errLibraryPanicked
		}
	}()
	if err := reference(t)[i].Validate(v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// verdict is what agreement compares: accepted, invalid, or unsupported.
func verdict(err error) string {
	switch {
	case err == nil:
		return "valid"
	case errors.Is(err, ErrUnsupportedVersion):
		return "unsupported"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	}
	return "other: " + err.Error()
}

// agreeValue checks ValidateValue against the library on v, and (when v has
// a plain CBOR form) ValidateCBOR too. It reports whether a comparison was
// made.
func agreeValue(t *testing.T, what string, v any) bool {
	t.Helper()
	ref := referenceValidate(t, v)
	if ref == errLibraryPanicked {
		return false
	}
	got := ValidateValue(v)
	if verdict(got) != verdict(ref) {
		t.Errorf("%s: compiled checks say %v; the library says %v", what, got, ref)
	}
	if raw, ok := plainCBOR(v); ok {
		if c := ValidateCBOR(raw); !errors.Is(c, ErrNotPlain) && verdict(c) != verdict(ref) {
			t.Errorf("%s: ValidateCBOR says %v; the library says %v", what, c, ref)
		}
	}
	return true
}

// plainCBOR encodes v as CBOR with integral numbers as integers; ok is false
// when v holds a number that is not an int64.
func plainCBOR(v any) ([]byte, bool) {
	ok := true
	var conv func(any) any
	conv = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			m := make(map[string]any, len(x))
			for k, e := range x {
				m[k] = conv(e)
			}
			return m
		case []any:
			a := make([]any, len(x))
			for i, e := range x {
				a[i] = conv(e)
			}
			return a
		case json.Number:
			n, err := x.Int64()
			if err != nil {
				ok = false
			}
			return n
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				ok = false
			}
			return int64(x)
		}
		return v
	}
	c := conv(v)
	if !ok {
		return nil, false
	}
	raw, err := cbor.Marshal(c)
	return raw, err == nil
}

// mutations are the values each leaf of a valid payload is replaced with.
var mutations = []any{
	nil, true, json.Number("0"), json.Number("1"), json.Number("1.0"), json.Number("1.5"), json.Number("9"),
	json.Number("10"), json.Number("2e0"), json.Number("-1"), "", "x", "ABC", "abc", "AB<C", "1964", "1964-08",
	"1964-08-12", "1899-01-01", "2021-02-30", "2021-05-18T08:10:00Z", "2021-05-18T08:10:00+02:00",
	"2021-05-18T24:00:00Z", "2021-05-18 08:10:00Z", "1.3.0", "1.3.0.1", strings.Repeat("X", 50),
	strings.Repeat("é", 81), []any{}, []any{"x"}, map[string]any{},
}

// TestAgreesWithLibraryOnTestData compares the compiled checks with the
// library on every payload of the EU DCC test data (its JSON field and the
// payload inside its signed COSE), and on every payload made from a test
// data payload by replacing or deleting one value.
func TestAgreesWithLibraryOnTestData(t *testing.T) {
	cases, _ := loadCases(t)
	compared, mutated := 0, 0
	seen := map[string]bool{} // release and path mutated already
	for _, tc := range cases {
		for view, payload := range map[string][]byte{"JSON": tc.json, "COSE": tc.cosePay} {
			if payload == nil {
				continue
			}
			doc, err := jsonvalue.Decode(payload)
			if err != nil {
				continue
			}
			if agreeValue(t, tc.rel+" "+view, doc) {
				compared++
			}
			// Each path of each release once: the test data repeat the
			// same shapes many times.
			ver, _ := doc.(map[string]any)["ver"].(string)
			want := func(path string) bool {
				k := ver + " " + path
				if seen[k] {
					return false
				}
				seen[k] = true
				return true
			}
			jsonvaluetest.Mutate(doc, mutations, want, func(path string) {
				if agreeValue(t, fmt.Sprintf("%s %s %s", tc.rel, view, path), doc) {
					mutated++
				}
			})
		}
	}
	t.Logf("agreement with the library: %d test-data payloads, %d mutated payloads", compared, mutated)
	if compared < 200 || mutated < 5000 {
		t.Fatalf("only %d payloads and %d mutations compared: wrong fixture folder?", compared, mutated)
	}
}

// TestAgreesWithLibraryOnExamples compares the verdicts on the package's
// own examples, including numbers of every Go type (ValidateValue).
func TestAgreesWithLibraryOnExamples(t *testing.T) {
	doc, err := jsonvalue.Decode([]byte(vaccination))
	if err != nil {
		t.Fatal(err)
	}
	jsonvaluetest.Mutate(doc, mutations, func(string) bool { return true }, func(path string) { agreeValue(t, path, doc) })
	v := doc.(map[string]any)["v"].([]any)[0].(map[string]any)
	for _, dn := range []any{uint8(1), int16(9), int64(10), uint64(0), float32(2), float64(2.5), math.NaN(), math.Inf(1), 1e300, struct{}{}, []byte("x")} {
		v["dn"] = dn
		agreeValue(t, fmt.Sprintf("dn %T %v", dn, dn), doc)
	}
}

// FuzzAgreesWithLibrary holds Validate, ValidateValue and ValidateCBOR to
// the library on arbitrary JSON, seeded with the EU DCC test data.
func FuzzAgreesWithLibrary(f *testing.F) {
	f.Add([]byte(vaccination))
	f.Add([]byte(`{"ver":"1.0.0","v":[{"dn":1.0}]}`))
	addTestDataSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(in))
		if err != nil {
			if Validate(in) == nil {
				t.Fatalf("Validate accepted what the library's loader refuses: %v", err)
			}
			return
		}
		if !agreeValue(t, "fuzz", doc) {
			return
		}
		if verdict(Validate(in)) != verdict(ValidateValue(doc)) {
			t.Fatalf("Validate %v, ValidateValue %v", Validate(in), ValidateValue(doc))
		}
	})
}
