package certlogic

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// RuleTest is one test of a national rule, in the layout rule authors use
// (CC/RULE-ID/rule.json with CC/RULE-ID/tests/testNNN.json).
type RuleTest struct {
	Name     string          `json:"name"`
	Payload  json.RawMessage `json:"payload"`
	External json.RawMessage `json:"external"`
	Expected *bool           `json:"expected"`
}

// maxTestFile bounds a test or rule file read by RunPath.
const maxTestFile = 16 << 20

// RunPath runs the test cases found at path: a CertLogic test-suite file, a
// rule.json (with the tests/ folder beside it), one tests/testNNN.json, or a
// directory holding any of these at any depth. It returns one Check per
// assertion or test; an error means path could not be read or holds nothing
// recognisable.
func RunPath(path string) ([]Check, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return runFile(path, true)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") && filepath.Base(filepath.Dir(p)) != "tests" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Check
	for _, f := range files {
		checks, err := runFile(f, false)
		if err != nil {
			return out, err
		}
		out = append(out, checks...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no CertLogic test-suite files and no rule.json with tests/", path)
	}
	return out, nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxTestFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxTestFile)
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil && st.Size() > 0 {
		return nil, err
	}
	return b, nil
}

// runFile runs one file. explicit says the user named it, so a file that is
// neither a suite nor a rule nor a rule test is an error rather than ignored.
func runFile(path string, explicit bool) ([]Check, error) {
	switch {
	case filepath.Base(path) == "rule.json":
		return runRuleDir(filepath.Dir(path), "")
	case filepath.Base(filepath.Dir(path)) == "tests":
		return runRuleDir(filepath.Dir(filepath.Dir(path)), path)
	}
	b, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Cases json.RawMessage `json:"cases"`
	}
	if json.Unmarshal(b, &probe) != nil || len(probe.Cases) == 0 {
		if explicit {
			return nil, fmt.Errorf("%s is neither a CertLogic test-suite file, a rule.json nor a tests/testNNN.json", path)
		}
		return nil, nil
	}
	s, err := ParseSuite(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	checks := s.Run()
	for i := range checks {
		checks[i].Name = filepath.Base(path) + ": " + checks[i].Name
	}
	return checks, nil
}

// runRuleDir runs the tests of the rule in dir (only the one test file if
// only is not "").
func runRuleDir(dir, only string) ([]Check, error) {
	raw, err := readBounded(filepath.Join(dir, "rule.json"))
	if err != nil {
		return nil, err
	}
	r, err := ParseRule(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "rule.json"), err)
	}
	tests := []string{only}
	if only == "" {
		tests, _ = filepath.Glob(filepath.Join(dir, "tests", "*.json"))
		sort.Strings(tests)
	}
	var out []Check
	for _, tp := range tests {
		c := Check{Name: fmt.Sprintf("%s %s", r.Identifier, filepath.Base(tp))}
		c.Err = runRuleTest(r, tp, &c.Name)
		out = append(out, c)
	}
	return out, nil
}

func runRuleTest(r *Rule, path string, name *string) error {
	b, err := readBounded(path)
	if err != nil {
		return err
	}
	var t RuleTest
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("not a rule test: %w", err)
	}
	if t.Name != "" {
		*name += fmt.Sprintf(" (%s)", t.Name)
	}
	if t.Expected == nil {
		return errors.New(`the test has no boolean "expected"`)
	}
	payload, err := parseOrNull(t.Payload)
	if err != nil {
		return err
	}
	external, err := parseOrNull(t.External)
	if err != nil {
		return err
	}
	out, evalErr := r.Evaluate(payload, external)
	if got := out == Passed; got != *t.Expected {
		if evalErr != nil {
			return fmt.Errorf("expected %v, got %s: %v", *t.Expected, out, evalErr)
		}
		return fmt.Errorf("expected %v, got %v", *t.Expected, got)
	}
	return nil
}
