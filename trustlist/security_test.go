package trustlist_test

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

func newKeys(t testing.TB, n int) []*trustlist.PrivateKey {
	t.Helper()
	var out []*trustlist.PrivateKey
	for i := 0; i < n; i++ {
		out = append(out, tt.Must(trustlist.GenerateKey(trustlist.AlgEdDSA, nil)))
	}
	return out
}

// TestDescriptorHashIsFileHash pins issue 17 item 8: a descriptor's one hash
// is SHA-256 of its file, so `sha256sum` agrees with every tool.
func TestDescriptorHashIsFileHash(t *testing.T) {
	d, _ := anchorKeys(t, "NL", 3, 2)
	want := sha256.Sum256(d.Raw())
	if !bytes.Equal(d.Hash(), want[:]) {
		t.Fatalf("signed descriptor hash %x, sha256 of the file %x", d.Hash(), want)
	}
	back := tt.Must(trustlist.ParseDescriptor(d.Raw()))
	if !bytes.Equal(back.Hash(), want[:]) {
		t.Fatalf("parsed descriptor hash %x, sha256 of the file %x", back.Hash(), want)
	}
	s := trustlist.NewSet(trustlist.DefaultPolicy())
	if _, err := s.PinWith(d.Raw(), trustlist.PinOptions{ExpectHash: bytes.Repeat([]byte{1}, 32)}); trustlist.ReasonOf(err) != trustlist.ReasonHashMismatch {
		t.Fatalf("pin with a wrong expected hash: %v", err)
	}
	if _, err := s.PinWith(d.Raw(), trustlist.PinOptions{ExpectHash: want[:]}); err != nil {
		t.Fatalf("pin with the file's sha256: %v", err)
	}
	if got := s.Anchors()[0].Hash; !bytes.Equal(got, want[:]) {
		t.Fatalf("AnchorInfo hash %x", got)
	}
}

// TestPinRefusesSkippedRotation pins issue 10 item 2: a newer descriptor of a
// pinned anchor is pinned only through a verified rotation chain.
func TestPinRefusesSkippedRotation(t *testing.T) {
	v1, k1 := anchorKeys(t, "NL", 3, 2)
	k2, k3, evil := newKeys(t, 2), newKeys(t, 2), newKeys(t, 2)
	v2 := rotate(t, v1, k2, 2, 2, append(k1[:2:2], k2...))
	v3 := rotate(t, v2, k3, 2, 3, append(k2[:2:2], k3...))
	// The attack: a descriptor two versions ahead, signed by its own keys only.
	forged := rotate(t, v1, evil, 2, 3, evil)

	s := trustlist.NewSet(trustlist.DefaultPolicy())
	tt.Must(s.Pin(v1.Raw()))
	if _, err := s.Pin(forged.Raw()); trustlist.ReasonOf(err) != trustlist.ReasonBadVersion {
		t.Fatalf("self-signed v3 over pinned v1: %v", err)
	}
	if _, err := s.PinWith(forged.Raw(), trustlist.PinOptions{Chain: [][]byte{v2.Raw()}}); err == nil {
		t.Fatal("a forged v3 with a real v2 as its chain was pinned")
	}
	// Even a genuine v3 is refused without its v2: never by skipping.
	if _, err := s.Pin(v3.Raw()); trustlist.ReasonOf(err) != trustlist.ReasonBadVersion || !strings.Contains(err.Error(), "v2 is missing") {
		t.Fatalf("v3 without v2: %v", err)
	}
	if got := s.Descriptor("NL").Version; got != 1 {
		t.Fatalf("refused pins changed the anchor to v%d", got)
	}
	// With the chain supplied it is pinned, and the attacker's keys sign nothing.
	if _, err := s.PinWith(v3.Raw(), trustlist.PinOptions{Chain: [][]byte{v2.Raw()}}); err != nil {
		t.Fatalf("v3 through v2: %v", err)
	}
	if got := len(s.Descriptors("NL")); got != 3 || s.Descriptor("NL").Version != 3 {
		t.Fatalf("held %d versions, current v%d", got, s.Descriptor("NL").Version)
	}
	l := signList(t, "NL", 3, 1, nil, evil, now.Add(-time.Minute), time.Hour)
	if d := s.Accept(l.Raw(), now); d.Outcome != trustlist.Rejected {
		t.Fatalf("a list under the attacker's keys: %+v", d)
	}
	// Pinning an older version is a rollback.
	if _, err := s.Pin(v2.Raw()); trustlist.ReasonOf(err) != trustlist.ReasonRollback {
		t.Fatalf("pin v2 over v3: %v", err)
	}
}

