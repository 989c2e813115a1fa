package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"regexp"
	"sort"
	"strconv"

	pdflib "github.com/digitorus/pdf"

	"github.com/accord-network/accord/formats/qr"
	"github.com/accord-network/accord/verify"
)

// CheckQRFound is the check a QR part starts with: where the code was found.
const CheckQRFound = "qr_found"

// Limits on the images examined for QR codes.
const (
	maxImages      = 32         // images decoded per document
	maxImagePixels = 16_000_000 // width × height of one image
	minQRSide      = 21         // the smallest QR code (version 1) is 21 modules
	maxQRPages     = 100        // pages searched
)

type qrKey struct{}

// verifyEmbeddedQR finds QR codes drawn as image XObjects on the pages of
// the PDF (directly, inside form XObjects, or in annotation appearances such
// as visible seals), verifies each decoded text as a document of its own with the
// same trusted material and time, and appends those results to r.Parts.
// Images that hold no QR code are passed over; a QR code whose text is not
// a document any format recognises gives a warning, not a part. It returns
// the number of parts added.
func verifyEmbeddedQR(ctx context.Context, rdr *pdflib.Reader, in []byte, env *verify.Env, r *verify.Result) (added int) {
	if env == nil || ctx.Value(qrKey{}) != nil {
		return 0 // no trust material, or already inside a QR code of a PDF
	}
	ctx = context.WithValue(ctx, qrKey{}, true)
	v := env.Verifier
	if v == nil {
		v = verify.New(env.Trust, verify.Options{At: env.At, Offline: env.Offline})
	} else {
		o := v.Options()
		o.At, o.Offline = env.At, env.Offline
		v = verify.New(env.Trust, o)
	}
	q := &qrSearch{ctx: ctx, v: v, in: in, r: r, seen: map[uint32]bool{}}
	walkPages(rdr, maxQRPages, func(p int, page, res pdflib.Value) bool {
		where := fmt.Sprintf("on page %d", p)
		if !q.resources(res, where, 0) {
			return false
		}
		annots := page.Key("Annots")
		for i := 0; i < annots.Len() && i < maxAnnotsSearched; i++ {
			if !q.appearance(annots.Index(i).Key("AP").Key("N"), fmt.Sprintf("in the appearance of annotation %d %s", i+1, where)) {
				return false
			}
		}
		return true
	})
	return q.added
}

// maxAnnotsSearched and maxFormDepth bound the search through annotation
// appearances and nested form XObjects.
const (
	maxAnnotsSearched = 64
	maxFormDepth      = 8
)

// qrSearch is one document's search for QR codes: through the image
// XObjects of each page's resources, of the form XObjects they use
// (nested up to maxFormDepth), and of annotation appearances (visible
// signatures and seals are form XObjects there).
type qrSearch struct {
	ctx      context.Context
	v        *verify.Verifier
	in       []byte
	r        *verify.Result
	seen     map[uint32]bool
	examined int
	added    int
}

// resources searches the XObjects of a resource dictionary; false stops
// the search.
func (q *qrSearch) resources(res pdflib.Value, where string, depth int) bool {
	xobjs := res.Key("XObject")
	keys := xobjs.Keys()
	sort.Strings(keys)
	for _, name := range keys {
		x := xobjs.Key(name)
		if id := x.GetPtr().GetID(); id != 0 {
			if q.seen[id] {
				continue
			}
			q.seen[id] = true
		}
		switch x.Key("Subtype").Name() {
		case "Image":
			if !q.image(x, fmt.Sprintf("image /%s %s", name, where)) {
				return false
			}
		case "Form":
			if depth < maxFormDepth && !q.resources(x.Key("Resources"), fmt.Sprintf("in form /%s %s", name, where), depth+1) {
				return false
			}
		}
	}
	return true
}

// appearance searches an annotation's normal appearance: a form XObject,
// or a dictionary of them by appearance state.
func (q *qrSearch) appearance(ap pdflib.Value, where string) bool {
	if ap.Kind() == pdflib.Stream {
		if id := ap.GetPtr().GetID(); id != 0 {
			if q.seen[id] {
				return true
			}
			q.seen[id] = true
		}
		return q.resources(ap.Key("Resources"), where, 1)
	}
	if ap.Kind() == pdflib.Dict {
		keys := ap.Keys()
		sort.Strings(keys)
		for _, k := range keys {
			if st := ap.Key(k); st.Kind() == pdflib.Stream && !q.appearance(st, where) {
				return false
			}
		}
	}
	return true
}

// image decodes one image XObject and verifies the QR code in it, if any;
// false stops the search.
func (q *qrSearch) image(x pdflib.Value, where string) bool {
	if q.examined++; q.examined > maxImages {
		q.r.Warn("more than %d images: the rest were not searched for QR codes", maxImages)
		return false
	}
	text, desc, err := decodeQRImage(x, q.in, x.GetPtr().GetID())
	if err != nil {
		if !errors.Is(err, qr.ErrNoCode) && !errors.Is(err, errNotQR) {
			q.r.Warn("%s could not be searched for a QR code: %v", where, err)
		}
		return true
	}
	if q.ctx.Err() != nil {
		return false
	}
	res, err := q.v.Verify(q.ctx, []byte(text))
	if errors.Is(err, verify.ErrUnknownFormat) {
		q.r.Warn("%s holds a QR code whose text (%d characters) is not a document this verifier knows", where, len(text))
		return true
	}
	if res == nil {
		res = &verify.Result{}
	}
	res.Checks = append([]verify.Check{{Name: CheckQRFound, Status: verify.Pass,
		Detail: fmt.Sprintf("QR code decoded from %s (%s), verified as %s", where, desc, res.Format)}}, res.Checks...)
	res.Input = where
	q.r.Parts = append(q.r.Parts, res)
	q.added++
	return true
}

