package hc1

import (
	"fmt"
	"unsafe"

	"github.com/fxamacker/cbor/v2"

	"github.com/accord-network/accord/formats/dccschema"
	"github.com/accord-network/accord/internal/cborscan"
)

// DCC holds the fields of a DCC this verifier reads (names, birth date,
// and per certificate entry the identifiers, the test result and the dose
// numbers). A field of another type than the schema's is left empty here;
// the schema verdict (Decoded.SchemaErr) reports it.
type DCC struct {
	Ver string  `cbor:"ver"`
	Nam Name    `cbor:"nam"`
	Dob string  `cbor:"dob"`
	V   []Entry `cbor:"v"`
	T   []Entry `cbor:"t"`
	R   []Entry `cbor:"r"`
}

// Name is the DCC's nam object.
type Name struct {
	Fn  string `cbor:"fn"`
	Fnt string `cbor:"fnt"`
	Gn  string `cbor:"gn"`
	Gnt string `cbor:"gnt"`
}

// Entry is one vaccination, test or recovery entry.
type Entry struct {
	CI string `cbor:"ci"` // the certificate identifier (UVCI)
	CO string `cbor:"co"` // the country of vaccination, test or recovery
	TR string `cbor:"tr"` // a test's result
	DN Dose   `cbor:"dn"` // a vaccination's dose number
	SD Dose   `cbor:"sd"` // a vaccination's total doses
}

// Dose is a dose count: set only when the DCC holds an integer there.
type Dose struct {
	N   int64
	Set bool
}

// UnmarshalCBOR reads an integer within int64; any other value leaves the
// dose unset (the schema verdict reports it).
func (d *Dose) UnmarshalCBOR(b []byte) error {
	r := reader{b: b}
	if n, ok := r.integer(); ok && r.off == len(b) {
		*d = Dose{N: n, Set: true}
	}
	return nil
}

// Group returns the entries of the group named "v", "t" or "r".
func (c *DCC) Group(g string) []Entry {
	switch g {
	case "v":
		return c.V
	case "t":
		return c.T
	case "r":
		return c.R
	}
	return nil
}

// typedMode reads the DCC into DCC. Keys match field names exactly (a
// "VER" is not a "ver"). Structure was already judged by the schema scan or
// the generic decode, so a type mismatch here only leaves a field empty.
var typedMode = mustDecMode(func(o *cbor.DecOptions) {
	o.FieldNameMatching = cbor.FieldNameMatchingCaseSensitive
})

// decodeDCC reads the DCC once: internal/cborscan scans its CBOR into
// tokens, dccschema takes the schema verdict on them and the fields this
// verifier reads are taken from them into d.DCC. A payload the scan does
// not read (tags, floats, ...) is decoded into its JSON form instead, which
// decides whether it is well-formed at all and gets the generic schema
// check, and its fields are decoded by the CBOR library.
func decodeDCC(d *Decoded) error {
	tp := cborscan.Get()
	defer cborscan.Put(tp)
	toks, ok := cborscan.Scan(*tp, d.DCCRaw)
	*tp = toks
	if ok && toks[0].Kind == cborscan.Object {
		dccFromTokens(d, toks, d.DCCRaw, string(d.DCCRaw))
		return nil
	}
	m, err := jsonForm(d.DCCRaw)
	if err != nil {
		return &StepError{Step: StepDCC, Err: err}
	}
	d.jsonForm = m
	d.SchemaErr = dccschema.ValidateValue(m)
	dcc := new(DCC)                        // not &d.DCC: d does not escape
	_ = typedMode.Unmarshal(d.DCCRaw, dcc) // mismatches leave fields empty (see DCC)
	d.DCC = *dcc
	return nil
}

// dccFromTokens takes the schema verdict and the fields of a plain DCC
// from its tokens; raw holds DCCRaw, and str holds the bytes of raw.
func dccFromTokens(d *Decoded, toks []cborscan.Token, raw []byte, str string) {
	d.SchemaErr = dccschema.ValidateTokens(toks)
	d.dccText = substring(str, raw, d.DCCRaw)
	fillDCC(&d.DCC, toks, raw, str)
}