// TestPinReplaceIsExplicit pins the other half of issue 10 item 2: replacing
// a pinned anchor outright needs the expected hash, is recorded in the store
// and survives a restart.
func TestPinReplaceIsExplicit(t *testing.T) {
	v1, k1 := anchorKeys(t, "NL", 1, 1)
	fresh, kf := anchorKeys(t, "NL", 1, 1) // the anchor lost its keys and made a new v1
	dir := t.TempDir()
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	tt.Must(st.Pin(v1.Raw()))
	l1 := signList(t, "NL", 1, 1, nil, k1, now.Add(-time.Minute), time.Hour, ethEntry(t, 1, "Old carrier"))
	tt.Must(st.Import(l1.Raw(), now))

	if _, err := st.Pin(fresh.Raw()); trustlist.ReasonOf(err) != trustlist.ReasonRollback {
		t.Fatalf("a different v1 pinned without --replace: %v", err)
	}
	if _, err := st.PinWith(fresh.Raw(), trustlist.PinOptions{Replace: true}); trustlist.ReasonOf(err) != trustlist.ReasonHashMismatch {
		t.Fatalf("replace without an expected hash: %v", err)
	}
	if _, err := st.PinWith(fresh.Raw(), trustlist.PinOptions{Replace: true, ExpectHash: v1.Hash()}); trustlist.ReasonOf(err) != trustlist.ReasonHashMismatch {
		t.Fatalf("replace with the wrong expected hash: %v", err)
	}
	if _, err := st.PinWith(fresh.Raw(), trustlist.PinOptions{Replace: true, ExpectHash: fresh.Hash()}); err != nil {
		t.Fatalf("explicit replace: %v", err)
	}
	check := func(s *trustlist.Set, when string) {
		t.Helper()
		info := s.Anchors()
		if len(info) != 1 || info[0].Replaced == nil || !bytes.Equal(info[0].Replaced.FromHash, v1.Hash()) || !bytes.Equal(info[0].Replaced.ToHash, fresh.Hash()) {
			t.Fatalf("%s: replacement not recorded: %+v", when, info)
		}
		if s.Head("NL") != nil || len(s.Find(trustlist.Query{Country: "NL"})) != 0 {
			t.Fatalf("%s: the replaced anchor's list still counts", when)
		}
	}
	check(st.Set(), "after replace")
	l1new := signList(t, "NL", 1, 1, nil, kf, now.Add(-time.Minute), time.Hour, ethEntry(t, 2, "New carrier"))
	if d, _ := st.Import(l1new.Raw(), now); d.Outcome != trustlist.Accepted {
		t.Fatalf("list under the replacement: %+v", d)
	}
	st.Close()
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	if st.Skipped != 0 || st.Set().Head("NL") == nil || !bytes.Equal(st.Set().Head("NL").Hash(), l1new.Hash()) {
		t.Fatalf("after restart: skipped %d, head %v", st.Skipped, st.Set().Head("NL"))
	}
	if info := st.Set().Anchors()[0]; info.Replaced == nil {
		t.Fatal("after restart the replacement is not shown")
	}
	// A reader of the mirror files sees the same.
	ls, err := trustlist.LoadDir(dir)
	if err != nil || ls.Anchors()[0].Replaced == nil {
		t.Fatalf("LoadDir: %v %+v", err, ls.Anchors())
	}
}

// endorsedSet pins NL (k=1 policy) and admits SG by NL's endorsement.
func endorsedSet(t *testing.T, expires time.Time) (*trustlist.Set, *trustlist.Descriptor, []*trustlist.PrivateKey, *trustlist.Descriptor, []*trustlist.PrivateKey) {
	t.Helper()
	nl, nlk := anchorKeys(t, "NL", 1, 1)
	sg, sgk := anchorKeys(t, "SG", 1, 1)
	s := trustlist.NewSet(trustlist.Policy{EndorsementThreshold: 1, MaxClockSkew: time.Minute})
	tt.Must(s.Pin(nl.Raw()))
	s.Accept(sg.Raw(), now)
	e := tt.Must(trustlist.EndorseUntil(nl, sg, nlk, now.Add(-time.Hour), expires))
	if d := s.Accept(e.Raw(), now); d.Admitted == nil {
		t.Fatalf("endorsement did not admit SG: %+v", d)
	}
	l := signList(t, "SG", 1, 1, nil, sgk, now.Add(-time.Minute), 24*time.Hour, ethEntry(t, 7, "SG carrier"))
	if d := s.Accept(l.Raw(), now); d.Outcome != trustlist.Accepted {
		t.Fatalf("SG list: %+v", d)
	}
	return s, nl, nlk, sg, sgk
}

