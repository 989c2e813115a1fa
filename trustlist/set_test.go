package trustlist_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

var now = time.Now().UTC().Truncate(time.Second)

func ethEntry(t testing.TB, b byte, name string) *trustlist.Entry {
	t.Helper()
	addr := bytes.Repeat([]byte{b}, 20)
	return tt.Must(trustlist.NewEthEntry(addr, []trustlist.DocType{trustlist.DocOA}, name, "", now.Add(-time.Hour), now.Add(time.Hour*24*365)))
}

// anchorKeys makes an anchor with n keys and threshold th, descriptor v1.
func anchorKeys(t testing.TB, cc string, n, th int) (*trustlist.Descriptor, []*trustlist.PrivateKey) {
	t.Helper()
	var keys []*trustlist.PrivateKey
	var pubs []*trustlist.PublicKey
	for i := 0; i < n; i++ {
		alg := trustlist.AlgES256
		if i%2 == 1 {
			alg = trustlist.AlgEdDSA
		}
		k := tt.Must(trustlist.GenerateKey(alg, nil))
		keys = append(keys, k)
		pubs = append(pubs, k.Public())
	}
	d := tt.Must(trustlist.SignDescriptor(&trustlist.Descriptor{Country: cc, Name: cc + " anchor", Version: 1, Threshold: th, Keys: pubs, IssuedAt: now}, keys[:th]))
	return d, keys
}

func signList(t testing.TB, cc string, dv, seq uint64, prev []byte, keys []*trustlist.PrivateKey, issued time.Time, valid time.Duration, entries ...*trustlist.Entry) *trustlist.List {
	t.Helper()
	l := &trustlist.List{Country: cc, DescriptorVersion: dv, Seq: seq, Prev: prev, IssuedAt: issued, NextUpdate: issued.Add(valid), Entries: entries}
	return tt.Must(trustlist.SignList(l, keys))
}

