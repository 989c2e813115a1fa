package trustlist_test

import (
	"crypto/rand"
	"fmt"
	"log"
	"time"

	"github.com/accord-network/accord/trustlist"
)

// An anchor publishes a threshold-signed list; a verifier that pinned the
// anchor's descriptor accepts it, refuses a rolled-back copy, and finds the
// listed key by kid.
func Example() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	// The anchor: three keys, any two of which sign.
	var keys []*trustlist.PrivateKey
	var pubs []*trustlist.PublicKey
	for range 3 {
		k, err := trustlist.GenerateKey(trustlist.AlgEdDSA, rand.Reader)
		if err != nil {
			log.Fatal(err)
		}
		keys, pubs = append(keys, k), append(pubs, k.Public())
	}
	desc, err := trustlist.SignDescriptor(&trustlist.Descriptor{Country: "NL", Name: "Netherlands Health Authority",
		Version: 1, Threshold: 2, Keys: pubs, IssuedAt: now}, keys[:2])
	if err != nil {
		log.Fatal(err)
	}

	// One document signer, a COSE key allowed to sign health certificates.
	signer, err := trustlist.GenerateKey(trustlist.AlgEdDSA, rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	entry, err := trustlist.NewCOSEKeyEntry(signer.Public(), []trustlist.DocType{trustlist.DocHCert}, "NL DSC 1", now, now.AddDate(1, 0, 0))
	if err != nil {
		log.Fatal(err)
	}
	sign := func(seq uint64, prev []byte, by ...*trustlist.PrivateKey) *trustlist.List {
		l, err := trustlist.SignList(&trustlist.List{Country: "NL", DescriptorVersion: 1, Seq: seq, Prev: prev,
			IssuedAt: now, NextUpdate: now.AddDate(0, 1, 0), Entries: []*trustlist.Entry{entry}}, by)
		if err != nil {
			log.Fatal(err)
		}
		return l
	}
	list1 := sign(1, nil, keys[0], keys[1])
	list2 := sign(2, list1.Hash(), keys[1], keys[2])
	forged := sign(3, list2.Hash(), keys[0]) // one stolen key is not enough

	// The verifier pins the descriptor (its hash checked out of band) and
	// accepts lists as they arrive, in any order the network delivers them.
	set := trustlist.NewSet(trustlist.DefaultPolicy())
	if _, err := set.Pin(desc.Raw()); err != nil {
		log.Fatal(err)
	}
	for _, l := range []*trustlist.List{list1, list2, list1, forged} {
		d := set.Accept(l.Raw(), now.Add(time.Hour))
		fmt.Printf("seq %d: %s", l.Seq, d.Outcome)
		if d.Reason != "" {
			fmt.Printf(" (%s)", d.Reason)
		}
		fmt.Println()
	}
	for _, m := range set.Find(trustlist.Query{KID: entry.KID, Use: trustlist.DocHCert}) {
		fmt.Printf("kid found: %s, listed by %s in seq %d\n", m.Entry.Name, m.Country, m.Seq)
	}
	// Output:
	// seq 1: accepted
	// seq 2: accepted
	// seq 1: duplicate
	// seq 3: rejected (threshold_not_met)
	// kid found: NL DSC 1, listed by NL in seq 2
}
