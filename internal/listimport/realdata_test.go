package listimport_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"

	"github.com/accord-network/accord/formats/hcert"
	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/listimport/dccg"
	"github.com/accord-network/accord/internal/listimport/dcckeys"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	sub, rest, _ := strings.Cut(rel, "/")
	return fixtures.ReadShared(t, sub, rest)
}

// The real DCCs of the EU test data whose DSCs are in the real production
// lists: three Spanish cases, in the DE gateway list and in the NL key list.
var realCases = []string{"dcc-testdata/ES/2DCode/raw/201.json", "dcc-testdata/ES/2DCode/raw/202.json", "dcc-testdata/ES/2DCode/raw/203.json"}

// relay lists every imported item as its own country's, as a relay anchor does.
func relay(t *testing.T, src *listimport.Source, anchorCountry string) []*trustlist.Entry {
	var out []*trustlist.Entry
	seen := map[string]bool{}
	for i := range src.Items {
		it := &src.Items[i]
		if it.Refused != nil || seen[string(it.Entry.KID)] {
			continue
		}
		seen[string(it.Entry.KID)] = true
		e := it.Entry
		if it.Country != anchorCountry {
			e.Country = it.Country
		}
		e.Source = src.Provenance(it)
		out = append(out, e)
	}
	return out
}

func verifyCases(t *testing.T, set *trustlist.Set, wantKind trustlist.EntryKind) {
	for _, rel := range realCases {
		var c struct {
			PREFIX  string
			TESTCTX struct{ VALIDATIONCLOCK string }
		}
		if err := json.Unmarshal(readFixture(t, rel), &c); err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339, c.TESTCTX.VALIDATIONCLOCK)
		if err != nil {
			t.Fatal(err)
		}
		r, err := hcert.Format{}.Verify(context.Background(), []byte(c.PREFIX), &verify.Env{Trust: set, At: at})
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		sig := r.Check(verify.CheckSignature)
		if sig == nil || sig.Status != verify.Pass {
			t.Errorf("%s: signature check %+v", rel, sig)
			continue
		}
		if !strings.Contains(sig.Detail, "listed by") || !strings.Contains(sig.Detail, "relayed from") {
			t.Errorf("%s: %s", rel, sig.Detail)
		}
		t.Logf("%s (%s entry): %s", rel, wantKind, sig.Detail)
	}
}