var errNotQR = errors.New("not a QR code candidate")

// decodeQRImage turns an image XObject into pixels and reads a QR code in
// it. It handles what PDF writers use for QR codes: 1- or 8-bit DeviceGray,
// 8-bit DeviceRGB and image masks, unfiltered or FlateDecode, and JPEG
// (DCTDecode) streams, which go to the JPEG decoder as they are.
func decodeQRImage(x pdflib.Value, in []byte, id uint32) (text, desc string, err error) {
	w, h := int(x.Key("Width").Int64()), int(x.Key("Height").Int64())
	if w < minQRSide || h < minQRSide {
		return "", "", errNotQR
	}
	if int64(w)*int64(h) > maxImagePixels {
		return "", "", fmt.Errorf("%dx%d pixels exceed the %d pixel limit", w, h, maxImagePixels)
	}
	filter := x.Key("Filter")
	if filter.Kind() == pdflib.Array && filter.Len() == 1 {
		filter = filter.Index(0)
	}
	switch filter.Name() {
	case "DCTDecode":
		raw, err := rawStream(in, id, x.Key("Length").Int64())
		if err != nil {
			return "", "", err
		}
		text, err := qr.Decode(raw)
		return text, fmt.Sprintf("JPEG %dx%d", w, h), err
	case "FlateDecode", "":
	default:
		return "", "", fmt.Errorf("%w: filter /%s", errNotQR, filter.Name())
	}
	bpc := int(x.Key("BitsPerComponent").Int64())
	mask := x.Key("ImageMask").Bool()
	comps := 1
	switch cs := x.Key("ColorSpace").Name(); {
	case mask:
		bpc = 1
	case cs == "DeviceGray" || cs == "CalGray":
	case cs == "DeviceRGB" || cs == "CalRGB":
		comps = 3
	default:
		return "", "", fmt.Errorf("%w: colour space %q", errNotQR, cs)
	}
	if bpc != 1 && bpc != 8 || comps == 3 && bpc != 8 {
		return "", "", fmt.Errorf("%w: %d bits per component", errNotQR, bpc)
	}
	stride := (w*comps*bpc + 7) / 8
	want := int64(stride) * int64(h)
	rc := x.Reader()
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, want))
	if err != nil {
		return "", "", fmt.Errorf("image data: %v", err)
	}
	if int64(len(data)) < want {
		return "", "", fmt.Errorf("image data holds %d of %d bytes", len(data), want)
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := data[y*stride : (y+1)*stride]
		for xx := 0; xx < w; xx++ {
			var lum byte
			switch {
			case bpc == 1:
				bit := row[xx/8] >> (7 - uint(xx%8)) & 1
				// DeviceGray: 0 black, 1 white. Image mask (Decode [0 1]):
				// 0 paints (black), 1 leaves the page (white).
				lum = bit * 255
			case comps == 3:
				p := row[xx*3 : xx*3+3]
				lum = byte((299*int(p[0]) + 587*int(p[1]) + 114*int(p[2])) / 1000)
			default:
				lum = row[xx]
			}
			g.Pix[y*g.Stride+xx] = lum
		}
	}
	if d := x.Key("Decode"); d.Kind() == pdflib.Array && d.Len() >= 2 && d.Index(0).Float64() > d.Index(1).Float64() {
		for i := range g.Pix {
			g.Pix[i] = 255 - g.Pix[i]
		}
	}
	text, err = qr.DecodeImage(g)
	return text, fmt.Sprintf("%dx%d, %d-bit", w, h, bpc*comps), err
}

// rawStream returns the undecoded bytes of stream object id, found by its
// "id gen obj" header in the file (the last definition wins, as in an
// incrementally updated file).
func rawStream(in []byte, id uint32, length int64) ([]byte, error) {
	if id == 0 || length <= 0 || length > int64(len(in)) {
		return nil, errors.New("JPEG image stream has no usable /Length or object number")
	}
	re := regexp.MustCompile(`(?:^|[^0-9])` + strconv.FormatUint(uint64(id), 10) + `\s+\d+\s+obj\b`)
	locs := re.FindAllIndex(in, -1)
	if len(locs) == 0 {
		return nil, fmt.Errorf("JPEG image object %d not found", id)
	}
	rest := in[locs[len(locs)-1][1]:]
	k := bytes.Index(rest, []byte("stream"))
	if k < 0 {
		return nil, fmt.Errorf("JPEG image object %d has no stream", id)
	}
	rest = rest[k+len("stream"):]
	switch {
	case bytes.HasPrefix(rest, []byte("\r\n")):
		rest = rest[2:]
	case bytes.HasPrefix(rest, []byte("\n")):
		rest = rest[1:]
	}
	if int64(len(rest)) < length {
		return nil, fmt.Errorf("JPEG image object %d is truncated", id)
	}
	return rest[:length], nil
}
