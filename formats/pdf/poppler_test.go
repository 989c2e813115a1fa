package pdf

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// popplerSign signs in with Debian's poppler `pdfsig -add-signature`, an
// independent signer: a CA and a signer certificate are made with openssl,
// imported into a fresh NSS database with certutil and pk12util. It skips
// when a tool is missing (.ci/run installs poppler-utils, libnss3-tools).
func popplerSign(t *testing.T, in []byte) (signed []byte, ca *x509.Certificate) {
	t.Helper()
	needTools(t, "apt-get install poppler-utils libnss3-tools openssl", "pdfsig", "certutil", "pk12util", "openssl")
	d := newToolDir(t)
	ca = d.opensslSigner("Poppler", 2048)
	d.run("mkdir", "nss")
	d.run("certutil", "-N", "-d", "sql:nss", "--empty-password")
	d.run("pk12util", "-i", "signer.p12", "-d", "sql:nss", "-W", "pw")
	d.write("in.pdf", in)
	d.run("pdfsig", "-nssdir", "sql:nss", "-add-signature", "-nick", "Poppler Signer", "-reason", "Signed with poppler", "in.pdf", "out.pdf")
	return d.read("out.pdf"), ca
}

// TestPopplerSigned: a PDF signed by poppler's pdfsig verifies, its CA
// listed for pdf; and a second signature added by Accord after it too.
func TestPopplerSigned(t *testing.T) {
	doc, ca := popplerSign(t, pdftest.Document(pdftest.Options{Pages: 2}))
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, ca, true, "Poppler Test CA"))
	r, err := run(t, set, doc)
	if err != nil || !r.Valid {
		t.Fatalf("want valid, err=%v\n%s", err, dump(t, r))
	}
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Pass, "chains to the listed CA \"Poppler Test CA\"")
	want(t, r, 0, verify.CheckKeyUsage, verify.Pass, "emailProtection")
}

// TestSignatureFoundThroughAnnots: a signature field that only a page's
// /Annots reaches (AcroForm /Fields empty), directly or as the widget kid
// of a Sig field, is found and verified like any other.
func TestSignatureFoundThroughAnnots(t *testing.T) {
	sig := "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 10 20 5] /Contents <3000> >>"
	for name, objs := range map[string][]string{
		"widget is the field": {
			"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /SigFlags 3 >> >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [5 0 R] >>",
			"<< /Title (t) >>",
			"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Sig1) /Rect [0 0 0 0] /P 3 0 R /V 6 0 R >>",
			sig,
		},
		"widget under a Sig field": {
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [5 0 R 5 0 R] >>",
			"<< /Title (t) >>",
			"<< /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /Parent 7 0 R >>",
			sig,
			"<< /FT /Sig /T (Sig1) /V 6 0 R /Kids [5 0 R] >>",
		},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := run(t, trustlisttest.TrustOne(t, "NL"), buildPDF(objs, nil))
			if err != nil {
				t.Fatal(err)
			}
			want(t, r, -1, verify.CheckDecoded, verify.Pass, "1 signature(s)")
			if len(r.Parts) != 1 {
				t.Fatalf("want the one signature as a part\n%s", dump(t, r))
			}
		})
	}
}

// TestBrokenXrefRebuilt: a PDF whose startxref points nowhere is read by
// rebuilding the cross-reference table from its objects (as pdfsig and
// DSS read it): a readable PDF with a broken signature is invalid, not
// unreadable.
func TestBrokenXrefRebuilt(t *testing.T) {
	s := newSigner(t, "Issuer")
	doc := s.sign(t, pdftest.Document(pdftest.Options{}), "r")
	i := bytes.LastIndex(doc, []byte("startxref"))
	broken := append(append([]byte{}, doc[:i]...), []byte("startxref\n17\n%%EOF\n")...)
	r, err := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Issuer")), broken)
	if err != nil {
		t.Fatalf("want a readable PDF, got %v", err)
	}
	if r.Valid || len(r.Parts) != 1 {
		t.Fatalf("want one signature, invalid\n%s", dump(t, r))
	}
	want(t, r, 0, verify.CheckIntegrity, verify.Fail, "")
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "rebuilt by scanning") {
		t.Fatalf("want a warning that the table was rebuilt\n%s", dump(t, r))
	}
}

// TestRemovedSignatureFound: signatures are found in every revision; one
// whose field a later revision removed is still verified, and fails
// later_revisions.
func TestRemovedSignatureFound(t *testing.T) {
	s := newSigner(t, "Issuer")
	doc := s.sign(t, pdftest.Document(pdftest.Options{}), "r")
	roots := regexp.MustCompile(`/Root\s+(\d+)\s+0\s+R`).FindAllSubmatch(doc, -1)
	prev := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(doc)
	if len(roots) == 0 || prev == nil {
		t.Fatal("no /Root or startxref")
	}
	root := string(roots[len(roots)-1][1])
	var b bytes.Buffer
	b.Write(doc)
	offCat := b.Len()
	fmt.Fprintf(&b, "%s 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n", root)
	offPage := b.Len()
	b.WriteString("5 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 6 0 R >>\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n%s 1\n%010d 00000 n \n5 1\n%010d 00000 n \ntrailer\n<< /Size 40 /Root %s 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n", root, offCat, offPage, root, prev[1], xref)
	r, err := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Issuer")), b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if r.Valid || len(r.Parts) != 1 {
		t.Fatalf("want the removed signature as an invalid part\n%s", dump(t, r))
	}
	want(t, r, 0, verify.CheckSignature, verify.Pass, "")
	want(t, r, 0, CheckLaterRevisions, verify.Fail, "removed this signature's field")
}
