package p2p

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/internal/listimport/dccg"
	"github.com/accord-network/accord/internal/listimport/foreign"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// gatewayFixture is the real EU DCC gateway list (as DE republishes it) cut
// into real, genuinely signed lists of different dates: each item keeps its
// uploader's signature, and a list's date is its newest signed signingTime.
type gatewayFixture struct {
	items  []map[string]any
	es     *pki.Certificate // Spain's upload certificate, the pinned root
	newest time.Time        // the newest signingTime of a Spanish item
}

func loadGateway(t *testing.T) *gatewayFixture {
	t.Helper()
	g := &gatewayFixture{}
	var doc struct{ Certificates []map[string]any }
	if err := json.Unmarshal(fixtures.ReadShared(t, "dcc-trustlists", "trustlist_de.json"), &doc); err != nil {
		t.Fatal(err)
	}
	g.items = doc.Certificates
	for _, it := range g.items {
		if it["country"] != "ES" {
			continue
		}
		sd := g.signedData(t, it)
		if g.es == nil && len(sd.Certificates) > 0 {
			c, err := pki.Parse(sd.Certificates[0])
			if err != nil {
				t.Fatal(err)
			}
			g.es = c
		}
		if st, _ := sd.SignerInfos[0].SigningTime(); st.After(g.newest) {
			g.newest = st
		}
	}
	if g.es == nil || g.newest.IsZero() {
		t.Fatal("no dated Spanish item with its upload certificate in the gateway list")
	}
	return g
}