func TestAcceptRejections(t *testing.T) {
	d, keys := anchorKeys(t, "NL", 3, 2)
	other, okeys := anchorKeys(t, "DE", 1, 1)
	_ = other
	l1 := signList(t, "NL", 1, 1, nil, keys[:2], now.Add(-time.Hour), 24*time.Hour, ethEntry(t, 1, "Carrier A"))
	l2 := signList(t, "NL", 1, 2, l1.Hash(), keys[:2], now.Add(-time.Hour), 24*time.Hour, ethEntry(t, 1, "Carrier A"), ethEntry(t, 2, "Carrier B"))
	l2dup := l2.Raw()

	tamper := func(raw []byte) []byte {
		b := append([]byte(nil), raw...)
		i := bytes.Index(b, []byte("Carrier B"))
		b[i] = 'X'
		return b
	}
	cases := []struct {
		name    string
		raw     func() []byte
		want    trustlist.Reason
		outcome trustlist.Outcome
	}{
		{"garbage", func() []byte { return []byte("not cbor at all") }, trustlist.ReasonMalformed, trustlist.Rejected},
		{"truncated", func() []byte { return l2.Raw()[:len(l2.Raw())/2] }, trustlist.ReasonMalformed, trustlist.Rejected},
		{"tampered payload", func() []byte { return tamper(l2.Raw()) }, trustlist.ReasonBadSignature, trustlist.Rejected},
		{"threshold not met", func() []byte {
			return signList(t, "NL", 1, 2, l1.Hash(), keys[:1], now.Add(-time.Hour), 24*time.Hour).Raw()
		}, trustlist.ReasonThresholdNotMet, trustlist.Rejected},
		{"signed by a stranger's key", func() []byte {
			return signList(t, "NL", 1, 2, l1.Hash(), okeys, now.Add(-time.Hour), 24*time.Hour).Raw()
		}, trustlist.ReasonBadSignature, trustlist.Rejected},
		{"unknown anchor", func() []byte {
			return signList(t, "DE", 1, 1, nil, okeys, now.Add(-time.Hour), 24*time.Hour).Raw()
		}, trustlist.ReasonUnknownAnchor, trustlist.Rejected},
		{"rollback", func() []byte {
			return signList(t, "NL", 1, 1, nil, keys[1:3], now.Add(-2*time.Hour), 24*time.Hour, ethEntry(t, 9, "Old")).Raw()
		}, trustlist.ReasonEquivocation, trustlist.Rejected}, // a different seq 1 is an equivocation, not only a rollback
		{"broken chain", func() []byte {
			return signList(t, "NL", 1, 3, bytes.Repeat([]byte{7}, 32), keys[:2], now.Add(-time.Hour), 24*time.Hour).Raw()
		}, trustlist.ReasonBrokenChain, trustlist.Rejected},
		{"gap", func() []byte {
			sum := sha256.Sum256([]byte("seq 3"))
			return signList(t, "NL", 1, 4, sum[:], keys[:2], now.Add(-time.Hour), 24*time.Hour).Raw()
		}, trustlist.ReasonBrokenChain, trustlist.Rejected},
		{"expired", func() []byte {
			return signList(t, "NL", 1, 3, l2.Hash(), keys[:2], now.Add(-48*time.Hour), 24*time.Hour).Raw()
		}, trustlist.ReasonExpired, trustlist.Rejected},
		{"issued in the future", func() []byte {
			return signList(t, "NL", 1, 3, l2.Hash(), keys[:2], now.Add(time.Hour), 24*time.Hour).Raw()
		}, trustlist.ReasonExpired, trustlist.Rejected},
		{"unknown descriptor version", func() []byte {
			return signList(t, "NL", 2, 3, l2.Hash(), keys[:2], now.Add(-time.Hour), 24*time.Hour).Raw()
		}, trustlist.ReasonUnknownAnchor, trustlist.Rejected},
		{"equivocation", func() []byte {
			return signList(t, "NL", 1, 2, l1.Hash(), keys[1:3], now.Add(-time.Hour), 24*time.Hour, ethEntry(t, 3, "Carrier C")).Raw()
		}, trustlist.ReasonEquivocation, trustlist.Rejected},
		{"duplicate", func() []byte { return l2dup }, "", trustlist.Duplicate},
		{"next in chain", func() []byte {
			return signList(t, "NL", 1, 3, l2.Hash(), keys[:2], now.Add(-time.Hour), 24*time.Hour).Raw()
		}, "", trustlist.Accepted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := trustlist.NewSet(trustlist.DefaultPolicy())
			if _, err := s.Pin(d.Raw()); err != nil {
				t.Fatal(err)
			}
			for _, l := range []*trustlist.List{l1, l2} {
				if dec := s.Accept(l.Raw(), now); dec.Outcome != trustlist.Accepted {
					t.Fatalf("setup: %+v", dec)
				}
			}
			dec := s.Accept(c.raw(), now)
			if dec.Outcome != c.outcome || dec.Reason != c.want {
				t.Fatalf("got outcome %s reason %q (%s), want %s %q", dec.Outcome, dec.Reason, dec.Detail, c.outcome, c.want)
			}
			if dec.Outcome == trustlist.Rejected && dec.Detail == "" {
				t.Error("a rejection must say why")
			}
			if c.want == trustlist.ReasonEquivocation && (dec.Evidence == nil || len(s.Evidence("NL")) != 1 || !s.Anchors()[0].Equivocated) {
				t.Error("equivocation must record evidence and flag the anchor")
			}
			if c.outcome == trustlist.Rejected && c.want != trustlist.ReasonEquivocation && s.Head("NL").Seq != 2 {
				t.Error("a rejected list changed the head")
			}
		})
	}
}

