package web_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/accord-network/accord/formats/hcert" // registers the hcert format
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/p2p/web"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// nlRules is NL's entry rule for the tests: two doses at least, described
// in English and Dutch.
const nlRules = `{"Identifier":"VR-NL-0002","Type":"Acceptance","Country":"NL","Version":"1.0.0","SchemaVersion":"1.0.0","Engine":"CERTLOGIC",` +
	`"EngineVersion":"0.7.5","CertificateType":"Vaccination","Description":[{"lang":"en","desc":"At least two doses are required"},` +
	`{"lang":"nl","desc":"Ten minste twee doses zijn vereist"}],` +
	`"ValidFrom":"2021-01-01T00:00:00Z","ValidTo":"2035-01-01T00:00:00Z","AffectedFields":["v.0.dn"],"Logic":{">=":[{"var":"payload.v.0.dn"},2]}}`

// arrivalSetup serves a page whose node holds NL's list (one DSC) and NL's
// signed rule set, and DE's list without rules. It returns the server, a
// certificate NL accepts (two doses) and one it refuses (one dose).
func arrivalSetup(t *testing.T, lang string) (*httptest.Server, string, string) {
	cert, key := tt.Cert(t, tt.CertOptions{CommonName: "NL DSC", Country: "NL"})
	e := tt.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "Ministry of Health NL"))
	nl := tt.NewAnchor(t, "NL")
	nl.SignList(t, time.Time{}, 365*24*time.Hour, e)
	de := tt.NewAnchor(t, "DE")
	de.SignList(t, time.Time{}, 365*24*time.Hour)
	set := tt.Set(t, nl, de)
	rs := tt.Must(trustlist.SignRuleSet(&trustlist.RuleSet{PublicationHeader: trustlist.PublicationHeader{Country: "NL", DescriptorVersion: 1,
		Seq: 1, IssuedAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Second)}, Rules: [][]byte{[]byte(nlRules)}}, []*trustlist.PrivateKey{nl.Key}))
	if d := set.Accept(rs.Raw(), time.Now()); d.Err() != nil {
		t.Fatal(d.Err())
	}
	issue := func(doc string) string {
		hc1, err := hcertissue.Issue([]byte(doc), hcertissue.IssueOptions{Signer: key, Cert: cert, IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return hc1
	}
	srv := httptest.NewServer(web.HandlerWith(backend{set}, web.Options{Operator: "Schiphol border police", Lang: lang}))
	t.Cleanup(srv.Close)
	return srv, issue(dcc), issue(strings.Replace(dcc, `"dn":2`, `"dn":1`, 1))
}

func wantIn(t *testing.T, what, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestArrivalSelector(t *testing.T) {
	srv, ok, refused := arrivalSetup(t, "")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func() string {
		resp, err := c.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		return body(t, resp)
	}
	post := func(v url.Values) (int, string) {
		resp, err := c.PostForm(srv.URL+"/verify", v)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body(t, resp)
	}
	// The selector offers signature only (chosen at first) and the countries whose rules the node holds:
	// NL, not DE (a list but no rules).
	page := get()
	wantIn(t, "form", page, `<label for="arrival">Country of arrival</label>`, `<option value="none" selected>none: signature only</option>`,
		`<option value="NL">NL</option>`)
	if strings.Contains(page, `value="DE"`) {
		t.Error("DE publishes no rules but is offered")
	}

	// Accepted: the signature verdict and the entry decision side by side, each rule with its outcome.
	code, page := post(url.Values{"text": {ok}, "arrival": {"NL"}})
	wantIn(t, "accepted result", page, "✓ VALID", `class="entry e-accepted"`, "ACCEPTED for entry into NL", "Entry rules of NL",
		`<tr class="ro-passed">`, "VR-NL-0002", "At least two doses are required", "passed")
	if code != http.StatusOK || strings.Contains(page, "NOT ACCEPTED") {
		t.Errorf("accepted: status %d, or NOT ACCEPTED shown", code)
	}
	// The choice is remembered: the next form has NL selected (a cookie, no JavaScript).
	if page = get(); !strings.Contains(page, `<option value="NL" selected>NL</option>`) || strings.Contains(page, `value="none" selected`) {
		t.Errorf("the choice of NL is not remembered:\n%s", page)
	}

	// Refused: the signature is valid, the entry is not, with the rule that refused it.
	_, page = post(url.Values{"text": {refused}, "arrival": {"NL"}})
	wantIn(t, "refused result", page, "✓ VALID", `class="entry e-refused"`, "NOT ACCEPTED: rule VR-NL-0002: At least two doses are required",
		`<tr class="ro-failed">`, "failed")
	if strings.Contains(page, "ACCEPTED for entry") {
		t.Error("a refused certificate reads as accepted")
	}

	// Signature only: no entry decision, and that choice is remembered in turn.
	_, page = post(url.Values{"text": {refused}, "arrival": {"none"}})
	if strings.Contains(page, "ACCEPTED") || strings.Contains(page, "Entry rules") || !strings.Contains(page, "✓ VALID") {
		t.Errorf("signature only shows an entry decision:\n%s", page)
	}
	if page = get(); !strings.Contains(page, `<option value="none" selected>`) {
		t.Error("the choice of signature only is not remembered")
	}

	// A country whose rules are not held: not accepted, says why; the choice stays visible, marked.
	_, page = post(url.Values{"text": {ok}, "arrival": {"DE"}})
	wantIn(t, "DE result", page, "NOT ACCEPTED: no rules of DE are held")
	wantIn(t, "form after DE", get(), `<option value="DE" selected>DE (no rules held)</option>`)

	// Not a country code: the form again with a problem; the remembered choice is unchanged.
	code, page = post(url.Values{"text": {ok}, "arrival": {"Netherlands"}})
	if code != http.StatusBadRequest || !strings.Contains(page, "not a two-letter country code") {
		t.Errorf("bad arrival: %d", code)
	}
	wantIn(t, "form after a bad choice", get(), `<option value="DE" selected>`)

	// A form without the selector (an older page, a script) neither sets nor clears the choice.
	resp, err := http.PostForm(srv.URL+"/verify", url.Values{"text": {ok}})
	if err != nil {
		t.Fatal(err)
	}
	if page = body(t, resp); len(resp.Cookies()) != 0 || strings.Contains(page, "ACCEPTED") {
		t.Errorf("no selector: cookies %v", resp.Cookies())
	}
	// The cookie the server sets is the page's own: HttpOnly, SameSite=Strict, the whole site.
	resp, err = http.PostForm(srv.URL+"/verify", url.Values{"text": {ok}, "arrival": {"nl"}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	cs := resp.Cookies()
	if len(cs) != 1 || cs[0].Name != web.ArrivalCookie || cs[0].Value != "NL" || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode || cs[0].Path != "/" {
		t.Errorf("cookie: %+v", cs)
	}
	// A forged cookie value is ignored, never echoed.
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: web.ArrivalCookie, Value: "<script>"})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if page = body(t, resp); strings.Contains(page, "script") || !strings.Contains(page, `value="none" selected`) {
		t.Error("a forged cookie value reached the page")
	}
}

// TestArrivalLanguage: rule descriptions follow the page's language.
func TestArrivalLanguage(t *testing.T) {
	srv, _, refused := arrivalSetup(t, "nl")
	resp, err := http.PostForm(srv.URL+"/verify", url.Values{"text": {refused}, "arrival": {"NL"}})
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	wantIn(t, "Dutch page", page, `<html lang="nl">`, "NOT ACCEPTED: rule VR-NL-0002: Ten minste twee doses zijn vereist")
}
