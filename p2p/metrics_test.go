package p2p

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	_ "github.com/accord-network/accord/formats/openattestation" // registers the oa format
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// TestVerifyMetricOutcomes: accord_verify_total counts each verdict apart. A
// document the node cannot check (an e-BL on a chain it has no endpoint
// for) is neither valid nor invalid, and unreadable input is "malformed".
func TestVerifyMetricOutcomes(t *testing.T) {
	u, _, n := apiServer(t, testConfig(t.TempDir()))
	ctx := context.Background()

	nl := trustlisttest.NewAnchor(t, "NL")
	cert, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL DSC", Country: "NL"})
	dsc := trustlisttest.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "NL DSC"))
	sg := trustlisttest.NewAnchor(t, "SG")
	registry := trustlisttest.Must(hex.DecodeString(fixtures.AmoyRegistry))
	carrier := trustlisttest.Must(trustlist.NewContractEntry(fixtures.AmoyChainID, registry, []trustlist.DocType{trustlist.DocOA},
		"TradeTrust demo carrier", "", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().AddDate(10, 0, 0)))
	pinAll(t, n, nl, sg)
	for _, l := range []*trustlist.List{nl.SignList(t, time.Time{}, 24*time.Hour, dsc), sg.SignList(t, time.Time{}, 24*time.Hour, carrier)} {
		if d, err := n.Submit(ctx, l.Raw()); err != nil || d.Outcome != trustlist.Accepted {
			t.Fatalf("submit %s: %v %v", l.Country, d, err)
		}
	}

	issue := func(signer *trustlisttest.CertOptions) string {
		c, k := cert, key
		if signer != nil {
			c, k = trustlisttest.Cert(t, *signer)
		}
		hc1, err := hcertissue.Issue([]byte(dccJSON), hcertissue.IssueOptions{Signer: k, Cert: c, IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return hc1
	}
	docs := []struct {
		in   string
		want verify.Verdict
	}{
		{issue(nil), verify.VerdictValid},
		{issue(&trustlisttest.CertOptions{CommonName: "unlisted DSC", Country: "NL"}), verify.VerdictInvalid},
		{string(fixtures.AmoyEBL()), verify.VerdictCannotCheck},
		{string(fixtures.AmoyEBL()), verify.VerdictCannotCheck},
		{"hello", verify.VerdictUnreadable},
	}
	for i, d := range docs {
		res, _ := n.Verify(ctx, []byte(d.in), verify.Options{})
		if res.Verdict() != d.want {
			t.Fatalf("document %d: %s (%+v), want %s", i, res.Verdict(), res, d.want)
		}
	}
	_, body, _ := do(t, "GET", u+"/metrics", "", nil)
	for _, want := range []string{
		`accord_verify_total{outcome="valid"} 1`,
		`accord_verify_total{outcome="invalid"} 1`,
		`accord_verify_total{outcome="cannot_check"} 2`,
		`accord_verify_total{outcome="malformed"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(string(body), "accord_verify_total"))
		}
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