// substring returns the part of str that b is of raw (b lies within raw,
// and str holds the bytes of raw).
func substring(str string, raw, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(unsafe.SliceData(raw))))
	return str[off : off+len(b)]
}

// DCCString returns DCCRaw as a string. The DCC's text fields are
// substrings of it, so it costs nothing more after a plain decode.
func (d *Decoded) DCCString() string {
	if d.dccText == "" {
		d.dccText = string(d.DCCRaw)
	}
	return d.dccText
}

// fillDCC takes the fields of DCC from the tokens of a plain DCC raw, as
// typedMode would decode them; text fields are substrings of str, which
// holds the bytes of raw.
func fillDCC(c *DCC, toks []cborscan.Token, raw []byte, str string) {
	text := func(toks []cborscan.Token, i int) string {
		if toks[i].Kind != cborscan.String {
			return ""
		}
		return substring(str, raw, toks[i].Text)
	}
	forEach(toks, 0, func(k []byte, v int) {
		switch string(k) {
		case "ver":
			c.Ver = text(toks, v)
		case "dob":
			c.Dob = text(toks, v)
		case "nam":
			forEach(toks, v, func(k []byte, v int) {
				switch string(k) {
				case "fn":
					c.Nam.Fn = text(toks, v)
				case "fnt":
					c.Nam.Fnt = text(toks, v)
				case "gn":
					c.Nam.Gn = text(toks, v)
				case "gnt":
					c.Nam.Gnt = text(toks, v)
				}
			})
		case "v", "t", "r":
			if toks[v].Kind != cborscan.Array {
				return
			}
			es := make([]Entry, toks[v].N)
			for i, j := 0, v+1; i < len(es); i, j = i+1, toks[j].End {
				fillEntry(&es[i], toks, j, text)
			}
			switch string(k) {
			case "v":
				c.V = es
			case "t":
				c.T = es
			default:
				c.R = es
			}
		}
	})
}

func fillEntry(e *Entry, toks []cborscan.Token, at int, text func([]cborscan.Token, int) string) {
	forEach(toks, at, func(k []byte, v int) {
		switch string(k) {
		case "ci":
			e.CI = text(toks, v)
		case "co":
			e.CO = text(toks, v)
		case "tr":
			e.TR = text(toks, v)
		case "dn":
			e.DN = intValue(toks, v)
		case "sd":
			e.SD = intValue(toks, v)
		}
	})
}

// forEach calls fn with each key and value token index of the object at
// token at (nothing when it is not an object).
func forEach(toks []cborscan.Token, at int, fn func(key []byte, v int)) {
	if toks[at].Kind != cborscan.Object {
		return
	}
	for i := at + 1; i < toks[at].End; i = toks[i+1].End {
		fn(toks[i].Text, i+1)
	}
}

// intValue is a dose number as Dose.UnmarshalCBOR reads it.
func intValue(toks []cborscan.Token, i int) Dose {
	if toks[i].Kind != cborscan.Int {
		return Dose{}
	}
	return Dose{N: toks[i].Int, Set: true}
}

// jsonForm decodes the DCC's CBOR into the values encoding/json produces
// with UseNumber (see jsonable).
func jsonForm(raw []byte) (map[string]any, error) {
	var v any
	if err := decMode.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("DCC: %v", err)
	}
	m, ok := jsonable(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("DCC is a %T, not a map", v)
	}
	return m, nil
}

// JSON returns the DCC in its JSON form (maps, slices, strings, bools, nil
// and json.Number), decoding DCCRaw again unless decoding already did. Only
// output and the rules of a country of arrival need it.
func (d *Decoded) JSON() map[string]any {
	if d.jsonForm != nil {
		return d.jsonForm
	}
	m, err := jsonForm(d.DCCRaw)
	if err != nil {
		return nil // DecodeWith refused such a DCC already
	}
	d.jsonForm = m
	return m
}

// JSONForm is the JSON form of a DCC given as CBOR, as JSON returns it.
func JSONForm(raw []byte) (map[string]any, error) { return jsonForm(raw) }