func TestRollbackOfOlderSeq(t *testing.T) {
	d, keys := anchorKeys(t, "NL", 1, 1)
	l1 := signList(t, "NL", 1, 1, nil, keys, now.Add(-time.Hour), 24*time.Hour)
	l2 := signList(t, "NL", 1, 2, l1.Hash(), keys, now.Add(-time.Hour), 24*time.Hour)
	l3 := signList(t, "NL", 1, 3, l2.Hash(), keys, now.Add(-time.Hour), 24*time.Hour)
	s := trustlist.NewSet(trustlist.DefaultPolicy())
	tt.Must(s.Pin(d.Raw()))
	// Start from seq 3 (trust on first use of the chain), then backfill.
	if dec := s.Accept(l3.Raw(), now); dec.Outcome != trustlist.Accepted {
		t.Fatal(dec)
	}
	if dec := s.Accept(l1.Raw(), now); dec.Reason != trustlist.ReasonRollback {
		t.Fatalf("seq 1 before seq 2 is held must be a rollback, got %+v", dec)
	}
	if dec := s.Accept(l2.Raw(), now); dec.Outcome != trustlist.History {
		t.Fatalf("seq 2 links to seq 3: want history, got %+v", dec)
	}
	if dec := s.Accept(l1.Raw(), now); dec.Outcome != trustlist.History {
		t.Fatalf("seq 1 links to seq 2: want history, got %+v", dec)
	}
	if got := len(s.Lists("NL")); got != 3 || s.Head("NL").Seq != 3 {
		t.Fatalf("history %d head %d", got, s.Head("NL").Seq)
	}
	// The raw-only accessors p2p sync serves from agree with Lists.
	if got := s.ListSeqs("NL"); !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("ListSeqs = %v, want [1 2 3]", got)
	}
	for _, l := range []*trustlist.List{l1, l2, l3} {
		if got := s.ListRaw("NL", l.Seq); !bytes.Equal(got, l.Raw()) {
			t.Fatalf("ListRaw(NL, %d) is not the list accepted", l.Seq)
		}
	}
	if s.ListRaw("NL", 4) != nil || s.ListRaw("DE", 1) != nil || s.ListSeqs("DE") != nil {
		t.Fatal("ListRaw/ListSeqs return something for a list not held")
	}
}

func rotate(t testing.TB, prev *trustlist.Descriptor, newKeys []*trustlist.PrivateKey, th int, version uint64, signers []*trustlist.PrivateKey) *trustlist.Descriptor {
	t.Helper()
	var pubs []*trustlist.PublicKey
	for _, k := range newKeys {
		pubs = append(pubs, k.Public())
	}
	return tt.Must(trustlist.SignDescriptor(&trustlist.Descriptor{Country: prev.Country, Name: prev.Name, Version: version, Threshold: th, Keys: pubs, IssuedAt: now}, signers))
}

func TestRotation(t *testing.T) {
	d1, k1 := anchorKeys(t, "KE", 3, 2)
	var k2 []*trustlist.PrivateKey
	for i := 0; i < 2; i++ {
		k2 = append(k2, tt.Must(trustlist.GenerateKey(trustlist.AlgEdDSA, nil)))
	}
	good := rotate(t, d1, k2, 2, 2, append(append([]*trustlist.PrivateKey{}, k1[:2]...), k2...))
	cases := []struct {
		name string
		d    *trustlist.Descriptor
		want trustlist.Reason
	}{
		{"good", good, ""},
		{"skipped version", rotate(t, d1, k2, 2, 3, append(append([]*trustlist.PrivateKey{}, k1[:2]...), k2...)), trustlist.ReasonBadVersion},
		{"only one old key", rotate(t, d1, k2, 2, 2, append([]*trustlist.PrivateKey{k1[0]}, k2...)), trustlist.ReasonThresholdNotMet},
		{"no old keys", rotate(t, d1, k2, 2, 2, k2), trustlist.ReasonBadSignature},
		{"one new key of two", rotate(t, d1, k2, 2, 2, append(append([]*trustlist.PrivateKey{}, k1[:2]...), k2[0])), trustlist.ReasonThresholdNotMet},
		{"older version", d1, ""}, // duplicate of the pinned one
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := trustlist.NewSet(trustlist.DefaultPolicy())
			tt.Must(s.Pin(d1.Raw()))
			dec := s.Accept(c.d.Raw(), now)
			if dec.Reason != c.want {
				t.Fatalf("got %s %q (%s), want %q", dec.Outcome, dec.Reason, dec.Detail, c.want)
			}
		})
	}
	// After a rotation, lists under the old descriptor are refused as new heads.
	s := trustlist.NewSet(trustlist.DefaultPolicy())
	tt.Must(s.Pin(d1.Raw()))
	if dec := s.Accept(good.Raw(), now); dec.Outcome != trustlist.Accepted {
		t.Fatal(dec)
	}
	old := signList(t, "KE", 1, 1, nil, k1[:2], now.Add(-time.Hour), time.Hour*24)
	if dec := s.Accept(old.Raw(), now); dec.Reason != trustlist.ReasonBadVersion {
		t.Fatalf("list under superseded descriptor: %+v", dec)
	}
	cur := signList(t, "KE", 2, 1, nil, k2, now.Add(-time.Hour), time.Hour*24)
	if dec := s.Accept(cur.Raw(), now); dec.Outcome != trustlist.Accepted {
		t.Fatalf("list under v2: %+v", dec)
	}
	// A chain v1 → v2 → v3 is followed step by step.
	var k3 []*trustlist.PrivateKey
	k3 = append(k3, tt.Must(trustlist.GenerateKey(trustlist.AlgES256, nil)))
	v3 := rotate(t, good, k3, 1, 3, append(append([]*trustlist.PrivateKey{}, k2...), k3...))
	if dec := s.Accept(v3.Raw(), now); dec.Outcome != trustlist.Accepted || s.Descriptor("KE").Version != 3 {
		t.Fatalf("v3: %+v", dec)
	}
}

