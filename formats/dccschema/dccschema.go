// Package dccschema validates EU Digital COVID Certificate payloads (the JSON
// object under CWT claim -260/1 of an HC1 document) against the official EU
// DCC JSON schema published by the eHealth Network
// (github.com/ehn-dcc-development/eu-dcc-schema).
//
// The schema releases 1.0.1, 1.1.0, 1.2.1 and 1.3.0 are embedded unchanged
// (see schemas/NOTICE). A payload is validated with the release of its own
// minor version, chosen from its "ver" field: 1.0.x uses 1.0.1, 1.1.x uses
// 1.1.0, 1.2.x uses 1.2.1, 1.3.x and any later 1.y uses 1.3.0 (the closest
// supported minor). A major version other than 1 is refused with
// ErrUnsupportedVersion.
//
// Each release is compiled on first use, and only the release a payload
// names, into a tree of checks (compiled.go) that understands exactly the
// JSON Schema 2020-12 keywords the published schemas use; the compiled form
// is safe for concurrent use. The package tests hold the checks to a
// general JSON Schema validator (github.com/santhosh-tekuri/jsonschema/v6)
// on the EU DCC test data and under fuzzing; that library is not linked by
// this package, since its initialisation compiles its meta-schemas at every
// process start.
//
// Besides the schema itself, Validate enforces the rule of the eHN DCC
// specification that a certificate holds exactly one of the groups v
// (vaccination), t (test) or r (recovery); schema 1.3.0 states it as oneOf,
// the earlier releases only in prose.
package dccschema

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/accord-network/accord/internal/jsonvalue"
)

// ErrInvalid is wrapped by every error that reports a payload not matching
// the schema (including a missing or malformed "ver" and a payload that is
// not a JSON object).
var ErrInvalid = errors.New("DCC payload does not match the EU DCC JSON schema")

// ErrUnsupportedVersion is wrapped by the error for a well-formed "ver" whose
// major version has no embedded schema (anything but 1.x.y).
var ErrUnsupportedVersion = errors.New("unsupported DCC schema version")

// MaxPayload bounds the size of a payload Validate accepts. Real DCC payloads
// are below 3 KB (they must fit a QR code); the bound keeps a hostile input
// from costing unbounded time.
const MaxPayload = 1 << 20

//go:embed schemas
var schemaFS embed.FS

// release is one embedded schema release.
type release struct {
	minor   int    // the 1.minor.x family it serves
	version string // the release embedded, e.g. "1.3.0"
	dir     string // directory under schemas/
	main    string // $id of the root schema
}

// releases, ordered by minor.
var releases = []release{
	{0, "1.0.1", "schemas/1.0.1", "https://id.uvci.eu/DGC.schema.json"},
	{1, "1.1.0", "schemas/1.1.0", "https://id.uvci.eu/DGC.combined-schema.json"},
	{2, "1.2.1", "schemas/1.2.1", "https://id.uvci.eu/DCC.combined-schema.json"},
	{3, "1.3.0", "schemas/1.3.0", "https://id.uvci.eu/DCC.combined-schema.json"},
}

// assertFormat makes the "format" keyword (date, date-time) an assertion.
// JSON Schema 2020-12 treats format as an annotation unless asked; the eHN
// schema repository validates its own examples with ajv-formats, i.e. with
// formats asserted, and so do we, with one leniency: the "date" format is
// asserted as deployed DCCs use it (checkDCCDate), an RFC 3339 full-date
// ("2021-05-18", a real calendar day) or an RFC 3339 date-time whose date
// part is one. Issuers in production (PL, SG in the public test data,
// signed and expected valid) put a full timestamp into dt and fr; the
// reference test suite accepts them because it never asserts formats. It
// is a variable only so that the package tests can measure the other
// choice against the public test data.
var assertFormat = true

// releaseFiles calls add with the name and bytes of each JSON file of
// release rel's embedded schemas; add returns the file's $id ("" if it has
// none, which is an error).
func releaseFiles(rel release, add func(name string, raw []byte) (id string, err error)) error {
	files, err := schemaFS.ReadDir(rel.dir)
	if err != nil {
		return fmt.Errorf("dccschema: embedded schema %s: %w", rel.version, err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".json") {
			continue
		}
		raw, err := schemaFS.ReadFile(path.Join(rel.dir, f.Name()))
		if err != nil {
			return fmt.Errorf("dccschema: embedded schema %s: %w", rel.version, err)
		}
		id, err := add(f.Name(), raw)
		if err != nil {
			return fmt.Errorf("dccschema: embedded schema %s/%s: %w", rel.version, f.Name(), err)
		}
		if id == "" {
			return fmt.Errorf("dccschema: embedded schema %s/%s has no $id", rel.version, f.Name())
		}
	}
	return nil
}

