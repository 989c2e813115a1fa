package verify_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

var (
	nb = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	na = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
)

func issuerMatch(t *testing.T, country string) trustlist.Match {
	t.Helper()
	e := tt.Must(trustlist.NewEthEntry(bytes.Repeat([]byte{0xab}, 20), []trustlist.DocType{trustlist.DocOA}, "Carrier", "", nb, na))
	e.Country = country
	return trustlist.Match{Entry: e, Country: "NL", Anchor: "NL anchor", Seq: 1, NextUpdate: time.Now().Add(time.Hour)}
}

// TestKeyValidityRule pins issue 10 item 8: one rule for every format. A
// signer's claimed (or absent) signing time needs the entry valid at the
// verification time too; a trusted time lets the window at signing suffice.
func TestKeyValidityRule(t *testing.T) {
	inWindow := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	afterExpiry := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	claim := verify.SigningTime{Time: inWindow, Source: "issueDate (the issuer's claim)"}
	trusted := verify.SigningTime{Time: inWindow, Trusted: true, Source: "RFC 3161 timestamp"}
	cases := []struct {
		name   string
		at     time.Time
		signed verify.SigningTime
		want   verify.Status
		detail string
	}{
		{"claimed time, key valid now", inWindow.Add(time.Hour), claim, verify.Pass, "also covers the verification time"},
		{"backdated claim, key expired since", afterExpiry, claim, verify.Fail, "no longer covers the verification time"},
		{"no signing time, key expired", afterExpiry, verify.SigningTime{}, verify.Fail, "carries no signing time"},
		{"no signing time, key valid now", inWindow, verify.SigningTime{}, verify.Pass, "covers the verification time"},
		{"trusted time in the window, key expired since", afterExpiry, trusted, verify.Pass, "a trusted time"},
		{"claimed time outside the window", inWindow, verify.SigningTime{Time: na.Add(time.Hour), Source: "claim"}, verify.Fail, "outside the key's validity"},
		{"trusted time outside the window", afterExpiry, verify.SigningTime{Time: na.Add(time.Hour), Trusted: true, Source: "tsa"}, verify.Fail, "outside the key's validity"},
	}
	for _, c := range cases {
		env := &verify.Env{At: c.at, Offline: true}
		r := &verify.Result{}
		env.IssuerChecks(r, issuerMatch(t, ""), c.signed)
		got := r.Check(verify.CheckKeyValidAtSigning)
		if got.Status != c.want || !strings.Contains(got.Detail, c.detail) {
			t.Errorf("%s: %s %q, want %s containing %q", c.name, got.Status, got.Detail, c.want, c.detail)
		}
	}
}

// TestIssuerClaimedCountry pins issue 10 item 9 at the rule's one place: a
// document's claimed issuer country must be the country its key is listed for.
func TestIssuerClaimedCountry(t *testing.T) {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	env := &verify.Env{At: at}
	cases := []struct {
		name, entryCC, claim string
		want                 verify.Status
	}{
		{"iss equals the lister", "", "NL", verify.Pass},
		{"iss names another country", "", "DE", verify.Fail},
		{"no iss", "", "", verify.Pass},
		{"relayed entry for DE, iss DE", "DE", "DE", verify.Pass},
		{"relayed entry for DE, iss NL", "DE", "NL", verify.Fail},
	}
	for _, c := range cases {
		r := &verify.Result{}
		env.IssuerChecks(r, issuerMatch(t, c.entryCC), verify.SigningTime{}, verify.Claims{Country: c.claim, Source: "CWT iss"})
		got := r.Check(verify.CheckIssuerTrusted)
		if got.Status != c.want {
			t.Errorf("%s: %s %q", c.name, got.Status, got.Detail)
		}
		if r.Issuer.ListedBy != "NL" || r.Issuer.ClaimedCountry != c.claim {
			t.Errorf("%s: issuer %+v: the lister and the claim are shown apart", c.name, r.Issuer)
		}
	}
}

// TestAdmissionExpiry: an anchor admitted by endorsements that have expired
// by the verification time fails issuer_trusted (issue 10 item 3).
func TestAdmissionExpiry(t *testing.T) {
	m := issuerMatch(t, "")
	m.AdmittedUntil = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want verify.Status
	}{{m.AdmittedUntil.Add(-time.Hour), verify.Pass}, {m.AdmittedUntil, verify.Fail}} {
		r := &verify.Result{}
		(&verify.Env{At: c.at}).IssuerChecks(r, m, verify.SigningTime{})
		if got := r.Check(verify.CheckIssuerTrusted); got.Status != c.want {
			t.Errorf("at %s: %s %q", c.at, got.Status, got.Detail)
		}
	}
}
