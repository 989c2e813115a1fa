package verify

import (
	"time"

	"github.com/accord-network/accord/trustlist"
)

// CheckDocumentNotRevoked is the check that the document itself (not its
// signing key) is not in a revocation batch of its issuer's anchor.
const CheckDocumentNotRevoked = "document_not_revoked"

// RevocationSource is trusted material that holds anchors' revocation
// batches. A *trustlist.Set implements it.
type RevocationSource interface {
	Revoked(country string, kid []byte, at time.Time, qs ...trustlist.RevocationQuery) *trustlist.Revocation
	RevocationSummary(country string) *trustlist.RevocationInfo
}

// DocumentNotRevoked records the document_not_revoked check: whether the
// anchor of country (the one that lists the document's issuer) published a
// revocation batch, in force at env.At, holding one of the document's hashes
// qs for the signing key kid. It is the one place every format's document
// revocation is decided (spec/rules.md §Revocation).
func (env *Env) DocumentNotRevoked(r *Result, country string, kid []byte, qs ...trustlist.RevocationQuery) {
	src, ok := env.Trust.(RevocationSource)
	switch {
	case !ok:
		r.Add(CheckDocumentNotRevoked, Skip, "the trusted material carries no revocation batches")
		return
	case country == "":
		r.Add(CheckDocumentNotRevoked, Skip, "no anchor lists the issuer, so there are no batches to consult")
		return
	case len(qs) == 0:
		r.Add(CheckDocumentNotRevoked, Skip, "the document yields no revocation hash")
		return
	}
	if rev := src.Revoked(country, kid, env.At, qs...); rev != nil {
		reason := rev.Reason
		if reason == "" {
			reason = "no reason given"
		}
		r.Add(CheckDocumentNotRevoked, Fail, "revoked by %s (%s hash, revocation delta seq %d, batch expires %s): %s",
			country, rev.HashType, rev.Seq, ts(rev.Expires), reason)
		return
	}
	if info := src.RevocationSummary(country); info != nil {
		t := r.Text()
		r.addDetail(CheckDocumentNotRevoked, Pass, t.Join("not among the ", t.Int(int64(info.Hashes)), " hashes ", country, " revokes (revocation delta seq ", t.Uint(info.Seq), ")"))
		return
	}
	noRevocations(r, country)
}

// noRevocations records the pass of a document whose issuer's anchor has
// published no revocation batches.
func noRevocations(r *Result, country string) {
	r.addDetail(CheckDocumentNotRevoked, Pass, r.Text().Join(country, " has published no document revocations"))
}

// DocumentNotRevokedHashed is DocumentNotRevoked for a format whose
// revocation hashes cost a hash computation each: n is how many hashes the
// document yields, and hashes appends them to its argument. When the anchor
// of country has published no revocation batches (its RevocationSummary is
// nil), no hash can be in one, so the verdict is DocumentNotRevoked's
// without computing them; otherwise hashes is called and DocumentNotRevoked
// decides.
func (env *Env) DocumentNotRevokedHashed(r *Result, country string, kid []byte, n int, hashes func([]trustlist.RevocationQuery) []trustlist.RevocationQuery) {
	if src, ok := env.Trust.(RevocationSource); ok && country != "" && n > 0 && src.RevocationSummary(country) == nil {
		noRevocations(r, country)
		return
	}
	var qs []trustlist.RevocationQuery
	if n > 0 {
		qs = hashes(make([]trustlist.RevocationQuery, 0, n))
	}
	env.DocumentNotRevoked(r, country, kid, qs...)
}
