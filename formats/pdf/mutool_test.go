package pdf

import (
	"crypto/x509"
	"fmt"
	"strings"
	"testing"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// mutoolSign signs the empty signature field of in with MuPDF's `mutool
// sign` (Debian's mupdf-tools), a second signer independent of poppler and
// of Accord: MuPDF writes its own CMS with OpenSSL. The CA and signer
// certificates are made with openssl. It skips when a tool is missing
// (.ci/run installs mupdf-tools and openssl).
func mutoolSign(t *testing.T, in []byte, field int) (signed []byte, ca *x509.Certificate) {
	t.Helper()
	needTools(t, "apt-get install mupdf-tools openssl", "mutool", "openssl")
	d := newToolDir(t)
	ca = d.opensslSigner("MuPDF", 3072)
	d.write("in.pdf", in)
	d.run("mutool", "sign", "-s", "signer.p12", "-P", "pw", "-o", "out.pdf", "in.pdf", fmt.Sprint(field))
	return d.read("out.pdf"), ca
}

// TestMuPDFSigned: a PDF signed by MuPDF is read and its signature verified
// (integrity, CMS signature, chain to the listed CA); the outcome then
// rests on the algorithm policy, which names MuPDF's digest. A byte of the
// signed content changed afterwards fails integrity.
func TestMuPDFSigned(t *testing.T) {
	o := pdftest.Options{Pages: 2, SignatureField: true}
	doc, ca := mutoolSign(t, pdftest.Document(o), pdftest.SignatureFieldObject(o))
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, ca, true, "MuPDF Test CA"))
	r, err := run(t, set, doc)
	if err != nil || len(r.Parts) != 1 {
		t.Fatalf("want one signature part, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, verify.CheckIntegrity, verify.Pass, "")
	want(t, r, 0, verify.CheckSignature, verify.Pass, "MuPDF Signer")
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Pass, "chains to the listed CA \"MuPDF Test CA\"")
	want(t, r, 0, verify.CheckKeyUsage, verify.Pass, "emailProtection")
	alg := r.Parts[0].Check(CheckAlgorithms)
	switch {
	case strings.Contains(alg.Detail, "SHA-1"):
		// MuPDF 1.21 (Debian 12) signs with SHA-1: refused when judged
		// today, as spec/pdf.md §Algorithm policy says.
		if alg.Status != verify.Fail || r.Valid {
			t.Fatalf("a SHA-1 signature made today must fail the algorithm policy\n%s", dump(t, r))
		}
		t.Logf("MuPDF signed with SHA-1; refused by the algorithm policy: %s", alg.Detail)
	case !r.Valid:
		t.Fatalf("want valid\n%s", dump(t, r))
	}

	i := strings.Index(string(doc), "Page 1 of 2")
	if i < 0 {
		t.Fatal("page text not found")
	}
	bad := append([]byte(nil), doc...)
	bad[i+5] = '7'
	r, _ = run(t, set, bad)
	want(t, r, 0, verify.CheckIntegrity, verify.Fail, "do not match")
}
