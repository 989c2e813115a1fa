package hcert_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/trustlist"
)

// TestRevocationHashVectors reproduces every vector of
// ../shared/fixtures/dcc-revocation/hash-vectors.json from the real signed
// DCCs it names: the UCI, COUNTRYCODEUCI and SIGNATURE hashes, hex and base64.
func TestRevocationHashVectors(t *testing.T) {
	dir := fixtures.Shared(t, "dcc-revocation")
	b, err := os.ReadFile(filepath.Join(dir, "hash-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		File, Alg, KID, CI, CO         string
		UCI, COUNTRYCODEUCI, SIGNATURE struct{ Hex, B64 string }
	}
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) != 38 {
		t.Fatalf("%d vectors; the README says 38", len(vectors))
	}
	for _, v := range vectors {
		raw, err := os.ReadFile(filepath.Join(dir, "..", v.File))
		if err != nil {
			t.Fatal(err)
		}
		var tc struct{ PREFIX string }
		if err := json.Unmarshal(raw, &tc); err != nil {
			t.Fatalf("%s: %v", v.File, err)
		}
		d, err := Decode([]byte(tc.PREFIX))
		if err != nil {
			t.Fatalf("%s: %v", v.File, err)
		}
		if got := base64.StdEncoding.EncodeToString(d.KID); got != v.KID {
			t.Errorf("%s: kid %s, vector %s", v.File, got, v.KID)
		}
		got := map[trustlist.HashType][]byte{}
		for _, q := range RevocationQueries(d) {
			if _, seen := got[q.Type]; !seen {
				got[q.Type] = append([]byte(nil), q.Hash[:]...)
			}
		}
		for typ, want := range map[trustlist.HashType]struct{ Hex, B64 string }{
			trustlist.HashUCI: v.UCI, trustlist.HashCountryCodeUCI: v.COUNTRYCODEUCI, trustlist.HashSignature: v.SIGNATURE,
		} {
			if hex.EncodeToString(got[typ]) != want.Hex || base64.StdEncoding.EncodeToString(got[typ]) != want.B64 {
				t.Errorf("%s %s: got %x, vector %s (%s)", v.File, typ, got[typ], want.Hex, want.B64)
			}
		}
	}
}