func TestEndorsementAdmission(t *testing.T) {
	pinned := map[string][]*trustlist.PrivateKey{}
	var descs []*trustlist.Descriptor
	for _, cc := range []string{"NL", "DE", "FR"} {
		d, k := anchorKeys(t, cc, 1, 1)
		pinned[cc] = k
		descs = append(descs, d)
	}
	subject, skeys := anchorKeys(t, "SG", 2, 2)
	for _, k := range []int{2, 3} {
		for _, have := range []int{k - 1, k} {
			s := trustlist.NewSet(trustlist.Policy{EndorsementThreshold: k})
			for _, d := range descs {
				tt.Must(s.Pin(d.Raw()))
			}
			if dec := s.Accept(subject.Raw(), now); dec.Outcome != trustlist.Pending || dec.Reason != trustlist.ReasonUnknownAnchor {
				t.Fatalf("unendorsed: %+v", dec)
			}
			for i := 0; i < have; i++ {
				e := tt.Must(trustlist.Endorse(descs[i], subject, pinned[descs[i].Country], now))
				if dec := s.Accept(e.Raw(), now); dec.Outcome != trustlist.Accepted {
					t.Fatalf("endorsement: %+v", dec)
				}
			}
			l := signList(t, "SG", 1, 1, nil, skeys, now.Add(-time.Hour), time.Hour*24)
			dec := s.Accept(l.Raw(), now)
			if admitted := dec.Outcome == trustlist.Accepted; admitted != (have >= k) {
				t.Errorf("k=%d endorsements=%d: list outcome %s %s", k, have, dec.Outcome, dec.Detail)
			}
		}
	}
	// An endorsement by an unpinned (merely admitted) anchor does not count.
	s := trustlist.NewSet(trustlist.Policy{EndorsementThreshold: 1})
	tt.Must(s.Pin(descs[0].Raw()))
	e := tt.Must(trustlist.Endorse(descs[1], subject, pinned["DE"], now))
	if dec := s.Accept(e.Raw(), now); dec.Reason != trustlist.ReasonUnknownAnchor {
		t.Fatalf("endorsement by unknown anchor: %+v", dec)
	}
	// A forged endorsement (wrong key) is refused.
	forged := tt.Must(trustlist.Endorse(descs[0], subject, skeys[:1], now))
	if dec := s.Accept(forged.Raw(), now); dec.Reason != trustlist.ReasonBadSignature {
		t.Fatalf("forged endorsement: %+v", dec)
	}
}

func TestEvidenceStandalone(t *testing.T) {
	d, keys := anchorKeys(t, "SG", 1, 1)
	a := signList(t, "SG", 1, 5, bytes.Repeat([]byte{1}, 32), keys, now, time.Hour, ethEntry(t, 1, "A"))
	b := signList(t, "SG", 1, 5, bytes.Repeat([]byte{1}, 32), keys, now, time.Hour, ethEntry(t, 2, "B"))
	ev := tt.Must(trustlist.NewEvidence(d, a, b))
	back, err := trustlist.ParseEvidence(ev.Raw())
	if err != nil {
		t.Fatalf("evidence must verify with no other state: %v", err)
	}
	if back.Country() != "SG" || !bytes.Equal(back.Hash(), ev.Hash()) {
		t.Fatal("round trip changed evidence")
	}
	// Fork: different seqs, same prev.
	c := signList(t, "SG", 1, 6, bytes.Repeat([]byte{1}, 32), keys, now, time.Hour)
	if _, err := trustlist.NewEvidence(d, a, c); err != nil {
		t.Fatalf("forked prev is evidence: %v", err)
	}
	// Not evidence: same list twice, or unrelated lists, or lists by another key.
	if _, err := trustlist.NewEvidence(d, a, a); err == nil {
		t.Error("same list is not evidence")
	}
	unrelated := signList(t, "SG", 1, 7, bytes.Repeat([]byte{2}, 32), keys, now, time.Hour)
	if _, err := trustlist.NewEvidence(d, a, unrelated); err == nil {
		t.Error("unrelated lists are not evidence")
	}
	_, other := anchorKeys(t, "SG", 1, 1)
	forged := signList(t, "SG", 1, 5, bytes.Repeat([]byte{1}, 32), other, now, time.Hour)
	if _, err := trustlist.NewEvidence(d, a, forged); err == nil {
		t.Error("a list not signed by the anchor cannot frame it")
	}
}

