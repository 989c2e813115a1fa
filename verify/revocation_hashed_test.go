package verify_test

import (
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// revSource is a RevocationSource holding one revoked hash for NL only.
type revSource struct {
	verify.TrustedMaterial
	hash [trustlist.RevocationHashSize]byte
}

func (s revSource) Revoked(country string, _ []byte, _ time.Time, qs ...trustlist.RevocationQuery) *trustlist.Revocation {
	for _, q := range qs {
		if country == "NL" && q.Hash == s.hash {
			return &trustlist.Revocation{Reason: "test"}
		}
	}
	return nil
}

func (s revSource) RevocationSummary(country string) *trustlist.RevocationInfo {
	if country != "NL" {
		return nil
	}
	return &trustlist.RevocationInfo{Country: "NL", Hashes: 1}
}

// TestDocumentNotRevokedHashed pins that the hashes are computed only for
// an anchor that published revocations, and that the verdict is then
// DocumentNotRevoked's.
func TestDocumentNotRevokedHashed(t *testing.T) {
	revoked := trustlist.RevocationHash([]byte("revoked"))
	env := &verify.Env{Trust: revSource{hash: revoked}}
	for _, c := range []struct {
		country string
		hash    [trustlist.RevocationHashSize]byte
		n       int
		called  bool
		status  verify.Status
	}{
		{"DE", revoked, 1, false, verify.Pass}, // DE publishes nothing: no hashing
		{"NL", revoked, 1, true, verify.Fail},
		{"NL", trustlist.RevocationHash([]byte("other")), 1, true, verify.Pass},
		{"NL", revoked, 0, false, verify.Skip}, // the document yields no hash
	} {
		called := false
		r := &verify.Result{}
		env.DocumentNotRevokedHashed(r, c.country, nil, c.n, func(qs []trustlist.RevocationQuery) []trustlist.RevocationQuery {
			called = true
			return append(qs, trustlist.RevocationQuery{Type: trustlist.HashSignature, Hash: c.hash})
		})
		ch := r.Check(verify.CheckDocumentNotRevoked)
		if ch == nil || ch.Status != c.status || called != c.called {
			t.Errorf("%s n=%d: check %+v, hashes computed %v; want %s, computed %v", c.country, c.n, ch, called, c.status, c.called)
		}
	}
}
