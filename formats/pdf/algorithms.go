package pdf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"strings"
	"time"

	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/verify"
)

// CheckAlgorithms is the check that a signature's digest and signature
// algorithms and key sizes were acceptable at the time of signing.
const CheckAlgorithms = "algorithms"

// The algorithm policy (spec/pdf.md §Algorithm policy) is the table of EU
// DSS's default cryptographic constraints, which transcribe ETSI TS 119 312
// V1.4.2 and, for algorithms retired before it, ETSI TS 102 176-1: each
// algorithm and key size is acceptable until the start of a year. Signing
// at or after that instant is refused, except for end dates after
// policyUpdated: those are the specification's forecasts, and passing one
// gives a warning until the table is revised (DSS's LevelAfterUpdate=WARN).
// Everything is judged at the trusted time of signing, or at the
// verification time when the signing time is only the signer's claim.

// policyUpdated is when the table was last revised (TS 119 312 V1.4.2).
var policyUpdated = year(2022)

func year(y int) time.Time { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC) }

// never marks an algorithm or size that is not acceptable at any time.
var never = time.Time{}

// digestUntil is, per digest algorithm, when it stops being acceptable in
// a signature.
var digestUntil = map[crypto.Hash]time.Time{
	crypto.MD5:      year(2005), // TS 102 176-1 (historical)
	crypto.SHA1:     year(2009), // TS 102 176-1 V2.0.0 (historical)
	crypto.SHA224:   year(2026), // TS 119 312 V1.4.2
	crypto.SHA256:   year(2029),
	crypto.SHA384:   year(2029),
	crypto.SHA512:   year(2029),
	crypto.SHA3_256: year(2029),
	crypto.SHA3_384: year(2029),
	crypto.SHA3_512: year(2029),
}

// sizeRule: keys of at least bits are acceptable until until.
type sizeRule struct {
	bits  int
	until time.Time
}

// rsaUntil and ecUntil are the key-size rules, largest first.
var (
	rsaUntil = []sizeRule{
		{3000, year(2029)}, // TS 119 312 V1.4.2
		{1900, year(2026)}, // TS 119 312 V1.4.2
		{1536, year(2016)}, // TS 119 312 V1.1.1
		{1024, year(2009)}, // TS 102 176-1 V2.0.0 (historical)
	}
	ecUntil = []sizeRule{ // ECDSA on NIST and brainpool curves, by field size
		{256, year(2029)}, // TS 119 312 V1.4.2 (256, 384, 512/521)
		{224, year(2016)}, // TS 119 312 V1.1.1
		{160, year(2013)}, // TS 102 176-1 V2.1.1 (historical)
	}
)

// sha1CertsUntil: a certificate of the signer's path signed with SHA-1 and
// issued before this date passes with a warning (older national CAs);
// one issued later is refused. It is the date from which the CA/Browser
// Forum Baseline Requirements forbid issuing SHA-1 certificates.
var sha1CertsUntil = year(2016)

// noSignedAttrs is the phrase of the algorithms failure for a SHA-1 CMS
// without signed attributes; the ETSI mapping reads it as
// SIG_CONSTRAINTS_FAILURE (the signed attributes that bind the signer are
// missing), as DSS reports such a signature.
const noSignedAttrs = "without signed attributes"

// verdict of one policy rule at a time.
type verdict struct {
	fail, warn string
}

// judgeUntil applies an end date at time at to what.
func judgeUntil(what string, until, at time.Time, when string) verdict {
	switch {
	case until.IsZero():
		return verdict{fail: what + " is not acceptable at any time"}
	case at.Before(until):
		return verdict{}
	case until.After(policyUpdated):
		return verdict{warn: fmt.Sprintf("%s is recommended until %s (ETSI TS 119 312); %s, %s, is later: accepted with a warning until the table is revised", what, rfc3339(until), when, rfc3339(at))}
	}
	return verdict{fail: fmt.Sprintf("%s was acceptable until %s; judged at %s, %s", what, rfc3339(until), when, rfc3339(at))}
}

// digestVerdict judges a digest algorithm.
func digestVerdict(h crypto.Hash, at time.Time, when string) verdict {
	until, ok := digestUntil[h]
	if !ok {
		return verdict{fail: fmt.Sprintf("digest algorithm %v is not in the algorithm policy", h)}
	}
	return judgeUntil("the digest "+h.String(), until, at, when)
}

// keyVerdict judges the signer's public key type and size.
func keyVerdict(pub crypto.PublicKey, at time.Time, when string) verdict {
	var rules []sizeRule
	var bits int
	var what string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		rules, bits, what = rsaUntil, k.N.BitLen(), fmt.Sprintf("an RSA key of %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		rules, bits, what = ecUntil, k.Curve.Params().BitSize, fmt.Sprintf("an EC key on %s", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return verdict{} // outside the ETSI tables; Accord accepts it (spec/pdf.md)
	default:
		return verdict{fail: fmt.Sprintf("public key type %T is not in the algorithm policy", pub)}
	}
	for _, r := range rules {
		if bits >= r.bits {
			return judgeUntil(what, r.until, at, when)
		}
	}
	return judgeUntil(what, never, at, when)
}

