package qr

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// sigNote is a small signed-text format used to exercise the qr format end
// to end without depending on the HC1 package: "SIGNOTE1:<kid hex>:<text
// base64url>:<ASN.1 ECDSA P-256 signature base64url>". Its checks are real:
// the kid is looked up in the trust list and the signature verified with the
// listed certificate's key.
type sigNote struct{}

const sigNotePrefix = "SIGNOTE1:"

func init() { verify.Register(sigNote{}) }

func (sigNote) Name() string { return "signote-test" }

func (sigNote) Detect(in []byte) bool { return bytes.HasPrefix(in, []byte(sigNotePrefix)) }

func (sigNote) Verify(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	r := &verify.Result{Format: "signote-test"}
	parts := strings.Split(strings.TrimPrefix(string(in), sigNotePrefix), ":")
	if len(parts) != 3 {
		err := fmt.Errorf("%w: signote: want 3 fields, got %d", verify.ErrMalformed, len(parts))
		r.Add(verify.CheckDecoded, verify.Error, "%v", err)
		return r, err
	}
	kid, err1 := hex.DecodeString(parts[0])
	msg, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		err = fmt.Errorf("%w: signote: %v", verify.ErrMalformed, err)
		r.Add(verify.CheckDecoded, verify.Error, "%v", err)
		return r, err
	}
	r.Add(verify.CheckDecoded, verify.Pass, "note of %d bytes", len(msg))
	r.Claims = map[string]string{"text": string(msg)}
	matches := env.Trust.Find(trustlist.Query{KID: kid, Kind: trustlist.EntryX509})
	if len(matches) == 0 {
		r.Add(verify.CheckSignature, verify.Skip, "no listed key to check it with")
		env.NotListed(r, "kid "+parts[0]+" is in no trusted list")
		return r, nil
	}
	m := matches[0]
	pub, ok := m.Entry.Certificate().PublicKey.(*ecdsa.PublicKey)
	sum := sha256.Sum256(msg)
	if !ok || !ecdsa.VerifyASN1(pub, sum[:], sig) {
		r.Add(verify.CheckSignature, verify.Fail, "ECDSA signature does not verify with %s", m.Entry.Name)
	} else {
		r.Add(verify.CheckSignature, verify.Pass, "ECDSA P-256 signature by %s", m.Entry.Name)
	}
	env.IssuerChecks(r, m, verify.SigningTime{})
	r.Add(verify.CheckNotExpired, verify.Skip, "a note has no validity period")
	return r, nil
}

func signNote(t *testing.T, key *ecdsa.PrivateKey, kid []byte, text string) string {
	sum := sha256.Sum256([]byte(text))
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return sigNotePrefix + hex.EncodeToString(kid) + ":" + base64.RawURLEncoding.EncodeToString([]byte(text)) + ":" + base64.RawURLEncoding.EncodeToString(sig)
}

