package p2p

import (
	"crypto/sha256"

	"github.com/accord-network/accord/trustlist"
)

// Publications (rule sets, value sets, revocation deltas: spec/rules.md)
// travel like lists. Gossip carries them on the anchors topic; sync compares
// a digest of what each side holds per anchor and, when they differ, fetches
// the peer's publications of that anchor in acceptance order, a page at a
// time (opPublications, From = index of the first object wanted).

const opPublications = "publications" // country, from → held publications from index from

// pubDigest summarises the publications held for an anchor: SHA-256 over
// their hashes in acceptance order (nil when none are held).
func pubDigest(set *trustlist.Set, country string) ([]byte, int) {
	pubs := set.Publications(country)
	if len(pubs) == 0 {
		return nil, 0
	}
	h := sha256.New()
	for _, raw := range pubs {
		s := sha256.Sum256(raw)
		h.Write(s[:])
	}
	return h.Sum(nil), len(pubs)
}

// servePublications answers opPublications: the held publications of
// country from index from, within the response limits.
func servePublications(set *trustlist.Set, country string, from uint64) [][]byte {
	pubs := set.Publications(country)
	var objs [][]byte
	size := 0
	for i := from; i < uint64(len(pubs)) && len(objs) < maxBatchObjects; i++ {
		if size += len(pubs[i]); size > maxBatchBytes && len(objs) > 0 {
			break
		}
		objs = append(objs, pubs[i])
	}
	return objs
}

// syncPublications fetches, for each anchor whose publications differ from
// the peer's, the peer's publications in order and imports them; each is
// verified as if gossiped (older or equal ones come back as duplicates or
// rollbacks and change nothing).
func (n *Node) syncPublications(remote []headInfo, fetch func(syncRequest) ([][]byte, error), importAll func([][]byte)) error {
	set := n.Set()
	for _, h := range remote {
		if h.PubCount == 0 || set.Descriptor(h.Country) == nil {
			continue
		}
		if mine, _ := pubDigest(set, h.Country); string(mine) == string(h.PubDigest) {
			continue
		}
		for from := uint64(0); from < uint64(h.PubCount); {
			objs, err := fetch(syncRequest{Op: opPublications, Country: h.Country, From: from})
			if err != nil {
				return err
			}
			if len(objs) == 0 {
				break
			}
			importAll(objs)
			from += uint64(len(objs))
		}
	}
	return nil
}
