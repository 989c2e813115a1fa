package pdf

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// directSeeds are objectSeeds and more signed layouts the direct reader
// reads or must decline.
func directSeeds(t testing.TB, s signer) map[string][]byte {
	seeds := objectSeeds(t)
	signed := s.sign(t, pdftest.Document(pdftest.Options{Pages: 3, Title: "Direct"}), "direct")
	seeds["signed by the env signer"] = signed
	seeds["signed, 40 pages"] = s.sign(t, pdftest.Document(pdftest.Options{Pages: 40, PadPage: 512}), "pages")
	seeds["signed, trailing white space"] = append(bytes.Clone(signed), "\n\r\n"...)
	seeds["signed, trailing spaces"] = append(bytes.Clone(signed), "\r\n \n"...)
	seeds["signed, trailing junk"] = append(bytes.Clone(signed), "junk\n"...)
	seeds["signed twice (env)"] = s.sign(t, signed, "again")
	seeds["signed field"] = s.sign(t, pdftest.Document(pdftest.Options{SignatureField: true}), "field")
	seeds["signed, escaped title"] = s.sign(t, pdftest.Document(pdftest.Options{Title: `A \(b\) c`}), "escaped")
	if upd, err := pdftest.Append(signed, pdftest.AddAnnotation); err == nil {
		seeds["signed, updated (env)"] = upd
	}
	for _, dir := range []string{filepath.Join("..", "..", "..", "shared", "fixtures", "pdf")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				seeds[f] = b
			}
		}
	}
	return seeds
}

func directEnv(t testing.TB, s signer) *verify.Env {
	env := &verify.Env{Trust: trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Direct")), At: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	env.Verifier = verify.New(env.Trust, verify.Options{At: env.At})
	return env
}

// bothReadings verifies in read directly and through the library, when
// readDirect takes it (otherwise both readings are the library's), and
// returns whether the direct reader took it and where the two results
// differ ("" when they agree).
func bothReadings(t testing.TB, in []byte, env *verify.Env) (direct bool, diff string) {
	t.Helper()
	if scan, err := precheck(in); err == nil {
		func() {
			defer func() { _ = recover() }() // the library path reports such a panic itself
			_, direct = readDirect(in, &scan)
		}()
	}
	if !direct {
		return false, "" // both readings are the library's
	}
	r1, err1 := verifyRead(context.Background(), in, env, true)
	r2, err2 := verifyRead(context.Background(), in, env, false)
	j1, _ := json.Marshal(struct {
		R   *verify.Result
		Err string
	}{r1, errString(err1)})
	j2, _ := json.Marshal(struct {
		R   *verify.Result
		Err string
	}{r2, errString(err2)})
	if !bytes.Equal(j1, j2) {
		return direct, "direct reading:\n" + string(j1) + "\nlibrary reading:\n" + string(j2)
	}
	return direct, ""
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestDirectAgreesWithLibrary pins that verifying with the direct reader
// gives the library path's result, field for field, on every fixture (the
// DSS PAdES files, the hostile files) and generated layout, and that the
// usual signed layouts are read directly.
func TestDirectAgreesWithLibrary(t *testing.T) {
	s := newSigner(t, "Direct signer")
	env := directEnv(t, s)
	direct := map[string]bool{}
	for name, in := range directSeeds(t, s) {
		d, diff := bothReadings(t, in, env)
		direct[name] = d
		if diff != "" {
			t.Errorf("%s: the readings differ\n%s", name, diff)
		}
	}
	for _, name := range []string{"signed", "signed by the env signer", "signed, 40 pages", "signed, trailing white space", "signed field"} {
		if !direct[name] {
			t.Errorf("%s: not read directly", name)
		}
	}
	for _, name := range []string{"signed twice (env)", "signed, updated (env)", "signed, trailing junk", "objstm signed", "signed, escaped title"} {
		if direct[name] {
			t.Errorf("%s: read directly, but the direct reader should leave it to the library", name)
		}
	}
	n := 0
	for _, d := range direct {
		if d {
			n++
		}
	}
	t.Logf("%d of %d files read directly", n, len(direct))
}

// FuzzDirectAgreesWithLibrary: on any input, the direct reader and the
// library give the same verification result.
func FuzzDirectAgreesWithLibrary(f *testing.F) {
	s := newSigner(f, "Direct signer")
	env := directEnv(f, s)
	for _, in := range directSeeds(f, s) {
		if len(in) < 64<<10 {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if _, diff := bothReadings(t, in, env); diff != "" {
			t.Fatalf("the readings differ\n%s", diff)
		}
	})
}

// TestDecodeHex pins decodeHex to the library's reading of hex strings:
// white space skipped, a final odd digit followed by 0.
func TestDecodeHex(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"41":          "A",
		"4 1":         "A",
		"414":         "A@",
		" 4\n1\t42 ":  "AB",
		"7":           "p",
		"6162636465f": "abcde\xf0",
		"FFfe":        "\xff\xfe",
	} {
		if got := string(decodeHex([]byte(in))); got != want {
			t.Errorf("decodeHex(%q) = %q, want %q", in, got, want)
		}
	}
}
