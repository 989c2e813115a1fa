// Package qr reads and writes QR codes in pictures (PNG, JPEG, GIF), and
// registers the "qr" verify.Format: a photo or scan of a QR code is decoded
// and the text it holds (an HC1 health certificate, for instance) is verified
// as the document it is.
//
// Decoding uses github.com/makiuchi-d/gozxing (the Go port of ZXing) with the
// "try harder" hint, falling back to a second binarizer and to inverted
// (light-on-dark) codes. It is bounded: pictures over MaxPixels or MaxBytes
// are refused from their header, before any pixel is decoded.
//
// Encoding uses gozxing's QR encoder and renders a 1-bit PNG with error
// correction level Q by default, as the EU DCC specification recommends.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif" // registers GIF with image.Decode
	"image/jpeg"
	"image/png"
	"strings"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"

	"github.com/accord-network/accord/verify"
)

// Limits on the pictures Decode accepts.
const (
	// MaxBytes bounds the encoded picture size (20 MiB).
	MaxBytes = 20 << 20
	// MaxPixels bounds width×height as declared in the picture's header
	// (40 megapixels: more than any phone camera, and at most ~40 MB of
	// luminance while decoding).
	MaxPixels = 40_000_000
	// MaxDecodedBytes bounds the memory the decoded pixels may take (a
	// 40 MP RGBA picture takes 160 MB; a 16-bit one twice that).
	MaxDecodedBytes = 200 << 20
)

// Errors returned by Decode. All wrap verify.ErrMalformed.
var (
	// ErrNotPicture: the bytes are not a PNG, JPEG or GIF that can be read.
	ErrNotPicture = fmt.Errorf("%w: not a readable PNG, JPEG or GIF picture", verify.ErrMalformed)
	// ErrTooLarge: the picture exceeds MaxBytes or MaxPixels.
	ErrTooLarge = fmt.Errorf("%w: picture too large", verify.ErrMalformed)
	// ErrNoCode: the picture was read but holds no QR code that decodes.
	ErrNoCode = fmt.Errorf("%w: no readable QR code in the picture", verify.ErrMalformed)
)

// Info describes a decoded picture.
type Info struct {
	Format        string // "png", "jpeg", "gif"
	Width, Height int
}

// String renders the picture type and size, e.g. "PNG 400x400".
func (i Info) String() string {
	return fmt.Sprintf("%s %dx%d", strings.ToUpper(i.Format), i.Width, i.Height)
}

// Decode returns the text of the QR code in a PNG, JPEG or GIF picture (the
// first frame of a GIF). Errors wrap verify.ErrMalformed and one of
// ErrNotPicture, ErrTooLarge or ErrNoCode, and fit on one line.
func Decode(img []byte) (string, error) {
	text, _, err := DecodeInfo(img)
	return text, err
}

// DecodeInfo is Decode that also reports the picture's format and size
// (known as soon as the header is read, so also on ErrNoCode).
func DecodeInfo(img []byte) (text string, info Info, err error) {
	defer func() {
		// gozxing is a port of Java code; never let an index panic in it
		// take the caller down.
		if p := recover(); p != nil {
			text, err = "", fmt.Errorf("%w (QR decoder failed on this picture: %v)", ErrNoCode, p)
		}
	}()
	if len(img) > MaxBytes {
		return "", info, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(img), MaxBytes)
	}
	if sniff(img) == "" {
		return "", info, fmt.Errorf("%w (no PNG, JPEG or GIF signature)", ErrNotPicture)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return "", info, fmt.Errorf("%w: header: %v", ErrNotPicture, err)
	}
	info = Info{Format: format, Width: cfg.Width, Height: cfg.Height}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return "", info, fmt.Errorf("%w: %s has no pixels", ErrNotPicture, info)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return "", info, fmt.Errorf("%w: %s is %.1f megapixels, the limit is %d", ErrTooLarge, info,
			float64(cfg.Width)*float64(cfg.Height)/1e6, MaxPixels/1_000_000)
	}
	if mem := int64(cfg.Width) * int64(cfg.Height) * bytesPerPixel(cfg.ColorModel); mem > MaxDecodedBytes {
		return "", info, fmt.Errorf("%w: %s would take %d MB decoded, the limit is %d MB", ErrTooLarge, info, mem>>20, MaxDecodedBytes>>20)
	}
	pic, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return "", info, fmt.Errorf("%w: %s: %v", ErrNotPicture, info, err)
	}
	text, err = decodeImage(pic)
	if err != nil {
		return "", info, fmt.Errorf("%w (%s)", err, info)
	}
	return text, info, nil
}

