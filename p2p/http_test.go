package p2p

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/accord-network/accord/formats/hcert" // registers the hcert format
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

const dccJSON = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika","gnt":"ERIKA"},"dob":"1964-08-12",
"v":[{"tg":"840539006","vp":"1119349007","mp":"EU/1/20/1528","ma":"ORG-100030215","dn":2,"sd":2,"dt":"2021-05-29","co":"NL","is":"Ministry of Health Welfare and Sport","ci":"URN:UVCI:01:NL:PlA8UWS60Z4RZXVALl6GAZ"}]}`

func do(t *testing.T, method, url, ctype string, body []byte, hdr ...string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
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
	dir := t.TempDir()
	n := startNode(t, testConfig(dir))
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	u := srv.URL
	tok, err := ReadOperatorToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	auth := []string{"Authorization", "Bearer " + tok}

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
	if code, body, _ = do(t, "POST", u+"/v1/lists", "application/cose", []byte("garbage")); code != http.StatusBadRequest || !strings.Contains(string(body), "malformed") {
		t.Fatalf("garbage: %d %s", code, body)
	}
	// Too large: 413.
	if code, _, _ = do(t, "POST", u+"/v1/lists", "application/cbor", make([]byte, DefaultMaxObjectSize+1)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized: %d", code)
	}
	// Pin, then submit: 202, then the same again: 200 duplicate.
	if code, body, _ = do(t, "POST", u+"/v1/pins", "application/cose", a.Descriptor.Raw(), auth...); code != http.StatusOK {
		t.Fatalf("pin: %d %s", code, body)
	}
	if code, body, _ = do(t, "POST", u+"/v1/lists", "application/cose", l1.Raw()); code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", code, body)
	}
	if code, body, _ = do(t, "POST", u+"/v1/lists", "application/cose", l1.Raw()); code != http.StatusOK || !strings.Contains(string(body), `"duplicate"`) {
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
	for _, path := range []string{"/v1/lists/NL", "/v1/lists/NL/1", "/v1/lists/nl", "/v1/lists/nl/1"} {
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
	hc1, err := hcertissue.Issue([]byte(dccJSON), hcertissue.IssueOptions{Signer: key, Cert: cert, IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var res verify.Result
	code, body, _ = do(t, "POST", u+"/v1/verify", "application/octet-stream", []byte(hc1))
	if err := json.Unmarshal(body, &res); err != nil || code != 200 || !res.Valid || res.Format != "hcert" {
		t.Fatalf("verify: %d %s", code, body)
	}
	code, body, _ = do(t, "POST", u+"/v1/verify", "application/octet-stream", []byte("hello"))
	if err := json.Unmarshal(body, &res); err != nil || code != 400 || res.Valid || res.Error == "" {
		t.Fatalf("verify garbage: %d %s", code, body)
	}

	for _, path := range []string{"/v1/peers", "/healthz", "/v1/status"} {
		if code, body, _ := do(t, "GET", u+path, "", nil, auth...); code != 200 || !json.Valid(body) {
			t.Fatalf("%s: %d %s", path, code, body)
		}
	}
	code, body, _ = do(t, "GET", u+"/metrics", "", nil)
	for _, want := range []string{"accord_lists_held 1", "accord_verify_total{outcome=\"valid\"} 1", "accord_messages_total", "accord_peers 0"} {
		if code != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
	// "/" is the web page.
	if code, body, _ := do(t, "GET", u+"/", "", nil); code != 200 || !strings.Contains(string(body), "<form") {
		t.Fatalf("/: %d", code)
	}
}

// apiServer starts a node and serves its HTTP API; it returns the base URL,
// the operator token and the node.
func apiServer(t *testing.T, cfg Config) (string, string, *Node) {
	t.Helper()
	n := startNode(t, cfg)
	srv := httptest.NewServer(n.Handler())
	t.Cleanup(srv.Close)
	tok, err := ReadOperatorToken(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, tok, n
}

// TestOperatorToken: the node writes a 0600 token at first start, keeps it
// across restarts and never logs it.
func TestOperatorToken(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	cfg := testConfig(dir)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n := startNode(t, cfg)
	fi, err := os.Stat(filepath.Join(dir, OperatorTokenFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	tok, err := ReadOperatorToken(dir)
	if err != nil || len(tok) != 64 {
		t.Fatalf("token %q: %v", tok, err)
	}
	n.Close()
	n2 := startNode(t, cfg)
	n2.Close()
	if again, _ := ReadOperatorToken(dir); again != tok {
		t.Fatal("token changed across restarts")
	}
	if strings.Contains(logs.String(), tok) {
		t.Fatal("the operator token appears in the log")
	}
}

// TestOperatorEndpointsRefuseBrowsers is the issue 10 item 1 regression: a
// web page's no-cors "simple request" (text/plain, no credential) to
// POST /v1/pins pinned an attacker's anchor on main.
func TestOperatorEndpointsRefuseBrowsers(t *testing.T) {
	u, tok, n := apiServer(t, testConfig(t.TempDir()))
	evil := trustlisttest.NewAnchor(t, "NL")
	desc := evil.Descriptor.Raw()
	for name, hdr := range map[string][]string{
		"no-cors text/plain":        {"Origin", "http://evil.example"},
		"text/plain, no origin":     nil,
		"cose, no token":            nil,
		"cose, wrong token":         {"Authorization", "Bearer " + strings.Repeat("0", 64)},
		"cose, token as basic auth": {"Authorization", "Basic " + tok},
	} {
		ctype := "application/cose"
		if strings.HasPrefix(name, "text/plain") || strings.HasPrefix(name, "no-cors") {
			ctype = "text/plain"
		}
		code, body, h := do(t, "POST", u+"/v1/pins", ctype, desc, hdr...)
		if code < 400 {
			t.Fatalf("%s: %d %s", name, code, body)
		}
		if code == http.StatusUnauthorized && !strings.Contains(h.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("%s: 401 without WWW-Authenticate", name)
		}
	}
	if len(n.Set().Anchors()) != 0 {
		t.Fatal("an anchor was pinned without the operator token")
	}
	// With the token but a browser-sendable type: 415.
	if code, body, _ := do(t, "POST", u+"/v1/pins", "text/plain", desc, "Authorization", "Bearer "+tok); code != http.StatusUnsupportedMediaType {
		t.Fatalf("token + text/plain: %d %s", code, body)
	}
	// With the token, from another origin: refused even so.
	if code, body, _ := do(t, "POST", u+"/v1/pins", "application/cose", desc, "Authorization", "Bearer "+tok, "Origin", "http://evil.example"); code != http.StatusForbidden {
		t.Fatalf("token + foreign origin: %d %s", code, body)
	}
	// The operator's request: pinned.
	if code, body, _ := do(t, "POST", u+"/v1/pins", "application/cose", desc, "Authorization", "Bearer "+tok); code != http.StatusOK || !strings.Contains(string(body), `"pinned"`) {
		t.Fatalf("operator pin: %d %s", code, body)
	}
	// GET /v1/peers is operator-only too.
	if code, _, _ := do(t, "GET", u+"/v1/peers", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("peers without token: %d", code)
	}
}

// TestPublicPOSTsRefuseSimpleRequests: the open endpoints take no body a web
// page could send without a preflight.
func TestPublicPOSTsRefuseSimpleRequests(t *testing.T) {
	u, _, _ := apiServer(t, testConfig(t.TempDir()))
	a := trustlisttest.NewAnchor(t, "NL")
	for _, ct := range []string{"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		for _, path := range []string{"/v1/lists", "/v1/verify"} {
			if code, body, _ := do(t, "POST", u+path, ct, a.Descriptor.Raw()); code != http.StatusUnsupportedMediaType {
				t.Fatalf("%s %q: %d %s", path, ct, code, body)
			}
		}
	}
	// Lists take only COSE/CBOR; documents any non-simple type.
	if code, _, _ := do(t, "POST", u+"/v1/lists", "application/json", a.Descriptor.Raw()); code != http.StatusUnsupportedMediaType {
		t.Fatalf("lists as JSON: %d", code)
	}
	if code, _, _ := do(t, "POST", u+"/v1/verify", "application/pdf", []byte("%PDF-1.7 nothing")); code != http.StatusBadRequest {
		t.Fatalf("verify as PDF: %d", code)
	}
}

// TestDNSRebindingRefused: a Host that is not an address of the node (a
// rebound DNS name) is refused before anything is served.
func TestDNSRebindingRefused(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.HTTPHosts = []string{"verify.example.org"}
	u, tok, _ := apiServer(t, cfg)
	for _, host := range []string{"attacker.example", "attacker.example:8080", "verify.example.org.attacker.example", "localhost.attacker.example"} {
		for _, path := range []string{"/v1/status", "/", "/v1/pins"} {
			method := "GET"
			if path == "/v1/pins" {
				method = "POST"
			}
			if code, body, _ := do(t, method, u+path, "application/cose", nil, "Host", host, "Authorization", "Bearer "+tok); code != http.StatusMisdirectedRequest {
				t.Fatalf("Host %s %s: %d %s", host, path, code, body)
			}
		}
	}
	for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "verify.example.org", "VERIFY.example.org:443"} {
		if code, body, _ := do(t, "GET", u+"/v1/status", "", nil, "Host", host); code != http.StatusOK {
			t.Fatalf("Host %s: %d %s", host, code, body)
		}
	}
}

// TestWebPageSameOriginOnly: the page's own multipart form verifies; the
// same form posted from another origin is refused.
func TestWebPageSameOriginOnly(t *testing.T) {
	u, _, _ := apiServer(t, testConfig(t.TempDir()))
	form := func(hdr ...string) int {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("text", "HC1:garbage")
		mw.Close()
		code, _, _ := do(t, "POST", u+"/verify", mw.FormDataContentType(), b.Bytes(), hdr...)
		return code
	}
	if code := form("Origin", u, "Sec-Fetch-Site", "same-origin"); code == http.StatusForbidden || code >= 500 {
		t.Fatalf("same-origin form: %d", code)
	}
	if code := form(); code == http.StatusForbidden || code >= 500 {
		t.Fatalf("form without Origin (non-browser): %d", code)
	}
	for _, hdr := range [][]string{{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Site", "same-site"}, {"Origin", "null"}} {
		if code := form(hdr...); code != http.StatusForbidden {
			t.Fatalf("%v: %d", hdr, code)
		}
	}
}

// TestPerClientLimits: POST /v1/verify and /v1/lists are rate- and
// size-limited per client; the operator token exempts.
func TestPerClientLimits(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.VerifyLimit = HTTPLimit{Rate: 0.001, Burst: 3, BytesRate: 1, BytesBurst: 64 << 10}
	cfg.SubmitLimit = HTTPLimit{Rate: 0.001, Burst: 2, BytesRate: 1, BytesBurst: 1 << 20}
	u, tok, _ := apiServer(t, cfg)
	codes := func(path, ct string, k int, body []byte, hdr ...string) []int {
		var out []int
		for range k {
			code, _, h := do(t, "POST", u+path, ct, body, hdr...)
			if code == http.StatusTooManyRequests && h.Get("Retry-After") == "" {
				t.Fatalf("429 without Retry-After")
			}
			out = append(out, code)
		}
		return out
	}
	got := codes("/v1/verify", "application/octet-stream", 5, []byte("hello"))
	if got[2] == http.StatusTooManyRequests || got[3] != http.StatusTooManyRequests || got[4] != http.StatusTooManyRequests {
		t.Fatalf("verify: %v", got)
	}
	// The web page's form shares the verify budget.
	if code, _, _ := do(t, "POST", u+"/verify", "application/x-www-form-urlencoded", []byte("text=x")); code != http.StatusTooManyRequests {
		t.Fatalf("page after the budget: %d", code)
	}
	got = codes("/v1/lists", "application/cose", 3, []byte("junk"))
	if got[1] == http.StatusTooManyRequests || got[2] != http.StatusTooManyRequests {
		t.Fatalf("lists: %v", got)
	}
	// The operator is exempt.
	if got = codes("/v1/lists", "application/cose", 3, []byte("junk"), "Authorization", "Bearer "+tok); got[2] == http.StatusTooManyRequests {
		t.Fatalf("operator: %v", got)
	}
	// Bytes: a fresh client (another loopback address) with a 64 KiB budget
	// cannot post 100 KiB, declared or chunked.
	cfg2 := testConfig(t.TempDir())
	cfg2.VerifyLimit = HTTPLimit{Rate: 100, Burst: 100, BytesRate: 1, BytesBurst: 64 << 10}
	u2, _, _ := apiServer(t, cfg2)
	big := bytes.Repeat([]byte("A"), 100<<10)
	if code, body, _ := do(t, "POST", u2+"/v1/verify", "application/octet-stream", big); code != http.StatusTooManyRequests {
		t.Fatalf("declared length over budget: %d %s", code, body)
	}
	req, _ := http.NewRequest("POST", u2+"/v1/verify", io.MultiReader(bytes.NewReader(big)))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("chunked over budget: %d", resp.StatusCode)
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5555":            "127.0.0.1",
		"[2001:db8:1:2:3::4]:80":    "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:81": "2001:db8:1:2::/64",
		"[::ffff:10.0.0.1]:1":       "10.0.0.1",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%s) = %s, want %s", in, got, want)
		}
	}
}