// TestEndorsementBySupersededKeys pins issue 10 item 3: once the endorser
// rotates, what its old keys endorsed no longer counts, and old keys cannot
// admit new anchors.
func TestEndorsementBySupersededKeys(t *testing.T) {
	s, nl, nlk, sg, _ := endorsedSet(t, now.Add(30*24*time.Hour))
	if len(s.Find(trustlist.Query{Country: "SG"})) != 1 {
		t.Fatal("SG entries are not found while admitted")
	}
	nk := newKeys(t, 1)
	v2 := rotate(t, nl, nk, 1, 2, append(nlk[:1:1], nk...))
	if d := s.Accept(v2.Raw(), now); d.Outcome != trustlist.Accepted {
		t.Fatalf("NL rotation: %+v", d)
	}
	if s.Descriptor("SG") != nil || len(s.Find(trustlist.Query{Country: "SG"})) != 0 {
		t.Fatal("SG is still admitted by an endorsement signed with NL's superseded keys")
	}
	// Whoever stole NL's v1 keys cannot admit a made-up country.
	xx, _ := anchorKeys(t, "BV", 1, 1)
	s.Accept(xx.Raw(), now)
	stolen := tt.Must(trustlist.Endorse(nl, xx, nlk, now))
	if d := s.Accept(stolen.Raw(), now); d.Reason != trustlist.ReasonBadVersion || d.Admitted != nil {
		t.Fatalf("endorsement by superseded keys: %+v", d)
	}
	// The endorser's current keys re-admit SG.
	again := tt.Must(trustlist.Endorse(v2, sg, nk, now))
	if d := s.Accept(again.Raw(), now); d.Admitted == nil {
		t.Fatalf("endorsement by NL v2: %+v", d)
	}
}

// TestEndorsementExpiry pins the expiry half of issue 10 item 3.
func TestEndorsementExpiry(t *testing.T) {
	until := now.Add(2 * time.Hour)
	s, nl, nlk, sg, sgk := endorsedSet(t, until)
	m := s.Find(trustlist.Query{Country: "SG"})
	if len(m) != 1 || !m[0].AdmittedUntil.Equal(until) {
		t.Fatalf("match admitted until %v, want %v", m, until)
	}
	if info := s.Anchors(); info[1].Country != "SG" || !info[1].AdmittedUntil.Equal(until) {
		t.Fatalf("AnchorInfo: %+v", info[1])
	}
	// After the expiry, new lists of SG are refused...
	later := until.Add(time.Minute)
	l2 := signList(t, "SG", 1, 2, s.Head("SG").Hash(), sgk, later.Add(-time.Minute), 24*time.Hour)
	if d := s.Accept(l2.Raw(), later); d.Reason != trustlist.ReasonUnknownAnchor {
		t.Fatalf("SG list after its endorsements expired: %+v", d)
	}
	// ...and an expired endorsement is refused outright.
	old := tt.Must(trustlist.EndorseUntil(nl, sg, nlk, now.Add(-3*time.Hour), now.Add(-time.Hour)))
	if d := s.Accept(old.Raw(), now); d.Reason != trustlist.ReasonExpired {
		t.Fatalf("expired endorsement: %+v", d)
	}
	// A renewal extends the admission.
	renew := tt.Must(trustlist.EndorseUntil(nl, sg, nlk, now, now.Add(48*time.Hour)))
	if d := s.Accept(renew.Raw(), now); d.Outcome != trustlist.Accepted {
		t.Fatalf("renewal: %+v", d)
	}
	if d := s.Accept(l2.Raw(), later); d.Outcome != trustlist.Accepted {
		t.Fatalf("SG list after renewal: %+v", d)
	}
}

