package certlogic

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-network/accord/fixtures"
)

// TestSpecificationSuite runs every case of the CertLogic specification test
// suite (../shared/fixtures/certlogic/testSuite), the files as they are, with
// their skip directives honoured.
func TestSpecificationSuite(t *testing.T) {
	dir := filepath.Join(fixtures.Shared(t, "certlogic"), "testSuite")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test-suite files in %s", dir)
	}
	var ran, skipped int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseSuite(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			for _, c := range s.Run() {
				switch {
				case c.Skipped:
					skipped++
				case c.Err != nil:
					ran++
					t.Errorf("%s: %v", c.Name, c.Err)
				default:
					ran++
				}
			}
		})
	}
	// The README of the fixtures counts 232 assertions, 14 of them skipped
	// (patched-reduce.json: 10, ins-with-nulls.json: 4).
	if ran+skipped != 232 || skipped != 14 {
		t.Errorf("ran %d and skipped %d assertions; the suite has 232, 14 of them skipped", ran, skipped)
	}
}