func TestLookup(t *testing.T) {
	ca, cakey := tt.Cert(t, tt.CertOptions{CommonName: "CSCA NL", Country: "NL", IsCA: true})
	dsc, _ := tt.Cert(t, tt.CertOptions{CommonName: "DSC NL", Country: "NL", Parent: ca, ParentKey: cakey})
	caE := tt.Must(trustlist.NewX509Entry(ca.Raw, true, []trustlist.DocType{trustlist.DocHCert}, ""))
	dscE := tt.Must(trustlist.NewX509Entry(dsc.Raw, false, []trustlist.DocType{trustlist.DocHCert, trustlist.DocPDF}, ""))
	rev := ethEntry(t, 5, "Revoked carrier")
	rev.Status, rev.RevokedAt, rev.Reason = trustlist.StatusRevoked, now.Add(-time.Minute), "key compromise"
	s := tt.TrustOne(t, "NL", caE, dscE, ethEntry(t, 4, "Carrier"), rev)
	sum := sha256.Sum256(dsc.Raw)
	if m := s.Find(trustlist.Query{KID: sum[:8], Use: trustlist.DocHCert}); len(m) != 1 || m[0].Country != "NL" || m[0].Entry.Name != "DSC NL" {
		t.Fatalf("by kid: %+v", m)
	}
	if m := s.Find(trustlist.Query{KID: sum[:8], Use: trustlist.DocOA}); len(m) != 0 {
		t.Fatal("use filter ignored")
	}
	if m := s.Find(trustlist.Query{Thumbprint: sum[:]}); len(m) != 1 {
		t.Fatal("by thumbprint")
	}
	if m := s.Find(trustlist.Query{Country: "NL", CA: new(true)}); len(m) != 1 || m[0].Entry.Name != "CSCA NL" {
		t.Fatalf("CAs: %+v", m)
	}
	addr := bytes.Repeat([]byte{5}, 20)
	if m := s.Find(trustlist.Query{Address: addr}); len(m) != 1 {
		t.Fatal("revoked entries are found so verifiers can say why")
	}
	if m := s.Find(trustlist.Query{Address: addr, ActiveAt: now}); len(m) != 0 {
		t.Fatal("ActiveAt must drop revoked entries")
	}
	if m := s.Find(trustlist.Query{Use: trustlist.DocOA}); len(m) != 2 {
		t.Fatalf("all oa entries: %d", len(m))
	}
}

func TestStoreReplayAndMirror(t *testing.T) {
	dir := t.TempDir()
	a := tt.NewAnchor(t, "NL")
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, ethEntry(t, 1, "A"))
	l2 := a.SignList(t, time.Time{}, 24*time.Hour, ethEntry(t, 1, "A"), ethEntry(t, 2, "B"))
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	tt.Must(st.Pin(a.Descriptor.Raw()))
	for _, l := range []*trustlist.List{l1, l2} {
		if d, err := st.Import(l.Raw(), now); err != nil || d.Outcome != trustlist.Accepted {
			t.Fatal(d, err)
		}
	}
	// While the writer holds the store, a reader gets the same state from the mirror.
	if _, err := trustlist.OpenStore(dir, trustlist.StoreOptions{}); !errors.Is(err, trustlist.ErrStoreBusy) {
		t.Fatalf("second writer: %v", err)
	}
	ro := tt.Must(trustlist.LoadDir(dir))
	if h := ro.Head("NL"); h == nil || h.Seq != 2 || len(ro.Lists("NL")) != 2 {
		t.Fatalf("mirror read: %+v", ro.Anchors())
	}
	st.Close()
	// After close, the reader uses the database.
	ro = tt.Must(trustlist.LoadDir(dir))
	if h := ro.Head("NL"); h == nil || h.Seq != 2 {
		t.Fatal("db read")
	}
	// Reopen: rollback still refused after restart.
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	if d, _ := st.Import(l1.Raw(), now); d.Outcome != trustlist.Duplicate {
		t.Fatalf("after restart: %+v", d)
	}
}

