package foreign

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/listimport/etsitl"
	"github.com/accord-network/accord/internal/listimport/etsitl/etsitltest"
	"github.com/accord-network/accord/trustlist"
)

var (
	read  = etsitltest.Read
	roots = etsitltest.Roots
)

// LOTL 248 was issued 2019-09-04 with NextUpdate 2020-03-04; the national
// lists of the fixture set are fresh at this instant too.
var when = time.Date(2019, 9, 10, 0, 0, 0, 0, time.UTC)

func pinned(t *testing.T, glob string) *Held {
	t.Helper()
	h := NewHeld()
	if err := h.PinSource(Pin{Format: etsitl.Format, Roots: roots(t, glob)}); err != nil {
		t.Fatal(err)
	}
	return h
}

func accept(t *testing.T, h *Held, rel string, o Options) *List {
	t.Helper()
	l, warn, err := h.Accept(etsitl.Format, read(t, rel), o)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if warn != "" {
		t.Fatalf("%s: unexpected warning %q", rel, warn)
	}
	return l
}

// The real LOTL 248 is accepted under the Official Journal's 2019 signers,
// and through its pointers the real national lists; their CA/QC and QTST
// services become pdf CA and tsa entries.
func TestLOTLThenNational(t *testing.T) {
	h := pinned(t, "certs/oj-2019/*.pem")
	o := Options{Now: when}
	lotl := accept(t, h, "lotl/eu-lotl-248.xml", o)
	if !lotl.LOTL || lotl.Seq != 248 || lotl.Territory != "EU" {
		t.Fatalf("LOTL derived fields: %+v", lotl)
	}
	uses := map[trustlist.DocType]int{}
	for _, rel := range []string{"tl/IE-tl-sn18.xml", "tl/DK-tl-sn22.xml", "tl/SE-tl-sn32.xml", "tl/FI-tl-sn32.xml"} {
		l := accept(t, h, rel, o)
		if l.LOTL || !strings.Contains(l.Detail, "LOTL names") {
			t.Fatalf("%s: %+v", rel, l.Detail)
		}
		for _, e := range l.Entries() {
			for _, u := range e.Uses {
				uses[u]++
			}
		}
	}
	if uses[trustlist.DocPDF] == 0 || uses[etsitl.UseTSA] == 0 {
		t.Fatalf("mapped uses %v: want pdf CAs and tsa signers", uses)
	}
	if n := len(h.Lists()); n != 5 {
		t.Fatalf("held %d lists, want 5", n)
	}
}

// A national list is refused when no held LOTL names its signer, and a
// LOTL's pointer never makes a national list's signer a LOTL signer.
func TestNationalNeedsLOTL(t *testing.T) {
	h := pinned(t, "certs/oj-2019/*.pem")
	if _, _, err := h.Accept(etsitl.Format, read(t, "tl/IE-tl-sn18.xml"), Options{Now: when}); !errors.Is(err, ErrNoLOTL) {
		t.Fatalf("IE without LOTL: %v", err)
	}
}

// An older sequence number is refused once a newer list is held, and the
// same list again is reported unchanged.
func TestRollback(t *testing.T) {
	h := pinned(t, "certs/oj-2019/*.pem")
	o := Options{Now: when}
	accept(t, h, "lotl/eu-lotl-248.xml", o)
	if _, _, err := h.Accept(etsitl.Format, read(t, "lotl/eu-lotl-247-pivot.xml"), o); !errors.Is(err, ErrRollback) {
		t.Fatalf("LOTL 247 after 248: %v", err)
	}
	if _, _, err := h.Accept(etsitl.Format, read(t, "lotl/eu-lotl-248.xml"), o); !errors.Is(err, ErrUnchanged) {
		t.Fatalf("LOTL 248 again: %v", err)
	}
	// 247 then 248 is the forward direction.
	h2 := pinned(t, "certs/oj-2019/*.pem")
	accept(t, h2, "lotl/eu-lotl-247-pivot.xml", Options{Now: time.Date(2019, 8, 20, 0, 0, 0, 0, time.UTC)})
	accept(t, h2, "lotl/eu-lotl-248.xml", o)
}

