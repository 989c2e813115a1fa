package dccschema

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// patternSamples are strings near the edges of the DCC patterns.
var patternSamples = []string{
	"", "1.3.0", "1.0.1", "10.20.30", "1.3", "1..3", "1.3.0\n", "1\n3.0", "1x3y0", "1é3é0", "1\xff3\xff0", "12345", "1234", "1.3.0.1",
	"1964", "1964-08", "1964-08-12", "1864-08-12", "2099-19-99", "2100", "196-08-12", "1964-8-12", "1964-08-12T", "x1964-08-12", "1964-08-12x",
	"MUSTERFRAU", "MUSTER<FRAU", "Musterfrau", "MUSTERFRAUÉ", "NL", "nl", "ünl", "X", "0123456789ABCDEFGHIJK",
	"2021-05-29", "2021-05-29T10:00:00Z", "on 2021-05-29", "2021-05-2", "19990101", "2021-05--29",
}

// TestPatternMatchers holds every direct pattern test to Go's regexp: on
// every string of up to four characters over an alphabet of the characters
// the patterns name and their neighbours (multi-byte, invalid UTF-8 and a
// newline included), and on samples near each pattern's edges. It also
// checks that each table entry is a pattern of an embedded schema.
func TestPatternMatchers(t *testing.T) {
	alphabet := []string{"1", "9", "2", "0", "5", "-", ".", "A", "Z", "<", "a", "\n", "é", "\xff", " "}
	var inputs []string
	var grow func(prefix string, depth int)
	grow = func(prefix string, depth int) {
		inputs = append(inputs, prefix)
		if depth == 0 {
			return
		}
		for _, c := range alphabet {
			grow(prefix+c, depth-1)
		}
	}
	grow("", 4)
	inputs = append(inputs, patternSamples...)
	for pattern, m := range patternMatchers {
		re := regexp.MustCompile(pattern)
		bad := 0
		for _, in := range inputs {
			if got, want := m([]byte(in)), re.MatchString(in); got != want {
				if bad++; bad < 10 {
					t.Errorf("%s on %q: %v, regexp says %v", pattern, in, got, want)
				}
			}
		}
	}
	used := map[string]bool{}
	_ = fs.WalkDir(schemaFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := schemaFS.ReadFile(p)
		if err != nil {
			return err
		}
		for pattern := range patternMatchers {
			if strings.Contains(string(b), `"pattern": "`+strings.ReplaceAll(pattern, `\`, `\\`)+`"`) {
				used[pattern] = true
			}
		}
		return nil
	})
	for pattern := range patternMatchers {
		if !used[pattern] {
			t.Errorf("pattern %s is in the table but in no embedded schema", pattern)
		}
	}
}

// FuzzPatternMatchers holds every direct pattern test to Go's regexp on
// arbitrary input.
func FuzzPatternMatchers(f *testing.F) {
	for _, s := range patternSamples {
		f.Add(s)
	}
	res := map[string]*regexp.Regexp{}
	for pattern := range patternMatchers {
		res[pattern] = regexp.MustCompile(pattern)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for pattern, m := range patternMatchers {
			if got, want := m([]byte(in)), res[pattern].MatchString(in); got != want {
				t.Errorf("%s on %q: %v, regexp says %v", pattern, in, got, want)
			}
		}
	})
}
