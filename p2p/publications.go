package p2p

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

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
// the peer's, the peer's publications in acceptance order, page by page, and
// imports those newer than what this node holds (an older one from an
// honest peer that is behind is skipped, not held against it).
func (r *syncRound) syncPublications() error {
	set := r.n.Set()
	for _, h := range r.remote.Anchors {
		if h.PubCount == 0 || set.Descriptor(h.Country) == nil {
			continue
		}
		if mine, _ := pubDigest(set, h.Country); bytes.Equal(mine, h.PubDigest) {
			continue
		}
		for from := uint64(0); from < uint64(h.PubCount); {
			req := syncRequest{Op: opPublications, Country: h.Country, From: from}
			var objs [][]byte
			n := 0
			err := r.fetch(req, r.n.cfg.MaxObjectSize, func(o []byte) error {
				n++
				want, err := newPublication(set, h.Country, o)
				if err != nil {
					return invalid(req.Op, "%v", err)
				}
				if want {
					objs = append(objs, o)
				} else {
					r.skip()
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
			if err := r.importAll(req, objs, r.now); err != nil {
				return err
			}
			from += uint64(n)
		}
	}
	return nil
}

// newPublication reports whether o, a publication of country, is newer than
// what set holds (a structural decode; Import verifies it).
func newPublication(set *trustlist.Set, country string, o []byte) (bool, error) {
	k, err := trustlist.PeekKind(o)
	if err != nil {
		return false, err
	}
	switch k {
	case trustlist.KindRuleSet:
		rs, err := trustlist.ParseRuleSet(o)
		if err != nil || rs.Country != country {
			return false, fmt.Errorf("rule set: %v", err)
		}
		held := set.RuleSet(country)
		return held == nil || rs.Seq > held.Seq, nil
	case trustlist.KindValueSets:
		vs, err := trustlist.ParseValueSets(o)
		if err != nil || vs.Country != country {
			return false, fmt.Errorf("value sets: %v", err)
		}
		held := set.ValueSets(country)
		return held == nil || vs.Seq > held.Seq, nil
	case trustlist.KindRevocations:
		rv, err := trustlist.ParseRevocations(o)
		if err != nil || rv.Country != country {
			return false, fmt.Errorf("revocation delta: %v", err)
		}
		info := set.RevocationSummary(country)
		return info == nil || rv.DescriptorVersion > info.DescriptorVersion ||
			(rv.DescriptorVersion == info.DescriptorVersion && rv.Seq > info.Seq), nil
	}
	return false, fmt.Errorf("a %s is not a publication", k)
}

// PublicationInfo is one row of GET /v1/publications/{country}.
type PublicationInfo struct {
	Kind              string    `json:"kind"`
	Seq               uint64    `json:"seq"`
	DescriptorVersion uint64    `json:"descriptor_version"`
	IssuedAt          time.Time `json:"issued_at"`
	Hash              string    `json:"hash"`
	Items             int       `json:"items"` // rules, value sets, or batches added
}

// handlePublications answers GET /v1/publications/{country}: the rule set,
// value sets and revocation deltas held for an anchor, in acceptance order.
func (n *Node) handlePublications(w http.ResponseWriter, r *http.Request) {
	cc := strings.ToUpper(r.PathValue("country"))
	set := n.Set()
	var out []PublicationInfo
	if rs := set.RuleSet(cc); rs != nil {
		out = append(out, PublicationInfo{Kind: string(trustlist.KindRuleSet), Seq: rs.Seq, DescriptorVersion: rs.DescriptorVersion,
			IssuedAt: rs.IssuedAt, Hash: hex.EncodeToString(rs.Hash()), Items: len(rs.Rules)})
	}
	if vs := set.ValueSets(cc); vs != nil {
		out = append(out, PublicationInfo{Kind: string(trustlist.KindValueSets), Seq: vs.Seq, DescriptorVersion: vs.DescriptorVersion,
			IssuedAt: vs.IssuedAt, Hash: hex.EncodeToString(vs.Hash()), Items: len(vs.Sets)})
	}
	for _, rv := range set.RevocationChain(cc) {
		out = append(out, PublicationInfo{Kind: string(trustlist.KindRevocations), Seq: rv.Seq, DescriptorVersion: rv.DescriptorVersion,
			IssuedAt: rv.IssuedAt, Hash: hex.EncodeToString(rv.Hash()), Items: len(rv.Batches)})
	}
	if out == nil {
		writeError(w, http.StatusNotFound, "no rules, value sets or revocations held for %q", cc)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
