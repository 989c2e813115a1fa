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