func TestRotationSealsOldLists(t *testing.T) {
	d1, k1 := anchorKeys(t, "KE", 1, 1)
	l1 := signList(t, "KE", 1, 1, nil, k1, now.Add(-time.Hour), 24*time.Hour)
	l2 := signList(t, "KE", 1, 2, l1.Hash(), k1, now.Add(-time.Hour), 24*time.Hour)
	k2 := tt.Must(trustlist.GenerateKey(trustlist.AlgEdDSA, nil))
	d2 := tt.Must(trustlist.SignDescriptor(&trustlist.Descriptor{Country: "KE", Name: "KE", Version: 2, Threshold: 1,
		Keys: []*trustlist.PublicKey{k2.Public()}, IssuedAt: now, SealedSeq: 2, SealedHash: l2.Hash()}, []*trustlist.PrivateKey{k1[0], k2}))
	forgedOld := signList(t, "KE", 1, 2, l1.Hash(), k1, now.Add(-time.Hour), 24*time.Hour, ethEntry(t, 6, "planted"))
	lateOld := signList(t, "KE", 1, 3, l2.Hash(), k1, now.Add(-time.Hour), 24*time.Hour)
	l3 := signList(t, "KE", 2, 3, l2.Hash(), []*trustlist.PrivateKey{k2}, now.Add(-time.Hour), 24*time.Hour)

	s := trustlist.NewSet(trustlist.DefaultPolicy())
	tt.Must(s.Pin(d1.Raw()))
	for _, step := range []struct {
		name string
		raw  []byte
		want trustlist.Reason
	}{
		{"v1 list before rotation", l1.Raw(), ""},
		{"rotation sealing seq 2", d2.Raw(), ""},
		{"old-key list that is not the sealed one", forgedOld.Raw(), trustlist.ReasonBadVersion},
		{"the sealed old-key list", l2.Raw(), ""},
		{"old-key list after the seal", lateOld.Raw(), trustlist.ReasonBadVersion},
		{"new-key list continues the chain", l3.Raw(), ""},
	} {
		if dec := s.Accept(step.raw, now); dec.Reason != step.want {
			t.Fatalf("%s: got %s %q (%s), want %q", step.name, dec.Outcome, dec.Reason, dec.Detail, step.want)
		}
	}
	if s.Head("KE").Seq != 3 {
		t.Fatal("head")
	}
}

func TestStorePendingAndAdmitted(t *testing.T) {
	dir := t.TempDir()
	nl, nlKeys := anchorKeys(t, "NL", 1, 1)
	sg, sgKeys := anchorKeys(t, "SG", 1, 1)
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{Policy: &trustlist.Policy{EndorsementThreshold: 1}}))
	tt.Must(st.Pin(nl.Raw()))
	// A stranger's descriptors are held in memory only: nothing reaches disk.
	for i := 0; i < 5; i++ {
		d, _ := anchorKeys(t, "FR", 1, 1)
		if dec, err := st.Import(d.Raw(), now); err != nil || dec.Outcome != trustlist.Pending {
			t.Fatal(dec, err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "objects")); len(ents) != 1 {
		t.Fatalf("pending descriptors were persisted: %d objects", len(ents))
	}
	// SG becomes admitted by NL's endorsement; after a restart it still is.
	tt.Must(st.Import(sg.Raw(), now))
	e := tt.Must(trustlist.Endorse(nl, sg, nlKeys, now))
	if dec, err := st.Import(e.Raw(), now); err != nil || dec.Admitted == nil {
		t.Fatal(dec, err)
	}
	l := signList(t, "SG", 1, 1, nil, sgKeys, now.Add(-time.Minute), time.Hour)
	if dec, _ := st.Import(l.Raw(), now); dec.Outcome != trustlist.Accepted {
		t.Fatal(dec)
	}
	st.Close()
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	if h := st.Set().Head("SG"); h == nil || st.Skipped != 0 {
		t.Fatalf("after restart SG head %v, %d skipped", h, st.Skipped)
	}
}