// DE gateway list → relay anchor → signed list → trust set → the real
// Spanish DCCs verify against it.
func TestGatewayListVerifiesRealDCCs(t *testing.T) {
	src, err := dccg.Parse(readFixture(t, "dcc-trustlists/trustlist_de.json"), listimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var refused, intact int
	countries := map[string]bool{}
	for _, it := range src.Items {
		if it.Refused != nil {
			refused++
			t.Logf("refused %s: %v", it.Ref, it.Refused)
			continue
		}
		countries[it.Country] = true
		if strings.HasPrefix(it.SignatureDetail, "upload signature intact") {
			intact++
		} else {
			t.Logf("%s %s: upload signature %s: %s", it.Country, it.Ref, it.Signature, it.SignatureDetail)
		}
	}
	t.Logf("%d items, %d refused, %d countries, %d upload signatures intact (unanchored: no --source-root)", len(src.Items), refused, len(countries), intact)
	if len(src.Items) != 832 || refused != 0 || len(countries) != 77 {
		t.Fatalf("want 832 items from 77 countries, none refused")
	}
	// One real item's SignedData does not carry its upload certificate (so
	// only a --source-root naming it could verify it); all others verify.
	if intact < 831 {
		t.Errorf("%d of 832 upload signatures intact", intact)
	}
	if !countries["XK"] {
		t.Error("Kosovo's DSCs missing")
	}
	a := trustlisttest.NewAnchor(t, "DE")
	a.SignList(t, time.Time{}, 24*time.Hour, relay(t, src, "DE")...)
	verifyCases(t, trustlisttest.Set(t, a), trustlist.EntryX509)
}

// An item's upload signature is anchored by --source-root: the upload
// certificate given as a root makes its country's items verified, and an
// altered signature is reported.
func TestGatewayUploadSignature(t *testing.T) {
	b := readFixture(t, "dcc-trustlists/trustlist_de.json")
	var doc struct{ Certificates []map[string]any }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	first := doc.Certificates[0]
	raw, _ := base64.StdEncoding.DecodeString(first["signature"].(string))
	sd, err := pki.ParseSignedData(raw)
	if err != nil {
		t.Fatal(err)
	}
	upload, err := pki.Parse(sd.Certificates[0])
	if err != nil {
		t.Fatal(err)
	}
	src, err := dccg.Parse(b, listimport.Options{Roots: []*pki.Certificate{upload}})
	if err != nil {
		t.Fatal(err)
	}
	if it := src.Items[0]; it.Signature != trustlist.SourceVerified || it.Signer == "" {
		t.Fatalf("item signed by the root upload certificate: %s (%s)", it.Signature, it.SignatureDetail)
	}
	verified := 0
	for _, it := range src.Items {
		if it.Signature == trustlist.SourceVerified {
			verified++
			if it.Country != first["country"] {
				t.Errorf("%s item verified by %s's upload certificate", it.Country, first["country"])
			}
		}
	}
	t.Logf("%d items verified with the %s upload certificate", verified, first["country"])

	raw[len(raw)-10] ^= 0xff // inside the signature value
	first["signature"] = base64.StdEncoding.EncodeToString(raw)
	first["kid"] = "bogus"
	altered, _ := json.Marshal(doc)
	src, err = dccg.Parse(altered, listimport.Options{Roots: []*pki.Certificate{upload}})
	if err != nil {
		t.Fatal(err)
	}
	if it := src.Items[0]; it.Refused == nil || !strings.Contains(it.Refused.Error(), "kid") {
		t.Fatalf("a wrong kid was not refused: %v", it.Refused)
	}
	first["kid"] = src.Items[1].Ref // still wrong for item 0
	if it := src.Items[1]; it.Refused != nil {
		t.Fatalf("one bad item spoiled the next: %v", it.Refused)
	}
}

// The Netherlands' key-only list → bare-key entries → the same real DCCs
// verify, by kid, against keys without certificates.
func TestKeyListVerifiesRealDCCs(t *testing.T) {
	src, err := dcckeys.Parse(readFixture(t, "dcc-trustlists/trustlist_nl.raw.keys.json"),
		dcckeys.Window{NotBefore: dcckeys.DefaultNotBefore, NotAfter: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, it := range src.Items {
		if it.Refused != nil {
			refused++
			t.Logf("refused %s: %v", it.Ref, it.Refused)
		}
	}
	t.Logf("NL key list: %d keys, %d refused", len(src.Items), refused)
	if len(src.Items) != 806 || refused > 0 {
		t.Errorf("want 806 keys, none refused")
	}
	a := trustlisttest.NewAnchor(t, "NL")
	a.SignList(t, time.Time{}, 24*time.Hour, relay(t, src, "NL")...)
	verifyCases(t, trustlisttest.Set(t, a), trustlist.EntrySPKI)

	ch, err := dcckeys.Parse(readFixture(t, "dcc-trustlists/trustlist_ch.json"), dcckeys.Window{NotBefore: dcckeys.DefaultNotBefore, NotAfter: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	refused = 0
	for _, it := range ch.Items {
		if it.Refused != nil {
			refused++
			t.Logf("CH refused %s: %v", it.Ref, it.Refused)
		}
	}
	t.Logf("CH key list: %d keys, %d refused", len(ch.Items), refused)
	if len(ch.Items) != 684 || refused > len(ch.Items)/20 {
		t.Errorf("CH: %d keys, %d refused", len(ch.Items), refused)
	}
}