func (g *gatewayFixture) signedData(t *testing.T, it map[string]any) *pki.SignedData {
	raw, _ := base64.StdEncoding.DecodeString(it["signature"].(string))
	sd, err := pki.ParseSignedData(raw)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// list returns the gateway list without the items drop names.
func (g *gatewayFixture) list(t *testing.T, drop func(map[string]any) bool) []byte {
	var keep []map[string]any
	for _, it := range g.items {
		if drop == nil || !drop(it) {
			keep = append(keep, it)
		}
	}
	b, err := json.Marshal(map[string]any{"certificates": keep})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newestES marks the Spanish items signed at the newest time.
func (g *gatewayFixture) newestES(t *testing.T) func(map[string]any) bool {
	return func(it map[string]any) bool {
		if it["country"] != "ES" {
			return false
		}
		st, _ := g.signedData(t, it).SignerInfos[0].SigningTime()
		return st.Equal(g.newest)
	}
}

func foreignHeld(n *Node, slot string) *foreign.List {
	for _, l := range n.ForeignLists() {
		if l.Key() == slot {
			return l
		}
	}
	return nil
}

// A foreign list travels between real libp2p nodes on loopback. Node A pins
// Spain's upload certificate for the EU DCC gateway list and imports a real
// list; node B pinned the same root (on disk, as `accord trust pin-source`
// does, read at start) and receives it by gossip. B goes offline, A takes a
// newer list; B restarts with the older list loaded from its data directory
// and gets the newer one by sync on reconnecting. B then refuses an older
// list (ignored: rollback), a list whose Spanish signatures are forged
// (ignored: not trusted under its pin), and an envelope that lies about its
// file (rejected), and still verifies a real Spanish DCC with the gateway
// list named as its source.
func TestForeignListGossipAndSync(t *testing.T) {
	g := loadGateway(t)
	now := g.newest.Add(24 * time.Hour)
	clock := func() time.Time { return now }
	older := g.list(t, g.newestES(t)) // a real list of an earlier date
	full := g.list(t, nil)
	oldest := g.list(t, func(it map[string]any) bool { // earlier still: other bytes, same or older date
		return g.newestES(t)(it) || it["country"] == "AT"
	})
	pin := foreign.Pin{Format: dccg.Format, Roots: []*pki.Certificate{g.es}}

	cfgA, cfgB := testConfig(t.TempDir()), testConfig(t.TempDir())
	cfgA.Now, cfgB.Now = clock, clock
	hb := foreign.NewHeld()
	if err := hb.PinSource(pin); err != nil {
		t.Fatal(err)
	}
	if err := hb.Save(ForeignDir(cfgB.DataDir)); err != nil {
		t.Fatal(err)
	}
	a := startNode(t, cfgA)
	if err := a.PinSource(pin); err != nil {
		t.Fatal(err)
	}
	b := startNode(t, cfgB)
	link(t, b, a)
	waitMesh(t, a, b)

	ctx := context.Background()
	start := time.Now()
	l1, err := a.ImportForeignFile(ctx, dccg.Format, older)
	if err != nil {
		t.Fatal(err)
	}
	slot := l1.Key()
	waitFor(t, 30*time.Second, "B to receive the gateway list by gossip", func() bool {
		l := foreignHeld(b, slot)
		return l != nil && l.Seq == l1.Seq
	})
	t.Logf("gossip: B holds %s, %s after A's import began (A's and B's verification included)", foreignHeld(b, slot).Name, time.Since(start).Round(time.Millisecond))

	// B offline; A takes the newer list.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := a.ImportForeignFile(ctx, dccg.Format, full)
	if err != nil {
		t.Fatal(err)
	}
	if l2.Seq <= l1.Seq {
		t.Fatalf("newer list seq %d, older %d", l2.Seq, l1.Seq)
	}
	b = startNode(t, cfgB)
	if l := foreignHeld(b, slot); l == nil || l.Seq != l1.Seq {
		t.Fatalf("B restarted without its saved foreign list: %v", l)
	}
	start = time.Now()
	link(t, b, a)
	waitFor(t, 30*time.Second, "B to catch up by sync", func() bool {
		l := foreignHeld(b, slot)
		return l != nil && l.Seq == l2.Seq
	})
	t.Logf("sync: B holds %s, %s after reconnecting", foreignHeld(b, slot).Name, time.Since(start).Round(time.Millisecond))
	waitMesh(t, a, b)

	// An older list, published by A as a misbehaving relay would.
	oldObj, err := trustlist.NewForeignObject(trustlist.ForeignObject{Format: dccg.Format, Territory: "EU", Seq: l1.Seq,
		IssuedAt: l1.Issued, NextUpdate: l1.NextUpdate, Data: oldest})
	if err != nil {
		t.Fatal(err)
	}
	ignoredBefore := countedReason(t, b, TopicForeign, "ignore", "rollback")
	if err := a.publish(ctx, trustlist.KindForeign, oldObj.Raw()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "B to refuse the rolled-back list", func() bool {
		return countedReason(t, b, TopicForeign, "ignore", "rollback") > ignoredBefore
	})

	// Forged: every Spanish upload signature altered, under an envelope
	// claiming a newer date (so the cheap checks let it through to verification).
	var forgedItems []map[string]any
	for _, it := range g.items {
		c := map[string]any{}
		for k, v := range it {
			c[k] = v
		}
		if it["country"] == "ES" {
			sig, _ := base64.StdEncoding.DecodeString(it["signature"].(string))
			sig[len(sig)-8] ^= 0xff
			c["signature"] = base64.StdEncoding.EncodeToString(sig)
		}
		forgedItems = append(forgedItems, c)
	}
	forged, _ := json.Marshal(map[string]any{"certificates": forgedItems})
	forgedObj, err := trustlist.NewForeignObject(trustlist.ForeignObject{Format: dccg.Format, Territory: "EU", Seq: l2.Seq + 60,
		IssuedAt: l2.Issued.Add(time.Minute), NextUpdate: l2.NextUpdate.Add(time.Minute), Data: forged})
	if err != nil {
		t.Fatal(err)
	}
	untrustedBefore := countedReason(t, b, TopicForeign, "ignore", "untrusted")
	if err := a.publish(ctx, trustlist.KindForeign, forgedObj.Raw()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "B to refuse the forged list", func() bool {
		return countedReason(t, b, TopicForeign, "ignore", "untrusted") > untrustedBefore
	})

	// An envelope that lies: a real list B does not hold (the newest, less
	// Austria's items: same date), claiming a later seq than its file says.
	lying, err := trustlist.NewForeignObject(trustlist.ForeignObject{Format: dccg.Format, Territory: "EU", Seq: l2.Seq + 1,
		IssuedAt: l2.Issued, NextUpdate: l2.NextUpdate, Data: g.list(t, func(it map[string]any) bool { return it["country"] == "AT" })})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.publish(ctx, trustlist.KindForeign, lying.Raw()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "B to reject the lying envelope", func() bool {
		return countedReason(t, b, TopicForeign, "reject", "malformed") > 0
	})
	if l := foreignHeld(b, slot); l == nil || l.Seq != l2.Seq {
		t.Fatalf("B no longer holds the newest list: %v", l)
	}

	// B verifies a real Spanish DCC against the list, at its validation time.
	var tc struct {
		PREFIX  string
		TESTCTX struct{ VALIDATIONCLOCK time.Time }
	}
	if err := json.Unmarshal(fixtures.ReadShared(t, "dcc-testdata", "ES/2DCode/raw/203.json"), &tc); err != nil {
		t.Fatal(err)
	}
	r, err := b.Verify(ctx, []byte(tc.PREFIX), verify.Options{At: tc.TESTCTX.VALIDATIONCLOCK})
	if err != nil {
		t.Fatal(err)
	}
	sig := r.Check(verify.CheckSignature)
	if !r.Valid || sig == nil || !strings.Contains(sig.Detail, "relayed from the EU DCC gateway trust list of "+g.newest.UTC().Format("2006-01-02")) {
		t.Fatalf("valid %v; signature %+v; checks %+v", r.Valid, sig, r.Checks)
	}
	t.Logf("B verifies ES/203: %s", sig.Detail)
}

// ETSI trusted lists between nodes: A pins the Official Journal's 2019 LOTL
// signers and imports the real LOTL 248 and Ireland's list; C, pinned alike
// and connected only to B, receives both through B's relay (gossip, or a
// sync with B when the national list arrives before the LOTL that names its
// signer); D, connecting afterwards, fetches both by sync — the LOTL first.
// The Irish services are found with Ireland as their country.
func TestForeignETSIBySync(t *testing.T) {
	oj := ojRoots(t)
	when := time.Date(2019, 9, 10, 0, 0, 0, 0, time.UTC)
	pin := foreign.Pin{Format: "etsi-tl", Roots: oj}
	var nodes []*Node
	for range 4 {
		cfg := testConfig(t.TempDir())
		cfg.Now = func() time.Time { return when }
		n := startNode(t, cfg)
		if err := n.PinSource(pin); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	a, b, c, d := nodes[0], nodes[1], nodes[2], nodes[3]
	link(t, b, a)
	link(t, c, b)
	waitMesh(t, a, b, c)
	ctx := context.Background()
	if _, err := a.ImportForeignFile(ctx, "etsi-tl", fixtures.ReadShared(t, "etsi-tl", "lotl/eu-lotl-248.xml")); err != nil {
		t.Fatal(err)
	}
	// The national list through the operator API of the running node.
	ieRaw := fixtures.ReadShared(t, "etsi-tl", "tl/IE-tl-sn18.xml")
	post := func(token, format string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "http://127.0.0.1/v1/foreign?format="+format, bytes.NewReader(ieRaw))
		req.Header.Set("Content-Type", "application/xml")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		return rec
	}
	if rec := post("", "etsi-tl"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("without the operator token: %d %s", rec.Code, rec.Body)
	}
	if rec := post(a.opToken, "gdhcn"); rec.Code != http.StatusBadRequest {
		t.Fatalf("gdhcn: %d %s", rec.Code, rec.Body)
	}
	rec := post(a.opToken, "etsi-tl")
	var info ForeignInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil || rec.Code != http.StatusAccepted || info.Territory != "IE" || info.Seq != 18 {
		t.Fatalf("POST /v1/foreign: %d %s", rec.Code, rec.Body)
	}
	if rec := post(a.opToken, "etsi-tl"); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "already held") {
		t.Fatalf("the same list again: %d %s", rec.Code, rec.Body)
	}
	ie := foreignHeld(a, info.Slot)
	holdsBoth := func(n *Node) bool {
		return foreignHeld(n, "etsi-tl/EU/lotl") != nil && foreignHeld(n, ie.Key()) != nil
	}
	waitFor(t, 30*time.Second, "C to receive the LOTL and the IE list through B", func() bool { return holdsBoth(c) })
	link(t, d, c)
	waitFor(t, 30*time.Second, "D to sync the LOTL and the IE list", func() bool { return holdsBoth(d) })
	es := ie.Entries()
	if len(es) == 0 {
		t.Fatal("IE list mapped no entries")
	}
	rec = httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/v1/foreign", nil))
	var infos []ForeignInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &infos); err != nil || rec.Code != 200 || len(infos) != 2 ||
		infos[0].Slot != "etsi-tl/EU/lotl" || infos[1].Territory != "IE" || infos[1].Entries != len(es) || !infos[1].Fresh {
		t.Fatalf("GET /v1/foreign: %d %s", rec.Code, rec.Body)
	}
	got := d.Set().Find(trustlist.Query{Thumbprint: es[0].Thumbprint, Use: es[0].Uses[0]})
	if len(got) != 1 || got[0].Country != "IE" || got[0].Seq != 18 {
		t.Fatalf("D finds %+v", got)
	}
}

