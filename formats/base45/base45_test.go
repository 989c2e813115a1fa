package base45

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-network/accord/fixtures"
)

// RFC 9285 §4.3 and §4.4 examples.
var rfcVectors = []struct{ raw, enc string }{
	{"AB", "BB8"},
	{"Hello!!", "%69 VD92EX0"},
	{"base-45", "UJCLQE7W581"},
	{"ietf!", "QED8WEX0"},
	{"", ""},
	{"\x00", "00"},
	{"\xff", "U5"},
	{"\xff\xff", "FGW"},
	{"\x00\x00", "000"},
}

func TestRFCVectors(t *testing.T) {
	for _, v := range rfcVectors {
		if got := Encode([]byte(v.raw)); got != v.enc {
			t.Errorf("Encode(%q) = %q, want %q", v.raw, got, v.enc)
		}
		got, err := Decode(v.enc)
		if err != nil || string(got) != v.raw {
			t.Errorf("Decode(%q) = %q, %v; want %q", v.enc, got, err, v.raw)
		}
	}
}

func TestRejects(t *testing.T) {
	for _, c := range []struct{ in, why string }{
		{"GGW", "value 65536 > 65535"}, // 16+16*45+32*2025, one above the maximum
		{":::", "> 65535"},             // 44+44*45+44*2025
		{"FGX", "> 65535"},             // 15+16*45+33*2025
		{"V5", "value 256 > 255"},      // 31+5*45, one above the maximum
		{"::", "> 255"},                // 44+44*45
		{"A", "single character"},      // length 1 mod 3
		{"AAAA", "single character"},   // length 4
		{"aB8", "not in the base45"},   // lower case
		{"BB8=", "single character"},   // length
		{"BB\n", "not in the base45"},  // newline
		{"%69 VD92EX0\x00", "not in the base45"},
		{"BB\xe9", "not in the base45"}, // non-ASCII
	} {
		_, err := Decode(c.in)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("Decode(%q) error = %v, want one mentioning %q", c.in, err, c.why)
		}
	}
	// The largest values that are allowed.
	if b, err := Decode("FGW"); err != nil || !bytes.Equal(b, []byte{0xff, 0xff}) {
		t.Errorf("FGW: %x %v", b, err)
	}
	if b, err := Decode("U5"); err != nil || !bytes.Equal(b, []byte{0xff}) {
		t.Errorf("U5: %x %v", b, err)
	}
}

func TestRoundTripAllPairs(t *testing.T) {
	buf := make([]byte, 0, 2*65536)
	for n := 0; n < 65536; n++ {
		buf = append(buf, byte(n>>8), byte(n))
	}
	for _, b := range [][]byte{buf, buf[:len(buf)-1]} {
		enc := Encode(b)
		if len(enc) != EncodedLen(len(b)) {
			t.Fatalf("EncodedLen mismatch")
		}
		dec, err := Decode(enc)
		if err != nil || !bytes.Equal(dec, b) {
			t.Fatalf("round trip failed: %v", err)
		}
	}
}

// dccSeeds returns the BASE45 strings of the public DCC test data, when present.
func dccSeeds(t testing.TB) []string {
	root, err := fixtures.Root()
	if err != nil {
		return nil
	}
	var out []string
	_ = filepath.WalkDir(filepath.Join(root, "..", "shared", "fixtures", "dcc-testdata"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		b, _ := os.ReadFile(p)
		var c struct{ BASE45 string }
		if json.Unmarshal(b, &c) == nil && c.BASE45 != "" {
			out = append(out, c.BASE45)
		}
		return nil
	})
	return out
}

func FuzzDecode(f *testing.F) {
	for _, v := range rfcVectors {
		f.Add(v.enc)
	}
	for _, s := range []string{"GGW", "V5", "A", ":::", "aB8"} {
		f.Add(s)
	}
	for i, s := range dccSeeds(f) {
		if i%25 == 0 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Decode(s)
		// AppendDecode keeps what dst held, and on error what was decoded
		// before the bad position (a prefix of a full decode).
		prefix := []byte("prefix")
		app, aerr := AppendDecode(prefix[:len(prefix):len(prefix)], []byte(s))
		if (aerr == nil) != (err == nil) || !bytes.HasPrefix(app, prefix) || (err == nil && !bytes.Equal(app[len(prefix):], b)) {
			t.Fatalf("AppendDecode(%q, %q) = %q, %v; Decode gives %q, %v", prefix, s, app, aerr, b, err)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if len(b) > DecodedLen(len(s)) {
			t.Fatalf("decoded %d bytes from %d chars", len(b), len(s))
		}
		// Every valid encoding is canonical: re-encoding gives it back.
		if enc := Encode(b); enc != s {
			t.Fatalf("Encode(Decode(%q)) = %q", s, enc)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("Hello!!"))
	f.Add([]byte{0xff, 0xff, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		dec, err := Decode(Encode(b))
		if err != nil || !bytes.Equal(dec, b) {
			t.Fatalf("round trip of %x: %x, %v", b, dec, err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	src := bytes.Repeat([]byte("DCC payload "), 50)
	enc := Encode(src)
	dst := make([]byte, 0, len(src))
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = AppendDecode(dst[:0], enc); err != nil {
			b.Fatal(err)
		}
	}
}
