package verify

import (
	"fmt"
	"time"
)

// Status is the outcome of one check.
type Status string

// Check statuses. A check that does not apply, or that this verifier cannot
// perform (e.g. it needs a blockchain), is Skip with a reason, never Pass.
const (
	Pass  Status = "pass"
	Fail  Status = "fail"
	Skip  Status = "skip"
	Error Status = "error" // the check could not be evaluated because the input is broken
)

// Names of the standard checks. Formats use these names where they apply and
// may add their own (e.g. "integrity").
const (
	CheckDecoded           = "decoded"
	CheckIntegrity         = "integrity"
	CheckSignature         = "signature"
	CheckIssuerTrusted     = "issuer_trusted"
	CheckKeyValidAtSigning = "key_valid_at_signing"
	CheckKeyUsage          = "key_usage"
	CheckNotRevoked        = "not_revoked"
	CheckListFresh         = "list_fresh"
	CheckNotExpired        = "not_expired"
	CheckSchema            = "schema"
)

// Check is one step of a verification.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Fragment names the equivalent check in another ecosystem's verifier
	// (e.g. OpenAttestation's DOCUMENT_INTEGRITY), when there is one.
	Fragment string `json:"fragment,omitempty"`
}

// Issuer identifies who signed a document, as the trust list names them.
type Issuer struct {
	Country string `json:"country"` // the country the listing entry issues for
	// ListedBy is the anchor whose list holds the entry (Country differs only
	// for entries an anchor relays for another country).
	ListedBy string `json:"listed_by"`
	// ClaimedCountry is the issuer country the document itself names (an HC1
	// iss), shown apart from the listing; "" if it names none.
	ClaimedCountry string `json:"claimed_country,omitempty"`
	Anchor         string `json:"anchor"` // the anchor's display name
	Name           string `json:"name"`   // the entry's issuer name
	KID            string `json:"kid"`    // hex
	Domain         string `json:"domain,omitempty"`
	Seq            uint64 `json:"list_seq,omitempty"`
}

