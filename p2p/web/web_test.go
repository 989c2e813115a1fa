package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/hcert"
	"github.com/accord-network/accord/formats/qr"
	"github.com/accord-network/accord/p2p/web"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

const dcc = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika","gnt":"ERIKA"},"dob":"1964-08-12",
"v":[{"tg":"840539006","vp":"1119349007","mp":"EU/1/20/1528","ma":"ORG-100030215","dn":2,"sd":2,"dt":"2021-05-29","co":"NL","is":"Ministry of Health Welfare and Sport","ci":"URN:UVCI:01:NL:PlA8UWS60Z4RZXVALl6GAZ"}]}`

type backend struct{ set *trustlist.Set }

func (b backend) Verify(ctx context.Context, in []byte, offline bool) (*verify.Result, error) {
	return verify.New(b.set, verify.Options{Offline: offline}).Verify(ctx, in)
}
func (b backend) Anchors() []trustlist.AnchorInfo { return b.set.Anchors() }

func setup(t *testing.T) (*httptest.Server, string) {
	cert, key := tt.Cert(t, tt.CertOptions{CommonName: "NL DSC", Country: "NL"})
	e := tt.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "Ministry of Health NL"))
	set := tt.TrustOne(t, "NL", e)
	hc1, err := hcert.Issue([]byte(dcc), hcert.IssueOptions{Signer: key, Cert: cert, Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.Handler(backend{set}, "test node"))
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

	// Pasted HC1: valid, with the holder's name and each check.
	resp, err = http.PostForm(srv.URL+"/verify", url.Values{"text": {hc1}})
	if err != nil {
		t.Fatal(err)
	}
	page = body(t, resp)
	for _, want := range []string{"✓ VALID", "Musterfrau", "Ministry of Health NL", "issuer_trusted", "not_revoked"} {
		if !strings.Contains(page, want) {
			t.Errorf("valid result lacks %q", want)
		}
	}
	// Tampered: not valid, and says why.
	bad := []byte(hc1)
	bad[len(bad)-5] ^= 1
	resp, _ = http.PostForm(srv.URL+"/verify", url.Values{"text": {string(bad)}})
	page = body(t, resp)
	if !strings.Contains(page, "✗ NOT VALID") || !strings.Contains(page, "Why:") {
		t.Errorf("tampered document: %s", page[:min(600, len(page))])
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
	// Garbage: 422 and a clear message.
	resp, _ = http.PostForm(srv.URL+"/verify", url.Values{"text": {"hello"}})
	if page = body(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "NOT VALID") {
		t.Errorf("garbage: %d", resp.StatusCode)
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
