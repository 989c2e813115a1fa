package ojson

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/accord-network/accord/fixtures"
)

// fuzzSeeds returns OpenAttestation documents from the shared fixtures (when
// present), our e-BL sample and inputs at the edges of the grammar.
func fuzzSeeds(f *testing.F) {
	if b, err := os.ReadFile("../../formats/openattestation/testdata/ebl-dcsa.json"); err == nil {
		f.Add(b)
	}
	if root, err := fixtures.Root(); err == nil {
		files, _ := filepath.Glob(filepath.Join(root, "..", "shared", "fixtures", "openattestation", "*", "*", "*.json"))
		gen, _ := filepath.Glob(filepath.Join(root, "..", "shared", "fixtures", "openattestation", "generated", "*.json"))
		for _, p := range append(files, gen...) {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range []string{
		`"\ud800"`, `"\udc00\ud800x"`, `"\ud83d\udea2"`, `{"1":1,"a":2,"0":3}`, `1e400`, `-0`, `[[[[]]]]`,
		`"\u2028"`, `{"a":1,"a":2}`, ` [1 , 2.5e-3 , true , null ] `, `{"a":"x","b":{"c":[]}}`, "\"\xed\xa0\x80\"",
		`01`, `[1,]`, `"\x"`, "\xef\xbb\xbf{}",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParseJSON: the parser never panics, errors are one line, and
// Stringify is a fixed point after one round.
func FuzzParseJSON(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := Parse(in)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		a := Stringify(v)
		v2, err := Parse(a)
		if err != nil {
			t.Fatalf("our own output does not parse: %v\n%s", err, a)
		}
		if b := Stringify(v2); !bytes.Equal(a, b) {
			t.Fatalf("not a fixed point:\n%s\n%s", a, b)
		}
	})
}

// FuzzDifferential compares the parser with encoding/json (UseNumber). On
// valid UTF-8 input without a byte order mark and nested at most MaxDepth
// deep, both MUST agree on whether the input is JSON, and on valid input
// the values MUST be equal once our lone surrogates are replaced by U+FFFD
// (what encoding/json does with them, spec/openattestation.md §2). The
// documented differences are exactly: invalid UTF-8 (we refuse it,
// encoding/json replaces it), a leading BOM (we skip it), nesting beyond
// MaxDepth (we refuse it), and lone surrogates (we keep them).
func FuzzDifferential(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if !utf8.Valid(in) || bytes.HasPrefix(in, []byte("\xef\xbb\xbf")) || len(in) > MaxDocumentSize {
			return
		}
		ours, err := Parse(in)
		std := json.Valid(in)
		if err != nil && strings.Contains(err.Error(), "nesting deeper than") {
			return
		}
		if (err == nil) != std {
			t.Fatalf("validity differs on %q: ours %v, encoding/json valid=%v", in, err, std)
		}
		if err != nil {
			return
		}
		d := json.NewDecoder(bytes.NewReader(in))
		d.UseNumber()
		var theirs any
		if err := d.Decode(&theirs); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if why := sameValue(ours, theirs); why != "" {
			t.Fatalf("values differ on %q: %s", in, why)
		}
	})
}

// sameValue compares our value with encoding/json's, lone surrogates
// standing for U+FFFD.
func sameValue(v *Value, x any) string {
	switch v.Kind() {
	case Null:
		if x != nil {
			return "null vs " + strconv.Quote(toString(x))
		}
	case Bool:
		if b, ok := x.(bool); !ok || b != v.b {
			return "bool vs " + toString(x)
		}
	case Number:
		n, ok := x.(json.Number)
		if !ok {
			return "number vs " + toString(x)
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil && !math.IsInf(f, 0) {
			f = 0 // underflow: both 0
		}
		if f != v.n && !(math.IsInf(f, 0) && math.IsInf(v.n, 0)) {
			return "number " + NumberString(v.n) + " vs " + string(n)
		}
	case String:
		s, ok := x.(string)
		if !ok || s != replaceSurrogates(v.s) {
			return strconv.Quote(v.s) + " vs " + toString(x)
		}
	case Array:
		a, ok := x.([]any)
		if !ok || len(a) != len(v.arr) {
			return "array vs " + toString(x)
		}
		for i, e := range v.arr {
			if why := sameValue(e, a[i]); why != "" {
				return "[" + strconv.Itoa(i) + "]: " + why
			}
		}
	case Object:
		m, ok := x.(map[string]any)
		if !ok {
			return "object vs " + toString(x)
		}
		// Keys are compared after the surrogate replacement, so two keys
		// that differ only in lone surrogates are one key for encoding/json.
		// Such a collision leaves the value encoding/json keeps undecided
		// here, so it is not compared.
		keys := map[string]*Value{}
		collided := map[string]bool{}
		for _, mem := range v.obj {
			k := replaceSurrogates(mem.Key)
			if _, ok := keys[k]; ok {
				collided[k] = true
			}
			keys[k] = mem.Value
		}
		if len(keys) != len(m) {
			return "object sizes differ"
		}
		for k, e := range keys {
			if _, ok := m[k]; !ok {
				return "key " + strconv.Quote(k) + " missing in encoding/json's object"
			}
			if collided[k] {
				continue
			}
			if why := sameValue(e, m[k]); why != "" {
				return strconv.Quote(k) + ": " + why
			}
		}
	}
	return ""
}

func toString(x any) string {
	b, _ := json.Marshal(x)
	return string(b)
}

// replaceSurrogates writes each WTF-8 lone surrogate as U+FFFD.
func replaceSurrogates(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if _, ok := surrogateAt(s, i); ok {
			b.WriteRune(utf8.RuneError)
			i += 3
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