func ojRoots(t *testing.T) []*pki.Certificate {
	var out []*pki.Certificate
	for i := 1; i <= 8; i++ {
		b := fixtures.ReadShared(t, "etsi-tl", fmt.Sprintf("certs/oj-2019/ec.europa.eu.%d.pem", i))
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("OJ signer %d: not PEM", i)
		}
		c, err := pki.Parse(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// A peer whose foreign lists keep failing verification under this node's
// pin is not verified for again for a while (each refusal verified a whole
// list, and costs the sender no score); other peers are unaffected.
func TestForeignRefusalBudget(t *testing.T) {
	cfg := testConfig(t.TempDir())
	n := startNode(t, cfg)
	if err := n.PinSource(foreign.Pin{Format: "etsi-tl", Roots: ojRoots(t)}); err != nil {
		t.Fatal(err)
	}
	obj, err := trustlist.NewForeignObject(trustlist.ForeignObject{Format: "etsi-tl", Territory: "EU", LOTL: true, Seq: 248,
		IssuedAt: time.Unix(1, 0), Data: fixtures.ReadShared(t, "etsi-tl", "negative/eu-lotl-248-broken-sig.xml")})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < maxForeignRefusals; i++ {
		if _, err := n.importForeign(obj.Raw(), "peer-a"); err == nil || errors.Is(err, errRefusalBudget) {
			t.Fatalf("refusal %d: %v", i+1, err)
		}
	}
	if _, err := n.importForeign(obj.Raw(), "peer-a"); !errors.Is(err, errRefusalBudget) {
		t.Fatalf("after %d refusals: %v", maxForeignRefusals, err)
	}
	if res, why := foreignVerdict(errRefusalBudget); res != pubsub.ValidationIgnore || why != "refusal_budget" {
		t.Fatalf("verdict %v %s", res, why)
	}
	if _, err := n.importForeign(obj.Raw(), "peer-b"); err == nil || errors.Is(err, errRefusalBudget) {
		t.Fatalf("another peer: %v", err)
	}
}
