package certlogic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/internal/jsonvalue/jsonvaluetest"
)

// The reference for checkRuleSchema: the embedded validation-rule schema
// compiled by a general JSON Schema validator with formats asserted.
var (
	refRuleOnce   sync.Once
	refRuleSchema *jsonschema.Schema
	refRuleErr    error
)

func referenceRuleSchema(t testing.TB, raw []byte) error {
	refRuleOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ruleSchemaJSON))
		if err != nil {
			refRuleErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		const id = "https://webgate.acceptance.ec.europa.eu/dgcg-json-api/validation-rule.schema.json"
		if refRuleErr = c.AddResource(id, doc); refRuleErr == nil {
			refRuleSchema, refRuleErr = c.Compile(id)
		}
	})
	if refRuleErr != nil {
		t.Fatal(refRuleErr)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return refRuleSchema.Validate(doc)
}

func agreeRule(t *testing.T, what string, raw []byte) {
	t.Helper()
	got, want := checkRuleSchema(raw), referenceRuleSchema(t, raw)
	if (got == nil) != (want == nil) {
		t.Errorf("%s: compiled checks say %v; the library says %v\n%s", what, got, want, raw)
	}
}

// gatewayRules returns every rule version of the FI, IE and FR rules
// uploaded to the EU gateway (../shared/fixtures/certlogic), as JSON
// objects.
func gatewayRules(t testing.TB) []map[string]any {
	return gatewayRuleVersions[map[string]any](t)
}

// gatewayRuleVersions reads every rule version of the shared gateway rule
// files (FI, IE, FR) as a T each.
func gatewayRuleVersions[T any](t testing.TB) []T {
	root := filepath.Join(fixtures.Shared(t, "certlogic"), "dcc-rules", "per-country")
	var out []T
	for _, cc := range []string{"FI", "IE", "FR"} {
		files, _ := filepath.Glob(filepath.Join(root, cc, "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var versions []T
			if err := json.Unmarshal(b, &versions); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = append(out, versions...)
		}
	}
	return out
}

// ruleMutations replace one value of a rule at a time.
var ruleMutations = []any{
	nil, true, 1.5, "", "x", "Acceptance", "Vaccination", "NL", "nl", "NLD", "A1B2C", "A1B2C3", "1.0.0", "1.0",
	"VR-NL-0001", "VR-NL-001", "2021-05-18T08:10:00Z", "2021-05-18T08:10:00.5Z", "2021-02-30T08:10:00Z",
	"2021-05-18T29:10:00Z", "2021-05-18T08:10:00+29:00", "2021-05-18T08:10:00+02:00", "en", "en-gb", "EN",
	"a description of twenty characters", strings.Repeat("é", 19), []any{}, []any{"x"},
	[]any{map[string]any{"lang": "de", "desc": "eine Beschreibung mit zwanzig Zeichen"}},
	map[string]any{}, map[string]any{"var": "x"},
}

// TestRuleSchemaAgreesWithLibrary compares checkRuleSchema with the library
// on every gateway rule version, with and without expr-as-text, and on
// every rule made from one by replacing or deleting one value.
func TestRuleSchemaAgreesWithLibrary(t *testing.T) {
	rules := gatewayRules(t)
	if len(rules) != 52 {
		t.Fatalf("%d rule versions; the fixtures hold 52", len(rules))
	}
	n := 0
	compare := func(what string, r map[string]any) {
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		agreeRule(t, what, raw)
		n++
	}
	for i, r := range rules {
		compare(fmt.Sprintf("rule %d", i), r)
		delete(r, "expr-as-text")
		compare(fmt.Sprintf("rule %d without expr-as-text", i), r)
		// Every value and member outside the rule's logic (which the
		// schema does not constrain beyond being present), and the logic
		// as a whole deleted.
		outsideLogic := func(path string) bool {
			return !strings.HasPrefix(path, "/Logic") || path == "/Logic deleted"
		}
		if i%4 == 0 { // the versions of one rule share their shape
			jsonvaluetest.Mutate(r, ruleMutations, outsideLogic, func(path string) { compare(path, r) })
		}
	}
	t.Logf("%d rules compared with the library", n)
}

// FuzzRuleSchemaAgrees holds checkRuleSchema to the library on arbitrary
// JSON.
func FuzzRuleSchemaAgrees(f *testing.F) {
	f.Add([]byte(`{"Identifier":"VR-NL-0001","Type":"Acceptance","Country":"NL","Version":"1.0.0","SchemaVersion":"1.0.0","Engine":"CERTLOGIC","EngineVersion":"0.7.5","CertificateType":"Vaccination","Description":[{"lang":"en","desc":"a description of twenty characters"}],"ValidFrom":"2021-01-01T00:00:00Z","ValidTo":"2030-01-01T00:00:00Z","AffectedFields":["v.0"],"Logic":{"var":"payload.v.0"}}`))
	f.Add([]byte(`{"Identifier":"VR-NL-0001","Region":"AB","Description":[{"lang":"de","desc":"x"},{"lang":"en"}],"Logic":{}}`))
	f.Fuzz(func(t *testing.T, raw []byte) { agreeRule(t, "fuzz", raw) })
}