// checkAlgorithms judges the signature's algorithms at time at (trusted
// says whether at is a trusted signing time), then the signatures of the
// certificates of the signer's path.
func (j *sigJob) checkAlgorithms(at time.Time, trusted bool) {
	when := "the verification time (the signing time is only a claim)"
	if trusted {
		when = "the trusted signing time"
	}
	si := j.cms.si
	if si.DigestAlgorithm == crypto.SHA1 && si.RawSignedAttrs == nil {
		j.part.Add(CheckAlgorithms, verify.Fail, "the CMS signs the document's SHA-1 digest directly, %s: SHA-1 collisions make such a signature transferable to another document, and nothing signed names the signer's certificate", noSignedAttrs)
		return
	}
	vs := []verdict{digestVerdict(si.DigestAlgorithm, at, when)}
	if h := si.SignatureAlgorithm.Hash; h != 0 && h != si.DigestAlgorithm {
		vs = append(vs, digestVerdict(h, at, when))
	}
	vs = append(vs, keyVerdict(j.cms.signer.PublicKey, at, when))
	vs = append(vs, j.pathVerdicts()...)
	var warns []string
	for _, v := range vs {
		if v.fail != "" {
			j.part.Add(CheckAlgorithms, verify.Fail, "%s", v.fail)
			return
		}
		if v.warn != "" {
			warns = append(warns, v.warn)
			j.part.Warn("%s", v.warn)
		}
	}
	detail := fmt.Sprintf("digest %s, %s key of the signer acceptable at %s", si.DigestAlgorithm, keyDesc(j.cms.signer), when)
	if len(warns) > 0 {
		detail += "; with warnings: " + strings.Join(warns, "; ")
	}
	j.part.Add(CheckAlgorithms, verify.Pass, "%s", detail)
}

// pathVerdicts judges the signatures on the certificates of the signer's
// path (the signer and the issuers found for it among the carried
// certificates and the listed CAs). A listed CA's own signature is not
// judged: it is trusted because it is listed, not because of it.
func (j *sigJob) pathVerdicts() []verdict {
	var pool []*pki.Certificate
	pool = append(pool, j.cms.certs...)
	listed := map[string]bool{}
	for _, m := range j.t.cas {
		if c, err := pki.Parse(m.Entry.Data); err == nil {
			pool = append(pool, c)
			listed[string(c.Raw)] = true
		}
	}
	var out []verdict
	checks := 0
	cur := j.cms.signer
	for depth := 0; depth < 8 && cur != nil && !listed[string(cur.Raw)]; depth++ {
		if selfIssued(cur) {
			break // a root: its own signature proves nothing either way
		}
		if cur.SignatureAlgorithm.Hash == crypto.SHA1 {
			if cur.NotBefore.Before(sha1CertsUntil) {
				out = append(out, verdict{warn: fmt.Sprintf("certificate %q is signed with SHA-1, accepted for certificates issued before %s (older CAs)", cur.Subject.CommonName, rfc3339(sha1CertsUntil))})
			} else {
				out = append(out, verdict{fail: fmt.Sprintf("certificate %q is signed with SHA-1 and was issued %s, after SHA-1 certificates ended (%s)", cur.Subject.CommonName, rfc3339(cur.NotBefore), rfc3339(sha1CertsUntil))})
			}
		} else if cur.SignatureAlgorithm.Hash == crypto.MD5 {
			out = append(out, verdict{fail: fmt.Sprintf("certificate %q is signed with MD5", cur.Subject.CommonName)})
		}
		var next *pki.Certificate
		for _, p := range pool {
			if string(p.Raw) == string(cur.Raw) || !namesIssuer(cur, p) {
				continue
			}
			if checks++; checks > maxPathChecks {
				return out
			}
			if cur.CheckSignatureFrom(p) == nil {
				next = p
				break
			}
		}
		cur = next
	}
	return out
}

// selfIssued reports whether c names itself as its issuer, by name and (when
// it says) by key identifier: a root, whose self-signature the policy does
// not judge. (Verifying that signature would cost a signature check on
// every directly listed self-signed signer, for nothing.)
func selfIssued(c *pki.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject) &&
		(len(c.AuthorityKeyId) == 0 || len(c.SubjectKeyId) == 0 || string(c.AuthorityKeyId) == string(c.SubjectKeyId))
}

func keyDesc(c *pki.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return string(c.KeyType)
}
