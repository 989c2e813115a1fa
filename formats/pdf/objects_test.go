package pdf

import (
	"bytes"
	"encoding/asn1"
	"os"
	"path/filepath"
	"testing"

	pdflib "github.com/digitorus/pdf"

	"github.com/accord-network/accord/formats/pdf/pdftest"
)

// objectSeeds are PDFs of every layout the tests know: generated ones
// (classic tables, object streams with a cross-reference stream, signed,
// updated) and, when ../shared is present, the DSS PAdES files and the
// hostile ones.
func objectSeeds(t testing.TB) map[string][]byte {
	s := newSigner(t, "Objects")
	one := s.sign(t, pdftest.Document(pdftest.Options{Pages: 3}), "one")
	upd, err := pdftest.Append(one, pdftest.AddAnnotation)
	if err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{
		"plain":         pdftest.Document(pdftest.Options{Pages: 5}),
		"signed":        one,
		"signed twice":  s.sign(t, one, "two"),
		"updated":       upd,
		"objstm":        pdftest.Document(pdftest.Options{ObjectStream: true, Pages: 2}),
		"objstm signed": s.sign(t, pdftest.Document(pdftest.Options{ObjectStream: true, Pages: 2}), "objstm"),
	}
	for _, dir := range []string{filepath.Join("..", "..", "..", "shared", "fixtures", "dss-pades", "pdf"), filepath.Join("..", "..", "..", "shared", "fixtures", "hostile"), filepath.Join("testdata", "hostile")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				seeds[f] = b
			}
		}
	}
	return seeds
}

// libraryPageCount is what the PDF library reads as the page count, and
// whether it could read the file.
func libraryPageCount(in []byte) (rdr *pdflib.Reader, root pdflib.Value, n int64, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if _, err := prescan(in); err != nil {
		return nil, root, 0, false // the verifier never reads such a file
	}
	rdr, err := pdflib.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, root, 0, false
	}
	root = rdr.Trailer().Key("Root")
	return rdr, root, root.Key("Pages").Key("Count").Int64(), true
}

// TestPageCountAgreesWithLibrary pins that the page count read by offset
// (objects.go) is the library's on every file it reads directly, and that
// the generated layouts with classic tables are read directly.
func TestPageCountAgreesWithLibrary(t *testing.T) {
	direct := 0
	for name, in := range objectSeeds(t) {
		rdr, root, want, ok := libraryPageCount(in)
		if !ok {
			continue
		}
		got, ok := pageCountDirect(in, rdr.XrefInformation.StartPos, root.GetPtr().GetID(), root.GetPtr().GetGen())
		if ok {
			direct++
			if got != want {
				t.Errorf("%s: page count %d read by offset, the library reads %d", name, got, want)
			}
		}
		if n := pageCount(in, rdr, root, false); n != want {
			t.Errorf("%s: pageCount %d, the library reads %d", name, n, want)
		}
		if (name == "plain" || name == "signed" || name == "signed twice" || name == "updated") && !ok {
			t.Errorf("%s: a file with classic cross-reference tables was not read by offset", name)
		}
	}
	if direct < 4 {
		t.Errorf("only %d files read by offset", direct)
	}
}

// TestPageCountByOffsetRefuses pins the shapes the by-offset reader leaves
// to the library: a name with # escapes (the library decodes it), an
// indirect /Count, a cross-reference entry that points at another object.
func TestPageCountByOffsetRefuses(t *testing.T) {
	base := pdftest.Document(pdftest.Options{Pages: 2})
	for name, edit := range map[string]func([]byte) []byte{
		"escaped key": func(b []byte) []byte {
			// the same length, so that the offsets stay right
			b = bytes.Replace(b, []byte("/Type /Pages /Kids"), []byte("/Type/Pages/Kids"), 1)
			return bytes.Replace(b, []byte("/Count 2"), []byte("/Co#75nt 2"), 1)
		},
		"indirect count": func(b []byte) []byte {
			b = bytes.Replace(b, []byte("/Type /Pages /Kids ["), []byte("/Type/Pages/Kids["), 1)
			return bytes.Replace(b, []byte("/Count 2 >>"), []byte("/Count 3 0 R>>"), 1)
		},
		"misplaced entry": func(b []byte) []byte {
			// object 2's entry points at object 1's bytes
			i := bytes.Index(b, []byte("\nxref\n"))
			lines := bytes.Split(b[i:], []byte("\n"))
			lines[5] = lines[4]
			return append(b[:i:i], bytes.Join(lines, []byte("\n"))...)
		},
	} {
		in := edit(bytes.Clone(base))
		rdr, err := pdflib.NewReader(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		root := rdr.Trailer().Key("Root")
		if n, ok := pageCountDirect(in, rdr.XrefInformation.StartPos, root.GetPtr().GetID(), root.GetPtr().GetGen()); ok {
			t.Errorf("%s: read by offset as %d pages", name, n)
		}
	}
}

// FuzzPageCount feeds arbitrary bytes to the by-offset reader: it must
// not panic or hang, and whatever it reads must be what the library reads.
func FuzzPageCount(f *testing.F) {
	for _, b := range objectSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<20 {
			return
		}
		rdr, root, want, ok := libraryPageCount(in)
		if !ok {
			return
		}
		if got, ok := pageCountDirect(in, rdr.XrefInformation.StartPos, root.GetPtr().GetID(), root.GetPtr().GetGen()); ok && got != want {
			t.Fatalf("page count %d read by offset, the library reads %d", got, want)
		}
	})
}

// TestTimeStampTokenOIDBytes pins the object identifier bytes that
// timestampToken looks for before it reads the CMS again.
func TestTimeStampTokenOIDBytes(t *testing.T) {
	der, err := asn1.Marshal(oidTimeStampToken)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(der[2:], oidTimeStampTokenContent) {
		t.Fatalf("%x is not the content of %x", oidTimeStampTokenContent, der)
	}
}
