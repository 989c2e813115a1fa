package pdf

import (
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	_ "github.com/accord-network/accord/formats/hcert" // registers the hcert format
	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/formats/qr"
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

const dccJSON = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika","gnt":"ERIKA"},"dob":"1964-08-12",
"v":[{"tg":"840539006","vp":"1119349007","mp":"EU/1/20/1528","ma":"ORG-100030215","dn":2,"sd":2,"dt":"2021-05-29","co":"NL","is":"Ministry of Health Welfare and Sport","ci":"URN:UVCI:01:NL:PlA8UWS60Z4RZXVALl6GAZ"}]}`

func grayOf(t testing.TB, p image.Image) *pdftest.Image {
	b := p.Bounds()
	im := &pdftest.Image{Width: b.Dx(), Height: b.Dy(), Gray: make([]byte, b.Dx()*b.Dy())}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			im.Gray[y*b.Dx()+x] = color.GrayModel.Convert(p.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return im
}

// TestDCCQRCodeInPDF: a vaccination certificate issued as a PDF carries the
// HC1 as a QR image; the PDF signature and the HC1 are both verified.
func TestDCCQRCodeInPDF(t *testing.T) {
	dsc, dscKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL DSC", Country: "NL"})
	hc1, err := hcertissue.Issue([]byte(dccJSON), hcertissue.IssueOptions{Signer: dscKey, Cert: dsc, IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	pic, err := qr.EncodeImage(hc1, qr.WithScale(3))
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := qr.Encode(hc1, qr.WithScale(4), qr.WithFormat("jpeg"))
	if err != nil {
		t.Fatal(err)
	}
	s := newSigner(t, "Ministry of Health")
	hcEntry, err := trustlist.NewX509Entry(dsc.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "NL DSC")
	if err != nil {
		t.Fatal(err)
	}
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Ministry"), hcEntry)

	jpgImg := &pdftest.Image{Width: pic.Bounds().Dx() * 4 / 3, Height: pic.Bounds().Dy() * 4 / 3, DCT: jpg}
	for name, im := range map[string]*pdftest.Image{"flate gray": grayOf(t, pic), "jpeg": jpgImg} {
		t.Run(name, func(t *testing.T) {
			doc := s.sign(t, pdftest.Document(pdftest.Options{Title: "Vaccination certificate", Image: im}), "DCC")
			r, err := run(t, set, doc)
			if err != nil || !r.Valid {
				t.Fatalf("want valid, err=%v\n%s", err, dump(t, r))
			}
			if len(r.Parts) != 2 || r.Parts[1].Format != "hcert" {
				t.Fatalf("want a signature part and an hcert part\n%s", dump(t, r))
			}
			want(t, r, 1, CheckQRFound, verify.Pass, "page 1")
			want(t, r, 1, verify.CheckIssuerTrusted, verify.Pass, "NL DSC")

			// The same PDF unsigned: the QR code alone is verified, with a warning.
			r, err = run(t, set, pdftest.Document(pdftest.Options{Image: im}))
			if err != nil || !r.Valid || len(r.Parts) != 1 {
				t.Fatalf("unsigned PDF with a DCC: err=%v\n%s", err, dump(t, r))
			}
			want(t, r, -1, verify.CheckSignature, verify.Skip, "only the QR code")
			if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "not signed") {
				t.Fatalf("warnings %v", r.Warnings)
			}
		})
	}

	// A DCC whose signer is not listed makes the document invalid.
	other := trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Ministry"))
	r, _ := run(t, other, s.sign(t, pdftest.Document(pdftest.Options{Image: grayOf(t, pic)}), "DCC"))
	if r.Valid || len(r.Parts) != 2 {
		t.Fatalf("want invalid with 2 parts\n%s", dump(t, r))
	}
	want(t, r, 1, verify.CheckIssuerTrusted, verify.Fail, "")
}

func TestQRCodeThatIsNotADocument(t *testing.T) {
	code, err := qr.EncodeImage("https://example.org/about-this-certificate", qr.WithScale(3))
	if err != nil {
		t.Fatal(err)
	}
	s := newSigner(t, "Issuer")
	doc := s.sign(t, pdftest.Document(pdftest.Options{Image: grayOf(t, code)}), "r")
	r, err := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Issuer")), doc)
	if err != nil || !r.Valid || len(r.Parts) != 1 {
		t.Fatalf("want valid with only the signature part, err=%v\n%s", err, dump(t, r))
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "image /Im1 on page 1 holds a QR code") {
		t.Fatalf("warnings %v", r.Warnings)
	}
}

// TestQRCodeThroughFormsAndObjectStreams finds the QR code where producers
// put it besides a page's own images: inside a form XObject, in a stamp
// annotation's appearance (a visible seal), and in files whose page and
// resource dictionaries sit in a compressed object stream.
func TestQRCodeThroughFormsAndObjectStreams(t *testing.T) {
	dsc, dscKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL DSC", Country: "NL"})
	hc1, err := hcertissue.Issue([]byte(dccJSON), hcertissue.IssueOptions{Signer: dscKey, Cert: dsc, IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	pic, err := qr.EncodeImage(hc1, qr.WithScale(3))
	if err != nil {
		t.Fatal(err)
	}
	hcEntry, err := trustlist.NewX509Entry(dsc.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "NL DSC")
	if err != nil {
		t.Fatal(err)
	}
	set := trustlisttest.TrustOne(t, "NL", hcEntry)
	for _, c := range []struct {
		name  string
		o     pdftest.Options
		where string
	}{
		{"form", pdftest.Options{Placement: pdftest.InForm}, "image /Im1 in form /Fm1 on page 1"},
		{"annotation", pdftest.Options{Placement: pdftest.InAnnotation}, "image /Im1 in the appearance of annotation 1 on page 1"},
		{"object stream", pdftest.Options{ObjectStream: true}, "image /Im1 on page 1"},
		{"object stream and form", pdftest.Options{ObjectStream: true, Placement: pdftest.InForm}, "in form /Fm1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.Image = grayOf(t, pic)
			r, err := run(t, set, pdftest.Document(o))
			if err != nil || !r.Valid || len(r.Parts) != 1 || r.Parts[0].Format != "hcert" {
				t.Fatalf("want the QR code found and verified, err=%v\n%s", err, dump(t, r))
			}
			want(t, r, 0, CheckQRFound, verify.Pass, c.where)
		})
	}
}
