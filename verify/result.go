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
	Country string `json:"country"`
	Anchor  string `json:"anchor"` // the anchor's display name
	Name    string `json:"name"`   // the entry's issuer name
	KID     string `json:"kid"`    // hex
	Domain  string `json:"domain,omitempty"`
	Seq     uint64 `json:"list_seq,omitempty"`
}

// Field is one labelled value of a document, for people ("Name", "Jane Doe").
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Result is the outcome of verifying one document.
type Result struct {
	Valid    bool      `json:"valid"`
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
}

// Add appends a check.
func (r *Result) Add(name string, st Status, format string, args ...any) *Check {
	detail := format
	if len(args) > 0 {
		detail = fmt.Sprintf(format, args...)
	}
	r.Checks = append(r.Checks, Check{Name: name, Status: st, Detail: detail})
	return &r.Checks[len(r.Checks)-1]
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
	r.Valid = valid && sigPassed
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
