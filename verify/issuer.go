package verify

import (
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

// Claims is what a document says about its own issuer, to be compared with
// what the trust list says. Only a signature by a listed key makes a claim
// worth anything, and even then it must agree with the listing.
type Claims struct {
	// Country is the issuer country the document names (an HC1 CWT iss), ""
	// when it names none.
	Country string
	// Source says where the claim is, for people ("CWT iss").
	Source string
}

// IssuerChecks records the checks that judge a listed issuer entry: that the
// anchor is trustworthy and agrees with the document's claims
// (issuer_trusted), that the entry's validity window covers the signing time
// (key_valid_at_signing), that it is not revoked (not_revoked) and that the
// list is fresh (list_fresh). It sets r.Issuer. claims, if given, is what the
// document says about its issuer (at most one).
//
// This is the single place these rules live (spec/verify.md §Issuer checks):
//   - An anchor with equivocation evidence fails issuer_trusted; so does an
//     anchor admitted by endorsements that expired by the verification time,
//     and a document whose claimed issuer country is not the country the
//     listing entry issues for.
//   - When the signing time is only the signer's claim (or absent), the
//     entry must also be within its validity at the verification time; a
//     trusted time lets the window at signing time suffice.
//   - A revoked entry fails not_revoked, unless the signing time is trusted
//     and lies before the revocation time.
//   - A stale list fails list_fresh, or passes with a warning when offline.
func (env *Env) IssuerChecks(r *Result, m trustlist.Match, signed SigningTime, claims ...Claims) {
	e := m.Entry
	// The passing details are built in one buffer (they are read for few
	// documents of a bulk run, so they should cost little).
	t := r.Text()
	r.Issuer = &Issuer{Country: m.IssuerCountry(), ListedBy: m.Country, Anchor: m.Anchor, Name: e.Name, KID: t.Hex(e.KID), Domain: e.Domain, Seq: m.Seq}
	var claim Claims
	if len(claims) > 0 {
		claim = claims[0]
		r.Issuer.ClaimedCountry = claim.Country
	}
	env.issuerTrusted(r, &m, claim, t)
	env.keyValid(r, e, signed, t)
	seq := t.Uint(m.Seq)
	switch {
	case e.Status != trustlist.StatusRevoked:
		r.addDetail(CheckNotRevoked, Pass, t.Join("key is active in list seq ", seq))
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
		r.addDetail(CheckListFresh, Pass, t.Join(m.Country, " list seq ", seq, " is current until ", t.Time(m.NextUpdate)))
	}
}

// issuerTrusted judges the anchor and the document's claims about its issuer.
func (env *Env) issuerTrusted(r *Result, m *trustlist.Match, claim Claims, t *TextBuf) {
	e := m.Entry
	cc := m.IssuerCountry()
	switch {
	case m.Equivocated:
		r.Add(CheckIssuerTrusted, Fail, "anchor %s (%s) has signed conflicting lists (equivocation evidence held); none of its lists can be trusted", m.Country, m.Anchor)
	case !m.AdmittedUntil.IsZero() && !env.At.Before(m.AdmittedUntil):
		r.Add(CheckIssuerTrusted, Fail, "anchor %s (%s) is not pinned, and the endorsements that admitted it expired at %s", m.Country, m.Anchor, ts(m.AdmittedUntil))
	case claim.Country != "" && claim.Country != cc:
		r.Add(CheckIssuerTrusted, Fail, "the document claims issuer country %s (%s), but its key %s is listed by %s (%s) for %s: a listed key may only issue for the country it is listed for",
			claim.Country, claim.Source, e.Name, m.Country, m.Anchor, cc)
	case cc != m.Country:
		r.Add(CheckIssuerTrusted, Pass, "%s is listed for %s by %s (%s), list seq %d%s", e.Name, cc, m.Country, m.Anchor, m.Seq, claimNote(claim))
	default:
		if claim.Country != "" {
			r.addDetail(CheckIssuerTrusted, Pass, t.Join(e.Name, " is listed by ", m.Country, " (", m.Anchor, "), list seq ", t.Uint(m.Seq),
				"; the document's ", claim.Source, " ", claim.Country, " agrees"))
			return
		}
		r.addDetail(CheckIssuerTrusted, Pass, t.Join(e.Name, " is listed by ", m.Country, " (", m.Anchor, "), list seq ", t.Uint(m.Seq), claimNote(claim)))
	}
}

func claimNote(c Claims) string {
	if c.Country == "" {
		if c.Source != "" {
			return "; the document names no issuer country (" + c.Source + ")"
		}
		return ""
	}
	return "; the document's " + c.Source + " " + c.Country + " agrees"
}

// keyValid applies the validity rule. A signer's own claim of time is worth
// nothing against a key that has expired since (whoever holds the old key can
// backdate), so unless the time is trusted the entry must also be valid now.
func (env *Env) keyValid(r *Result, e *trustlist.Entry, signed SigningTime, t *TextBuf) {
	window := func() string { return ts(e.NotBefore) + " to " + ts(e.NotAfter) }
	switch {
	case signed.Trusted && e.ValidAt(signed.Time):
		r.Add(CheckKeyValidAtSigning, Pass, "signed at %s (%s, a trusted time), within the key's validity %s", ts(signed.Time), signed.Source, window())
	case !signed.Time.IsZero() && !e.ValidAt(signed.Time):
		r.Add(CheckKeyValidAtSigning, Fail, "signed at %s (%s), outside the key's validity %s", ts(signed.Time), signed.Source, window())
	case signed.Time.IsZero() && !e.ValidAt(env.At):
		r.Add(CheckKeyValidAtSigning, Fail, "the document carries no signing time, and the key's validity %s does not cover the verification time %s", window(), ts(env.At))
	case signed.Time.IsZero():
		r.Add(CheckKeyValidAtSigning, Pass, "the document carries no signing time; the key's validity %s covers the verification time %s", window(), ts(env.At))
	case !e.ValidAt(env.At):
		r.Add(CheckKeyValidAtSigning, Fail, "signed at %s by the signer's own claim (%s), but the key's validity %s no longer covers the verification time %s; only a trusted time (a verified timestamp) can vouch for a document signed by a key that has expired since",
			ts(signed.Time), signed.Source, window(), ts(env.At))
	default:
		// The common case, built without fmt in the result's text buffer.
		r.addDetail(CheckKeyValidAtSigning, Pass, t.Join("signed at ", t.Time(signed.Time), " (", signed.Source, "), within the key's validity ",
			t.Time(e.NotBefore), " to ", t.Time(e.NotAfter), ", which also covers the verification time"))
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
