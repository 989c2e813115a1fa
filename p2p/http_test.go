package p2p

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

const dccJSON = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika","gnt":"ERIKA"},"dob":"1964-08-12",
"v":[{"tg":"840539006","vp":"1119349007","mp":"EU/1/20/1528","ma":"ORG-100030215","dn":2,"sd":2,"dt":"2021-05-29","co":"NL","is":"Ministry of Health Welfare and Sport","ci":"URN:UVCI:01:NL:PlA8UWS60Z4RZXVALl6GAZ"}]}`

func do(t *testing.T, method, url, ctype string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func TestHTTPAPI(t *testing.T) {
	n := startNode(t, testConfig(t.TempDir()))
	srv := httptest.NewServer(n.Mux())
	defer srv.Close()
	u := srv.URL

	a := trustlisttest.NewAnchor(t, "NL")
	cert, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL DSC", Country: "NL"})
	dsc, err := trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "NL DSC")
	if err != nil {
		t.Fatal(err)
	}
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, dsc)

	// A list of an anchor the node does not hold: 422 with the reason.
	code, body, _ := do(t, "POST", u+"/v1/lists", "application/cose", l1.Raw())
	var sr SubmitResponse
	if err := json.Unmarshal(body, &sr); err != nil || code != http.StatusUnprocessableEntity || sr.Reason != string(trustlist.ReasonUnknownAnchor) {
		t.Fatalf("unknown anchor: %d %s", code, body)
	}
	// Garbage: 400 malformed.
	if code, body, _ = do(t, "POST", u+"/v1/lists", "", []byte("garbage")); code != http.StatusBadRequest || !strings.Contains(string(body), "malformed") {
		t.Fatalf("garbage: %d %s", code, body)
	}
	// Too large: 413.
	if code, _, _ = do(t, "POST", u+"/v1/lists", "", make([]byte, DefaultMaxObjectSize+1)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized: %d", code)
	}
	// Pin, then submit: 202, then the same again: 200 duplicate.
	if code, body, _ = do(t, "POST", u+"/v1/pins", "", a.Descriptor.Raw()); code != http.StatusOK {
		t.Fatalf("pin: %d %s", code, body)
	}
	if code, body, _ = do(t, "POST", u+"/v1/lists", "", l1.Raw()); code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", code, body)
	}
	if code, body, _ = do(t, "POST", u+"/v1/lists", "", l1.Raw()); code != http.StatusOK || !strings.Contains(string(body), `"duplicate"`) {
		t.Fatalf("resubmit: %d %s", code, body)
	}

	var lists []ListInfo
	code, body, _ = do(t, "GET", u+"/v1/lists", "", nil)
	if err := json.Unmarshal(body, &lists); err != nil || code != 200 || len(lists) != 1 {
		t.Fatalf("lists: %d %s", code, body)
	}
	if l := lists[0]; l.Country != "NL" || l.Seq != 1 || l.Entries != 1 || !l.Fresh || l.Equivocated {
		t.Fatalf("list row: %+v", l)
	}
	for _, path := range []string{"/v1/lists/NL", "/v1/lists/NL/1"} {
		code, body, hdr := do(t, "GET", u+path, "", nil)
		if code != 200 || hdr.Get("Content-Type") != "application/cose" || !bytes.Equal(body, l1.Raw()) {
			t.Fatalf("%s: %d %s", path, code, hdr.Get("Content-Type"))
		}
	}
	for path, want := range map[string]int{"/v1/lists/DE": 404, "/v1/lists/NL/2": 404, "/v1/lists/NL/x": 400} {
		if code, _, _ := do(t, "GET", u+path, "", nil); code != want {
			t.Fatalf("%s: %d, want %d", path, code, want)
		}
	}
	var anchors []trustlist.AnchorInfo
	if _, body, _ = do(t, "GET", u+"/v1/anchors", "", nil); json.Unmarshal(body, &anchors) != nil || len(anchors) != 1 || !anchors[0].Pinned {
		t.Fatalf("anchors: %s", body)
	}

	// Verify a real DCC signed by the listed DSC, and one that is not a document.
	hc1, err := hcert.Issue([]byte(dccJSON), hcert.IssueOptions{Signer: key, Cert: cert, IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var res verify.Result
	code, body, _ = do(t, "POST", u+"/v1/verify", "text/plain", []byte(hc1))
	if err := json.Unmarshal(body, &res); err != nil || code != 200 || !res.Valid || res.Format != "hcert" {
		t.Fatalf("verify: %d %s", code, body)
	}
	code, body, _ = do(t, "POST", u+"/v1/verify", "", []byte("hello"))
	if err := json.Unmarshal(body, &res); err != nil || code != 400 || res.Valid || res.Error == "" {
		t.Fatalf("verify garbage: %d %s", code, body)
	}

	for _, path := range []string{"/v1/peers", "/healthz", "/v1/status"} {
		if code, body, _ := do(t, "GET", u+path, "", nil); code != 200 || !json.Valid(body) {
			t.Fatalf("%s: %d %s", path, code, body)
		}
	}
	code, body, _ = do(t, "GET", u+"/metrics", "", nil)
	for _, want := range []string{"accord_lists_held 1", "accord_verify_total{outcome=\"valid\"} 1", "accord_messages_total", "accord_peers 0"} {
		if code != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
	// "/" stays free for the web page.
	if code, _, _ := do(t, "GET", u+"/", "", nil); code != 404 {
		t.Fatalf("/ is taken: %d", code)
	}
}