// Broken, unsigned and validly-signed-by-an-unnamed-signer lists are refused.
func TestNegative(t *testing.T) {
	o := Options{Now: when}
	for _, rel := range []string{"negative/eu-lotl-248-broken-sig.xml", "negative/eu-lotl-no-sig.xml"} {
		h := pinned(t, "certs/oj-2019/*.pem")
		if _, _, err := h.Accept(etsitl.Format, read(t, rel), o); !errors.Is(err, ErrUntrusted) {
			t.Errorf("%s: %v", rel, err)
		}
		if len(h.Lists()) != 0 {
			t.Errorf("%s: refused list held", rel)
		}
	}
	h := pinned(t, "certs/oj-2019/*.pem")
	accept(t, h, "lotl/eu-lotl-248.xml", o)
	// Its seq 49 is above FI's 32: only the signature check stops it.
	if _, _, err := h.Accept(etsitl.Format, read(t, "test-made/FI-tl-v6-test-resigned.xml"), Options{Now: time.Date(2024, 11, 20, 0, 0, 0, 0, time.UTC), Offline: true}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("test-made FI v6: %v", err)
	}
	// LOTL 341 is signed by a key outside the 2019 OJ set.
	if _, _, err := h.Accept(etsitl.Format, read(t, "lotl/eu-lotl-341-pivot.xml"), Options{Now: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("LOTL 341 under the 2019 pin: %v", err)
	}
	// Under the 341 signers it is accepted.
	h341 := pinned(t, "certs/lotl-341-eu-pointer/*.pem")
	accept(t, h341, "lotl/eu-lotl-341-pivot.xml", Options{Now: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)})
}

// A list past its NextUpdate is refused online and accepted with a warning
// offline.
func TestFreshness(t *testing.T) {
	late := time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)
	h := pinned(t, "certs/oj-2019/*.pem")
	if _, _, err := h.Accept(etsitl.Format, read(t, "lotl/eu-lotl-248.xml"), Options{Now: late}); !errors.Is(err, ErrStale) {
		t.Fatalf("stale online: %v", err)
	}
	l, warn, err := h.Accept(etsitl.Format, read(t, "lotl/eu-lotl-248.xml"), Options{Now: late, Offline: true})
	if err != nil || l == nil || !strings.Contains(warn, "stale") {
		t.Fatalf("stale offline: %v %q", err, warn)
	}
}

// Only the formats with a signed date or sequence are supported (not gdhcn,
// not the unsigned dcc-keys), and only once pinned.
func TestPinRequired(t *testing.T) {
	h := NewHeld()
	if _, _, err := h.Accept(etsitl.Format, read(t, "lotl/eu-lotl-248.xml"), Options{Now: when}); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("unpinned: %v", err)
	}
	for _, f := range []string{"gdhcn", "dcc-keys"} {
		if err := h.PinSource(Pin{Format: f, Roots: roots(t, "certs/oj-2019/*.pem")}); !errors.Is(err, ErrFormat) {
			t.Fatalf("%s pin: %v", f, err)
		}
	}
	if err := h.PinSource(Pin{Format: etsitl.Format}); err == nil {
		t.Fatal("pin without roots accepted")
	}
}

func FuzzAccept(f *testing.F) {
	etsitltest.AddSeeds(f, "lotl/eu-lotl-248.xml", "tl/IE-tl-sn18.xml", "negative/eu-lotl-no-sig.xml")
	f.Add([]byte("<TrustServiceStatusList/>"))
	oj := roots(f, "certs/oj-2019/*.pem")
	f.Fuzz(func(t *testing.T, b []byte) {
		h := NewHeld()
		if err := h.PinSource(Pin{Format: etsitl.Format, Roots: oj}); err != nil {
			t.Fatal(err)
		}
		l, _, err := h.Accept(etsitl.Format, b, Options{Now: when, Offline: true})
		if (err == nil) != (l != nil) {
			t.Fatalf("err %v with list %v", err, l != nil)
		}
	})
}

// heldLOTLAndIE holds the real LOTL 248 and, through it, the IE list.
func heldLOTLAndIE(t *testing.T) (*Held, *List) {
	t.Helper()
	h := pinned(t, "certs/oj-2019/*.pem")
	accept(t, h, "lotl/eu-lotl-248.xml", Options{Now: when})
	return h, accept(t, h, "tl/IE-tl-sn18.xml", Options{Now: when})
}

// savedLOTLAndIE saves heldLOTLAndIE's pin and lists to a new folder.
func savedLOTLAndIE(t *testing.T) string {
	t.Helper()
	h, _ := heldLOTLAndIE(t)
	d := t.TempDir()
	if err := h.Save(d); err != nil {
		t.Fatal(err)
	}
	return d
}

