// Package hc1 takes EU DCC health certificates (HC1 QR payloads and raw
// COSE_Sign1 CWTs) apart for the verifying format formats/hcert and the
// issuing package issue/hcert: prefix, base45, zlib, COSE_Sign1, CWT claims
// and the DCC, decoded once into typed values, with the DCC schema verdict
// taken in the same pass (spec/hcert.md).
package hc1

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/accord-network/accord/formats/base45"
	"github.com/accord-network/accord/internal/cborscan"
	"github.com/accord-network/accord/verify"
)

// Prefix is the context identifier of an EU DCC QR code.
const Prefix = "HC1:"

// MaxDecompressed bounds the inflated size of a payload. A real DCC is a few
// hundred bytes, the largest seen in the wild (with many vaccinations and a
// photo-less payload) a few kilobytes; anything over this is a zip bomb.
const MaxDecompressed = 1 << 20

// MaxText bounds the base45 text of an HC1 string. A QR code holds at most
// 4296 alphanumeric characters; the bound leaves room for HC1 strings that
// travel as text, while keeping memory use per document small.
const MaxText = 1 << 20

// Step names a stage of the decoding pipeline.
type Step string

// Decoding steps, in order.
const (
	StepPrefix Step = "prefix" // "HC1:" context identifier
	StepBase45 Step = "base45" // RFC 9285
	StepZlib   Step = "zlib"   // RFC 1950, when the payload starts with a zlib header
	StepCOSE   Step = "cose"   // COSE_Sign1 structure and headers
	StepCWT    Step = "cwt"    // CWT claims map
	StepDCC    Step = "dcc"    // hcert claim -260 → 1 → DCC
)

// StepError is a decoding failure at one step. It wraps verify.ErrMalformed.
type StepError struct {
	Step Step
	Err  error
}

// Error returns "hcert STEP: reason" on one line.
func (e *StepError) Error() string { return "hcert " + string(e.Step) + ": " + e.Err.Error() }

// Unwrap returns verify.ErrMalformed and the cause.
func (e *StepError) Unwrap() []error { return []error{verify.ErrMalformed, e.Err} }

func stepErr(s Step, format string, args ...any) error {
	return &StepError{Step: s, Err: fmt.Errorf(format, args...)}
}

// StepOf returns the step at which err (from Decode or Verify) failed, or "".
func StepOf(err error) Step {
	var se *StepError
	if errors.As(err, &se) {
		return se.Step
	}
	return ""
}

// COSE header labels and algorithms used here (RFC 9052, RFC 9053, RFC 8230).
const (
	AlgES256 int64 = -7
	AlgES384 int64 = -35
	AlgEdDSA int64 = -8
	AlgPS256 int64 = -37
)

// AlgName returns the COSE name of alg ("ES256"), or its number.
func AlgName(alg int64) string {
	switch alg {
	case AlgES256:
		return "ES256"
	case AlgES384:
		return "ES384"
	case AlgEdDSA:
		return "EdDSA"
	case AlgPS256:
		return "PS256"
	}
	return fmt.Sprintf("alg %d", alg)
}

// Decoded is an HC1 document taken apart, before any trust decision.
type Decoded struct {
	// Compressed is true when the payload carried a zlib stream (it is
	// optional: an uncompressed COSE_Sign1 is accepted too).
	Compressed   bool
	CompressedN  int // bytes before inflating (the base45-decoded size)
	Tags         string
	Protected    []byte // the protected header bstr, as signed
	Payload      []byte // the CWT claims bstr, as signed
	Signature    []byte
	Alg          int64
	HasAlg       bool
	AlgFrom      string // "protected" or "unprotected"
	AlgText      string // a text alg label, which this verifier does not support
	KID          []byte
	KIDFrom      string
	Issuer       string    // CWT claim 1
	IssuedAt     time.Time // CWT claim 6 (zero if absent)
	Expires      time.Time // CWT claim 4 (zero if absent)
	DCCRaw       []byte    // CBOR of the DCC (claim -260 → 1)
	DCC          DCC       // the fields of the DCC this verifier reads
	InputWasText bool
	// SchemaErr is the EU DCC JSON schema verdict on the DCC (nil: it
	// conforms), taken while decoding (dccschema.ValidateCBOR).
	SchemaErr error
	// dccText is DCCRaw as a string, of which the DCC's text fields are
	// substrings.
	dccText string
	// jsonForm is the DCC's JSON form when decoding needed it (a payload
	// with tags or floats); JSON builds it otherwise.
	jsonForm map[string]any
	// issuer is the iss claim's text in Payload, as the fast path found
	// it (nil: none).
	issuer []byte
}

