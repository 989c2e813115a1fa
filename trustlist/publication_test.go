package trustlist_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

func pinned(t testing.TB, cc string) (*trustlist.Set, *trustlist.Descriptor, []*trustlist.PrivateKey) {
	t.Helper()
	d, keys := anchorKeys(t, cc, 3, 2)
	s := trustlist.NewSet(trustlist.DefaultPolicy())
	if _, err := s.Pin(d.Raw()); err != nil {
		t.Fatal(err)
	}
	return s, d, keys
}

func hdr(cc string, dv, seq uint64) trustlist.PublicationHeader {
	return trustlist.PublicationHeader{Country: cc, DescriptorVersion: dv, Seq: seq, IssuedAt: now}
}

func hashes(n int, seed uint64) [][trustlist.RevocationHashSize]byte {
	out := make([][trustlist.RevocationHashSize]byte, n)
	for i := range out {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], seed+uint64(i))
		out[i] = trustlist.RevocationHash(b[:])
	}
	return out
}

func revDelta(t testing.TB, h trustlist.PublicationHeader, prev []byte, keys []*trustlist.PrivateKey, withdrawn []trustlist.BatchRef, batches ...*trustlist.RevocationBatch) *trustlist.Revocations {
	t.Helper()
	return tt.Must(trustlist.SignRevocations(&trustlist.Revocations{PublicationHeader: h, Prev: prev, Batches: batches, Withdrawn: withdrawn}, keys))
}

func expect(t *testing.T, d *trustlist.Decision, o trustlist.Outcome, r trustlist.Reason) {
	t.Helper()
	if d.Outcome != o || d.Reason != r {
		t.Fatalf("%s decision %s/%s (%s), want %s/%s", d.Kind, d.Outcome, d.Reason, d.Detail, o, r)
	}
}

func ruleSet(t testing.TB, h trustlist.PublicationHeader, keys []*trustlist.PrivateKey, rules ...string) []byte {
	t.Helper()
	var rs [][]byte
	for _, r := range rules {
		rs = append(rs, []byte(r))
	}
	return tt.Must(trustlist.SignRuleSet(&trustlist.RuleSet{PublicationHeader: h, Rules: rs}, keys)).Raw()
}

const ruleNL1 = `{"Identifier":"VR-NL-0001","Type":"Acceptance","Country":"NL","Version":"1.0.0","Logic":{"===":[1,1]}}`
const ruleNL2 = `{"Identifier":"VR-NL-0001","Type":"Acceptance","Country":"NL","Version":"1.1.0","Logic":{"===":[1,1]}}`

func TestRuleSetsMoveForwardOnly(t *testing.T) {
	s, _, keys := pinned(t, "NL")
	v1 := ruleSet(t, hdr("NL", 1, 1), keys[:2], ruleNL1)
	v2 := ruleSet(t, hdr("NL", 1, 2), keys[:2], ruleNL1, ruleNL2)
	expect(t, s.Accept(v1, now), trustlist.Accepted, "")
	expect(t, s.Accept(v1, now), trustlist.Duplicate, "")
	expect(t, s.Accept(v2, now), trustlist.Accepted, "")
	expect(t, s.Accept(v1, now), trustlist.Rejected, trustlist.ReasonRollback)
	expect(t, s.Accept(ruleSet(t, hdr("NL", 1, 2), keys[:2], ruleNL2), now), trustlist.Rejected, trustlist.ReasonEquivocation)
	if got := s.RuleSet("NL"); got == nil || got.Seq != 2 || len(got.Rules) != 2 {
		t.Fatalf("held rule set %+v", got)
	}
	// One signature of a threshold of two; another country's rule; an unknown anchor.
	expect(t, s.Accept(ruleSet(t, hdr("NL", 1, 3), keys[:1], ruleNL1), now), trustlist.Rejected, trustlist.ReasonThresholdNotMet)
	if _, err := trustlist.SignRuleSet(&trustlist.RuleSet{PublicationHeader: hdr("NL", 1, 3), Rules: [][]byte{[]byte(`{"Identifier":"VR-DE-0001","Country":"DE","Version":"1.0.0"}`)}}, keys[:2]); err == nil {
		t.Fatal("an NL rule set holding a DE rule was signed")
	}
	expect(t, s.Accept(ruleSet(t, hdr("BE", 1, 1), keys[:2]), now), trustlist.Rejected, trustlist.ReasonUnknownAnchor)
	expect(t, s.Accept(ruleSet(t, hdr("NL", 1, 3), keys[:2], ruleNL1), now.Add(-time.Hour)), trustlist.Rejected, trustlist.ReasonExpired)

	vs := tt.Must(trustlist.SignValueSets(&trustlist.ValueSets{PublicationHeader: hdr("NL", 1, 1), Sets: map[string][]string{"vaccines-covid-19-names": {"EU/1/20/1528"}}}, keys[:2]))
	expect(t, s.Accept(vs.Raw(), now), trustlist.Accepted, "")
	if got := s.ValueSets("NL"); got == nil || got.Sets["vaccines-covid-19-names"][0] != "EU/1/20/1528" {
		t.Fatalf("held value sets %+v", got)
	}
}

