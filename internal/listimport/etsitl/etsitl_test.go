package etsitl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/listimport/etsitl/etsitltest"
	"github.com/accord-network/accord/trustlist"
)

var (
	read  = etsitltest.Read
	roots = etsitltest.Roots
)

// The real LOTL 248 verifies against the Official Journal's 2019 signers;
// through its pointers the real DK, FI, IE and SE lists verify; the
// negative cases do not.
func TestRealLists(t *testing.T) {
	oj := listimport.Options{Roots: roots(t, "certs/oj-2019/*.pem")}
	lotl, err := ParseList(read(t, "lotl/eu-lotl-248.xml"), oj, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !lotl.LOTL || lotl.Source.Signature != trustlist.SourceVerified {
		t.Fatalf("LOTL 248: %s (%s)", lotl.Source.Signature, lotl.Source.SignatureDetail)
	}
	t.Logf("LOTL 248: %s; %d territories", lotl.Source.SignatureDetail, len(lotl.Pointers))
	// What the real lists hold: DK one non-qualified CA (CA/PKC), SE only
	// withdrawn services in 2019, FI seven CA/QC, IE two CA/QC and a QTST.
	want := map[string]string{"tl/DK-tl-sn22.xml": "map[]", "tl/FI-tl-sn32.xml": "map[pdf:7]", "tl/IE-tl-sn18.xml": "map[pdf:2 tsa:1]", "tl/SE-tl-sn32.xml": "map[]"}
	for _, f := range []string{"tl/DK-tl-sn22.xml", "tl/FI-tl-sn32.xml", "tl/IE-tl-sn18.xml", "tl/SE-tl-sn32.xml"} {
		l, err := ParseList(read(t, f), listimport.Options{}, lotl.Pointers)
		if err != nil {
			t.Fatal(err)
		}
		if l.Source.Signature != trustlist.SourceVerified {
			t.Errorf("%s: %s (%s)", f, l.Source.Signature, l.Source.SignatureDetail)
		}
		var imported, refused int
		uses := map[trustlist.DocType]int{}
		for _, it := range l.Source.Items {
			if it.Refused != nil {
				refused++
				t.Logf("  refused %s: %v", it.Ref, it.Refused)
				continue
			}
			imported++
			uses[it.Entry.Uses[0]]++
		}
		t.Logf("%s: %d services imported %v, %d refused", f, imported, uses, refused)
		if got := fmt.Sprint(uses); got != want[f] {
			t.Errorf("%s: imported %s, want %s", f, got, want[f])
		}
	}
	// Without the LOTL, a national list's signer is unknown.
	l, err := ParseList(read(t, "tl/IE-tl-sn18.xml"), listimport.Options{}, nil)
	if err != nil || l.Source.Signature != trustlist.SourceUnverified {
		t.Errorf("IE without LOTL: %v %s", err, l.Source.Signature)
	}
	// The pivot LOTL 341 against the signers LOTL 341 declares.
	l, err = ParseList(read(t, "lotl/eu-lotl-341-pivot.xml"), listimport.Options{Roots: roots(t, "certs/lotl-341-eu-pointer/*.pem")}, nil)
	if err != nil || l.Source.Signature != trustlist.SourceVerified {
		t.Errorf("LOTL 341: %v %s %s", err, l.Source.Signature, l.Source.SignatureDetail)
	}
	// Negative cases.
	for f, want := range map[string]string{
		"negative/eu-lotl-248-broken-sig.xml": trustlist.SourceUnverified,
		"negative/eu-lotl-no-sig.xml":         trustlist.SourceUnsigned,
	} {
		l, err := ParseList(read(t, f), oj, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l.Source.Signature != want || len(l.Pointers) != 0 {
			t.Errorf("%s: %s (%s), %d pointers", f, l.Source.Signature, l.Source.SignatureDetail, len(l.Pointers))
		}
		t.Logf("%s: %s: %s", f, l.Source.Signature, l.Source.SignatureDetail)
	}
	fi, err := ParseList(read(t, "test-made/FI-tl-v6-test-resigned.xml"), listimport.Options{}, lotl.Pointers)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Source.Signature != trustlist.SourceUnverified || !strings.Contains(fi.Source.SignatureDetail, "intact") {
		t.Errorf("FI re-signed by a signer no LOTL names: %s (%s)", fi.Source.Signature, fi.Source.SignatureDetail)
	}
	t.Logf("FI v6 re-signed: %s", fi.Source.SignatureDetail)
}

func FuzzParse(f *testing.F) {
	etsitltest.AddSeeds(f, "tl/DK-tl-sn22.xml", "negative/eu-lotl-no-sig.xml")
	f.Add([]byte(`<TrustServiceStatusList><SchemeInformation><SchemeTerritory>EU</SchemeTerritory></SchemeInformation></TrustServiceStatusList>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseList(b, listimport.Options{}, nil)
	})
}
