package p2p

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	_ "github.com/accord-network/accord/formats/hcert" // registers the hcert format
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

func pubHeader(a *trustlisttest.Anchor, seq uint64) trustlist.PublicationHeader {
	return trustlist.PublicationHeader{Country: a.Country, DescriptorVersion: 1, Seq: seq, IssuedAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Second)}
}

func revokes(n *Node, cc string, q trustlist.RevocationQuery) bool {
	return n.Set().Revoked(cc, nil, time.Now(), q) != nil
}

// TestRevocationReachesEveryNode publishes a revocation delta at one node of
// a loopback network and waits until every node refuses the document; then
// a late joiner gets rules, value sets and the whole revocation chain by
// sync alone.
func TestRevocationReachesEveryNode(t *testing.T) {
	a := trustlisttest.NewAnchor(t, "NL")
	keys := []*trustlist.PrivateKey{a.Key}
	nodes := startNodes(t, size(8, 50), a)

	h := trustlist.RevocationHash([]byte("URN:UVCI:01:NL:SOLD"))
	q := trustlist.RevocationQuery{Type: trustlist.HashUCI, Hash: h}
	b := trustlist.NewRevocationBatch(trustlist.HashUCI, nil, time.Now().Add(24*time.Hour), "sold", [][16]byte{h})
	r1 := trustlisttest.Must(trustlist.SignRevocations(&trustlist.Revocations{PublicationHeader: pubHeader(a, 1), Batches: []*trustlist.RevocationBatch{b}}, keys))
	start := time.Now()
	if d := submit(t, nodes[len(nodes)-1], r1.Raw()); d.Outcome != trustlist.Accepted {
		t.Fatalf("submit: %+v", d)
	}
	waitFor(t, 20*time.Second, "every node to hold the revocation", func() bool {
		for _, n := range nodes {
			if !revokes(n, "NL", q) {
				return false
			}
		}
		return true
	})
	t.Logf("a revocation published at one node was held by all %d nodes after %s", len(nodes), time.Since(start).Round(time.Millisecond))

	// A second delta that withdraws the first batch, rules and value sets.
	r2 := trustlisttest.Must(trustlist.SignRevocations(&trustlist.Revocations{PublicationHeader: pubHeader(a, 2), Prev: r1.Hash(),
		Withdrawn: []trustlist.BatchRef{{Seq: 1, Index: 0}}}, keys))
	rs := trustlisttest.Must(trustlist.SignRuleSet(&trustlist.RuleSet{PublicationHeader: pubHeader(a, 1),
		Rules: [][]byte{[]byte(`{"Identifier":"VR-NL-0001","Country":"NL","Version":"1.0.0"}`)}}, keys))
	vs := trustlisttest.Must(trustlist.SignValueSets(&trustlist.ValueSets{PublicationHeader: pubHeader(a, 1), Sets: map[string][]string{"x": {"1"}}}, keys))
	for _, raw := range [][]byte{r2.Raw(), rs.Raw(), vs.Raw()} {
		if d := submit(t, nodes[0], raw); d.Outcome != trustlist.Accepted {
			t.Fatalf("submit %s: %+v", d.Kind, d)
		}
	}
	waitFor(t, 20*time.Second, "every node to hold the withdrawal and the rules", func() bool {
		for _, n := range nodes {
			if revokes(n, "NL", q) || n.Set().RuleSet("NL") == nil || n.Set().ValueSets("NL") == nil {
				return false
			}
		}
		return true
	})

	late := startNode(t, testConfig(t.TempDir()))
	pinAll(t, late, a)
	link(t, late, nodes[len(nodes)/2])
	waitFor(t, 20*time.Second, "a late joiner to sync the publications", func() bool {
		return len(late.Set().RevocationChain("NL")) == 2 && late.Set().RuleSet("NL") != nil && late.Set().ValueSets("NL") != nil
	})
	if revokes(late, "NL", q) {
		t.Fatal("the late joiner applies a withdrawn batch")
	}
}

// TestVerifyArrivalOverHTTP: POST /v1/verify?arrival=NL answers the entry
// decision of the rule set the node holds, beside the signature verdict.
func TestVerifyArrivalOverHTTP(t *testing.T) {
	n := startNode(t, testConfig(t.TempDir()))
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	a := trustlisttest.NewAnchor(t, "NL")
	pinAll(t, n, a)
	cert, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL DSC", Country: "NL"})
	dsc := trustlisttest.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "NL DSC"))
	rule := `{"Identifier":"VR-NL-0001","Type":"Acceptance","Country":"NL","Version":"1.0.0","SchemaVersion":"1.0.0","Engine":"CERTLOGIC",` +
		`"EngineVersion":"0.7.5","CertificateType":"Vaccination","Description":[{"lang":"en","desc":"At least three doses are required"}],` +
		`"ValidFrom":"2021-01-01T00:00:00Z","ValidTo":"2035-01-01T00:00:00Z","AffectedFields":["v.0.dn"],"Logic":{">=":[{"var":"payload.v.0.dn"},3]}}`
	rs := trustlisttest.Must(trustlist.SignRuleSet(&trustlist.RuleSet{PublicationHeader: pubHeader(a, 1), Rules: [][]byte{[]byte(rule)}}, []*trustlist.PrivateKey{a.Key}))
	for _, raw := range [][]byte{a.SignList(t, time.Time{}, 24*time.Hour, dsc).Raw(), rs.Raw()} {
		if d := submit(t, n, raw); d.Outcome != trustlist.Accepted {
			t.Fatalf("submit %s: %+v", d.Kind, d)
		}
	}
	hc1 := trustlisttest.Must(hcertissue.Issue([]byte(dccJSON), hcertissue.IssueOptions{Signer: key, Cert: cert, IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)}))
	var res verify.Result
	code, body, _ := do(t, "POST", srv.URL+"/v1/verify?arrival=NL&lang=de", "application/octet-stream", []byte(hc1))
	if err := json.Unmarshal(body, &res); err != nil || code != 200 || !res.Valid || res.Arrival == nil {
		t.Fatalf("verify: %d %s", code, body)
	}
	if res.Arrival.Accepted || res.Arrival.Verdict != "NOT ACCEPTED: rule VR-NL-0001: At least three doses are required" || len(res.Arrival.Rules) != 1 {
		t.Fatalf("arrival: %+v", res.Arrival)
	}
	if code, body, _ = do(t, "POST", srv.URL+"/v1/verify?arrival=Netherlands", "application/octet-stream", []byte(hc1)); code != http.StatusBadRequest {
		t.Fatalf("bad arrival: %d %s", code, body)
	}
	var pubs []PublicationInfo
	if code, body, _ = do(t, "GET", srv.URL+"/v1/publications/nl", "", nil); code != 200 || json.Unmarshal(body, &pubs) != nil ||
		len(pubs) != 1 || pubs[0].Kind != "ruleset" || pubs[0].Items != 1 {
		t.Fatalf("publications: %d %s", code, body)
	}
	if code, _, _ = do(t, "GET", srv.URL+"/v1/publications/DE", "", nil); code != http.StatusNotFound {
		t.Fatalf("publications of DE: %d", code)
	}
}
