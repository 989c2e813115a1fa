package verify

// Headline is the verdict in the words an officer reads: the CLI's result
// line and the web page's headline both show it, so a verdict reads the same
// wherever it is shown. An unreadable or unchecked document says what to do
// next, since nothing is known about it either way.
func (v Verdict) Headline() string {
	switch v {
	case VerdictValid:
		return "VALID"
	case VerdictUnreadable:
		return "COULD NOT READ — scan again"
	case VerdictNotChecked:
		return "NOT CHECKED — try again"
	case VerdictCannotCheck:
		return "CANNOT CHECK"
	}
	return "NOT VALID"
}
