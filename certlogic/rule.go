package certlogic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rule is an EU DCC business rule (validation-rule.schema.json).
type Rule struct {
	Identifier      string          `json:"Identifier"`
	Type            string          `json:"Type"` // Acceptance or Invalidation
	Country         string          `json:"Country"`
	Region          string          `json:"Region,omitempty"`
	Version         string          `json:"Version"`
	SchemaVersion   string          `json:"SchemaVersion"`
	Engine          string          `json:"Engine"`
	EngineVersion   string          `json:"EngineVersion"`
	CertificateType string          `json:"CertificateType"` // General, Test, Vaccination or Recovery
	Description     []Description   `json:"Description"`
	ValidFrom       string          `json:"ValidFrom"`
	ValidTo         string          `json:"ValidTo"`
	AffectedFields  []string        `json:"AffectedFields"`
	Logic           json.RawMessage `json:"Logic"`

	from, to time.Time
	logic    any
}

// Description is a rule's description in one language.
type Description struct {
	Lang string `json:"lang"`
	Desc string `json:"desc"`
}

// Rule types and certificate types.
const (
	TypeAcceptance   = "Acceptance"
	TypeInvalidation = "Invalidation"
	CertGeneral      = "General"
	CertVaccination  = "Vaccination"
	CertTest         = "Test"
	CertRecovery     = "Recovery"
)

