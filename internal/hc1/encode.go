package hc1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// EncMode encodes CWT claims and headers deterministically (RFC 8949 §4.2
// core deterministic encoding).
var EncMode = func() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// DCCFromJSON decodes a DCC given as JSON into values to encode as CBOR,
// keeping integers as integers (so "dn": 2 becomes CBOR unsigned 2, not the
// float 2.0).
func DCCFromJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("hcert: DCC payload is not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("hcert: DCC payload has data after the JSON value")
	}
	return convertNumbers(v), nil
}

func convertNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = convertNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = convertNumbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