// Versions returns the schema releases embedded, oldest first.
func Versions() []string {
	out := make([]string, len(releases))
	for i, r := range releases {
		out[i] = r.version
	}
	return out
}

var semverRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)$`) })

// pick returns the index into releases for a payload version string.
func pick(ver any, present bool) (int, error) {
	if !present {
		return 0, fmt.Errorf("%w: ver: missing (the schema version field is required)", ErrInvalid)
	}
	s, ok := ver.(string)
	if !ok {
		return 0, fmt.Errorf("%w: ver: must be a string like \"1.3.0\", got %s", ErrInvalid, jsonType(ver))
	}
	m := semverRE().FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%w: ver: %q is not a version of the form MAJOR.MINOR.PATCH", ErrInvalid, clip(s))
	}
	major, err1 := strconv.Atoi(m[1])
	minor, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil || major != 1 {
		return 0, fmt.Errorf("%w %s: only 1.x.y payloads are defined (embedded schemas %s)", ErrUnsupportedVersion, clip(s), strings.Join(Versions(), ", "))
	}
	idx := len(releases) - 1
	for i, r := range releases {
		if r.minor == minor {
			idx = i
		}
	}
	return idx, nil
}

// decode parses a payload into the generic form the validator needs.
func decode(dcc []byte) (map[string]any, error) {
	if len(dcc) > MaxPayload {
		return nil, fmt.Errorf("%w: payload of %d bytes exceeds the %d byte limit", ErrInvalid, len(dcc), MaxPayload)
	}
	doc, err := jsonvalue.Decode(dcc)
	if err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrInvalid, err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: payload must be a JSON object, got %s", ErrInvalid, jsonType(doc))
	}
	return obj, nil
}

// Version reports which embedded schema release Validate uses for dcc (for
// example "1.3.0" for a payload with "ver": "1.3.2"). It fails like Validate
// when the payload is not a JSON object or its ver is absent, malformed or
// of an unsupported major version.
func Version(dcc []byte) (string, error) {
	obj, err := decode(dcc)
	if err != nil {
		return "", err
	}
	ver, ok := obj["ver"]
	i, err := pick(ver, ok)
	if err != nil {
		return "", err
	}
	return releases[i].version, nil
}

// Validate checks a DCC payload (JSON) against the schema release for its
// "ver". It returns nil when the payload conforms; otherwise an error on one
// line that wraps ErrInvalid (or ErrUnsupportedVersion) and names the field
// that failed, e.g.
//
//	DCC payload does not match the EU DCC JSON schema: /v/0/dt: '2021-13-01' is not valid date (schema 1.3.0)
func Validate(dcc []byte) error {
	obj, err := decode(dcc)
	if err != nil {
		return err
	}
	return validateObject(obj)
}

// ValidateValue is Validate for a payload already decoded into JSON-like Go
// values: map[string]any, []any, string, bool, nil, and numbers as
// json.Number or any Go integer or float type (so a CBOR-decoded payload
// whose maps have text keys can be passed as it is). Other types (a
// time.Time from a tagged CBOR date, []byte) fail as a type mismatch.
func ValidateValue(v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: payload must be a JSON object, got %s", ErrInvalid, jsonType(v))
	}
	return validateObject(obj)
}

func validateObject(obj map[string]any) error {
	ver, ok := obj["ver"]
	i, err := pick(ver, ok)
	if err != nil {
		return err
	}
	rel := releases[i]
	if err := exactlyOneGroup(obj); err != nil {
		return fmt.Errorf("%w: %v (schema %s)", ErrInvalid, err, rel.version)
	}
	root, err := tree(i)
	if err != nil {
		return err
	}
	var c valueChecker
	if f := c.checkValue(root, obj); f != nil {
		return fmt.Errorf("%w: %s: %s (schema %s)", ErrInvalid, f.location(), oneLine(f.msg), rel.version)
	}
	return nil
}

// exactlyOneGroup enforces that exactly one of v, t, r is present.
func exactlyOneGroup(obj map[string]any) error {
	var found []string
	for _, g := range []string{"v", "t", "r"} {
		if _, ok := obj[g]; ok {
			found = append(found, g)
		}
	}
	switch len(found) {
	case 1:
		return nil
	case 0:
		return errors.New("/: exactly one of v (vaccination), t (test) or r (recovery) is required, found none")
	default:
		return fmt.Errorf("/: exactly one of v, t or r is allowed, found %s", strings.Join(found, " and "))
	}
}

// oneLine flattens and bounds a message so that it fits one line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return clip(s)
}

func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