func TestRevocationChain(t *testing.T) {
	s, d, keys := pinned(t, "NL")
	hs := hashes(10, 0)
	kid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	exp := now.Add(24 * time.Hour)
	b1 := trustlist.NewRevocationBatch(trustlist.HashSignature, kid, exp, "forged", hs[:5])
	b2 := trustlist.NewRevocationBatch(trustlist.HashUCI, nil, exp, "sold", hs[5:])
	r1 := revDelta(t, hdr("NL", 1, 1), nil, keys[:2], nil, b1)
	r2 := revDelta(t, hdr("NL", 1, 2), r1.Hash(), keys[:2], nil, b2)
	r3 := revDelta(t, hdr("NL", 1, 3), r2.Hash(), keys[:2], []trustlist.BatchRef{{Seq: 1, Index: 0}})

	expect(t, s.Accept(r2.Raw(), now), trustlist.Rejected, trustlist.ReasonBrokenChain)
	expect(t, s.Accept(r1.Raw(), now), trustlist.Accepted, "")
	expect(t, s.Accept(r1.Raw(), now), trustlist.Duplicate, "")
	q := func(typ trustlist.HashType, h [16]byte) trustlist.RevocationQuery {
		return trustlist.RevocationQuery{Type: typ, Hash: h}
	}
	if r := s.Revoked("NL", kid, now, q(trustlist.HashSignature, hs[2])); r == nil || r.Reason != "forged" {
		t.Fatalf("hash 2 not revoked: %+v", r)
	}
	// The right hash under another kid, another type, or after the batch expired: not revoked.
	if s.Revoked("NL", []byte{9}, now, q(trustlist.HashSignature, hs[2])) != nil ||
		s.Revoked("NL", kid, now, q(trustlist.HashUCI, hs[2])) != nil ||
		s.Revoked("NL", kid, exp.Add(time.Second), q(trustlist.HashSignature, hs[2])) != nil ||
		s.Revoked("DE", kid, now, q(trustlist.HashSignature, hs[2])) != nil {
		t.Fatal("a hash matched outside its batch's type, kid, expiry or country")
	}
	expect(t, s.Accept(r2.Raw(), now), trustlist.Accepted, "")
	if s.Revoked("NL", []byte("any kid"), now, q(trustlist.HashUCI, hs[7])) == nil {
		t.Fatal("a batch without kid (UNKNOWN_KID) did not match any signer")
	}
	expect(t, s.Accept(r3.Raw(), now), trustlist.Accepted, "")
	if s.Revoked("NL", kid, now, q(trustlist.HashSignature, hs[2])) != nil {
		t.Fatal("a withdrawn batch still revokes")
	}
	expect(t, s.Accept(r1.Raw(), now), trustlist.Duplicate, "")
	otherFirst := revDelta(t, hdr("NL", 1, 1), nil, keys[:2], nil, b2)
	expect(t, s.Accept(otherFirst.Raw(), now), trustlist.Rejected, trustlist.ReasonRollback)
	fork := revDelta(t, hdr("NL", 1, 3), r2.Hash(), keys[:2], nil, b1)
	expect(t, s.Accept(fork.Raw(), now), trustlist.Rejected, trustlist.ReasonEquivocation)
	badPrev := revDelta(t, hdr("NL", 1, 4), r2.Hash(), keys[:2], nil, b1)
	expect(t, s.Accept(badPrev.Raw(), now), trustlist.Rejected, trustlist.ReasonBrokenChain)
	again := revDelta(t, hdr("NL", 1, 4), r3.Hash(), keys[:2], []trustlist.BatchRef{{Seq: 1, Index: 0}})
	expect(t, s.Accept(again.Raw(), now), trustlist.Rejected, trustlist.ReasonMalformed)
	if info := s.RevocationSummary("NL"); info == nil || info.Seq != 3 || info.Batches != 1 || info.Hashes != 5 {
		t.Fatalf("summary %+v", info)
	}

	// After a rotation the old keys publish nothing new, and the new chain
	// starts at seq 1 and replaces the old one.
	newKeys := []*trustlist.PrivateKey{tt.Must(trustlist.GenerateKey(trustlist.AlgES256, nil))}
	d2 := rotate(t, d, newKeys, 1, 2, append(keys[:2:2], newKeys...))
	expect(t, s.Accept(d2.Raw(), now), trustlist.Accepted, "")
	old := revDelta(t, hdr("NL", 1, 4), r3.Hash(), keys[:2], nil, b1)
	expect(t, s.Accept(old.Raw(), now), trustlist.Rejected, trustlist.ReasonBadVersion)
	n1 := revDelta(t, hdr("NL", 2, 1), nil, newKeys, nil, b2)
	expect(t, s.Accept(n1.Raw(), now), trustlist.Accepted, "")
	if s.Revoked("NL", nil, now, q(trustlist.HashUCI, hs[6])) == nil {
		t.Fatal("the new chain's batch does not revoke")
	}

	// A store replays the whole history to the same state.
	dir := t.TempDir()
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	if _, err := st.Pin(d.Raw()); err != nil {
		t.Fatal(err)
	}
	for _, raw := range [][]byte{r1.Raw(), r2.Raw(), r3.Raw(), d2.Raw(), n1.Raw()} {
		if dec, err := st.Import(raw, now); err != nil || dec.Outcome != trustlist.Accepted {
			t.Fatalf("store import: %v %+v", err, dec)
		}
	}
	st.Close()
	loaded := tt.Must(trustlist.LoadDir(dir))
	if loaded.Revoked("NL", nil, now, q(trustlist.HashUCI, hs[6])) == nil || len(loaded.Publications("NL")) != 1 {
		t.Fatalf("store replay lost the revocation chain (%d publications)", len(loaded.Publications("NL")))
	}
}