// identifierRE is compiled on first use, not at every process start.
var identifierRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(GR|VR|TR|RR|IR)-([A-Z]{2})-\d{4}$`)
})

// ValidateRule checks a rule's JSON against the EU DCC validation-rule schema
// and the constraints the schema cannot express: the Identifier's country is
// the Country, the Engine is CERTLOGIC, ValidFrom precedes ValidTo, and the
// Logic is an expression the evaluator accepts structurally. It returns the
// parsed rule.
func ValidateRule(raw []byte) (*Rule, error) {
	if err := checkRuleSchema(raw); err != nil {
		return nil, err
	}
	r, err := ParseRule(raw)
	if err != nil {
		return nil, err
	}
	if m := identifierRE().FindStringSubmatch(r.Identifier); m == nil || m[2] != r.Country {
		return nil, fmt.Errorf("rule %s: the Identifier's country must be the rule's Country %s", r.Identifier, r.Country)
	}
	if r.Engine != "CERTLOGIC" {
		return nil, fmt.Errorf("rule %s: Engine is %q; only CERTLOGIC is supported", r.Identifier, r.Engine)
	}
	if !r.from.Before(r.to) {
		return nil, fmt.Errorf("rule %s: ValidFrom %s is not before ValidTo %s", r.Identifier, r.ValidFrom, r.ValidTo)
	}
	return r, nil
}

// ParseRule decodes a rule's JSON and its Logic without the schema check
// (rules already signed and accepted are parsed this way).
func ParseRule(raw []byte) (*Rule, error) {
	var r Rule
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("rule: %w", err)
	}
	if r.Identifier == "" {
		return nil, errors.New("rule: no Identifier")
	}
	var err error
	if r.from, err = time.Parse(time.RFC3339, r.ValidFrom); err != nil {
		return nil, fmt.Errorf("rule %s: ValidFrom: %w", r.Identifier, err)
	}
	if r.to, err = time.Parse(time.RFC3339, r.ValidTo); err != nil {
		return nil, fmt.Errorf("rule %s: ValidTo: %w", r.Identifier, err)
	}
	if len(r.Logic) == 0 {
		return nil, fmt.Errorf("rule %s: no Logic", r.Identifier)
	}
	if r.logic, err = ParseJSON(r.Logic); err != nil {
		return nil, fmt.Errorf("rule %s: Logic: %w", r.Identifier, err)
	}
	if _, ok := r.logic.(map[string]any); !ok {
		return nil, fmt.Errorf("rule %s: Logic is not an operation object", r.Identifier)
	}
	if _, err := semver(r.Version); err != nil {
		return nil, fmt.Errorf("rule %s: Version: %w", r.Identifier, err)
	}
	return &r, nil
}

// ValidFromTime returns the start of the rule's validity window.
func (r *Rule) ValidFromTime() time.Time { return r.from }

// ValidToTime returns the end of the rule's validity window.
func (r *Rule) ValidToTime() time.Time { return r.to }

// DescriptionIn returns the rule's description in lang, falling back to
// English and then to the first one.
func (r *Rule) DescriptionIn(lang string) string {
	for _, want := range []string{lang, "en"} {
		for _, d := range r.Description {
			if strings.EqualFold(d.Lang, want) {
				return d.Desc
			}
		}
	}
	if len(r.Description) > 0 {
		return r.Description[0].Desc
	}
	return ""
}

func semver(v string) ([3]int, error) {
	var out [3]int
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, fmt.Errorf("%q is not MAJOR.MINOR.PATCH", v)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, fmt.Errorf("%q is not MAJOR.MINOR.PATCH", v)
		}
		out[i] = n
	}
	return out, nil
}

// CompareVersions orders two rule versions (MAJOR.MINOR.PATCH); unparsable
// versions sort first.
func CompareVersions(a, b string) int {
	va, _ := semver(a)
	vb, _ := semver(b)
	for i := range va {
		if va[i] != vb[i] {
			if va[i] < vb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Outcome is the result of evaluating one rule.
type Outcome string

// Rule outcomes.
const (
	Passed Outcome = "passed" // the Logic evaluated to a truthy value
	Failed Outcome = "failed" // the Logic evaluated to a falsy (or neither) value
	Open   Outcome = "open"   // the Logic could not be evaluated (invalid, or data of the wrong type)
)

// Evaluate evaluates the rule's Logic against {"payload": payload, "external": external}.
func (r *Rule) Evaluate(payload, external any) (Outcome, error) {
	v, err := Evaluate(r.logic, map[string]any{"payload": payload, "external": external})
	switch {
	case err != nil:
		return Open, err
	case IsTruthy(v):
		return Passed, nil
	}
	return Failed, nil
}

// External is the evaluation context a verifier supplies beside the payload.
type External struct {
	ValidationClock   time.Time
	ValueSets         map[string][]string
	CountryCode       string // the country of arrival
	IssuerCountryCode string
	Exp, Iat          time.Time
	Kid               string // base64 of the document signer's kid
	Region            string
}

// Value returns the external parameters as the data object rules read
// ("external.validationClock", "external.valueSets.<name>", ...).
func (e External) Value() any {
	m := map[string]any{
		"validationClock":   e.ValidationClock.UTC().Format(time.RFC3339),
		"countryCode":       e.CountryCode,
		"issuerCountryCode": e.IssuerCountryCode,
		"kid":               e.Kid,
		"region":            e.Region,
	}
	if !e.Exp.IsZero() {
		m["exp"] = e.Exp.UTC().Format(time.RFC3339)
	}
	if !e.Iat.IsZero() {
		m["iat"] = e.Iat.UTC().Format(time.RFC3339)
	}
	vs := map[string]any{}
	for k, codes := range e.ValueSets {
		list := make([]any, len(codes))
		for i, c := range codes {
			list[i] = c
		}
		vs[k] = list
	}
	m["valueSets"] = vs
	return m
}

// Select returns the rules that apply at time at to a certificate of type
// certType (Vaccination, Test or Recovery) entering country (and region,
// "" for the country's general rules): the country's Acceptance rules and
// the issuing country's Invalidation rules, of the certificate's type or
// General, valid at at; of several versions of one Identifier, the newest
// valid one. The result is sorted by Identifier.
func Select(rules []*Rule, country, region, issuer, certType string, at time.Time) []*Rule {
	best := map[string]*Rule{}
	for _, r := range rules {
		switch {
		case r.Type == TypeAcceptance && r.Country == country && r.Region == region:
		case r.Type == TypeInvalidation && r.Country == issuer:
		default:
			continue
		}
		if r.CertificateType != CertGeneral && r.CertificateType != certType {
			continue
		}
		if at.Before(r.from) || !at.Before(r.to) {
			continue
		}
		if b := best[r.Identifier]; b == nil || CompareVersions(r.Version, b.Version) > 0 {
			best[r.Identifier] = r
		}
	}
	out := make([]*Rule, 0, len(best))
	for _, r := range best {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Identifier < out[j].Identifier })
	return out
}
