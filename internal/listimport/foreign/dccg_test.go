package foreign

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/formats/hcert"
	"github.com/accord-network/accord/internal/listimport/dccg"
	"github.com/accord-network/accord/internal/listimport/icaoml"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// gatewayItems returns the real DE-mirrored gateway list's items.
func gatewayItems(t testing.TB) []map[string]any {
	var doc struct{ Certificates []map[string]any }
	if err := json.Unmarshal(fixtures.ReadShared(t, "dcc-trustlists", "trustlist_de.json"), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Certificates
}

func gatewayList(t testing.TB, items []map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"certificates": items})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uploadCert returns the upload certificate that signed country's first
// item in the real list, and that item's signing time: what an operator
// pins from the gateway's published upload certificates.
func uploadCert(t testing.TB, items []map[string]any, country string) *pki.Certificate {
	for _, it := range items {
		if it["country"] != country {
			continue
		}
		raw, _ := base64.StdEncoding.DecodeString(it["signature"].(string))
		sd, err := pki.ParseSignedData(raw)
		if err != nil || len(sd.Certificates) == 0 {
			continue
		}
		c, err := pki.Parse(sd.Certificates[0])
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Fatalf("no %s item with an upload certificate", country)
	return nil
}

// signingTime is the signingTime of an item's upload signature.
func signingTime(t testing.TB, it map[string]any) time.Time {
	raw, _ := base64.StdEncoding.DecodeString(it["signature"].(string))
	sd, err := pki.ParseSignedData(raw)
	if err != nil {
		return time.Time{}
	}
	st, _ := sd.SignerInfos[0].SigningTime()
	return st
}

// The real gateway list under a pin of Spain's upload certificate: only the
// items that certificate signed are entries, each for ES, dated by the
// newest signingTime they sign; a real Spanish DCC verifies against it with
// the list named as its source. An older list (the same list without its
// newest Spanish items) is then a rollback; a list whose Spanish signatures
// are broken is refused; an envelope that lies about the seq is refused.
func TestGatewayListPinned(t *testing.T) {
	items := gatewayItems(t)
	es := uploadCert(t, items, "ES")
	h := NewHeld()
	if err := h.PinSource(Pin{Format: dccg.Format, Roots: []*pki.Certificate{es}}); err != nil {
		t.Fatal(err)
	}
	var newest time.Time
	for _, it := range items {
		if st := signingTime(t, it); it["country"] == "ES" && st.After(newest) {
			newest = st
		}
	}
	o := Options{Now: newest.Add(24 * time.Hour)}
	full := gatewayList(t, items)

	// An older list: without the newest Spanish items.
	var older []map[string]any
	for _, it := range items {
		if !(it["country"] == "ES" && signingTime(t, it).Equal(newest)) {
			older = append(older, it)
		}
	}
	olderRaw := gatewayList(t, older)
	lo, _, err := NewHeld().withPin(t, es).Accept(dccg.Format, olderRaw, o)
	if err != nil {
		t.Fatal(err)
	}

	l, warn, err := h.Accept(dccg.Format, full, o)
	if err != nil || warn != "" {
		t.Fatalf("accept: %v %q", err, warn)
	}
	if l.Territory != "EU" || l.Seq != uint64(newest.Unix()) || !strings.Contains(l.Name, "EU DCC gateway trust list of "+newest.UTC().Format("2006-01-02")) {
		t.Fatalf("list: %s seq %d %q", l.Territory, l.Seq, l.Name)
	}
	entries := l.Entries()
	for _, e := range entries {
		if e.Country != "ES" || e.Source == nil || e.Source.Signature != trustlist.SourceVerified {
			t.Fatalf("entry %s: country %q source %+v", e.Name, e.Country, e.Source)
		}
	}
	t.Logf("%s: %d ES entries of %d items; %s; older list seq %d", l.Name, len(entries), len(l.Items), l.Detail, lo.Seq)
	if len(entries) == 0 || lo.Seq >= l.Seq {
		t.Fatalf("%d entries; older seq %d, full %d", len(entries), lo.Seq, l.Seq)
	}

	// Rollback, by file and by envelope (refused before verifying).
	if _, _, err := h.Accept(dccg.Format, olderRaw, o); !errors.Is(err, ErrRollback) {
		t.Fatalf("older list: %v", err)
	}
	oldObj, _ := lo.Object()
	if _, _, err := h.AcceptObject(oldObj, o); !errors.Is(err, ErrRollback) {
		t.Fatalf("older envelope: %v", err)
	}
	obj, _ := l.Object()
	if _, _, err := h.AcceptObject(obj, o); !errors.Is(err, ErrUnchanged) {
		t.Fatalf("same envelope: %v", err)
	}
	// An envelope claiming a newer seq than its file.
	h2 := NewHeld().withPin(t, es)
	lying, _ := trustlist.NewForeignObject(trustlist.ForeignObject{Format: dccg.Format, Territory: "EU", Seq: l.Seq + 1,
		IssuedAt: l.Issued, NextUpdate: l.NextUpdate, Data: full})
	if _, _, err := h2.AcceptObject(lying, o); !errors.Is(err, ErrEnvelope) || !errors.Is(err, trustlist.ErrMalformed) {
		t.Fatalf("lying envelope: %v", err)
	}
	if _, _, err := h2.AcceptObject(obj, o); err != nil {
		t.Fatalf("true envelope after a lying one: %v", err)
	}

	// Forged: every Spanish upload signature altered.
	var forged []map[string]any
	for _, it := range items {
		c := map[string]any{}
		for k, v := range it {
			c[k] = v
		}
		if it["country"] == "ES" {
			sig, _ := base64.StdEncoding.DecodeString(it["signature"].(string))
			sig[len(sig)-8] ^= 0xff
			c["signature"] = base64.StdEncoding.EncodeToString(sig)
		}
		forged = append(forged, c)
	}
	if _, _, err := NewHeld().withPin(t, es).Accept(dccg.Format, gatewayList(t, forged), o); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("forged: %v", err)
	}

	// A real Spanish DCC verifies against the installed list.
	set := trustlist.NewSet(trustlist.DefaultPolicy())
	h.Install(set)
	var tc struct {
		PREFIX  string
		TESTCTX struct{ VALIDATIONCLOCK time.Time }
	}
	if err := json.Unmarshal(fixtures.ReadShared(t, "dcc-testdata", "ES/2DCode/raw/203.json"), &tc); err != nil {
		t.Fatal(err)
	}
	r, err := hcert.Format{}.Verify(context.Background(), []byte(tc.PREFIX), &verify.Env{Trust: set, At: tc.TESTCTX.VALIDATIONCLOCK})
	if err != nil {
		t.Fatal(err)
	}
	sig, iss := r.Check(verify.CheckSignature), r.Check(verify.CheckIssuerTrusted)
	if sig == nil || sig.Status != verify.Pass || !strings.Contains(sig.Detail, "relayed from the EU DCC gateway trust list of") ||
		iss == nil || iss.Status != verify.Pass || !strings.Contains(iss.Detail, "for ES by EU") {
		t.Fatalf("signature %+v; issuer %+v", sig, iss)
	}
	t.Logf("%s\n%s", sig.Detail, iss.Detail)
}

