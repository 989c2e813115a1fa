package verify_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeQuotesExample: the Go code in README.md's "For an app developer"
// section is the compiled Example of this package (example_test.go, between
// README:begin and README:end), so the README never shows code that does not
// build or run.
func TestReadmeQuotesExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	begin := strings.Index(s, "// README:begin\n")
	end := strings.Index(s, "\t// README:end")
	if begin < 0 || end < begin {
		t.Fatal("example_test.go lacks the README:begin / README:end markers")
	}
	var quoted []string
	for _, line := range strings.Split(s[begin+len("// README:begin\n"):end], "\n") {
		quoted = append(quoted, strings.TrimPrefix(line, "\t")) // the README shows it unindented
	}
	want := strings.TrimSpace(strings.Join(quoted, "\n"))
	if !strings.Contains(string(readme), want) {
		t.Errorf("README.md does not quote the Example verbatim; put this in its Go block:\n%s", want)
	}
}
