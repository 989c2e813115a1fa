package certlogic

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Suite is one file of the CertLogic specification test suite (schema
// CertLogic-testSuite.json): cases, each with an expression and assertions of
// data and the exact expected result. A "skip" directive on the file, a case
// or an assertion excludes it; an "only" directive excludes its siblings.
type Suite struct {
	Name      string      `json:"name"`
	Directive string      `json:"directive,omitempty"`
	Cases     []SuiteCase `json:"cases"`
}

// SuiteCase is one case of a Suite.
type SuiteCase struct {
	Name       string           `json:"name"`
	Expression json.RawMessage  `json:"certLogicExpression,omitempty"`
	Directive  string           `json:"directive,omitempty"`
	Assertions []SuiteAssertion `json:"assertions"`
}

// SuiteAssertion is one assertion of a SuiteCase. Its own expression, if
// present, overrides the case's.
type SuiteAssertion struct {
	Data       json.RawMessage `json:"data"`
	Expected   json.RawMessage `json:"expected"`
	Message    string          `json:"message,omitempty"`
	Directive  string          `json:"directive,omitempty"`
	Expression json.RawMessage `json:"certLogicExpression,omitempty"`
}

// Check is the outcome of one test assertion.
type Check struct {
	Name    string // file, case and assertion, for a failure line
	Skipped bool   // excluded by a skip (or another's only) directive
	Err     error  // nil when the assertion held
}

// ParseSuite decodes a test-suite file.
func ParseSuite(b []byte) (*Suite, error) {
	var s Suite
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("CertLogic test suite: %w", err)
	}
	if s.Cases == nil {
		return nil, fmt.Errorf("CertLogic test suite: no \"cases\" array")
	}
	return &s, nil
}

// Run evaluates every assertion of the suite, honouring directives.
func (s *Suite) Run() []Check {
	var out []Check
	caseOnly := false
	for _, c := range s.Cases {
		caseOnly = caseOnly || c.Directive == "only"
	}
	for ci, c := range s.Cases {
		skipCase := s.Directive == "skip" || c.Directive == "skip" || (caseOnly && c.Directive != "only")
		aOnly := false
		for _, a := range c.Assertions {
			aOnly = aOnly || a.Directive == "only"
		}
		for ai, a := range c.Assertions {
			name := fmt.Sprintf("%s / case %d %q / assertion %d", s.Name, ci+1, c.Name, ai+1)
			if a.Message != "" {
				name += fmt.Sprintf(" (%s)", a.Message)
			}
			if skipCase || a.Directive == "skip" || (aOnly && a.Directive != "only") {
				out = append(out, Check{Name: name, Skipped: true})
				continue
			}
			expr := a.Expression
			if len(expr) == 0 {
				expr = c.Expression
			}
			out = append(out, Check{Name: name, Err: runAssertion(expr, a.Data, a.Expected)})
		}
	}
	return out
}

func runAssertion(exprJSON, dataJSON, expectedJSON json.RawMessage) error {
	if len(exprJSON) == 0 {
		return fmt.Errorf("no certLogicExpression")
	}
	expr, err := ParseJSON(exprJSON)
	if err != nil {
		return err
	}
	data, err := parseOrNull(dataJSON)
	if err != nil {
		return err
	}
	want, err := parseOrNull(expectedJSON)
	if err != nil {
		return err
	}
	got, err := Evaluate(expr, data)
	if err != nil {
		return fmt.Errorf("evaluation failed: %w (expected %s)", err, compact(expectedJSON))
	}
	if !Equal(got, want) {
		return fmt.Errorf("got %s, expected %s", render(got), compact(expectedJSON))
	}
	return nil
}

func parseOrNull(b json.RawMessage) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	return ParseJSON(b)
}

// Equal reports deep equality of two values as JSON would see them (a
// DateTime equals its rendering).
func Equal(a, b any) bool {
	na, err1 := roundTrip(a)
	nb, err2 := roundTrip(b)
	return err1 == nil && err2 == nil && reflect.DeepEqual(na, nb)
}

func roundTrip(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return ParseJSON(b)
}

func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

func compact(b json.RawMessage) string {
	if len(b) == 0 {
		return "null"
	}
	v, err := ParseJSON(b)
	if err != nil {
		return string(b)
	}
	return render(v)
}
