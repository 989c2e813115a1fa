package hc1

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/accord-network/accord/formats/dccschema"
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
	DN any    `cbor:"dn"` // a vaccination's dose number
	SD any    `cbor:"sd"` // a vaccination's total doses
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

// decodeDCC reads the DCC once: dccschema.ValidateCBOR scans its CBOR and
// takes the schema verdict; a payload the scan does not read directly (tags,
// floats, ...) is decoded into its JSON form, which decides whether it is
// well-formed and gets the generic schema check. Then the fields this
// verifier reads are decoded into d.DCC.
func decodeDCC(d *Decoded) error {
	d.SchemaErr = dccschema.ValidateCBOR(d.DCCRaw)
	if errors.Is(d.SchemaErr, dccschema.ErrNotPlain) {
		m, err := jsonForm(d.DCCRaw)
		if err != nil {
			return &StepError{Step: StepDCC, Err: err}
		}
		d.jsonForm = m
		d.SchemaErr = dccschema.ValidateValue(m)
	}
	_ = typedMode.Unmarshal(d.DCCRaw, &d.DCC) // mismatches leave fields empty (see DCC)
	return nil
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
