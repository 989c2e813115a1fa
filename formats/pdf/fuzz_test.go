package pdf

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/formats/qr"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// FuzzVerify feeds arbitrary bytes to the PDF entry point, seeded with
// generated PDFs: signed, doubly signed, updated, unsigned, with an image.
// It must never panic or hang; unreadable input is ErrMalformed.
func FuzzVerify(f *testing.F) {
	s := newSigner(f, "Fuzz signer")
	one := s.sign(f, pdftest.Document(pdftest.Options{Pages: 2}), "fuzz")
	two := s.sign(f, one, "again")
	upd, err := pdftest.Append(one, pdftest.AddAnnotation)
	if err != nil {
		f.Fatal(err)
	}
	img := pdftest.Document(pdftest.Options{Image: &pdftest.Image{Width: 4, Height: 4, Gray: make([]byte, 16)}})
	code, err := qr.EncodeImage("https://example.org/not-a-document", qr.WithScale(2))
	if err != nil {
		f.Fatal(err)
	}
	withQR := s.sign(f, pdftest.Document(pdftest.Options{Image: grayOf(f, code)}), "qr")
	for _, seed := range [][]byte{one, two, upd, img, withQR, pdftest.Document(pdftest.Options{}), []byte("%PDF-1.7\n%%EOF\n")} {
		f.Add(seed)
	}
	env := &verify.Env{Trust: trustlisttest.TrustOne(f, "NL", pdfEntry(f, s.cert, false, "Fuzz")), At: time.Now()}
	env.Verifier = verify.New(env.Trust, verify.Options{})
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "hostile", "pdf-hang.pdf")); err == nil {
		f.Add(b)
	}
	// Layouts the newer code paths read: object streams with a
	// cross-reference stream, QR codes in forms and annotation appearances,
	// an empty signature field, and real files with /DSS validation data
	// (OCSP responses, CRLs, certificates).
	for _, o := range []pdftest.Options{
		{ObjectStream: true, Pages: 2},
		{Image: grayOf(f, code), Placement: pdftest.InForm},
		{Image: grayOf(f, code), Placement: pdftest.InAnnotation, ObjectStream: true},
		{SignatureField: true},
	} {
		f.Add(pdftest.Document(o))
	}
	for _, name := range []string{"doc-firmado-LT.pdf", "Signature-P-BG_BOR-2.pdf", "pdf-self-issued-ocsp.pdf"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "dss-pades", "pdf", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// The per-input time limit: in process nothing can stop the PDF
		// library, so an input that outlives it is a finding (the
		// structural pre-check missed it), kept in testdata/fuzz.
		type out struct {
			r   *verify.Result
			err error
		}
		ch := make(chan out, 1)
		go func() {
			r, err := verifyInProcess(context.Background(), in, env)
			ch <- out{r, err}
		}()
		var o out
		select {
		case o = <-ch:
		case <-time.After(perInputLimit):
			t.Fatalf("verification of this %d byte input did not finish within %s", len(in), perInputLimit)
		}
		if o.r == nil {
			t.Fatal("nil result")
		}
		if o.err != nil && !errors.Is(o.err, verify.ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", o.err)
		}
	})
}

// perInputLimit is FuzzVerify's time limit per input: generous for a PDF
// of fuzzer size (they verify in about a millisecond), short of a hang.
const perInputLimit = 5 * time.Second

// FuzzPDFDate: the /M date reader never panics, and what it accepts is a
// time in UTC.
func FuzzPDFDate(f *testing.F) {
	for _, s := range []string{"D:20240101120000Z", "D:20240101120000+01'00'", "D:2024", "D:199912", "20240101"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tm, ok := pdfDate(s); ok && tm.Location() != time.UTC {
			t.Fatalf("%q gave a time in %v", s, tm.Location())
		}
	})
}