// limits are the decoding bounds shared by every CBOR decoder of a DCC.
var limits = cbor.DecOptions{
	DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	MaxNestedLevels:  24,
	MaxArrayElements: 4096,
	MaxMapPairs:      4096,
	IndefLength:      cbor.IndefLengthAllowed,
	IntDec:           cbor.IntDecConvertSignedOrFail,
}

// decMode decodes the DCC itself: its maps have text keys.
var decMode = mustDecMode(func(o *cbor.DecOptions) {
	o.DefaultMapType = typeMapStringAny
	o.TimeTag = cbor.DecTagOptional
})

// headerMode decodes header maps and the claims map, whose labels are ints
// or text: the default map type there is map[any]any.
var headerMode = mustDecMode(func(*cbor.DecOptions) {})

func mustDecMode(adjust func(*cbor.DecOptions)) cbor.DecMode {
	o := limits
	adjust(&o)
	dm, err := o.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}

var typeMapStringAny = reflect.TypeOf(map[string]any(nil))

// Scratch holds the reusable buffers of one decode. A Decoded filled with
// a Scratch points into it until the Scratch is put back.
type Scratch struct {
	b45 []byte
	out bytes.Buffer
	zr  io.ReadCloser
	br  bytes.Reader
	tbs []byte
	der []byte
	lim io.LimitedReader
}

var scratchPool = sync.Pool{New: func() any { return new(Scratch) }}

// GetScratch takes a Scratch from the pool.
func GetScratch() *Scratch { return scratchPool.Get().(*Scratch) }

// PutScratch returns s to the pool; what was decoded with it is invalid.
func PutScratch(s *Scratch) {
	if cap(s.b45) > 64<<10 {
		s.b45 = nil
	}
	if s.out.Cap() > 64<<10 {
		s.out = bytes.Buffer{}
	}
	if cap(s.tbs) > 64<<10 {
		s.tbs = nil
	}
	s.out.Reset()
	scratchPool.Put(s)
}

// isText reports whether in is text (an HC1 string or something like it)
// rather than raw COSE bytes, which start with a CBOR tag or array header
// (0x80 and above).
func isText(in []byte) bool {
	s := bytes.TrimLeft(in, " \t\r\n")
	return len(s) > 0 && s[0] > 0x20 && s[0] < 0x7f
}

// Unprefix checks the context identifier and returns the base45 text.
func Unprefix(in []byte) ([]byte, error) {
	s := bytes.TrimSpace(in)
	if bytes.HasPrefix(s, []byte(Prefix)) {
		return s[len(Prefix):], nil
	}
	if p := OtherPrefix(s); p != "" {
		return nil, stepErr(StepPrefix, "context identifier %q is not supported (only %q, an EU DCC version 1, is)", p, Prefix)
	}
	return nil, stepErr(StepPrefix, "missing the %q context identifier", Prefix)
}

