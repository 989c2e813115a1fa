package trustlist

import (
	"errors"
	"fmt"
)

// Reason is the machine-readable cause of a rejection.
type Reason string

// Rejection reasons. Each defends against a threat described in spec/trustlist.md.
const (
	ReasonMalformed       Reason = "malformed"         // does not decode, or breaks a structural rule
	ReasonBadSignature    Reason = "bad_signature"     // no signature by the expected keys verifies
	ReasonThresholdNotMet Reason = "threshold_not_met" // some valid signatures, fewer than t
	ReasonUnknownAnchor   Reason = "unknown_anchor"    // anchor neither pinned nor endorsed by k pinned anchors
	ReasonRollback        Reason = "rollback"          // seq or version not newer than what is held
	ReasonBrokenChain     Reason = "broken_chain"      // prev does not link to the held list, or a gap
	ReasonBadVersion      Reason = "bad_version"       // descriptor rotation skips a version or is not signed by both key sets
	ReasonExpired         Reason = "expired"           // next_update already passed, or issued in the future
	ReasonEquivocation    Reason = "equivocation"      // a different list with the same seq (or prev) is held
	ReasonHashMismatch    Reason = "hash_mismatch"     // a pinned descriptor is not the one whose hash the operator expected
)

// RejectError is returned when an object is refused. Reason is stable; Detail
// is for people.
type RejectError struct {
	Reason Reason
	Detail string
}

func (e *RejectError) Error() string { return string(e.Reason) + ": " + e.Detail }

func reject(r Reason, format string, args ...any) error {
	return &RejectError{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// ReasonOf returns the Reason of err: the RejectError's, ReasonMalformed for
// decoding errors, "" otherwise.
func ReasonOf(err error) Reason {
	var re *RejectError
	if errors.As(err, &re) {
		return re.Reason
	}
	if errors.Is(err, ErrMalformed) {
		return ReasonMalformed
	}
	return ""
}
