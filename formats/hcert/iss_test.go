package hcert_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

func summaryField(r *verify.Result, label string) string {
	for _, f := range r.Summary {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

// TestIssMustEqualLister pins issue 10 item 9: the CWT iss must be the
// country the listing entry issues for; a mismatch fails issuer_trusted with
// the reason, and the summary shows the lister and the claimed iss apart.
func TestIssMustEqualLister(t *testing.T) {
	d := newDSC(t, "ES256") // listed by NL
	issue := func(iss string) []byte {
		s, err := Issue([]byte(vaccJSON), IssueOptions{Signer: d.key, Cert: d.cert, Issuer: iss, IssuedAt: now.Add(-time.Hour), Expires: now.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return []byte(s)
	}
	r, err := run(t, d.set, issue("DE"))
	if err != nil {
		t.Fatal(err)
	}
	c := r.Check(verify.CheckIssuerTrusted)
	if r.Valid || c.Status != verify.Fail || !strings.Contains(c.Detail, "claims issuer country DE") || !strings.Contains(c.Detail, "listed by NL") {
		t.Fatalf("iss DE with a DSC listed by NL: valid=%v %+v", r.Valid, c)
	}
	if got := summaryField(r, "Issuer country (claimed, iss)"); got != "DE" {
		t.Errorf("claimed iss in the summary: %q", got)
	}
	if got := summaryField(r, "Listed by"); !strings.HasPrefix(got, "NL") {
		t.Errorf("listing anchor in the summary: %q", got)
	}
	if r.Issuer.Country != "NL" || r.Issuer.ListedBy != "NL" || r.Issuer.ClaimedCountry != "DE" {
		t.Errorf("issuer: %+v", r.Issuer)
	}
	r, _ = run(t, d.set, issue("NL"))
	if !r.Valid {
		t.Fatalf("iss NL with a DSC listed by NL: %+v", r.FirstFailure())
	}

	// An anchor relaying another ecosystem's DSC for DE: iss DE is right there.
	e, err := trustlist.NewX509Entry(d.cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "")
	if err != nil {
		t.Fatal(err)
	}
	e.Country = "DE"
	relay := trustlisttest.TrustOne(t, "NL", e)
	r, _ = run(t, relay, issue("DE"))
	if !r.Valid || !strings.Contains(r.Check(verify.CheckIssuerTrusted).Detail, "listed for DE by NL") {
		t.Fatalf("relayed DE entry, iss DE: valid=%v %+v", r.Valid, r.Check(verify.CheckIssuerTrusted))
	}
	if got := summaryField(r, "Listed by"); !strings.Contains(got, "for DE") {
		t.Errorf("relayed listing in the summary: %q", got)
	}
	r, _ = run(t, relay, issue("NL"))
	if r.Valid || r.Check(verify.CheckIssuerTrusted).Status != verify.Fail {
		t.Fatalf("relayed DE entry, iss NL: %+v", r.Check(verify.CheckIssuerTrusted))
	}
}