// OtherPrefix returns a context identifier of the HC1 shape (two letters,
// a digit or letter, a colon) that is not HC1:, e.g. "HC2:" or "HL0:".
func OtherPrefix(s []byte) string {
	if len(s) >= 4 && s[3] == ':' && isUpper(s[0]) && isUpper(s[1]) && (isUpper(s[2]) || s[2] >= '0' && s[2] <= '9') {
		return string(s[:4])
	}
	return ""
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// Decode takes an HC1 string or raw COSE bytes apart. It checks structure
// (and takes the DCC schema verdict) only: no signature, no trust, no time.
// The result owns its bytes.
func Decode(in []byte) (*Decoded, error) {
	sc := GetScratch()
	defer PutScratch(sc)
	d := new(Decoded)
	err := DecodeWith(in, d, sc)
	if err != nil {
		return d, err
	}
	d.Detach()
	return d, nil
}

// Detach copies the byte fields that point into a Scratch, so d outlives it.
func (d *Decoded) Detach() {
	d.Protected = bytes.Clone(d.Protected)
	d.Payload = bytes.Clone(d.Payload)
	d.Signature = bytes.Clone(d.Signature)
	d.KID = bytes.Clone(d.KID)
	d.DCCRaw = bytes.Clone(d.DCCRaw)
}

// DecodeWith is Decode into d with sc's buffers: d's byte fields point into
// sc (or in) until Detach.
func DecodeWith(in []byte, d *Decoded, sc *Scratch) error {
	cose := in
	if isText(in) {
		d.InputWasText = true
		text, err := Unprefix(in)
		if err != nil {
			return err
		}
		if len(text) > MaxText {
			return stepErr(StepBase45, "%d characters of base45 is more than any DCC (a QR code holds at most 4296); refused above %d", len(text), MaxText)
		}
		sc.b45, err = base45.AppendDecode(sc.b45[:0], text)
		if err != nil {
			return &StepError{Step: StepBase45, Err: err}
		}
		cose = sc.b45
		d.CompressedN = len(cose)
		if len(cose) >= 2 && cose[0] == 0x78 && (uint16(cose[0])<<8|uint16(cose[1]))%31 == 0 {
			if err := inflate(cose, sc); err != nil {
				return err
			}
			d.Compressed = true
			cose = sc.out.Bytes()
		}
	}
	tp := cborscan.Get()
	defer cborscan.Put(tp)
	if fastDecode(cose, d, tp) {
		fastFinish(d, *tp)
		return nil
	}
	if err := decodeCOSE(cose, d); err != nil {
		return err
	}
	return decodeCWT(d)
}

// inflate decompresses a zlib stream into sc.out, refusing more than
// MaxDecompressed bytes.
func inflate(src []byte, sc *Scratch) error {
	sc.br.Reset(src)
	var err error
	if sc.zr == nil {
		sc.zr, err = zlib.NewReader(&sc.br)
	} else {
		err = sc.zr.(zlib.Resetter).Reset(&sc.br, nil)
	}
	if err != nil {
		sc.zr = nil
		return stepErr(StepZlib, "%v", err)
	}
	sc.out.Reset()
	sc.lim = io.LimitedReader{R: sc.zr, N: MaxDecompressed + 1}
	n, err := sc.out.ReadFrom(&sc.lim)
	if err != nil {
		return stepErr(StepZlib, "inflating %d bytes: %v", len(src), err)
	}
	if n > MaxDecompressed {
		return stepErr(StepZlib, "decompressed payload exceeds %d bytes (a decompression bomb?); refused", MaxDecompressed)
	}
	return nil
}

type sign1 struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected cbor.RawMessage
	Payload     []byte
	Signature   []byte
}

