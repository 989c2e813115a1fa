package pdf

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	for _, tool := range []string{"mutool", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIP: %s not installed (apt-get install mupdf-tools openssl)", tool)
		}
	}
	dir := t.TempDir()
	sh := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if err := os.WriteFile(filepath.Join(dir, "signer.ext"), []byte("keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sh("openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
		"-subj", "/CN=MuPDF Test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	sh("openssl", "req", "-newkey", "rsa:3072", "-nodes", "-keyout", "signer.key", "-out", "signer.csr", "-subj", "/CN=MuPDF Signer")
	sh("openssl", "x509", "-req", "-in", "signer.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "signer.pem", "-days", "30", "-extfile", "signer.ext")
	sh("openssl", "pkcs12", "-export", "-inkey", "signer.key", "-in", "signer.pem", "-certfile", "ca.pem", "-passout", "pass:pw", "-out", "signer.p12")
	if err := os.WriteFile(filepath.Join(dir, "in.pdf"), in, 0o600); err != nil {
		t.Fatal(err)
	}
	sh("mutool", "sign", "-s", "signer.p12", "-P", "pw", "-o", "out.pdf", "in.pdf", fmt.Sprint(field))
	out, err := os.ReadFile(filepath.Join(dir, "out.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("no CA certificate")
	}
	if ca, err = x509.ParseCertificate(blk.Bytes); err != nil {
		t.Fatal(err)
	}
	return out, ca
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
