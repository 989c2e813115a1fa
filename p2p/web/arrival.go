package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/accord-network/accord/certlogic"
	"github.com/accord-network/accord/trustlist"
)

// noArrival is the selector's and the cookie's value for "signature only".
const noArrival = "none"

// arrivalChoice is one option of the country-of-arrival selector.
type arrivalChoice struct {
	Value    string
	Label    string
	Selected bool
}

// remembered is the country of arrival the officer chose last ("" for
// none), from the cookie; a value that is not a country code is ignored.
func remembered(r *http.Request) string {
	c, err := r.Cookie(ArrivalCookie)
	if err != nil {
		return ""
	}
	cc := strings.ToUpper(c.Value)
	if !trustlist.ValidCountry(cc) {
		return ""
	}
	return cc
}

// arrivalChoices are the selector's options: signature only, then each
// country whose rules the node holds. A remembered country whose rules are
// no longer held stays selectable, marked, so the choice is not lost
// silently.
func arrivalChoices(b Backend, chosen string) []arrivalChoice {
	out := []arrivalChoice{{Value: noArrival, Label: "none: signature only", Selected: chosen == ""}}
	ccs := slices.Clone(b.RuleCountries())
	slices.Sort(ccs)
	for _, cc := range ccs {
		out = append(out, arrivalChoice{Value: cc, Label: cc, Selected: cc == chosen})
	}
	if chosen != "" && !slices.Contains(ccs, chosen) {
		out = append(out, arrivalChoice{Value: chosen, Label: chosen + " (no rules held)", Selected: true})
	}
	return out
}

// chosenArrival reads the form's country of arrival: "" for none (or when
// the form has no selector).
func chosenArrival(r *http.Request) (string, error) {
	v := strings.ToUpper(strings.TrimSpace(r.FormValue("arrival")))
	if v == "" || v == strings.ToUpper(noArrival) {
		return "", nil
	}
	if !trustlist.ValidCountry(v) {
		return "", fmt.Errorf("the country of arrival %q is not a two-letter country code: choose one from the list", v)
	}
	return v, nil
}

// rememberArrival sets the cookie that keeps the officer's choice for the
// next document, when the form carried a selector.
func rememberArrival(w http.ResponseWriter, r *http.Request, cc string) {
	if _, sent := r.Form["arrival"]; !sent {
		if r.MultipartForm == nil || r.MultipartForm.Value["arrival"] == nil {
			return
		}
	}
	v := cc
	if v == "" {
		v = noArrival
	}
	http.SetCookie(w, &http.Cookie{Name: ArrivalCookie, Value: v, Path: "/", MaxAge: 400 * 24 * 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// ruleWord names a rule's outcome for people.
func ruleWord(o certlogic.Outcome) string {
	switch o {
	case certlogic.Passed:
		return "passed"
	case certlogic.Failed:
		return "failed"
	case certlogic.Open:
		return "open (cannot be evaluated)"
	}
	return string(o)
}
