package qr

import (
	"context"
	"fmt"
	"strings"

	"github.com/accord-network/accord/verify"
)

// CheckPictureDecoded is the check a picture input adds in front of the
// checks of the document its QR code holds.
const CheckPictureDecoded = "picture_decoded"

// maxNesting bounds how many pictures-inside-QR-codes are followed.
const maxNesting = 2

type nestingKey struct{}

// Format is the "qr" verify.Format: a PNG, JPEG or GIF picture of a QR code
// whose text is a document another registered format verifies.
type Format struct{}

func init() { verify.Register(Format{}) }

// Name implements verify.Format.
func (Format) Name() string { return "qr" }

// Priority implements verify.Prioritizer: picture signatures are
// unambiguous, so pictures are recognised before formats that sniff text.
func (Format) Priority() int { return 20 }

// Detect implements verify.Format: PNG, JPEG or GIF magic bytes.
func (Format) Detect(in []byte) bool { return sniff(in) != "" }

// Verify implements verify.Format. It decodes the QR code and verifies its
// text with the same trusted material, time and options, then returns that
// Result with a leading picture_decoded check. When no QR code can be read
// it returns a Result whose picture_decoded and decoded checks are errors,
// and an error wrapping verify.ErrMalformed.
func (Format) Verify(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	text, info, err := DecodeInfo(in)
	if err != nil {
		r := &verify.Result{Format: "qr", At: env.At}
		r.Add(CheckPictureDecoded, verify.Error, "%s", err.Error())
		r.Add(verify.CheckDecoded, verify.Error, "no document to decode: the picture holds no readable QR code")
		return r, err
	}
	lead := verify.Check{Name: CheckPictureDecoded, Status: verify.Pass, Detail: fmt.Sprintf("QR code decoded from %s", info)}

	depth, _ := ctx.Value(nestingKey{}).(int)
	if depth >= maxNesting {
		err := fmt.Errorf("%w: QR code in %s holds another picture; nesting deeper than %d is refused", verify.ErrMalformed, info, maxNesting)
		r := &verify.Result{Format: "qr", At: env.At, Checks: []verify.Check{lead}}
		r.Add(verify.CheckDecoded, verify.Error, "%s", err.Error())
		return r, err
	}
	ctx = context.WithValue(ctx, nestingKey{}, depth+1)

	// Verify the text with the caller's options, at the very same time.
	var opts verify.Options
	if env.Verifier != nil {
		opts = env.Verifier.Options()
	}
	opts.At = env.At
	opts.Offline = env.Offline
	inner := verify.New(env.Trust, opts)
	res, err := inner.Verify(ctx, []byte(text))
	if res == nil {
		res = &verify.Result{Format: "qr", At: env.At}
	}
	res.Checks = append([]verify.Check{lead}, res.Checks...)
	if err != nil {
		return res, fmt.Errorf("%w: QR code decoded from %s, but its text (%d characters) is not a verifiable document (%s)",
			verify.ErrMalformed, info, len(text), strings.TrimPrefix(err.Error(), verify.ErrMalformed.Error()+": "))
	}
	return res, nil
}
