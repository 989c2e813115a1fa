package dccschema

import (
	"fmt"
	"testing"
	"time"
)

// dateByParse is the reference isDate is held to.
func dateByParse(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// TestIsDate compares isDate with time.Parse on every month and day number
// (0–32) of years around every leap-year rule, and on each of those with a
// character replaced by a neighbour of the digits, a sign or a space.
func TestIsDate(t *testing.T) {
	years := []int{0, 1, 4, 99, 100, 400, 1582, 1900, 1999, 2000, 2001, 2004, 2020, 2021, 2023, 2024, 2100, 2400, 9999}
	n := 0
	for _, y := range years {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				s := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
				cands := []string{s, s + " ", s[:9], "+" + s[1:], s + "0"}
				for i := range len(s) {
					for _, c := range []byte{'/', ':', '-', '+', ' ', 'a'} {
						b := []byte(s)
						b[i] = c
						cands = append(cands, string(b))
					}
				}
				for _, c := range cands {
					n++
					if got, want := isDate(c), dateByParse(c); got != want {
						t.Fatalf("isDate(%q) = %v, time.Parse says %v", c, got, want)
					}
				}
			}
		}
	}
	t.Logf("%d strings agree", n)
}

// FuzzIsDate holds isDate to time.Parse("2006-01-02") on any string.
func FuzzIsDate(f *testing.F) {
	for _, s := range []string{"2021-02-28", "2020-02-29", "2021-02-29", "1900-02-29", "2000-02-29", "0000-01-01", "2021-13-01", "2021-1-01", "+021-01-01", "2021-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDate(s), dateByParse(s); got != want {
			t.Fatalf("isDate(%q) = %v, time.Parse says %v", s, got, want)
		}
	})
}