func TestFormatVerify(t *testing.T) {
	cert, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Port of Rotterdam test signer", Country: "NL"})
	entry := trustlisttest.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocPDF}, ""))
	set := trustlisttest.TrustOne(t, "NL", entry)
	v := verify.New(set, verify.Options{At: time.Now()})
	ctx := context.Background()

	note := signNote(t, key, entry.KID, "container MSKU 123456-7 released")
	pic, err := Encode(note)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := verify.Detect(pic); err != nil || f.Name() != "qr" {
		t.Fatalf("Detect(PNG) = %v, %v; want the qr format", f, err)
	}
	res, err := v.Verify(ctx, pic)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !res.Valid {
		t.Fatalf("valid note in a QR judged invalid: %+v", res.Checks)
	}
	first := res.Checks[0]
	side := (mustImage(t, pic)).Dx()
	wantDetail := fmt.Sprintf("QR code decoded from PNG %dx%d", side, side)
	if first.Name != CheckPictureDecoded || first.Status != verify.Pass || first.Detail != wantDetail {
		t.Errorf("first check = %+v, want picture_decoded pass %q", first, wantDetail)
	}
	if res.Format != "signote-test" || res.Issuer == nil || res.Issuer.Country != "NL" {
		t.Errorf("result does not carry the inner document's format and issuer: %q %+v", res.Format, res.Issuer)
	}
	if c := res.Check(verify.CheckSignature); c == nil || c.Status != verify.Pass {
		t.Errorf("signature check %+v", c)
	}
	if !res.At.Equal(v.Options().At) {
		t.Errorf("inner verification at %v, want the outer time %v", res.At, v.Options().At)
	}

	// JPEG of the same note: also found, and the detail names JPEG.
	jpg, _ := Encode(note, WithFormat("jpeg"))
	res, err = v.Verify(ctx, jpg)
	if err != nil || !res.Valid || !strings.HasPrefix(res.Checks[0].Detail, "QR code decoded from JPEG ") {
		t.Errorf("JPEG: valid=%v err=%v first=%+v", res != nil && res.Valid, err, res.Checks[0])
	}

	// A note signed by an unlisted key: decoded, but invalid (no error).
	_, other := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "impostor", Country: "NL"})
	forged, _ := Encode(signNote(t, other, entry.KID, "container MSKU 123456-7 released"))
	res, err = v.Verify(ctx, forged)
	if err != nil || res.Valid {
		t.Errorf("forged note: valid=%v err=%v", res.Valid, err)
	}
	if c := res.Check(verify.CheckSignature); c == nil || c.Status != verify.Fail {
		t.Errorf("forged note signature check: %+v", c)
	}
	if res.Checks[0].Name != CheckPictureDecoded || res.Checks[0].Status != verify.Pass {
		t.Errorf("forged note: first check %+v", res.Checks[0])
	}

	// A picture with no QR code: ErrMalformed, picture_decoded=error.
	white := whitePNG(t, 120, 80)
	res, err = v.Verify(ctx, white)
	if !errors.Is(err, verify.ErrMalformed) || !errors.Is(err, ErrNoCode) {
		t.Errorf("white picture: err = %v, want ErrNoCode", err)
	}
	if res == nil || res.Valid || res.Checks[0].Name != CheckPictureDecoded || res.Checks[0].Status != verify.Error ||
		res.Check(verify.CheckDecoded) == nil || res.Check(verify.CheckDecoded).Status != verify.Error {
		t.Errorf("white picture result: %+v", res)
	}
	if !strings.Contains(res.Checks[0].Detail, "PNG 120x80") {
		t.Errorf("white picture detail %q does not name the picture", res.Checks[0].Detail)
	}

	// A QR code whose text no format knows: decoded, then ErrMalformed.
	hello, _ := Encode("hello, world")
	res, err = v.Verify(ctx, hello)
	if !errors.Is(err, verify.ErrMalformed) || strings.Count(err.Error(), "malformed input") != 1 {
		t.Errorf("unknown text: err = %v", err)
	}
	if res.Valid || res.Checks[0].Name != CheckPictureDecoded || res.Checks[0].Status != verify.Pass {
		t.Errorf("unknown text result: %+v", res.Checks)
	}

	// Called directly, without a Verifier in the Env (an embedding app):
	// still verifies the text, with the Env's trust and time.
	env := &verify.Env{Trust: set, At: time.Now()}
	res, err = Format{}.Verify(ctx, pic, env)
	if err != nil || res.Finish() == nil || !res.Valid {
		t.Errorf("direct Verify without env.Verifier: valid=%v err=%v", res.Valid, err)
	}
	// Pictures inside QR codes are followed at most maxNesting deep.
	deep := context.WithValue(ctx, nestingKey{}, maxNesting)
	if _, err := (Format{}).Verify(deep, pic, env); !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), "nesting") {
		t.Errorf("nesting limit: err = %v", err)
	}
}

func TestFormatConcurrent(t *testing.T) {
	cert, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "signer", Country: "BE"})
	entry := trustlisttest.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocPDF}, ""))
	v := verify.New(trustlisttest.TrustOne(t, "BE", entry), verify.Options{})
	var jobs []verify.Job
	for i := 0; i < 12; i++ {
		pic, err := Encode(signNote(t, key, entry.KID, fmt.Sprintf("note %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, verify.Job{Name: fmt.Sprint(i), Data: pic})
	}
	n := 0
	v.VerifyAll(context.Background(), jobs, 4, func(o verify.Outcome) {
		n++
		if o.Err != nil || !o.Result.Valid {
			t.Errorf("job %s: valid=%v err=%v", o.Name, o.Result.Valid, o.Err)
		}
	})
	if n != len(jobs) {
		t.Errorf("%d outcomes for %d jobs", n, len(jobs))
	}
}

func mustImage(t *testing.T, pic []byte) image.Rectangle {
	t.Helper()
	cfg, _, err := image.DecodeConfig(bytes.NewReader(pic))
	if err != nil {
		t.Fatal(err)
	}
	return image.Rect(0, 0, cfg.Width, cfg.Height)
}

func whitePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
