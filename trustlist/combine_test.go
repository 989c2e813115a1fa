package trustlist_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// TestCombinePartsKeepsThreshold: parts signed apart combine into an object
// that verifies only when distinct keys reach the threshold; a part repeated,
// or the same key signing twice, counts once; parts of different payloads
// are refused.
func TestCombinePartsKeepsThreshold(t *testing.T) {
	var keys []*trustlist.PrivateKey
	for range 3 {
		keys = append(keys, tt.Must(trustlist.GenerateKey(trustlist.AlgES256, nil)))
	}
	pubs := []*trustlist.PublicKey{keys[0].Public(), keys[1].Public(), keys[2].Public()}
	d := tt.Must(trustlist.SignDescriptor(&trustlist.Descriptor{Country: "NL", Name: "NL", Version: 1, Threshold: 2, Keys: pubs, IssuedAt: time.Now()}, keys[:2]))
	now := time.Now().Truncate(time.Second)
	l := &trustlist.List{Country: "NL", DescriptorVersion: 1, Seq: 1, IssuedAt: now, NextUpdate: now.Add(time.Hour)}
	part1 := tt.Must(trustlist.SignList(l, keys[:1])).Raw()
	part2 := tt.Must(trustlist.SignPart(part1, keys[1:2]))
	if kids := tt.Must(trustlist.Signers(part2)); len(kids) != 1 {
		t.Fatalf("a part carries only its custodian's signature, got %d", len(kids))
	}

	verify := func(raw []byte) error {
		return tt.Must(trustlist.ParseList(raw)).Verify(d)
	}
	if err := verify(tt.Must(trustlist.CombineParts(part1, part1))); err == nil || trustlist.ReasonOf(err) != trustlist.ReasonThresholdNotMet {
		t.Errorf("one key twice: %v, want threshold_not_met", err)
	}
	again := tt.Must(trustlist.SignPart(part1, keys[:1])) // the same key signs again
	if err := verify(tt.Must(trustlist.CombineParts(part1, again))); err == nil {
		t.Error("one key in two parts met a threshold of 2")
	}
	both := tt.Must(trustlist.CombineParts(part1, part2))
	if err := verify(both); err != nil {
		t.Errorf("two custodians: %v", err)
	}
	if got := tt.Must(trustlist.ParseList(both)).Hash(); string(got) != string(tt.Must(trustlist.ParseList(part1)).Hash()) {
		t.Error("combining changed the list's identity")
	}
	other := *l
	other.NextUpdate = now.Add(2 * time.Hour)
	part3 := tt.Must(trustlist.SignList(&other, keys[2:])).Raw()
	if _, err := trustlist.CombineParts(part1, part3); err == nil || !strings.Contains(err.Error(), "different payload") {
		t.Errorf("different payloads combined: %v", err)
	}
	if _, err := trustlist.CombineParts([]byte("not cose")); err == nil {
		t.Error("garbage combined")
	}
}

// TestWrongKindNamed: a list given where a descriptor is expected says so in
// words, not in CBOR field types.
func TestWrongKindNamed(t *testing.T) {
	a := tt.NewAnchor(t, "NL")
	l := a.SignList(t, time.Now(), time.Hour)
	_, err := trustlist.ParseDescriptor(l.Raw())
	if err == nil || !strings.Contains(err.Error(), "this is a trust list, not an anchor descriptor") || strings.Contains(err.Error(), "cbor") {
		t.Errorf("got %v", err)
	}
	if _, err := trustlist.ParseList(a.Descriptor.Raw()); err == nil || !strings.Contains(err.Error(), "this is an anchor descriptor, not a trust list") {
		t.Errorf("got %v", err)
	}
}
