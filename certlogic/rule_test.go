package certlogic

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/trustlist"
)

// TestNationalRuleTests runs the AT and NL rules of
// ../shared/fixtures/dcc-rules against their own test cases.
func TestNationalRuleTests(t *testing.T) {
	root := fixtures.Shared(t, "dcc-rules")
	for _, cc := range []string{"AT", "NL"} {
		checks, err := RunPath(filepath.Join(root, cc))
		if err != nil {
			t.Fatal(err)
		}
		if len(checks) == 0 {
			t.Fatalf("%s: no tests ran", cc)
		}
		t.Logf("%s: %d rule tests", cc, len(checks))
		for _, c := range checks {
			if c.Err != nil {
				t.Errorf("%s: %s: %v", cc, c.Name, c.Err)
			}
		}
	}
}

// TestGatewayRulesValidate checks every version of the FI, IE and FR rules
// uploaded to the EU gateway against the rule schema, after removing the
// expr-as-text field the analysis tool added (the schema forbids it), and
// that the schema still refuses them with it.
func TestGatewayRulesValidate(t *testing.T) {
	n := 0
	for _, v := range gatewayRuleVersions[map[string]json.RawMessage](t) {
		name := string(v["Identifier"]) + " " + string(v["Version"])
		withText, _ := json.Marshal(v)
		if _, err := ValidateRule(withText); err == nil || !strings.Contains(err.Error(), "expr-as-text") {
			t.Errorf("%s: a rule with expr-as-text validated (err %v)", name, err)
		}
		delete(v, "expr-as-text")
		clean, _ := json.Marshal(v)
		if _, err := ValidateRule(clean); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		n++
	}
	if n != 52 {
		t.Errorf("validated %d rule versions; the fixtures hold 52", n)
	}
}

func TestSelectPicksNewestValidVersion(t *testing.T) {
	mk := func(id, version, from, to, typ, cert string) *Rule {
		raw := `{"Identifier":"` + id + `","Type":"` + typ + `","Country":"` + id[3:5] + `","Version":"` + version +
			`","SchemaVersion":"1.0.0","Engine":"CERTLOGIC","EngineVersion":"0.7.5","CertificateType":"` + cert +
			`","Description":[{"lang":"en","desc":"a description of twenty characters"}],"ValidFrom":"` + from +
			`","ValidTo":"` + to + `","AffectedFields":["v.0"],"Logic":{"===":[1,1]}}`
		r, err := ValidateRule([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	rules := []*Rule{
		mk("VR-NL-0001", "1.0.0", "2022-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "Acceptance", "Vaccination"),
		mk("VR-NL-0001", "1.1.0", "2022-06-01T00:00:00Z", "2030-01-01T00:00:00Z", "Acceptance", "Vaccination"),
		mk("TR-NL-0001", "1.0.0", "2022-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "Acceptance", "Test"),
		mk("GR-NL-0001", "1.0.0", "2022-01-01T00:00:00Z", "2022-02-01T00:00:00Z", "Acceptance", "General"),
		mk("IR-AT-0001", "1.0.0", "2022-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "Invalidation", "General"),
		mk("VR-BE-0001", "1.0.0", "2022-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "Acceptance", "Vaccination"),
	}
	at := time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC)
	got := Select(rules, "NL", "", "AT", CertVaccination, at)
	if len(got) != 2 || got[0].Identifier != "IR-AT-0001" || got[1].Identifier != "VR-NL-0001" || got[1].Version != "1.0.0" {
		t.Fatalf("Select at %s = %v", at, ids(got))
	}
	got = Select(rules, "NL", "", "DE", CertVaccination, at.AddDate(0, 6, 0))
	if len(got) != 1 || got[0].Version != "1.1.0" {
		t.Fatalf("Select half a year later = %v", ids(got))
	}
}

func ids(rs []*Rule) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Identifier+"@"+r.Version)
	}
	return out
}

// TestGatewayRulesSign signs every FI, IE and FR rule version (expr-as-text
// removed) as its country's rule set and has a trust set accept it: the
// gateway's real rules travel as Accord publications unchanged.
func TestGatewayRulesSign(t *testing.T) {
	root := filepath.Join(fixtures.Shared(t, "certlogic"), "dcc-rules", "per-country")
	for _, cc := range []string{"FI", "IE", "FR"} {
		key, err := trustlist.GenerateKey(trustlist.AlgES256, nil)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		d, err := trustlist.SignDescriptor(&trustlist.Descriptor{Country: cc, Name: cc, Version: 1, Threshold: 1,
			Keys: []*trustlist.PublicKey{key.Public()}, IssuedAt: now}, []*trustlist.PrivateKey{key})
		if err != nil {
			t.Fatal(err)
		}
		var rules [][]byte
		files, _ := filepath.Glob(filepath.Join(root, cc, "*.json"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			var versions []map[string]json.RawMessage
			if err := json.Unmarshal(b, &versions); err != nil {
				t.Fatal(err)
			}
			for _, v := range versions {
				delete(v, "expr-as-text")
				raw, _ := json.Marshal(v)
				if _, err := ValidateRule(raw); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				rules = append(rules, raw)
			}
		}
		rs, err := trustlist.SignRuleSet(&trustlist.RuleSet{PublicationHeader: trustlist.PublicationHeader{Country: cc, DescriptorVersion: 1, Seq: 1, IssuedAt: now},
			Rules: rules}, []*trustlist.PrivateKey{key})
		if err != nil {
			t.Fatalf("%s: %v", cc, err)
		}
		set := trustlist.NewSet(trustlist.DefaultPolicy())
		if _, err := set.Pin(d.Raw()); err != nil {
			t.Fatal(err)
		}
		if dec := set.Accept(rs.Raw(), now); dec.Outcome != trustlist.Accepted {
			t.Fatalf("%s rule set: %s %s", cc, dec.Reason, dec.Detail)
		}
		for _, raw := range set.RuleSet(cc).Rules {
			if _, err := ParseRule(raw); err != nil {
				t.Fatalf("%s: a signed rule does not parse back: %v", cc, err)
			}
		}
		t.Logf("%s: %d rule versions signed and accepted", cc, len(rules))
	}
}
