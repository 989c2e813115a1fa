package rfc3339

import (
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	refOnce sync.Once
	ref     *jsonschema.Schema
)

// library is the reference: a general JSON Schema validator asserting the
// date-time format.
func library(t testing.TB, s string) bool {
	refOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("dt.json", map[string]any{"format": "date-time"}); err != nil {
			t.Fatal(err)
		}
		var err error
		if ref, err = c.Compile("dt.json"); err != nil {
			t.Fatal(err)
		}
	})
	return ref.Validate(s) == nil
}

var samples = []string{
	"2021-05-18T08:10:00Z", "2021-05-18t08:10:00z", "2021-05-18T08:10:00.123+02:00", "2021-05-18T08:10:00.+02:00",
	"2021-02-30T08:10:00Z", "2021-05-18 08:10:00Z", "2021-05-18T24:00:00Z", "2021-05-18T23:59:60Z",
	"2021-05-18T23:59:60+01:00", "2021-05-18T22:59:60-01:00", "2021-05-18T08:10:00+24:00", "2021-05-18T08:10:00+0200",
	"2021-05-18T08:10:00", "2021-05-18", "", "2021-05-18T8:10:00Z", "2021-05-18T08:10:00Zjunk", "x2021-05-18T08:10:00Z",
	"2020-02-29T00:00:00Z", "2021-02-29T00:00:00Z", "2021-05-18T-8:10:00Z", "2021-05-18T08:10:00.5-00:00",
}

// TestDateTimeAgreesWithLibrary compares DateTime with the library's format
// check on hand-picked strings.
func TestDateTimeAgreesWithLibrary(t *testing.T) {
	for _, s := range samples {
		got, want := DateTime(s) == nil, library(t, s)
		if got != want {
			t.Errorf("DateTime(%q) valid = %v; the library says %v", s, got, want)
		}
	}
	if err := DateTime("2021-02-30T08:10:00Z"); err == nil || !strings.Contains(err.Error(), "date") {
		t.Errorf("Feb 30: %v, want an error naming the date", err)
	}
}

// FuzzDateTime holds DateTime to the library on arbitrary strings.
func FuzzDateTime(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := DateTime(s) == nil, library(t, s); got != want {
			t.Fatalf("DateTime(%q) valid = %v; the library says %v", s, got, want)
		}
	})
}
