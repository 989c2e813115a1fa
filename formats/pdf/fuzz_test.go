package pdf

import (
	"context"
	"errors"
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
	f.Fuzz(func(t *testing.T, in []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := Verify(ctx, in, env)
		if r == nil {
			t.Fatal("nil result")
		}
		if err != nil && !errors.Is(err, verify.ErrMalformed) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
	})
}
