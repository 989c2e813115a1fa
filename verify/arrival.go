package verify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/accord-network/accord/certlogic"
	"github.com/accord-network/accord/trustlist"
)

// ArrivalOptions ask a verifier to judge a health certificate against a
// country of arrival's business rules as well as its signature.
type ArrivalOptions struct {
	Country string // ISO 3166-1 alpha-2 country of arrival
	Region  string // optional region of that country ("" for national rules)
	Lang    string // language of the rule descriptions (default "en")
}

// RuleSource is trusted material that holds anchors' rule sets and value
// sets. A *trustlist.Set implements it.
type RuleSource interface {
	RuleSet(country string) *trustlist.RuleSet
	ValueSets(country string) *trustlist.ValueSets
}

// RuleOutcome is one rule's result for one document.
type RuleOutcome struct {
	Identifier  string            `json:"identifier"`
	Version     string            `json:"version"`
	Type        string            `json:"type"`
	Country     string            `json:"country"`
	Outcome     certlogic.Outcome `json:"outcome"` // passed, failed or open
	Description string            `json:"description"`
	Detail      string            `json:"detail,omitempty"` // why a rule is open
}

// Arrival is the entry decision of a country of arrival.
type Arrival struct {
	Country    string        `json:"country"`
	Region     string        `json:"region,omitempty"`
	Accepted   bool          `json:"accepted"`
	Verdict    string        `json:"verdict"`
	RuleSetSeq uint64        `json:"rule_set_seq,omitempty"`
	Rules      []RuleOutcome `json:"rules,omitempty"`
}

// ArrivalInput is what a health certificate format hands to ApplyArrival.
type ArrivalInput struct {
	Payload       map[string]any // the DCC (JSON form)
	IssuerCountry string         // the CWT iss
	Expires       time.Time      // CWT exp
	IssuedAt      time.Time      // CWT iat
	KID           []byte         // the COSE kid
}

// ApplyArrival evaluates the rules of env's country of arrival that are
// valid at env.At against a health certificate and sets r.Arrival. It does
// nothing when no country of arrival was asked for.
//
// The decision rule (spec/rules.md §Verifying) lives here only: the
// certificate is accepted when its signature verdict is valid, at least one
// rule of the country applies, and every applicable rule passed; a rule
// that failed refuses it, and a rule that is open (cannot be evaluated)
// leaves it not accepted.
func (env *Env) ApplyArrival(r *Result, in ArrivalInput) {
	if env.Arrival == nil || env.Arrival.Country == "" {
		return
	}
	opt := *env.Arrival
	a := &Arrival{Country: opt.Country, Region: opt.Region}
	r.Arrival = a
	src, ok := env.Trust.(RuleSource)
	if !ok {
		a.Verdict = fmt.Sprintf("NOT ACCEPTED: this verifier holds no rules of %s", opt.Country)
		return
	}
	rs := src.RuleSet(opt.Country)
	if rs == nil {
		a.Verdict = fmt.Sprintf("NOT ACCEPTED: no rules of %s are held (its anchor has published none, or they have not arrived)", opt.Country)
		return
	}
	a.RuleSetSeq = rs.Seq
	rules, broken := parseRules(rs)
	if in.IssuerCountry != "" && in.IssuerCountry != opt.Country {
		if irs := src.RuleSet(in.IssuerCountry); irs != nil {
			more, bad := parseRules(irs)
			rules, broken = append(rules, more...), append(broken, bad...)
		}
	}
	selected := certlogic.Select(rules, opt.Country, opt.Region, in.IssuerCountry, certificateType(in.Payload), env.At)
	external := certlogic.External{ValidationClock: env.At, CountryCode: opt.Country, IssuerCountryCode: in.IssuerCountry,
		Exp: in.Expires, Iat: in.IssuedAt, Region: opt.Region, ValueSets: map[string][]string{}}
	if len(in.KID) > 0 {
		external.Kid = base64.StdEncoding.EncodeToString(in.KID)
	}
	if vs := src.ValueSets(opt.Country); vs != nil {
		external.ValueSets = vs.Sets
	}
	payload := jsonValue(in.Payload)
	ext := external.Value()
	var firstFailed, firstOpen *RuleOutcome
	for _, rule := range selected {
		out, err := rule.Evaluate(payload, ext)
		ro := RuleOutcome{Identifier: rule.Identifier, Version: rule.Version, Type: rule.Type, Country: rule.Country,
			Outcome: out, Description: rule.DescriptionIn(lang(opt.Lang))}
		if err != nil {
			ro.Detail = err.Error()
		}
		a.Rules = append(a.Rules, ro)
	}
	a.Rules = append(a.Rules, broken...)
	for i := range a.Rules {
		switch a.Rules[i].Outcome {
		case certlogic.Failed:
			if firstFailed == nil {
				firstFailed = &a.Rules[i]
			}
		case certlogic.Open:
			if firstOpen == nil {
				firstOpen = &a.Rules[i]
			}
		}
	}
	r.Finish()
	switch {
	case firstFailed != nil:
		a.Verdict = fmt.Sprintf("NOT ACCEPTED: rule %s: %s", firstFailed.Identifier, firstFailed.Description)
	case firstOpen != nil:
		a.Verdict = fmt.Sprintf("NOT ACCEPTED: rule %s cannot be evaluated (%s): %s", firstOpen.Identifier, firstOpen.Detail, firstOpen.Description)
	case len(selected) == 0:
		a.Verdict = fmt.Sprintf("NOT ACCEPTED: no rule of %s applies to this certificate at %s", opt.Country, ts(env.At))
	case !r.Valid:
		a.Verdict = fmt.Sprintf("NOT ACCEPTED: every rule of %s passed, but the certificate itself is not valid", opt.Country)
	default:
		a.Accepted = true
		a.Verdict = "ACCEPTED for entry into " + opt.Country
		if opt.Region != "" {
			a.Verdict += " (" + opt.Region + ")"
		}
	}
}

