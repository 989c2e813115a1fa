package openattestation

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/ojson"
)

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
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c: string:x\u00a0", `"x"`, true, false},  // leading space, trailing NBSP
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string:x\u3000\t", `"x"`, true, false}, // ideographic space, tab
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string:café", `"café"`, true, false},   // non-ASCII last byte, kept
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string", `""`, true, false},            // no value: the empty string
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:date:2020", "", true, true},
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:number:abc", "", true, true},
		{"ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:", "", true, true},
	}
	for _, c := range cases {
		v := ojson.NewString(c.in)
		salted, err := unsaltString(v)
		if c.bad {
			if !errors.Is(err, errMalformedSalt) {
				t.Errorf("%q: err %v, want malformed salt", c.in, err)
			}
			continue
		}
		if err != nil || salted != c.salted || string(ojson.Stringify(v)) != c.want {
			t.Errorf("%q: %s %v %v, want %s %v", c.in, ojson.Stringify(v), salted, err, c.want, c.salted)
		}
	}
}

// FuzzSalt: salted strings and v3 salt lists never panic the decoders.
func FuzzSalt(f *testing.F) {
	f.Add("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string:x", "W3sidmFsdWUiOiIxIiwicGF0aCI6ImEifV0=")
	f.Add("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:number:1e3", "")
	f.Add("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:", "!!!")
	f.Add("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c: string:x\u00a0", "")
	f.Add("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string:x\u2029", "")
	f.Add("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:string:é", "")
	f.Add("ee7f3323-1634-4fea-8c87-c1b3c2b4ce1c:boolean:true\t", "")
	f.Fuzz(func(t *testing.T, salted, salts string) {
		v := ojson.NewString(salted)
		isSalted, err := unsaltString(v)
		if err == nil && !isSalted && v.Kind() != ojson.String {
			t.Fatal("unsalted string changed")
		} else if err != nil && !isSalted {
			t.Fatal("error on an unsalted string")
		}
		_, _ = oacore.DecodeSalts(salts)
		// unsaltString's fast paths give what trimming and cutting the
		// whole "type:value" gives.
		if err == nil && isSalted {
			if want, ok := unsaltReference(salted); ok && string(ojson.Stringify(v)) != want {
				t.Fatalf("%q unsalts to %s, want %s", salted, ojson.Stringify(v), want)
			}
		}
	})
}

// unsaltReference is the reference unsalt of a string salted as "string",
// "boolean" or "null" (JSON.stringify of the value), in the plain steps
// unsaltString shortcuts: trim "type:value" as String.prototype.trim does,
// then cut at the first ':'.
func unsaltReference(s string) (string, bool) {
	typ, val, _ := strings.Cut(strings.TrimFunc(s[37:], isJSSpace), ":")
	switch typ {
	case "string":
		return string(ojson.Stringify(ojson.NewString(val))), true
	case "boolean":
		return strconv.FormatBool(val == "true"), true
	case "null", "undefined":
		return "null", true
	}
	return "", false
}
