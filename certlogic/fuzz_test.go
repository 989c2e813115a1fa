package certlogic

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/accord-network/accord/fixtures"
)

// FuzzEvaluate feeds arbitrary expression and data JSON to the evaluator: it
// must return a value or an error, never panic or hang. Seeds are the
// specification suite's expressions and data.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(`{"and":[{"var":"x"},{"after":[{"plusTime":[{"var":"x"},0,"hour"]},{"plusTime":["1970-01-01",0,"hour"]}]}]}`), []byte(`{"x":"2022-04-01"}`))
	f.Add([]byte(`{"reduce":[{"var":"a"},{"+":[{"var":"accumulator"},1]},0]}`), []byte(`{"a":[1,2,3]}`))
	if root, err := fixtures.Root(); err == nil {
		files, _ := filepath.Glob(filepath.Join(root, "..", "shared", "fixtures", "certlogic", "testSuite", "*.json"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			s, err := ParseSuite(b)
			if err != nil {
				continue
			}
			for _, c := range s.Cases {
				for _, a := range c.Assertions {
					expr := a.Expression
					if len(expr) == 0 {
						expr = c.Expression
					}
					f.Add([]byte(expr), []byte(a.Data))
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, exprJSON, dataJSON []byte) {
		expr, err := ParseJSON(exprJSON)
		if err != nil {
			return
		}
		data, err := ParseJSON(dataJSON)
		if err != nil {
			data = nil
		}
		v, err := Evaluate(expr, data)
		if err != nil && !IsEvalError(err) {
			t.Fatalf("error of unexpected type %T: %v", err, err)
		}
		if err == nil {
			_ = IsTruthy(v) || IsFalsy(v)
		}
	})
}

// FuzzValidateRule validates arbitrary rule JSON and runs arbitrary test-suite
// files: never a panic; a rule that validates evaluates to an outcome.
func FuzzValidateRule(f *testing.F) {
	f.Add([]byte(`{"Identifier":"VR-NL-0001","Type":"Acceptance","Country":"NL","Version":"1.0.0","SchemaVersion":"1.0.0","Engine":"CERTLOGIC","EngineVersion":"0.7.5","CertificateType":"Vaccination","Description":[{"lang":"en","desc":"a description of twenty characters"}],"ValidFrom":"2021-01-01T00:00:00Z","ValidTo":"2030-01-01T00:00:00Z","AffectedFields":["v.0"],"Logic":{"var":"payload.v.0"}}`))
	f.Add([]byte(`{"name":"s","cases":[{"name":"c","certLogicExpression":{"var":"x"},"assertions":[{"data":{"x":1},"expected":1}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := ValidateRule(b); err == nil {
			if out, _ := r.Evaluate(map[string]any{}, External{}.Value()); out != Passed && out != Failed && out != Open {
				t.Fatalf("outcome %q", out)
			}
		}
		if s, err := ParseSuite(b); err == nil {
			s.Run()
		}
	})
}