// Saved pins and lists reopen with the same lists held, so a rollback is
// still refused after a restart.
func TestSaveReopen(t *testing.T) {
	o := Options{Now: when}
	d := savedLOTLAndIE(t)
	h2, warns, err := Load(d, o)
	if err != nil || len(warns) != 0 {
		t.Fatalf("load: %v %v", err, warns)
	}
	got := h2.Lists()
	if len(got) != 2 || got[0].Territory != "EU" || got[0].Seq != 248 || got[1].Territory != "IE" {
		t.Fatalf("reopened lists: %d", len(got))
	}
	if _, _, err := h2.Accept(etsitl.Format, read(t, "lotl/eu-lotl-247-pivot.xml"), o); !errors.Is(err, ErrRollback) {
		t.Fatalf("rollback after reopen: %v", err)
	}
	// A list altered on disk is refused on reopen, not held.
	if err := os.WriteFile(filepath.Join(d, "etsi-tl_EU_lotl.xml"), read(t, "negative/eu-lotl-248-broken-sig.xml"), 0o644); err != nil {
		t.Fatal(err)
	}
	h3, _, err := Load(d, o)
	if !errors.Is(err, ErrUntrusted) || len(h3.Lists()) != 0 {
		t.Fatalf("tampered reopen: %v, %d held", err, len(h3.Lists()))
	}
}

// Installed national lists answer Set.Find by thumbprint and kid with their
// territory as country and their seq and NextUpdate; the LOTL adds nothing.
func TestInstallFind(t *testing.T) {
	h, ie := heldLOTLAndIE(t)
	es := ie.Entries()
	if len(es) == 0 {
		t.Fatal("IE list mapped no entries")
	}
	s := trustlist.NewSet(trustlist.Policy{})
	if got := s.Find(trustlist.Query{Thumbprint: es[0].Thumbprint}); len(got) != 0 {
		t.Fatalf("found %d before install", len(got))
	}
	h.Install(s)
	got := s.Find(trustlist.Query{Thumbprint: es[0].Thumbprint, Use: es[0].Uses[0]})
	if len(got) != 1 || got[0].Country != "IE" || got[0].Seq != 18 || !got[0].NextUpdate.Equal(ie.NextUpdate) {
		t.Fatalf("find by thumbprint: %+v", got)
	}
	if got := s.Find(trustlist.Query{KID: es[0].KID}); len(got) != 1 {
		t.Fatalf("find by kid: %d", len(got))
	}
	if got := s.Find(trustlist.Query{Country: "IE"}); len(got) != len(es) {
		t.Fatalf("find by country: %d, want %d", len(got), len(es))
	}
	if got := s.Find(trustlist.Query{Country: "EU"}); len(got) != 0 {
		t.Fatalf("LOTL installed entries: %d", len(got))
	}
	s.SetForeign(ie.Key(), nil)
	if got := s.Find(trustlist.Query{Country: "IE"}); len(got) != 0 {
		t.Fatalf("after removal: %d", len(got))
	}
}

// A list refused on reload is dropped from the folder by the next Save.
func TestSaveDropsRefused(t *testing.T) {
	o := Options{Now: when}
	d := savedLOTLAndIE(t)
	if err := os.Remove(filepath.Join(d, "etsi-tl_EU_lotl.xml")); err != nil {
		t.Fatal(err)
	}
	h2, _, err := Load(d, o)
	if !errors.Is(err, ErrNoLOTL) || h2 == nil || len(h2.Lists()) != 0 {
		t.Fatalf("reload without LOTL: %v", err)
	}
	if err := h2.Save(d); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "etsi-tl_IE.xml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refused IE list still saved: %v", err)
	}
}

// A Held keeps at most MaxLists lists: a list for a new slot is refused
// once it is full, while a newer list for a held slot still replaces it.
func TestMaxLists(t *testing.T) {
	h := pinned(t, "certs/oj-2019/*.pem")
	o := Options{Now: time.Date(2019, 8, 20, 0, 0, 0, 0, time.UTC)}
	accept(t, h, "lotl/eu-lotl-247-pivot.xml", o)
	for i := 1; len(h.lists) < MaxLists; i++ {
		h.lists[fmt.Sprintf("filler-%d", i)] = &List{}
	}
	if _, _, err := h.Accept(etsitl.Format, read(t, "tl/IE-tl-sn18.xml"), Options{Now: when}); !errors.Is(err, ErrMaxTerritory) {
		t.Fatalf("list for a new slot in a full Held: %v", err)
	}
	accept(t, h, "lotl/eu-lotl-248.xml", Options{Now: when})
	if n := len(h.lists); n != MaxLists {
		t.Fatalf("held %d lists, want %d", n, MaxLists)
	}
}