// reencode returns raw (a COSE_Sign) with an unprotected header added to the
// body: the same signed object, different bytes.
func reencode(t *testing.T, raw []byte, n int) []byte {
	t.Helper()
	var msg cose.SignMessage
	if err := msg.UnmarshalCBOR(raw); err != nil {
		t.Fatal(err)
	}
	if msg.Headers.Unprotected == nil {
		msg.Headers.Unprotected = cose.UnprotectedHeader{}
	}
	msg.Headers.Unprotected[int64(-70000-n)] = n
	msg.Headers.RawUnprotected = nil // go-cose re-emits the received bytes otherwise
	out, err := msg.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func evidenceBytes(t *testing.T, d []byte, a, b []byte) []byte {
	t.Helper()
	em := tt.Must(cbor.CoreDetEncOptions().EncMode())
	return tt.Must(em.Marshal(map[int]any{0: "evidence", 1: d, 2: a, 3: b}))
}

// TestEvidenceIdentityIsCanonical pins issue 10 item 6: re-encodings of one
// equivocation are one piece of evidence, stored once, and evidence per
// anchor is bounded.
func TestEvidenceIdentityIsCanonical(t *testing.T) {
	d, keys := anchorKeys(t, "SG", 1, 1)
	prev := bytes.Repeat([]byte{1}, 32)
	a := signList(t, "SG", 1, 5, prev, keys, now, time.Hour, ethEntry(t, 1, "A"))
	b := signList(t, "SG", 1, 5, prev, keys, now, time.Hour, ethEntry(t, 2, "B"))
	ev := tt.Must(trustlist.NewEvidence(d, a, b))
	if bytes.Compare(a.Hash(), b.Hash()) > 0 {
		a, b = b, a
	}
	dir := t.TempDir()
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	tt.Must(st.Pin(d.Raw()))
	if dec, err := st.Import(ev.Raw(), now); err != nil || dec.Outcome != trustlist.Accepted {
		t.Fatalf("first evidence: %+v %v", dec, err)
	}
	for i := 1; i <= 50; i++ {
		variant := evidenceBytes(t, reencode(t, d.Raw(), i), reencode(t, a.Raw(), i), b.Raw())
		if bytes.Equal(variant, ev.Raw()) {
			t.Fatal("variant is not a re-encoding")
		}
		pe, err := trustlist.ParseEvidence(variant)
		if err != nil {
			t.Fatalf("variant %d does not parse: %v", i, err)
		}
		if !bytes.Equal(pe.Hash(), ev.Hash()) {
			t.Fatalf("variant %d has another identity", i)
		}
		dec, err := st.Import(variant, now)
		if err != nil || dec.Outcome != trustlist.Duplicate || dec.Changed() {
			t.Fatalf("variant %d: %+v %v (would be stored and relayed)", i, dec, err)
		}
	}
	if n := len(st.Set().Evidence("SG")); n != 1 {
		t.Fatalf("%d pieces of evidence held for one equivocation", n)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "objects"))
	if len(ents) != 2 { // the pin and one evidence
		t.Fatalf("%d objects stored, want the pin and one evidence", len(ents))
	}
	// Many distinct conflicts: at most MaxEvidencePerAnchor are kept.
	var lists []*trustlist.List
	for i := 0; i < 8; i++ {
		lists = append(lists, signList(t, "SG", 1, 9, prev, keys, now, time.Hour, ethEntry(t, byte(10+i), "X")))
	}
	kept := 0
	for i := range lists {
		for j := i + 1; j < len(lists); j++ {
			e := tt.Must(trustlist.NewEvidence(d, lists[i], lists[j]))
			if dec, _ := st.Import(e.Raw(), now); dec.Outcome == trustlist.Accepted {
				kept++
			}
		}
	}
	if got := len(st.Set().Evidence("SG")); got != trustlist.MaxEvidencePerAnchor || kept != trustlist.MaxEvidencePerAnchor-1 {
		t.Fatalf("held %d, accepted %d more; bound %d", got, kept, trustlist.MaxEvidencePerAnchor)
	}
}