// bytesPerPixel is the in-memory size per pixel of the image type the
// standard decoders return for a colour model.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// DecodeImage returns the text of the QR code in an already decoded image.
func DecodeImage(pic image.Image) (string, error) {
	b := pic.Bounds()
	if int64(b.Dx())*int64(b.Dy()) > MaxPixels {
		return "", fmt.Errorf("%w: %dx%d image", ErrTooLarge, b.Dx(), b.Dy())
	}
	return decodeImage(pic)
}

// fastPixels is the size above which a picture is first searched at a
// reduced resolution: a QR code in a 40 MP photo still has modules several
// pixels wide at 4 MP, and every full-resolution pass costs ~10x more.
const fastPixels = 4_000_000

func decodeImage(pic image.Image) (string, error) {
	lum, w, h := luminance(pic)
	if w == 0 || h == 0 {
		return "", ErrNoCode
	}
	if w*h <= fastPixels {
		return decodeThorough(lum, w, h)
	}
	k := 2
	for (w/k)*(h/k) > fastPixels {
		k++
	}
	small, sw, sh := downsample(lum, w, h, k)
	if text, err := decodeLuma(small, sw, sh, false, false); err == nil {
		return text, nil
	}
	// One full-resolution pass, for codes too small to survive the
	// reduction; then the thorough fallbacks at the reduced size.
	if text, err := decodeLuma(lum, w, h, false, true); err == nil {
		return text, nil
	}
	return decodeThorough(small, sw, sh)
}

// decodeThorough tries everything on one luminance plane.
func decodeThorough(lum []byte, w, h int) (string, error) {
	text, err := decodeLuma(lum, w, h, false, false)
	if err == nil {
		return text, nil
	}
	// Sensor noise breaks the finder-pattern and format-information reads
	// of photos: retry on a 3x3 box-smoothed copy.
	if text, err2 := decodeLuma(smooth(lum, w, h), w, h, false, false); err2 == nil {
		return text, nil
	}
	// Codes cropped to their edge (no quiet zone, as in some issuers' test
	// pictures) hide the finder patterns from the detector: read them as a
	// pure barcode, then retry with a white border added.
	if text, err2 := decodeLuma(lum, w, h, true, true); err2 == nil {
		return text, nil
	}
	pad := max(w, h)/8 + 4
	pw, ph := w+2*pad, h+2*pad
	padded := make([]byte, pw*ph)
	for i := range padded {
		padded[i] = 0xff
	}
	for y := 0; y < h; y++ {
		copy(padded[(y+pad)*pw+pad:], lum[y*w:(y+1)*w])
	}
	if text, err2 := decodeLuma(padded, pw, ph, false, true); err2 == nil {
		return text, nil
	}
	return "", fmt.Errorf("%w: %s", ErrNoCode, reason(err))
}

// downsample box-averages k x k blocks.
func downsample(lum []byte, w, h, k int) ([]byte, int, int) {
	sw, sh := w/k, h/k
	out := make([]byte, sw*sh)
	n := k * k
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			s := 0
			for yy := y * k; yy < y*k+k; yy++ {
				row := lum[yy*w+x*k : yy*w+x*k+k]
				for _, v := range row {
					s += int(v)
				}
			}
			out[y*sw+x] = byte(s / n)
		}
	}
	return out, sw, sh
}

// smooth returns a 3x3 box-filtered copy of an 8-bit luminance plane.
func smooth(lum []byte, w, h int) []byte {
	out := make([]byte, len(lum))
	for y := 0; y < h; y++ {
		y0, y1 := max(y-1, 0), min(y+1, h-1)
		for x := 0; x < w; x++ {
			x0, x1 := max(x-1, 0), min(x+1, w-1)
			s, n := 0, 0
			for yy := y0; yy <= y1; yy++ {
				row := lum[yy*w:]
				for xx := x0; xx <= x1; xx++ {
					s += int(row[xx])
					n++
				}
			}
			out[y*w+x] = byte(s / n)
		}
	}
	return out
}