// NoArrivalRules records that a document of a format without entry rules
// was checked with a country of arrival.
func (env *Env) NoArrivalRules(r *Result) {
	if env.Arrival == nil || env.Arrival.Country == "" || r.Arrival != nil {
		return
	}
	verdict := fmt.Sprintf("NOT ACCEPTED: entry rules apply to EU DCC health certificates, not to %s documents", r.Format)
	if r.Error != "" {
		verdict = "NOT ACCEPTED: the document could not be decoded"
	}
	r.Arrival = &Arrival{Country: env.Arrival.Country, Region: env.Arrival.Region, Verdict: verdict}
}

// jsonValue converts a decoded DCC to the values certlogic evaluates, as
// its JSON form reads (a copy: the result's claims are left alone).
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	out, err := certlogic.ParseJSON(b)
	if err != nil {
		return nil
	}
	return out
}

func lang(l string) string {
	if l == "" {
		return "en"
	}
	return strings.ToLower(l)
}

// parseRules parses a rule set's rules; a rule that does not parse is
// reported as open (it applies, but cannot be evaluated).
func parseRules(rs *trustlist.RuleSet) ([]*certlogic.Rule, []RuleOutcome) {
	var rules []*certlogic.Rule
	var broken []RuleOutcome
	for i, raw := range rs.Rules {
		rule, err := certlogic.ParseRule(raw)
		if err != nil {
			broken = append(broken, RuleOutcome{Identifier: fmt.Sprintf("%s rule %d", rs.Country, i+1), Country: rs.Country,
				Outcome: certlogic.Open, Detail: err.Error(), Description: "a rule of the published set that cannot be read"})
			continue
		}
		rules = append(rules, rule)
	}
	return rules, broken
}

func certificateType(dcc map[string]any) string {
	for key, t := range map[string]string{"v": certlogic.CertVaccination, "t": certlogic.CertTest, "r": certlogic.CertRecovery} {
		if list, ok := dcc[key].([]any); ok && len(list) > 0 {
			return t
		}
	}
	return certlogic.CertGeneral
}
