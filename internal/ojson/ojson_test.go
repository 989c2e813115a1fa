package ojson

import (
	"math"
	"strings"
	"testing"
)

// TestStringify pins our encoder to JavaScript's JSON.stringify output. The
// expected strings are what node prints for JSON.stringify(JSON.parse(in)).
func TestStringify(t *testing.T) {
	cases := []struct{ in, want string }{
		{`"plain"`, `"plain"`},
		{`"<a href='x'>&amp;</a>"`, `"<a href='x'>&amp;</a>"`}, // no HTML escaping
		{`"\u2028\u2029"`, "\"\u2028\u2029\""},                 // line/paragraph separators raw
		{`"\u0000\u0001\u001f\u007f"`, "\"\\u0000\\u0001\\u001f\x7f\""},
		{`"\b\f\n\r\t\"\\\/"`, `"\b\f\n\r\t\"\\/"`},
		{`"\ud83d\udea2"`, `"🚢"`},       // surrogate pair → the character
		{`"\ud800"`, `"\ud800"`},        // lone high surrogate stays escaped, lowercase
		{`"x\uDFFFy"`, `"x\udfffy"`},    // lone low surrogate
		{`"\uD800\u0041"`, `"\ud800A"`}, // high surrogate not followed by low
		{`"Größe 上海"`, `"Größe 上海"`},    // raw UTF-8
		{`"\u00e9"`, `"é"`},
		{`"한국"`, `"한국"`}, // U+D55C starts with 0xED but is not a surrogate
		{`1`, `1`},
		{`-0`, `0`},
		{`1.0`, `1`},
		{`1.5e3`, `1500`},
		{`0.1`, `0.1`},
		{`123456789012345678901234`, `1.2345678901234569e+23`},
		{`1e21`, `1e+21`},
		{`1e20`, `100000000000000000000`},
		{`0.000001`, `0.000001`},
		{`0.0000001`, `1e-7`},
		{`1.5e-7`, `1.5e-7`},
		{`-2.5E-10`, `-2.5e-10`},
		{`5e-324`, `5e-324`},
		{`1.7976931348623157e308`, `1.7976931348623157e+308`},
		{`1e400`, `null`}, // Infinity
		{`19750.5`, `19750.5`},
		{`[true,false,null,{},[]]`, `[true,false,null,{},[]]`},
		{` { "b" : 1 , "a" : [ 1 , 2 ] } `, `{"b":1,"a":[1,2]}`},
		{`{"a":1,"a":2}`, `{"a":2}`},                                   // duplicate: last value
		{`{"b":1,"a":2,"b":3}`, `{"b":3,"a":2}`},                       // at the first position
		{`{"x":1,"10":2,"2":3,"01":4}`, `{"2":3,"10":2,"x":1,"01":4}`}, // index keys first
	}
	for _, c := range cases {
		v, err := Parse([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := string(Stringify(v)); got != c.want {
			t.Errorf("JSON.stringify(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestJSNumberString(t *testing.T) {
	cases := map[float64]string{
		0: "0", 1: "1", -1: "-1", 0.5: "0.5", 100: "100", 1e21: "1e+21", 1e-7: "1e-7", 123e-20: "1.23e-18",
		math.MaxInt64: "9223372036854776000", 3.14159: "3.14159", 1e6: "1000000", 2.5e-6: "0.0000025",
		math.Inf(1): "Infinity", math.NaN(): "NaN",
	}
	for f, want := range cases {
		if got := NumberString(f); got != want {
			t.Errorf("String(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	okDeep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Parse([]byte(okDeep)); err != nil {
		t.Errorf("depth %d refused: %v", MaxDepth, err)
	}
	for _, in := range []string{
		"", "{", `{"a"}`, `{"a":}`, `[1,]`, `{"a":1,}`, `01`, `1.`, `.5`, `1e`, `+1`, `"\x01"`, `"\q"`, `"\u12"`,
		`"a` + "\xff" + `"`, `nul`, `{} {}`, `{'a':1}`, deep, `NaN`, `"unterminated`,
	} {
		_, err := Parse([]byte(in))
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", in)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q): multi-line error", in)
		}
	}
	big := make([]byte, MaxDocumentSize+1)
	if _, err := Parse(big); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized: %v", err)
	}
}

// TestStringWordBoundaries puts each byte the string fast path must stop at
// (quote, backslash, control character, non-ASCII, invalid UTF-8) at every
// position of the eight-byte words it scans.
func TestStringWordBoundaries(t *testing.T) {
	for k := 0; k < 20; k++ {
		pad := strings.Repeat("a", k)
		cases := []struct {
			in, want string
			ok       bool
		}{
			{`"` + pad + `"`, pad, true},
			{`"` + pad + `\n"`, pad + "\n", true},
			{`"` + pad + `\"x"`, pad + `"x`, true},
			{`"` + pad + "é" + `"`, pad + "é", true},
			{`"` + pad + "\x01" + `"`, "", false},
			{`"` + pad + "\xff" + `"`, "", false},
			{`"` + pad + "\xed\xa0\x80" + `"`, "", false}, // an encoded surrogate is not UTF-8
			{`"` + pad, "", false},
		}
		for _, c := range cases {
			v, err := Parse([]byte(c.in))
			if (err == nil) != c.ok {
				t.Fatalf("Parse(%q): err %v, want ok=%v", c.in, err, c.ok)
			}
			if s, _ := v.Str(); c.ok && s != c.want {
				t.Fatalf("Parse(%q) = %q, want %q", c.in, s, c.want)
			}
		}
	}
}

// TestRecyclingSlab: a recycling slab, reset between documents, parses each
// to what a fresh slab gives, and Reset leaves nothing of the earlier one.
func TestRecyclingSlab(t *testing.T) {
	docs := []string{
		`{"a":[1,2,{"b":"c"}],"d":{"e":null,"f":true},"g":"\u00e9x"}`,
		`[{"x":"` + strings.Repeat("y", 300) + `"},[],{},[[["z"]]]]`,
		`{"1":"one","0":"zero","k":[` + strings.Repeat(`{"m":1},`, 200) + `{}]}`,
		`"just a string"`,
	}
	s := NewRecyclingSlab()
	for round := 0; round < 3; round++ {
		for _, d := range docs {
			got, err := s.Parse([]byte(d))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Parse([]byte(d))
			if g, w := string(Stringify(got)), string(Stringify(want)); g != w {
				t.Fatalf("round %d: recycled parse gives %s, want %s", round, g, w)
			}
			s.Reset()
			if got.Kind() != Null || len(got.Members()) != 0 {
				t.Fatalf("round %d: a value survived Reset: %s", round, Stringify(got))
			}
		}
	}
	var plain Slab // Reset does nothing to a slab that does not recycle
	v, _ := plain.Parse([]byte(docs[0]))
	plain.Reset()
	if string(Stringify(v)) != string(Stringify(mustParse(t, docs[0]))) {
		t.Fatal("Reset changed a non-recycling slab's values")
	}
}

func mustParse(t *testing.T, s string) *Value {
	t.Helper()
	v, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
