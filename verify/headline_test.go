package verify

import "testing"

// Each verdict has its own headline; anything not known to be valid, and
// not one of the neutral classes, reads NOT VALID.
func TestVerdictHeadline(t *testing.T) {
	for v, want := range map[Verdict]string{
		VerdictValid:       "VALID",
		VerdictInvalid:     "NOT VALID",
		VerdictUnreadable:  "COULD NOT READ — scan again",
		VerdictNotChecked:  "NOT CHECKED — try again",
		VerdictCannotCheck: "CANNOT CHECK",
		"":                 "NOT VALID",
		"something_new":    "NOT VALID",
	} {
		if got := v.Headline(); got != want {
			t.Errorf("%q.Headline() = %q, want %q", v, got, want)
		}
	}
}
