package hc1

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/formats/dccschema"
	"github.com/accord-network/accord/internal/cborscan"
)

const vaccJSON = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika","gnt":"ERIKA"},"dob":"1964-08-12",
"v":[{"tg":"840539006","vp":"1119349007","mp":"EU/1/20/1528","ma":"ORG-100030215","dn":2,"sd":2,"dt":"2021-05-29","co":"AT","is":"Ministry of Health, Austria","ci":"URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B"}]}`

// testCOSE builds a COSE_Sign1 (tag 18) around CWT claims holding dcc, with
// the given headers and an arbitrary signature: the decoders judge shape,
// not signatures.
func testCOSE(t testing.TB, prot, unprot map[int]any, claims map[int]any) []byte {
	t.Helper()
	var pb []byte
	if prot != nil {
		var err error
		if pb, err = EncMode.Marshal(prot); err != nil {
			t.Fatal(err)
		}
	}
	payload, err := EncMode.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	if unprot == nil {
		unprot = map[int]any{}
	}
	b, err := EncMode.Marshal(cbor.Tag{Number: 18, Content: []any{pb, unprot, payload, make([]byte, 64)}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seedCOSE(t testing.TB) [][]byte {
	dcc, err := DCCFromJSON([]byte(vaccJSON))
	if err != nil {
		t.Fatal(err)
	}
	kid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	hc := map[int]any{1: dcc}
	out := [][]byte{
		testCOSE(t, map[int]any{1: -7, 4: kid}, nil, map[int]any{1: "AT", 4: 1700000000, 6: 1600000000, -260: hc}),
		testCOSE(t, map[int]any{1: -7}, map[int]any{4: kid}, map[int]any{1: "AT", 4: 1700000000, -260: hc}),
		testCOSE(t, nil, map[int]any{1: -37, 4: []byte{}}, map[int]any{-260: hc}),
		testCOSE(t, map[int]any{1: "ES256", 4: kid}, nil, map[int]any{1: "AT", -260: hc}),
		testCOSE(t, map[int]any{1: -7, 4: kid}, nil, map[int]any{1: "AT", 4: 1.5e9, -260: hc}),
		testCOSE(t, map[int]any{1: -7, 4: kid}, nil, map[int]any{1: "AT", 4: 1700000000, 99: 1, -260: hc}),
		testCOSE(t, map[int]any{1: -7, 4: kid}, nil, map[int]any{1: "AT", -260: map[int]any{1: dcc, 2: 1}}),
	}
	if root, err := fixtures.Root(); err == nil && root != "" {
		if cases, ok := loadCases(); ok {
			for _, c := range cases {
				var h string
				if json.Unmarshal(c.Fields["COSE"], &h) == nil {
					if b, err := hex.DecodeString(h); err == nil && len(b) > 0 {
						out = append(out, b)
					}
				}
			}
		}
	}
	return out
}

// loadCases reads the EU DCC test data without skipping (seeding a fuzz
// target must not skip it).
func loadCases() (cases []fixtures.DCCCase, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var tb quietTB
	cases = fixtures.DCCCases(&tb)
	return cases, !tb.skipped
}

// quietTB is a testing.TB that records a skip instead of stopping.
type quietTB struct {
	testing.TB
	skipped bool
}

func (q *quietTB) Helper()                   {}
func (q *quietTB) Skip(...any)               { q.skipped = true; panic("skip") }
func (q *quietTB) Skipf(string, ...any)      { q.skipped = true; panic("skip") }
func (q *quietTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (q *quietTB) Fatal(a ...any)            { panic(fmt.Sprint(a...)) }

// agree runs the fast path and the general path on cose and reports a
// difference: the fast path may decline, but what it accepts the general
// path must accept with the same fields.
func agree(t *testing.T, cose []byte) (fast bool) {
	t.Helper()
	var f, g Decoded
	var toks []cborscan.Token
	if !fastDecode(cose, &f, &toks) {
		return false
	}
	fastFinish(&f, toks)
	if err := decodeCOSE(cose, &g); err != nil {
		t.Fatalf("fast path accepted what the general path refuses at COSE: %v", err)
	}
	if err := decodeCWT(&g); err != nil {
		t.Fatalf("fast path accepted what the general path refuses at CWT: %v", err)
	}
	fe, ge := fmt.Sprint(f.SchemaErr), fmt.Sprint(g.SchemaErr)
	f.SchemaErr, g.SchemaErr = nil, nil
	if fe != ge {
		t.Fatalf("schema verdicts differ: fast %s, general %s", fe, ge)
	}
	f.jsonForm, g.jsonForm = nil, nil
	if f.dccText != string(f.DCCRaw) {
		t.Fatalf("the fast path's DCC text %q is not its DCC %q", f.dccText, f.DCCRaw)
	}
	f.dccText, g.dccText = "", ""
	if !reflect.DeepEqual(f, g) {
		t.Fatalf("fields differ:\nfast    %+v\ngeneral %+v", f, g)
	}
	return true
}

// TestFastPathAgrees pins that the one-pass decoder of the common HC1 shape
// fills exactly what the general decoder fills, on generated documents
// and every COSE of the EU DCC test data, and that it serves most of them.
func TestFastPathAgrees(t *testing.T) {
	seeds := seedCOSE(t)
	n := 0
	for _, s := range seeds {
		if agree(t, s) {
			n++
		}
	}
	t.Logf("%d of %d documents took the fast path", n, len(seeds))
	if n < 3 || (len(seeds) > 100 && n < len(seeds)/2) {
		t.Fatalf("only %d of %d documents took the fast path", n, len(seeds))
	}
}

// FuzzFastPath checks the same agreement on arbitrary bytes.
func FuzzFastPath(f *testing.F) {
	for _, s := range seedCOSE(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cose []byte) { agree(t, cose) })
}

// schemaAgree checks that the schema check on CBOR tokens gives the
// verdict of the schema check on the DCC's JSON form, and
// that the fields read from tokens equal those the CBOR library decodes.
func schemaAgree(t *testing.T, raw []byte) {
	direct := dccschema.ValidateCBOR(raw)
	if errors.Is(direct, dccschema.ErrNotPlain) {
		return
	}
	m, err := jsonForm(raw)
	if err != nil {
		t.Fatalf("the scan read a DCC the decoder refuses: %v", err)
	}
	generic := dccschema.ValidateValue(m)
	if (direct == nil) != (generic == nil) ||
		errors.Is(direct, dccschema.ErrInvalid) != errors.Is(generic, dccschema.ErrInvalid) ||
		errors.Is(direct, dccschema.ErrUnsupportedVersion) != errors.Is(generic, dccschema.ErrUnsupportedVersion) {
		t.Fatalf("verdicts differ: on CBOR %v; on the JSON form %v", direct, generic)
	}
	toks, ok := cborscan.Scan(nil, raw)
	if !ok {
		t.Fatal("ValidateCBOR read what Scan refuses")
	}
	var fromToks, fromLib DCC
	fillDCC(&fromToks, toks, raw, string(raw))
	_ = typedMode.Unmarshal(raw, &fromLib)
	if !reflect.DeepEqual(fromToks, fromLib) {
		t.Fatalf("fields differ:\ntokens  %+v\nlibrary %+v", fromToks, fromLib)
	}
}

// FuzzSchemaAgrees is the differential test of dccschema.ValidateCBOR
// against dccschema.ValidateValue on the JSON form (the value checks are
// held to the generic validator, santhosh-tekuri/jsonschema, by
// formats/dccschema's reference tests), seeded with the DCCs of the EU DCC
// test data.
func FuzzSchemaAgrees(f *testing.F) {
	for _, s := range seedCOSE(f) {
		var g Decoded
		if decodeCOSE(s, &g) == nil && decodeCWT(&g) == nil {
			f.Add(g.DCCRaw)
		}
	}
	f.Add([]byte{0xa1, 0x63, 'v', 'e', 'r', 0x65, '1', '.', '3', '.', '0'})
	f.Fuzz(func(t *testing.T, raw []byte) { schemaAgree(t, raw) })
}

// TestSchemaAgreesOnTestData runs the differential check over every DCC
// of the EU DCC test data, valid and invalid.
func TestSchemaAgreesOnTestData(t *testing.T) {
	cases := fixtures.DCCCases(t)
	n := 0
	for _, c := range cases {
		var h string
		if json.Unmarshal(c.Fields["COSE"], &h) != nil {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			continue
		}
		var g Decoded
		if decodeCOSE(b, &g) != nil || decodeCWT(&g) != nil {
			continue
		}
		t.Run(c.Rel, func(t *testing.T) { schemaAgree(t, g.DCCRaw) })
		n++
	}
	if n < 100 {
		t.Fatalf("only %d DCCs compared", n)
	}
}