// decodeCOSE parses a COSE_Sign1: tag 18, untagged, or tag 61 around tag 18.
func decodeCOSE(b []byte, d *Decoded) error {
	if len(b) == 0 {
		return stepErr(StepCOSE, "empty payload")
	}
	var tags []uint64
	for len(b) > 0 && b[0]>>5 == 6 {
		var t cbor.RawTag
		if err := headerMode.Unmarshal(b, &t); err != nil {
			return stepErr(StepCOSE, "not CBOR: %v", err)
		}
		tags = append(tags, t.Number)
		b = t.Content
		if len(tags) > 2 {
			break
		}
	}
	switch {
	case len(tags) == 0:
		d.Tags = "untagged"
	case len(tags) == 1 && tags[0] == 18:
		d.Tags = "tag 18"
	case len(tags) == 2 && tags[0] == 61 && tags[1] == 18:
		d.Tags = "tag 61 (CWT) around tag 18"
	default:
		return stepErr(StepCOSE, "CBOR tags %v: only COSE_Sign1 (tag 18, untagged, or tag 61 around tag 18) is accepted", tags)
	}
	if len(b) == 0 || b[0] != 0x84 {
		return stepErr(StepCOSE, "not a COSE_Sign1 (a CBOR array of 4 elements expected)")
	}
	var m sign1
	if err := headerMode.Unmarshal(b, &m); err != nil {
		return stepErr(StepCOSE, "COSE_Sign1: %v", err)
	}
	if m.Payload == nil {
		return stepErr(StepCOSE, "detached or nil payload")
	}
	d.Protected, d.Payload, d.Signature = m.Protected, m.Payload, m.Signature
	var prot, unprot coseHeader
	if len(m.Protected) > 0 {
		if err := headerMode.Unmarshal(m.Protected, &prot); err != nil {
			return stepErr(StepCOSE, "protected header: %v", err)
		}
	}
	if err := headerMode.Unmarshal(m.Unprotected, &unprot); err != nil {
		return stepErr(StepCOSE, "unprotected header: %v", err)
	}
	// alg and kid come from the protected header; the unprotected one is
	// consulted only for a parameter the protected one lacks.
	for _, h := range []struct {
		name string
		h    *coseHeader
	}{{"protected", &prot}, {"unprotected", &unprot}} {
		if h.h.Alg != nil && !d.HasAlg && d.AlgText == "" {
			switch h.h.Alg[0] >> 5 {
			// The decoder writes into locals, not into d, so that d (often
			// on the caller's stack) does not escape to the heap.
			case 0, 1:
				var alg int64
				if err := headerMode.Unmarshal(h.h.Alg, &alg); err != nil {
					return stepErr(StepCOSE, "%s header: alg: %v", h.name, err)
				}
				d.Alg, d.HasAlg, d.AlgFrom = alg, true, h.name
			case 3:
				var alg string
				if err := headerMode.Unmarshal(h.h.Alg, &alg); err != nil {
					return stepErr(StepCOSE, "%s header: alg: %v", h.name, err)
				}
				d.AlgText, d.AlgFrom = alg, h.name
			default:
				return stepErr(StepCOSE, "%s header: alg is %s, not an integer", h.name, cborKind(h.h.Alg[0]))
			}
		}
		if h.h.KID != nil && d.KID == nil {
			if h.h.KID[0]>>5 != 2 {
				return stepErr(StepCOSE, "%s header: kid is %s, not a byte string", h.name, cborKind(h.h.KID[0]))
			}
			var kid []byte
			if err := headerMode.Unmarshal(h.h.KID, &kid); err != nil {
				return stepErr(StepCOSE, "%s header: kid: %v", h.name, err)
			}
			d.KID, d.KIDFrom = kid, h.name
			if d.KID == nil {
				d.KID = []byte{}
			}
		}
	}
	return nil
}

// coseHeader holds the header parameters this verifier reads; others are
// ignored. They stay raw so a wrongly typed value gets a clear error.
type coseHeader struct {
	Alg cbor.RawMessage `cbor:"1,keyasint,omitempty"`
	KID cbor.RawMessage `cbor:"4,keyasint,omitempty"`
}

// cwtClaims are the CWT claims of an HC1 (RFC 8392; -260 is hcert).
type cwtClaims struct {
	Iss   cbor.RawMessage `cbor:"1,keyasint,omitempty"`
	Exp   cbor.RawMessage `cbor:"4,keyasint,omitempty"`
	Iat   cbor.RawMessage `cbor:"6,keyasint,omitempty"`
	HCert cbor.RawMessage `cbor:"-260,keyasint,omitempty"`
}

type hcertClaim struct {
	DCC cbor.RawMessage `cbor:"1,keyasint,omitempty"`
}

