package pdf_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	_ "github.com/accord-network/accord/formats/pdf" // registers the PDF verifier
	"github.com/accord-network/accord/formats/pdf/pdftest"
	pdfissue "github.com/accord-network/accord/issue/pdf"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// TestSignVerifies signs with the issuing package and verifies with the
// verifying one (registered through the verify registry, formats/pdf).
func TestSignVerifies(t *testing.T) {
	cert, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Port of Rotterdam", Country: "NL"})
	doc, err := pdfissue.Sign(pdftest.Document(pdftest.Options{}), pdfissue.SignOptions{Key: key, Cert: cert, Reason: "issued"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocPDF}, "Port of Rotterdam")
	if err != nil {
		t.Fatal(err)
	}
	a := trustlisttest.NewAnchor(t, "NL")
	a.SignList(t, time.Time{}, 24*time.Hour, e)
	r, err := verify.New(trustlisttest.Set(t, a), verify.Options{}).Verify(context.Background(), doc)
	if err != nil || !r.Valid {
		t.Fatalf("signed PDF does not verify: %v %+v", err, r.FirstFailure())
	}
}

// TestSignRefuses pins the errors for what cannot be signed.
func TestSignRefuses(t *testing.T) {
	cert, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "x"})
	if _, err := pdfissue.Sign([]byte("not a pdf"), pdfissue.SignOptions{Key: key, Cert: cert}); !errors.Is(err, verify.ErrMalformed) {
		t.Errorf("non-PDF: got %v, want ErrMalformed", err)
	}
	if _, err := pdfissue.Sign(pdftest.Document(pdftest.Options{}), pdfissue.SignOptions{}); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("no key: got %v", err)
	}
	if _, err := pdfissue.Sign(pdftest.Document(pdftest.Options{}), pdfissue.SignOptions{DocumentTimestamp: true}); err == nil || !strings.Contains(err.Error(), "TSA") {
		t.Errorf("document timestamp without a TSA: got %v", err)
	}
}

// TestVerifierDoesNotImportIssuer keeps issuing out of the verifying
// packages' dependencies: an app that embeds verification (verify,
// trustlist, formats/...) sees a verifying API only. Their tests may sign
// fixtures with issue/ packages; their builds may not.
func TestVerifierDoesNotImportIssuer(t *testing.T) {
	const mod = "github.com/accord-network/accord/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`,
		mod+"verify/...", mod+"trustlist/...", mod+"formats/...").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v %s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		for _, d := range strings.Fields(deps) {
			if strings.HasPrefix(d, mod+"issue/") {
				t.Errorf("%s depends on the issuing package %s", pkg, d)
			}
		}
	}
}
