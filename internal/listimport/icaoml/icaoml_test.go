package icaoml

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/accord-network/accord/fixtures"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

const dir = "../../../../shared/fixtures/icao-masterlist"

func read(t testing.TB, rel string) []byte {
	t.Helper()
	return fixtures.ReadShared(t, "icao-masterlist", rel)
}

func root(t testing.TB, rel string) []*pki.Certificate {
	c, err := pki.Parse(read(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return []*pki.Certificate{c}
}

// Every real master list: signature verified against its CSCA given as
// --source-root (the UN lists too, see pki's absent-NULL tolerance); the
// CSCAs become icao-csca CA entries; without the root the signature is
// intact but unanchored.
func TestRealMasterLists(t *testing.T) {
	for _, c := range []struct{ file, root string }{
		{"icao-ml-tools/20210315_DEMasterList.ml", "icao-ml-tools/csca-germany_05-2019_self_signed.cer"},
		{"icao-ml-tools/ICAO_ML_Jan2021.ml", "icao-ml-tools/ICAO-csca.der"},
		{"ddcc-validator/ICAOMLJune2022.ml", "icao-ml-tools/ICAO-csca.der"},
	} {
		b := read(t, c.file)
		src, err := Parse(b, listimport.Options{Roots: root(t, c.root)})
		if err != nil {
			t.Fatal(err)
		}
		if src.Signature != trustlist.SourceVerified {
			t.Errorf("%s: %s (%s)", c.file, src.Signature, src.SignatureDetail)
		}
		var ok, refused int
		countries := map[string]bool{}
		for _, it := range src.Items {
			if it.Refused != nil {
				refused++
				t.Logf("%s: refused %s: %v", c.file, it.Ref, it.Refused)
				continue
			}
			ok++
			countries[it.Country] = true
			if !it.Entry.CA || !it.Entry.Allows(UseCSCA) {
				t.Fatalf("%s: not an icao-csca CA entry", it.Ref)
			}
		}
		t.Logf("%s: %d CSCAs from %d countries, %d refused; %s", c.file, ok, len(countries), refused, src.SignatureDetail)
		if refused > len(src.Items)/20 { // real refusals: non-CA certificates, ZZ and KS codes
			t.Errorf("%s: %d of %d refused", c.file, refused, len(src.Items))
		}
		unanchored, _ := Parse(b, listimport.Options{})
		if unanchored.Signature != trustlist.SourceUnverified {
			t.Errorf("%s without a root: %s", c.file, unanchored.Signature)
		}
	}
	// The NL and ICAO Health lists: verified against their own CSCA carried
	// in the list only when it is given as root; here the Health signer's
	// CSCA is not in the fixtures, so it stays unverified, with its reason.
	src, err := Parse(read(t, "ddcc-validator/ICAOHealthML27May2022.ml"), listimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ICAO Health: %s: %s", src.Signature, src.SignatureDetail)
	if _, err := Parse(read(t, "icao-ml-tools/ICAO-csca.der"), listimport.Options{}); err == nil {
		t.Fatal("a certificate parsed as a master list")
	}
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(dir, "ddcc-validator/ICAOHealthML27May2022.ml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Parse(b, listimport.Options{})
	})
}