// Field is one labelled value of a document, for people ("Name", "Jane Doe").
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Verdict classifies a Result for the person reading it. Every surface (the
// CLI, the JSON API, the web page) shows these classes apart; new classes are
// added here and nowhere else.
type Verdict string

// Verdicts.
const (
	// VerdictValid: every check passed (Result.Valid is true).
	VerdictValid Verdict = "valid"
	// VerdictInvalid: the document was read and a check failed. It may be
	// forged, altered, expired, revoked or issued by an untrusted key.
	VerdictInvalid Verdict = "invalid"
	// VerdictUnreadable: the input could not be read or decoded at all (a
	// blurred photo, an empty or truncated file, an unknown format), so
	// nothing was established about the document either way. Scan it again.
	VerdictUnreadable Verdict = "unreadable"
	// VerdictNotChecked: the verification itself could not be carried out
	// (it was cancelled, or the node asked to verify could not be reached).
	// Nothing is known about the document; try again.
	VerdictNotChecked Verdict = "not_checked"
)

// Result is the outcome of verifying one document.
type Result struct {
	Valid bool `json:"valid"`
	// Outcome is the verdict class: valid, invalid or unreadable. Valid is
	// true exactly when Outcome is VerdictValid.
	Outcome  Verdict   `json:"outcome"`
	Format   string    `json:"format"`
	Input    string    `json:"input,omitempty"` // file name, when known
	At       time.Time `json:"verified_at"`
	Issuer   *Issuer   `json:"issuer,omitempty"`
	Summary  []Field   `json:"summary,omitempty"`
	Claims   any       `json:"claims,omitempty"`
	Checks   []Check   `json:"checks"`
	Warnings []string  `json:"warnings,omitempty"`
	// Parts holds results for parts verified on their own: each signature of
	// a PDF, a QR code found inside a PDF. The document is valid only if
	// every part is.
	Parts []*Result `json:"parts,omitempty"`
	// Arrival is the entry decision of a country of arrival's rules, when
	// one was asked for (Options.Arrival; spec/rules.md).
	Arrival *Arrival `json:"arrival,omitempty"`
	// Error is set when the input could not be read or decoded at all.
	Error string `json:"error,omitempty"`
	// CannotCheck is set when a check the document's validity needs could
	// not be made because a service was unreachable (see VerdictCannotCheck).
	CannotCheck string `json:"cannot_check,omitempty"`

	text TextBuf // see Text
}

// Text returns the buffer the result's check details may be built in (see
// TextBuf): the checks of one result then share its allocations.
func (r *Result) Text() *TextBuf { return &r.text }

// Add appends a check.
func (r *Result) Add(name string, st Status, format string, args ...any) *Check {
	detail := format
	if len(args) > 0 {
		detail = fmt.Sprintf(format, args...)
	}
	r.Checks = append(r.Checks, Check{Name: name, Status: st, Detail: detail})
	return &r.Checks[len(r.Checks)-1]
}

// addDetail records a check whose detail is already written (the common
// passing paths build it without fmt).
func (r *Result) addDetail(name string, st Status, detail string) {
	r.Checks = append(r.Checks, Check{Name: name, Status: st, Detail: detail})
}

// Warn records a warning that does not make the document invalid.
func (r *Result) Warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// Check returns the named check, or nil.
func (r *Result) Check(name string) *Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// Finish computes Valid: true only when there is at least one check, none
// failed or errored, the signature check passed, and every part is valid.
func (r *Result) Finish() *Result {
	valid := len(r.Checks) > 0 && r.Error == ""
	sigPassed := false
	for _, c := range r.Checks {
		if c.Status == Fail || c.Status == Error {
			valid = false
		}
		if c.Name == CheckSignature && c.Status == Pass {
			sigPassed = true
		}
	}
	for _, p := range r.Parts {
		p.Finish()
		if !p.Valid {
			valid = false
		}
		if p.Valid {
			sigPassed = true
		}
	}
	// A check the document needs but that could not be made (CannotCheck)
	// keeps it from being valid, whatever else passed.
	r.Valid = valid && sigPassed && r.CannotCheck == ""
	r.Outcome = verdictOf(r)
	return r
}

// verdictOf is the one place that classifies a finished result: unreadable
// when the input could not be read or decoded (Error is set), otherwise
// valid or invalid.
func verdictOf(r *Result) Verdict {
	switch {
	case r.Outcome == VerdictNotChecked:
		return VerdictNotChecked
	case r.Error != "":
		return VerdictUnreadable
	case r.Valid:
		return VerdictValid
	case r.CannotCheck != "" && r.FirstFailure() == nil:
		return VerdictCannotCheck
	}
	return VerdictInvalid
}

// Verdict returns the result's verdict class. For a result decoded from JSON
// written before Outcome existed, it is derived from Valid and Error.
func (r *Result) Verdict() Verdict {
	if r.Outcome != "" {
		return r.Outcome
	}
	return verdictOf(r)
}

// NotChecked returns the result for an input whose verification could not be
// carried out (cancelled, or the verifying node unreachable): Outcome
// VerdictNotChecked, Valid false, and err as the reason.
func NotChecked(input string, at time.Time, err error) *Result {
	r := &Result{Input: input, At: at, Error: err.Error(), Outcome: VerdictNotChecked}
	r.Add(CheckDecoded, Skip, "not checked: %s", err.Error())
	return r.Finish()
}

// Unreadable returns the result for an input that could not be read at all
// (a file that cannot be opened, an upload that failed): no format, one
// decoded check in error, Outcome VerdictUnreadable.
func Unreadable(input string, at time.Time, err error) *Result {
	r := errorResult("", at, err)
	r.Input = input
	return r
}

// FirstFailure returns the first failed or errored check (including in
// parts), for a one-line reason.
func (r *Result) FirstFailure() *Check {
	for i := range r.Checks {
		if r.Checks[i].Status == Fail || r.Checks[i].Status == Error {
			return &r.Checks[i]
		}
	}
	for _, p := range r.Parts {
		if c := p.FirstFailure(); c != nil {
			return c
		}
	}
	return nil
}
