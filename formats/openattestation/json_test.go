package openattestation

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/accord-network/accord/verify"
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
		v, err := ParseJSON([]byte(c.in))
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
		if got := jsNumberString(f); got != want {
			t.Errorf("String(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	okDeep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := ParseJSON([]byte(okDeep)); err != nil {
		t.Errorf("depth %d refused: %v", MaxDepth, err)
	}
	for _, in := range []string{
		"", "{", `{"a"}`, `{"a":}`, `[1,]`, `{"a":1,}`, `01`, `1.`, `.5`, `1e`, `+1`, `"\x01"`, `"\q"`, `"\u12"`,
		`"a` + "\xff" + `"`, `nul`, `{} {}`, `{'a':1}`, deep, `NaN`, `"unterminated`,
	} {
		_, err := ParseJSON([]byte(in))
		if !errors.Is(err, verify.ErrMalformed) {
			t.Errorf("ParseJSON(%q) = %v, want malformed", in, err)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseJSON(%q): multi-line error", in)
		}
	}
	big := make([]byte, MaxDocumentSize+1)
	if _, err := ParseJSON(big); !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized: %v", err)
	}
}

func TestUnsalt(t *testing.T) {
	cases := []struct {
		in, want string
		salted   bool
		bad      bool
	}{
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string:Hello: world", `"Hello: world"`, true, false},
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:number:3", `3`, true, false},
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:boolean:true", `true`, true, false},
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:null:null", `null`, true, false},
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string:  trailing  ", `"  trailing"`, true, false},                          // JS trim of "type:value"
		{"ee7f3323-1634-3fea-8c87-c1b3c2b4ce1c:string:x", `"ee7f3323-1634-3fea-8c87-c1b3c2b4ce1c:string:x"`, false, false}, // not v4
		{"no salt", `"no salt"`, false, false},
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:date:2020", "", true, true},
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:number:abc", "", true, true},
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:", "", true, true},
	}
	for _, c := range cases {
		v, salted, err := unsaltString(c.in)
		if c.bad {
			if !errors.Is(err, errMalformedSalt) {
				t.Errorf("%q: err %v, want malformed salt", c.in, err)
			}
			continue
		}
		if err != nil || salted != c.salted || string(Stringify(v)) != c.want {
			t.Errorf("%q: %s %v %v, want %s %v", c.in, Stringify(v), salted, err, c.want, c.salted)
		}
	}
}

func TestMerkleTree(t *testing.T) {
	for n := 1; n <= 9; n++ {
		leaves := make([]Hash, n)
		for i := range leaves {
			leaves[i] = keccak([]byte{byte(i)})
		}
		root, proofs := merkleTree(leaves)
		for i, l := range leaves {
			if foldProof(l, proofs[i]) != root {
				t.Fatalf("n=%d leaf %d: proof does not reach the root", n, i)
			}
			if n > 1 && len(proofs[i]) == 0 {
				t.Fatalf("n=%d leaf %d: empty proof", n, i)
			}
		}
		if n == 1 && root != leaves[0] {
			t.Fatal("single leaf: root must be the leaf")
		}
	}
}

func TestProtoKeyRefused(t *testing.T) {
	for _, in := range []string{
		`{"data":{"__proto__":"x","a":"b"},"signature":{"type":"SHA3MerkleProof"}}`,
		`{"data":{"a":{"__proto__":{}}},"signature":{"type":"SHA3MerkleProof"}}`,
	} {
		v, _ := ParseJSON([]byte(in))
		if _, err := DigestV2(v); !errors.Is(err, errProtoKey) {
			t.Errorf("%s: %v", in, err)
		}
	}
}