// TestEquivocationEvidenceReportedOnce: a conflicting list offered again
// (re-encoded) does not hand the store or the relay a second evidence.
func TestEquivocationEvidenceReportedOnce(t *testing.T) {
	d, keys := anchorKeys(t, "SG", 1, 1)
	s := trustlist.NewSet(trustlist.DefaultPolicy())
	tt.Must(s.Pin(d.Raw()))
	l1 := signList(t, "SG", 1, 1, nil, keys, now.Add(-time.Minute), time.Hour, ethEntry(t, 1, "A"))
	l1b := signList(t, "SG", 1, 1, nil, keys, now.Add(-time.Minute), time.Hour, ethEntry(t, 2, "B"))
	s.Accept(l1.Raw(), now)
	if dec := s.Accept(l1b.Raw(), now); dec.Reason != trustlist.ReasonEquivocation || dec.Evidence == nil {
		t.Fatalf("first conflict: %+v", dec)
	}
	for i := 1; i < 5; i++ {
		if dec := s.Accept(reencode(t, l1b.Raw(), i), now); dec.Reason != trustlist.ReasonEquivocation || dec.Evidence != nil {
			t.Fatalf("repeat %d: %+v (evidence handed out again)", i, dec)
		}
	}
}

// TestPinningAnEndorsedAnchor: pinning an anchor that endorsements admitted
// makes it a root; the endorsements' expiry no longer applies to it.
func TestPinningAnEndorsedAnchor(t *testing.T) {
	s, _, _, sg, _ := endorsedSet(t, now.Add(time.Hour))
	if _, err := s.Pin(sg.Raw()); err != nil {
		t.Fatal(err)
	}
	m := s.Find(trustlist.Query{Country: "SG"})
	if len(m) != 1 || !m[0].AdmittedUntil.IsZero() {
		t.Fatalf("pinned SG still carries an admission expiry: %+v", m)
	}
	if info := s.Anchors()[1]; !info.Pinned || !info.AdmittedUntil.IsZero() {
		t.Fatalf("%+v", info)
	}
}

// TestReplaceBackAndForthSurvivesRestart: each replacement is logged, so a
// store replays to the anchor the operator chose last.
func TestReplaceBackAndForthSurvivesRestart(t *testing.T) {
	a, _ := anchorKeys(t, "NL", 1, 1)
	b, _ := anchorKeys(t, "NL", 1, 1)
	dir := t.TempDir()
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	tt.Must(st.Pin(a.Raw()))
	for _, d := range []*trustlist.Descriptor{b, a, b} {
		if _, err := st.PinWith(d.Raw(), trustlist.PinOptions{Replace: true, ExpectHash: d.Hash()}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	if got := st.Set().Descriptor("NL"); !bytes.Equal(got.Hash(), b.Hash()) {
		t.Fatal("after restart NL is not the descriptor the operator replaced it with last")
	}
	ls := tt.Must(trustlist.LoadDir(dir))
	if got := ls.Descriptor("NL"); !bytes.Equal(got.Hash(), b.Hash()) {
		t.Fatal("the mirror replays to another descriptor")
	}
	st.Close()
	// A repair (rebuilding store.db from the log and the mirror) keeps them all.
	if err := os.Remove(filepath.Join(dir, "store.db")); err != nil {
		t.Fatal(err)
	}
	if _, err := trustlist.RepairStore(dir); err != nil {
		t.Fatal(err)
	}
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	if got := st.Set().Descriptor("NL"); !bytes.Equal(got.Hash(), b.Hash()) {
		t.Fatal("after repair NL is not the descriptor the operator replaced it with last")
	}
}

// TestEndorsementByReplacedAnchor: when the operator replaces an endorser
// outright (even with a new v1), what its old keys endorsed stops counting.
func TestEndorsementByReplacedAnchor(t *testing.T) {
	s, _, _, sg, _ := endorsedSet(t, now.Add(24*time.Hour))
	fresh, fk := anchorKeys(t, "NL", 1, 1)
	if _, err := s.PinWith(fresh.Raw(), trustlist.PinOptions{Replace: true, ExpectHash: fresh.Hash()}); err != nil {
		t.Fatal(err)
	}
	if s.Descriptor("SG") != nil {
		t.Fatal("SG still admitted by the replaced NL keys' endorsement")
	}
	if n := len(s.Endorsements()); n != 0 {
		t.Fatalf("%d endorsements kept that can no longer count", n)
	}
	e := tt.Must(trustlist.Endorse(fresh, sg, fk, now))
	if d := s.Accept(e.Raw(), now); d.Admitted == nil {
		t.Fatalf("the new NL keys' endorsement: %+v", d)
	}
}