func TestRevocationDeltaStructure(t *testing.T) {
	_, _, keys := pinned(t, "NL")
	b := trustlist.NewRevocationBatch(trustlist.HashUCI, nil, now.Add(time.Hour), "", hashes(3, 0))
	bad := *b
	bad.Hashes = append(append([]byte(nil), b.Hash(1)...), b.Hash(0)...)
	for name, r := range map[string]*trustlist.Revocations{
		"empty":           {PublicationHeader: hdr("NL", 1, 1)},
		"seq 2 no prev":   {PublicationHeader: hdr("NL", 1, 2), Batches: []*trustlist.RevocationBatch{b}},
		"unsorted":        {PublicationHeader: hdr("NL", 1, 1), Batches: []*trustlist.RevocationBatch{&bad}},
		"unknown type":    {PublicationHeader: hdr("NL", 1, 1), Batches: []*trustlist.RevocationBatch{{HashType: "MD5", Expires: now, Hashes: b.Hashes}}},
		"future withdraw": {PublicationHeader: hdr("NL", 1, 1), Withdrawn: []trustlist.BatchRef{{Seq: 1}}},
	} {
		if _, err := trustlist.SignRevocations(r, keys[:2]); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

// TestRevocationPrefixCollision: the index is keyed by 8 bytes; two hashes
// sharing them are still told apart, and withdrawing one keeps the other.
func TestRevocationPrefixCollision(t *testing.T) {
	s, _, keys := pinned(t, "NL")
	var a, b [16]byte
	copy(a[:], "prefix!!AAAAAAAA")
	copy(b[:], "prefix!!BBBBBBBB")
	exp := now.Add(time.Hour)
	r1 := revDelta(t, hdr("NL", 1, 1), nil, keys[:2], nil, trustlist.NewRevocationBatch(trustlist.HashUCI, nil, exp, "a", [][16]byte{a}))
	expect(t, s.Accept(r1.Raw(), now), trustlist.Accepted, "")
	q := func(h [16]byte) trustlist.RevocationQuery {
		return trustlist.RevocationQuery{Type: trustlist.HashUCI, Hash: h}
	}
	if s.Revoked("NL", nil, now, q(b)) != nil {
		t.Fatal("a hash sharing only the 8-byte prefix matched")
	}
	r2 := revDelta(t, hdr("NL", 1, 2), r1.Hash(), keys[:2], nil, trustlist.NewRevocationBatch(trustlist.HashUCI, nil, exp, "b", [][16]byte{b, a}))
	expect(t, s.Accept(r2.Raw(), now), trustlist.Accepted, "")
	if r := s.Revoked("NL", nil, now, q(b)); r == nil || r.Reason != "b" {
		t.Fatalf("b: %+v", r)
	}
	r3 := revDelta(t, hdr("NL", 1, 3), r2.Hash(), keys[:2], []trustlist.BatchRef{{Seq: 1, Index: 0}})
	expect(t, s.Accept(r3.Raw(), now), trustlist.Accepted, "")
	if r := s.Revoked("NL", nil, now, q(a)); r == nil || r.Reason != "b" {
		t.Fatalf("a after withdrawing its first batch: %+v", r)
	}
	r4 := revDelta(t, hdr("NL", 1, 4), r3.Hash(), keys[:2], []trustlist.BatchRef{{Seq: 2, Index: 0}})
	expect(t, s.Accept(r4.Raw(), now), trustlist.Accepted, "")
	if s.Revoked("NL", nil, now, q(a)) != nil || s.Revoked("NL", nil, now, q(b)) != nil {
		t.Fatal("a withdrawn hash still revokes")
	}
}