func (h *Held) withPin(t testing.TB, roots ...*pki.Certificate) *Held {
	if err := h.PinSource(Pin{Format: dccg.Format, Roots: roots}); err != nil {
		t.Fatal(err)
	}
	return h
}

// ICAO master lists under a pin of the ICAO CSCA: the 2022 list is
// accepted, dated by its signingTime, in the slot of its signer's country;
// the 2021 list is then a rollback. Without the right CSCA the list is
// refused.
func TestMasterListPinned(t *testing.T) {
	csca, err := pki.Parse(fixtures.ReadShared(t, "icao-masterlist", "icao-ml-tools/ICAO-csca.der"))
	if err != nil {
		t.Fatal(err)
	}
	h := NewHeld()
	if err := h.PinSource(Pin{Format: icaoml.Format, Roots: []*pki.Certificate{csca}}); err != nil {
		t.Fatal(err)
	}
	jun := fixtures.ReadShared(t, "icao-masterlist", "ddcc-validator/ICAOMLJune2022.ml")
	jan := fixtures.ReadShared(t, "icao-masterlist", "icao-ml-tools/ICAO_ML_Jan2021.ml")
	o := Options{Now: time.Date(2022, 7, 1, 0, 0, 0, 0, time.UTC)}
	l, _, err := h.Accept(icaoml.Format, jun, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: slot %s, %d CSCAs; %s", l.Name, l.Key(), len(l.Entries()), l.Detail)
	if l.Key() != "icao-ml/UN" || len(l.Entries()) == 0 {
		t.Fatalf("slot %s, %d entries", l.Key(), len(l.Entries()))
	}
	if _, _, err := h.Accept(icaoml.Format, jan, o); !errors.Is(err, ErrRollback) {
		t.Fatalf("older master list: %v", err)
	}
	de := fixtures.ReadShared(t, "icao-masterlist", "icao-ml-tools/20210315_DEMasterList.ml")
	if _, _, err := h.Accept(icaoml.Format, de, o); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("DE master list under the ICAO pin: %v", err)
	}
}
