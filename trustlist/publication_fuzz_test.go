package trustlist_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// FuzzParsePublication decodes arbitrary bytes as rule sets, value sets and
// revocation deltas and feeds them to a set holding their anchor: never a
// panic; anything that parses is structurally sound; anything accepted is
// found again. Seeds are real signed publications.
func FuzzParsePublication(f *testing.F) {
	s, d, keys := pinned(f, "NL")
	_ = s
	b := trustlist.NewRevocationBatch(trustlist.HashSignature, []byte{1, 2, 3, 4, 5, 6, 7, 8}, now.Add(time.Hour), "seed", hashes(3, 0))
	r1 := revDelta(f, hdr("NL", 1, 1), nil, keys[:2], nil, b)
	f.Add(r1.Raw())
	f.Add(revDelta(f, hdr("NL", 1, 2), r1.Hash(), keys[:2], []trustlist.BatchRef{{Seq: 1}}).Raw())
	f.Add(ruleSet(f, hdr("NL", 1, 1), keys[:2], `{"Identifier":"VR-NL-0001","Country":"NL","Version":"1.0.0","Logic":{"var":"x"}}`))
	f.Add(tt.Must(trustlist.SignValueSets(&trustlist.ValueSets{PublicationHeader: hdr("NL", 1, 1), Sets: map[string][]string{"a": {"1", "2"}}}, keys[:2])).Raw())
	f.Fuzz(func(t *testing.T, raw []byte) {
		if r, err := trustlist.ParseRevocations(raw); err == nil {
			for _, b := range r.Batches {
				if len(b.Hashes)%trustlist.RevocationHashSize != 0 || b.Len() == 0 {
					t.Fatal("a parsed batch has a broken hash run")
				}
			}
		}
		trustlist.ParseRuleSet(raw)
		trustlist.ParseValueSets(raw)
		set := trustlist.NewSet(trustlist.DefaultPolicy())
		if _, err := set.Pin(d.Raw()); err != nil {
			t.Fatal(err)
		}
		dec := set.Accept(raw, now)
		if dec.Outcome == trustlist.Rejected && dec.Reason == "" {
			t.Fatal("rejection without reason")
		}
		if dec.Outcome == trustlist.Accepted && dec.Kind == trustlist.KindRevocations {
			pubs := set.Publications("NL")
			if len(pubs) != 1 || !bytes.Equal(pubs[0], raw) {
				t.Fatal("an accepted delta is not held")
			}
		}
	})
}
