package web_test

import (
	"bytes"
	"context"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/accord-network/accord/formats/hcert" // registers the hcert format
	"github.com/accord-network/accord/formats/qr"
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/p2p/web"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

const dcc = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika","gnt":"ERIKA"},"dob":"1964-08-12",
"v":[{"tg":"840539006","vp":"1119349007","mp":"EU/1/20/1528","ma":"ORG-100030215","dn":2,"sd":2,"dt":"2021-05-29","co":"NL","is":"Ministry of Health Welfare and Sport","ci":"URN:UVCI:01:NL:PlA8UWS60Z4RZXVALl6GAZ"}]}`

type backend struct{ set *trustlist.Set }

func (b backend) Verify(ctx context.Context, in []byte, opts verify.Options) (*verify.Result, error) {
	return verify.New(b.set, opts).Verify(ctx, in)
}
func (b backend) Anchors() []trustlist.AnchorInfo { return b.set.Anchors() }
func (b backend) RuleCountries() []string {
	var out []string
	for _, a := range b.set.Anchors() {
		if b.set.RuleSet(a.Country) != nil {
			out = append(out, a.Country)
		}
	}
	return out
}

func setup(t *testing.T) (*httptest.Server, string) {
	cert, key := tt.Cert(t, tt.CertOptions{CommonName: "NL DSC", Country: "NL"})
	e := tt.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "Ministry of Health NL"))
	set := tt.TrustOne(t, "NL", e)
	hc1, err := hcertissue.Issue([]byte(dcc), hcertissue.IssueOptions{Signer: key, Cert: cert, Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.HandlerWith(backend{set}, web.Options{Operator: "Port of Rotterdam customs", Node: "node 12D3Ko…abcdef"}))
	t.Cleanup(srv.Close)
	return srv, hc1
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestPasteAndUpload(t *testing.T) {
	srv, hc1 := setup(t)
	// The form is accessible: every input has a label, the photo input offers the camera.
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	for _, want := range []string{`<label for="file">`, `<label for="text">`, `<label for="photo">`, `capture="environment"`, `lang="en"`, `name="viewport"`} {
		if !strings.Contains(page, want) {
			t.Errorf("form lacks %s", want)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page must not load anything from outside the node")
	}
	if !strings.Contains(page, `<span class="operator">Port of Rotterdam customs</span>`) {
		t.Error("the header does not name the operator")
	}

	// Pasted HC1: valid, with the holder's name and each check.
	resp, err = http.PostForm(srv.URL+"/verify", url.Values{"text": {hc1}})
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, resp)
	for _, want := range []string{"✓ VALID", "Musterfrau", "Ministry of Health NL", "issuer_trusted", "not_revoked",
		"Health certificate (EU Digital COVID Certificate)", "Issuer is on a trusted list", "Issuer's key is not revoked"} {
		if !strings.Contains(page, want) {
			t.Errorf("valid result lacks %q", want)
		}
	}
	// A byte flipped in transit breaks the compression: unreadable, not a forgery.
	bad := []byte(hc1)
	bad[len(bad)-5] ^= 1
	resp, _ = http.PostForm(srv.URL+"/verify", url.Values{"text": {string(bad)}})
	if page = body(t, resp); !strings.Contains(page, "COULD NOT READ — scan again") || strings.Contains(page, "NOT VALID") {
		t.Errorf("corrupted HC1: %s", page[:min(2000, len(page))])
	}
	// Signed by a key no list holds: not valid, says why in words, the check's name in small print,
	// and the holder's name is marked as not verified.
	otherCert, otherKey := tt.Cert(t, tt.CertOptions{CommonName: "Forger", Country: "NL"})
	forged, err := hcertissue.Issue([]byte(dcc), hcertissue.IssueOptions{Signer: otherKey, Cert: otherCert, Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = http.PostForm(srv.URL+"/verify", url.Values{"text": {forged}})
	page = body(t, resp)
	if !strings.Contains(page, `<span class="unv" title="not verified">Musterfrau`) && !strings.Contains(page, `title="not verified">Erika Musterfrau`) {
		t.Errorf("unverified values not marked")
	}
	if !strings.Contains(page, "NOT VERIFIED") || !strings.Contains(page, "The issuer is not on any trust list this verifier holds.") {
		t.Errorf("forged document lacks the plain reason or the NOT VERIFIED mark")
	}
	if !strings.Contains(page, "✗ NOT VALID") || !strings.Contains(page, `class="why"`) || !strings.Contains(page, "Check <code>") {
		t.Errorf("tampered document: %s", page[:min(2000, len(page))])
	}
	// A QR photo upload.
	png, err := qr.Encode(hc1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("photo", "qr.png")
	fw.Write(png)
	mw.Close()
	resp, err = http.Post(srv.URL+"/verify", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, resp)
	if !strings.Contains(page, "✓ VALID") || !strings.Contains(page, "picture_decoded") {
		t.Errorf("QR upload: %s", page[:min(800, len(page))])
	}
	// Nothing given: the form again, with a problem that says what to do.
	resp, _ = http.PostForm(srv.URL+"/verify", url.Values{})
	if page = body(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "paste the document") {
		t.Errorf("empty form: %d", resp.StatusCode)
	}
	// Garbage: 422 and its own verdict, in a neutral colour, never "NOT VALID".
	resp, _ = http.PostForm(srv.URL+"/verify", url.Values{"text": {"hello"}})
	if page = body(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "COULD NOT READ — scan again") ||
		!strings.Contains(page, `class="verdict v-unreadable"`) || strings.Contains(page, "NOT VALID") {
		t.Errorf("garbage: %d\n%s", resp.StatusCode, page)
	}
}

func TestAnchorsView(t *testing.T) {
	srv, _ := setup(t)
	resp, err := http.Get(srv.URL + "/anchors")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	for _, want := range []string{"NL", "Test anchor NL", "pinned", "fresh"} {
		if !strings.Contains(page, want) {
			t.Errorf("anchors view lacks %q", want)
		}
	}
}

// cannotCheckBackend verifies for real, then records that a check the
// document needs could not be made, with a reason and format as
// formats/openattestation and formats/vc write them.
type cannotCheckBackend struct {
	backend
	format, reason string
}

const statusReason = "cannot be checked offline: the credential's status list https://issuer.example/status/1 was not fetched"

func (b cannotCheckBackend) Verify(ctx context.Context, in []byte, opts verify.Options) (*verify.Result, error) {
	r, err := b.backend.Verify(ctx, in, opts)
	if err != nil {
		return r, err
	}
	r.Format = b.format
	r.MarkCannotCheck("%s", b.reason)
	return r.Finish(), nil
}

// TestCannotCheckPage: a document that could not be checked here is shown
// as CANNOT CHECK with its reason, a neutral mark and colour, never as
// NOT VALID (spec/verify.md, Verdicts), and what it needs by cause: the
// hint the CLI prints (internal/checkneed).
func TestCannotCheckPage(t *testing.T) {
	cert2, key := tt.Cert(t, tt.CertOptions{CommonName: "NL DSC", Country: "NL"})
	e := tt.Must(trustlist.NewX509Entry(cert2.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "Ministry of Health NL"))
	set := tt.TrustOne(t, "NL", e)
	hc1, err := hcertissue.Issue([]byte(dcc), hcertissue.IssueOptions{Signer: key, Cert: cert2, Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ format, reason, hint string }{
		{"vc", statusReason, "To check it: fetch it with --status-online"},
		{"oa", "cannot be checked offline: issuance is recorded in token registry 0x71D28767662cB233F887aD2Bb65d048d760bA694 on Polygon Amoy",
			"To check it: give that network's endpoint with --eth-rpc NETWORK=URL"},
		{"vc", "cannot be checked offline: the holder of this transferable record is recorded in title escrow 0xAB on Polygon Amoy", "--eth-rpc NETWORK=URL"},
		{"vc", "cannot be checked: this transferable record's title is recorded as token 1 in token registry 0xAB on Polygon Amoy, which no admitted anchor lists for vc credentials",
			"To check it: an anchor must list the token registry"},
		{"vc", "cannot be checked: the credential is signed with bbs-2023, which this verifier does not support", "To check it: check it with the issuer's own tools"},
	} {
		t.Run(c.format+" "+c.hint, func(t *testing.T) {
			cannotCheckPage(t, cannotCheckBackend{backend{set}, c.format, c.reason}, hc1, c.reason, c.hint)
		})
	}
}

func cannotCheckPage(t *testing.T, b cannotCheckBackend, hc1, reason, hint string) {
	srv := httptest.NewServer(web.HandlerWith(b, web.Options{Node: "node test"}))
	defer srv.Close()
	resp, err := http.PostForm(srv.URL+"/verify", url.Values{"text": {hc1}})
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	for _, want := range []string{
		"<title>" + "Cannot check",
		`class="verdict v-cannot_check"`,
		verify.VerdictCannotCheck.Headline(),
		template.HTMLEscapeString(reason),
		"neither valid nor a sign of forgery",
		template.HTMLEscapeString(hint),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page[:min(3000, len(page))])
		}
	}
	for _, bad := range []string{"NOT VALID", "Not valid", "✗"} {
		if strings.Contains(page, bad) {
			t.Errorf("a document that cannot be checked shows %q", bad)
		}
	}
}
