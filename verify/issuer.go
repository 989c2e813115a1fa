package verify

import (
	"encoding/hex"
	"time"

	"github.com/accord-network/accord/trustlist"
)

// SigningTime says when a document was signed and how much that claim is worth.
type SigningTime struct {
	Time time.Time
	// Trusted is true when the time comes from a source the signer does not
	// control (an RFC 3161 timestamp by a trusted TSA). A signer's own claim
	// (a CWT iat, a PDF /M) is not trusted: whoever holds a compromised key
	// can backdate it.
	Trusted bool
	// Source describes where the time came from, for people.
	Source string
}

// IssuerChecks records the checks that judge a listed issuer entry: that the
// anchor is trustworthy (issuer_trusted), that the entry's validity window
// covers the signing time (key_valid_at_signing), that it is not revoked
// (not_revoked) and that the list is fresh (list_fresh). It sets r.Issuer.
//
// This is the single place these rules live (spec/verify.md §Issuer checks):
//   - An anchor with equivocation evidence fails issuer_trusted.
//   - A revoked entry fails not_revoked, unless the signing time is trusted
//     and lies before the revocation time.
//   - A stale list fails list_fresh, or passes with a warning when offline.
func (env *Env) IssuerChecks(r *Result, m trustlist.Match, signed SigningTime) {
	e := m.Entry
	r.Issuer = &Issuer{Country: m.Country, Anchor: m.Anchor, Name: e.Name, KID: hex.EncodeToString(e.KID), Domain: e.Domain, Seq: m.Seq}
	if m.Equivocated {
		r.Add(CheckIssuerTrusted, Fail, "anchor %s (%s) has signed conflicting lists (equivocation evidence held); none of its lists can be trusted", m.Country, m.Anchor)
	} else {
		r.Add(CheckIssuerTrusted, Pass, "%s is listed by %s (%s), list seq %d", e.Name, m.Country, m.Anchor, m.Seq)
	}
	switch {
	case signed.Time.IsZero():
		r.Add(CheckKeyValidAtSigning, Skip, "the document carries no signing time")
	case !e.ValidAt(signed.Time):
		r.Add(CheckKeyValidAtSigning, Fail, "signed at %s (%s), outside the key's validity %s to %s",
			ts(signed.Time), signed.Source, ts(e.NotBefore), ts(e.NotAfter))
	default:
		r.Add(CheckKeyValidAtSigning, Pass, "signed at %s (%s), within the key's validity %s to %s",
			ts(signed.Time), signed.Source, ts(e.NotBefore), ts(e.NotAfter))
	}
	switch {
	case e.Status != trustlist.StatusRevoked:
		r.Add(CheckNotRevoked, Pass, "key is active in list seq %d", m.Seq)
	case signed.Trusted && signed.Time.Before(e.RevokedAt):
		r.Add(CheckNotRevoked, Pass, "key was revoked at %s (%s), after the trusted signing time %s", ts(e.RevokedAt), e.Reason, ts(signed.Time))
	default:
		r.Add(CheckNotRevoked, Fail, "key was revoked at %s: %s", ts(e.RevokedAt), e.Reason)
	}
	ok, warn := trustlist.Freshness(m.NextUpdate, env.At, env.Offline)
	switch {
	case !ok:
		r.Add(CheckListFresh, Fail, "%s %s", m.Country, warn)
	case warn != "":
		r.Add(CheckListFresh, Pass, "%s %s", m.Country, warn)
		r.Warn("%s %s", m.Country, warn)
	default:
		r.Add(CheckListFresh, Pass, "%s list seq %d is current until %s", m.Country, m.Seq, ts(m.NextUpdate))
	}
}

// NotListed records that no trust list names the signing key: issuer_trusted
// fails, and the checks that depend on an entry are skipped.
func (env *Env) NotListed(r *Result, why string) {
	r.Add(CheckIssuerTrusted, Fail, "%s", why)
	for _, n := range []string{CheckKeyValidAtSigning, CheckNotRevoked, CheckListFresh} {
		r.Add(n, Skip, "no trusted list entry for this key")
	}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }
