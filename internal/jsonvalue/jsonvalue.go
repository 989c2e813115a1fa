// Package jsonvalue decodes one JSON document into Go's generic values the
// way a JSON Schema validator reads its input: numbers stay json.Number (so
// that 1.0 and 1 and very large integers keep their written form), and
// nothing may follow the one value.
package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Decode decodes exactly one JSON value from b into map[string]any,
// []any, string, json.Number, bool or nil. Anything but white space after
// that value is an error, as is malformed JSON.
func Decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid character after top-level value")
	}
	return doc, nil
}