// decodeLuma tries the binarizers on normal and inverted luminance. pure
// asks the reader to take the whole image as one unrotated code; quick
// makes one pass (local thresholds, dark on light) only.
func decodeLuma(lum []byte, w, h int, pure, quick bool) (string, error) {
	src, err := gozxing.NewPlanarYUVLuminanceSource(lum, w, h, 0, 0, w, h, false)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]interface{}{
		gozxing.DecodeHintType_TRY_HARDER:       true,
		gozxing.DecodeHintType_POSSIBLE_FORMATS: []gozxing.BarcodeFormat{gozxing.BarcodeFormat_QR_CODE},
	}
	if pure {
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
	}
	reader := qrcode.NewQRCodeReader()
	var firstErr error
	// Local thresholds first (right for photos with uneven light), then a
	// global histogram (right for small or very clean images), then the
	// same for a light-on-dark code.
	for _, s := range []gozxing.LuminanceSource{src, src.Invert()} {
		for _, bin := range []gozxing.Binarizer{gozxing.NewHybridBinarizer(s), gozxing.NewGlobalHistgramBinarizer(s)} {
			bmp, err := gozxing.NewBinaryBitmap(bin)
			if err != nil {
				continue
			}
			res, err := reader.Decode(bmp, hints)
			if err == nil {
				return res.GetText(), nil
			}
			if firstErr == nil {
				firstErr = err
			}
			if quick {
				return "", firstErr
			}
		}
	}
	return "", firstErr
}

// reason turns a gozxing exception into a short phrase.
func reason(err error) string {
	var nf gozxing.NotFoundException
	var ce gozxing.ChecksumException
	var fe gozxing.FormatException
	switch {
	case err == nil:
		return "nothing found"
	case errors.As(err, &nf):
		return "no QR finder patterns found"
	case errors.As(err, &ce):
		return "a QR code was found but too damaged to correct"
	case errors.As(err, &fe):
		return "a QR code was found but its format is invalid"
	default:
		return strings.Join(strings.Fields(err.Error()), " ")
	}
}

// luminance converts an image to 8-bit luma, with fast paths for the types
// the standard decoders return.
func luminance(pic image.Image) ([]byte, int, int) {
	b := pic.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, 0, 0
	}
	out := make([]byte, w*h)
	switch p := pic.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], p.Pix[(y)*p.Stride:(y)*p.Stride+w])
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], p.Y[y*p.YStride:y*p.YStride+w])
		}
	case *image.Paletted:
		pal := make([]byte, len(p.Palette))
		for i, c := range p.Palette {
			pal[i] = lumaOf(c)
		}
		for y := 0; y < h; y++ {
			row := p.Pix[y*p.Stride : y*p.Stride+w]
			for x, idx := range row {
				if int(idx) < len(pal) {
					out[y*w+x] = pal[idx]
				} else {
					out[y*w+x] = 0xff
				}
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := p.Pix[y*p.Stride : y*p.Stride+4*w]
			for x := 0; x < w; x++ {
				r, g, bl, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
				l := (r + 2*g + bl) / 4
				out[y*w+x] = byte((l*a + 255*(255-a)) / 255) // transparent reads as white
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := p.Pix[y*p.Stride : y*p.Stride+4*w]
			for x := 0; x < w; x++ {
				r, g, bl, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
				// premultiplied: composite over white
				out[y*w+x] = byte((r + 2*g + bl + 4*(255-a)) / 4)
			}
		}
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				out[i] = lumaOf(pic.At(x, y))
				i++
			}
		}
	}
	return out, w, h
}

// lumaOf returns the luma of c composited over white.
func lumaOf(c color.Color) byte {
	r, g, b, a := c.RGBA() // premultiplied, 16-bit
	l := (r + 2*g + b) / 4
	return byte((l + (0xffff - a)) >> 8)
}

