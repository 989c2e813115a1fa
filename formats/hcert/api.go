package hcert

import (
	"encoding/json"
	"errors"
	"sync"

	"github.com/accord-network/accord/internal/hc1"
)

// Prefix is the context identifier of an EU DCC QR code.
const Prefix = hc1.Prefix

// MaxDecompressed bounds the inflated size of a payload (a larger one is a
// decompression bomb and refused at the zlib step).
const MaxDecompressed = hc1.MaxDecompressed

// MaxText bounds the base45 text of an HC1 string.
const MaxText = hc1.MaxText

// Step names a stage of the decoding pipeline.
type Step = hc1.Step

// Decoding steps, in order.
const (
	StepPrefix = hc1.StepPrefix // "HC1:" context identifier
	StepBase45 = hc1.StepBase45 // RFC 9285
	StepZlib   = hc1.StepZlib   // RFC 1950, when the payload starts with a zlib header
	StepCOSE   = hc1.StepCOSE   // COSE_Sign1 structure and headers
	StepCWT    = hc1.StepCWT    // CWT claims map
	StepDCC    = hc1.StepDCC    // hcert claim -260 → 1 → DCC
)

// StepError is a decoding failure at one step. It wraps verify.ErrMalformed.
type StepError = hc1.StepError

// StepOf returns the step at which err (from Verify) failed, or "".
func StepOf(err error) Step {
	var se *StepError
	if errors.As(err, &se) {
		return se.Step
	}
	return ""
}

// Claims is the DCC of a verified HC1 (claim -260 → 1), which Verify puts
// in verify.Result.Claims. Verification reads typed fields; the JSON form
// (CBOR date-time tags as RFC 3339 text, numbers as json.Number) is built
// from the signed CBOR when first asked for, by Map or when the result is
// written as JSON.
type Claims struct {
	raw  string // the DCC's CBOR
	once sync.Once
	m    map[string]any
}

// Map returns the DCC in its JSON form.
func (c *Claims) Map() map[string]any {
	c.once.Do(func() { c.m, _ = hc1.JSONForm([]byte(c.raw)) })
	return c.m
}

// MarshalJSON writes the DCC's JSON form.
func (c *Claims) MarshalJSON() ([]byte, error) { return json.Marshal(c.Map()) }
