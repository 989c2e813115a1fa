package openattestation

import (
	"errors"
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
	f.Fuzz(func(t *testing.T, salted, salts string) {
		v := ojson.NewString(salted)
		if isSalted, err := unsaltString(v); err == nil && !isSalted && v.Kind() != ojson.String {
			t.Fatal("unsalted string changed")
		} else if err != nil && !isSalted {
			t.Fatal("error on an unsalted string")
		}
		_, _ = oacore.DecodeSalts(salts)
	})
}