// sniff returns the picture type from its magic bytes, or "".
func sniff(in []byte) string {
	switch {
	case bytes.HasPrefix(in, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(in, []byte{0xff, 0xd8, 0xff}):
		return "jpeg"
	case bytes.HasPrefix(in, []byte("GIF87a")), bytes.HasPrefix(in, []byte("GIF89a")):
		return "gif"
	}
	return ""
}

// Level is a QR error-correction level.
type Level string

// Error-correction levels: L ~7 %, M ~15 %, Q ~25 %, H ~30 % of the code
// may be damaged.
const (
	LevelL Level = "L"
	LevelM Level = "M"
	LevelQ Level = "Q"
	LevelH Level = "H"
)

type options struct {
	level  Level
	scale  int
	margin int
	format string
}

// Option changes how Encode draws the code.
type Option func(*options)

// WithLevel sets the error-correction level (default Q, as the EU DCC
// technical specification recommends).
func WithLevel(l Level) Option { return func(o *options) { o.level = l } }

// WithScale sets the size of one module in pixels (default 6).
func WithScale(px int) Option { return func(o *options) { o.scale = px } }

// WithMargin sets the quiet zone around the code in modules (default 4, the
// minimum ISO/IEC 18004 asks for).
func WithMargin(modules int) Option { return func(o *options) { o.margin = modules } }

// WithFormat selects the output picture format: "png" (default), "gif" or
// "jpeg" (JPEG is lossy; use it only to test readers).
func WithFormat(f string) Option { return func(o *options) { o.format = f } }

// Encode draws text as a QR code and returns the picture (PNG unless
// WithFormat says otherwise). Text in the base45 alphabet (an HC1 string) is
// encoded in alphanumeric mode; other text in byte mode, UTF-8 with an ECI
// header when it is not ASCII.
func Encode(text string, opts ...Option) ([]byte, error) {
	img, err := EncodeImage(text, opts...)
	if err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	var buf bytes.Buffer
	switch o.format {
	case "png", "":
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		err = enc.Encode(&buf, img)
	case "gif":
		err = gif.Encode(&buf, img, &gif.Options{NumColors: 2})
	case "jpeg", "jpg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	default:
		return nil, fmt.Errorf("qr: unknown picture format %q (png, gif or jpeg)", o.format)
	}
	if err != nil {
		return nil, fmt.Errorf("qr: write %s: %w", o.format, err)
	}
	return buf.Bytes(), nil
}

func buildOptions(opts []Option) options {
	o := options{level: LevelQ, scale: 6, margin: 4, format: "png"}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// EncodeImage is Encode that returns the image itself: a two-colour
// paletted image, black modules on white.
func EncodeImage(text string, opts ...Option) (*image.Paletted, error) {
	o := buildOptions(opts)
	if text == "" {
		return nil, errors.New("qr: nothing to encode (empty text)")
	}
	if !utf8.ValidString(text) {
		return nil, errors.New("qr: text is not valid UTF-8")
	}
	ecl, err := decoder.ErrorCorrectionLevel_ValueOf(string(o.level))
	if err != nil {
		return nil, fmt.Errorf("qr: error-correction level %q: use L, M, Q or H", o.level)
	}
	if o.scale < 1 || o.scale > 100 {
		return nil, fmt.Errorf("qr: scale %d pixels per module is out of range 1..100", o.scale)
	}
	if o.margin < 0 || o.margin > 100 {
		return nil, fmt.Errorf("qr: margin %d modules is out of range 0..100", o.margin)
	}
	hints := map[gozxing.EncodeHintType]interface{}{}
	for i := 0; i < len(text); i++ {
		if text[i] >= 0x80 {
			hints[gozxing.EncodeHintType_CHARACTER_SET] = "UTF-8"
			break
		}
	}
	code, werr := encoder.Encoder_encode(text, ecl, hints)
	if werr != nil {
		return nil, fmt.Errorf("qr: cannot encode %d bytes at level %s (a QR code holds at most 2953 bytes at level L, 1663 at Q): %v",
			len(text), o.level, strings.Join(strings.Fields(werr.Error()), " "))
	}
	m := code.GetMatrix()
	n := m.GetWidth()
	side := (n + 2*o.margin) * o.scale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if m.Get(x, y) != 1 {
				continue
			}
			px, py := (x+o.margin)*o.scale, (y+o.margin)*o.scale
			for yy := py; yy < py+o.scale; yy++ {
				row := img.Pix[yy*img.Stride+px : yy*img.Stride+px+o.scale]
				for i := range row {
					row[i] = 1 // palette index of black
				}
			}
		}
	}
	return img, nil
}