func cborKind(b byte) string {
	return [...]string{"an unsigned integer", "a negative integer", "a byte string", "a text string", "an array", "a map", "a tagged value", "a simple value or float"}[b>>5]
}

// DecodeCWT takes a CWT claims map (a COSE payload) apart as DecodeWith
// does.
func DecodeCWT(payload []byte) (*Decoded, error) {
	d := &Decoded{Payload: payload}
	return d, decodeCWT(d)
}

// decodeCWT reads the CWT claims iss, iat, exp and the DCC.
func decodeCWT(d *Decoded) error {
	if len(d.Payload) == 0 || d.Payload[0]>>5 != 5 {
		return stepErr(StepCWT, "CWT claims are not a CBOR map")
	}
	var c cwtClaims
	if err := headerMode.Unmarshal(d.Payload, &c); err != nil {
		return stepErr(StepCWT, "CWT claims: %v", err)
	}
	if c.Iss != nil {
		var iss string // a local: d does not escape
		if err := headerMode.Unmarshal(c.Iss, &iss); err != nil {
			return stepErr(StepCWT, "iss (claim 1) is not text: %v", err)
		}
		d.Issuer = iss
	}
	var err error
	if c.Exp != nil {
		if d.Expires, err = numericDate(c.Exp); err != nil {
			return stepErr(StepCWT, "exp (claim 4): %v", err)
		}
	}
	if c.Iat != nil {
		if d.IssuedAt, err = numericDate(c.Iat); err != nil {
			return stepErr(StepCWT, "iat (claim 6): %v", err)
		}
	}
	if c.HCert == nil {
		return stepErr(StepCWT, "no hcert claim (-260)")
	}
	var hc hcertClaim
	if len(c.HCert) == 0 || c.HCert[0]>>5 != 5 {
		return stepErr(StepDCC, "hcert claim (-260) is not a map")
	}
	if err := headerMode.Unmarshal(c.HCert, &hc); err != nil {
		return stepErr(StepDCC, "hcert claim (-260): %v", err)
	}
	if hc.DCC == nil {
		return stepErr(StepDCC, "hcert claim has no DCC v1 (key 1)")
	}
	d.DCCRaw = hc.DCC
	return decodeDCC(d)
}

// maxNumericDate is 9999-12-31T23:59:59Z, the latest NumericDate accepted.
const maxNumericDate = 253402300799

// numericDate reads a CWT NumericDate: an integer or floating-point number
// of seconds since the epoch (RFC 8392 §2), optionally under tag 1.
func numericDate(raw cbor.RawMessage) (time.Time, error) {
	var v any
	if err := headerMode.Unmarshal(raw, &v); err != nil {
		return time.Time{}, err
	}
	if t, ok := v.(cbor.Tag); ok && t.Number == 1 {
		v = t.Content
	}
	if t, ok := v.(time.Time); ok {
		return t.UTC(), nil
	}
	switch n := v.(type) {
	case int64:
		if n < 0 || n > maxNumericDate {
			return time.Time{}, fmt.Errorf("NumericDate %d out of range", n)
		}
		return time.Unix(n, 0).UTC(), nil
	case uint64:
		if n > maxNumericDate {
			return time.Time{}, fmt.Errorf("NumericDate %d out of range", n)
		}
		return time.Unix(int64(n), 0).UTC(), nil
	case float64:
		if math.IsNaN(n) || n < 0 || n > maxNumericDate {
			return time.Time{}, fmt.Errorf("NumericDate %v out of range", n)
		}
		sec, frac := math.Modf(n)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("NumericDate is a %T, not a number", v)
}

// jsonable turns decoded CBOR into the values encoding/json produces with
// UseNumber: maps, slices, strings, bools, nil and json.Number. CBOR
// date-time tags become RFC 3339 strings, other tags their content, byte
// strings stay []byte (JSON: base64), NaN and infinities become null.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case cbor.Tag:
		return jsonable(x.Content)
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case uint64:
		return json.Number(strconv.FormatUint(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return v
}
