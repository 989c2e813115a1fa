package pdf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/accord-network/accord/verify"
)

// CheckAlgorithms is the check that a signature's digest and signature
// algorithms and key sizes were acceptable at the time of signing.
const CheckAlgorithms = "algorithms"

// The algorithm policy (spec/pdf.md §Algorithm policy), after ETSI TS 119
// 312 and EU DSS's default cryptographic constraints: what may be used for
// a document signature until which date. It is judged at the trusted time
// of signing, or at the verification time when the signing time is only
// the signer's claim (a claim cannot make an old algorithm acceptable).
var (
	// sha1Until: SHA-1 as the digest of a document signature.
	sha1Until = time.Date(2009, 12, 31, 23, 59, 59, 0, time.UTC)
	// rsa1024Until: RSA keys of 1024 to 1899 bits.
	rsa1024Until = time.Date(2019, 10, 1, 0, 0, 0, 0, time.UTC)
)

const (
	minRSABits = 1024 // below: never
	rsaBits    = 1900 // at or above: no end date yet
	minECBits  = 256
)

// checkAlgorithms judges the signature's algorithms at time at (trusted
// says whether at is a trusted signing time). The chain's own signature
// algorithms are judged too: SHA-1 in a CA's signature passes with a
// warning (older national CAs), as DSS allows for certificates.
func (j *sigJob) checkAlgorithms(at time.Time, trusted bool) {
	when := "the verification time (the signing time is only a claim)"
	if trusted {
		when = "the trusted signing time"
	}
	si := j.cms.si
	h := si.DigestAlgorithm
	switch {
	case h == 0 || h == crypto.MD5 || h == crypto.MD4:
		j.part.Add(CheckAlgorithms, verify.Fail, "digest algorithm %v is not acceptable", h)
		return
	case h == crypto.SHA1 && si.RawSignedAttrs == nil:
		j.part.Add(CheckAlgorithms, verify.Fail, "the CMS signs the document's SHA-1 digest directly, without signed attributes: SHA-1 collisions make such a signature transferable to another document")
		return
	case h == crypto.SHA1 && at.After(sha1Until):
		j.part.Add(CheckAlgorithms, verify.Fail, "SHA-1 was acceptable for document signatures until %s; judged at %s, %s", rfc3339(sha1Until), when, rfc3339(at))
		return
	}
	if why := keyTooWeak(j.leaf, at); why != "" {
		j.part.Add(CheckAlgorithms, verify.Fail, "%s; judged at %s, %s", why, when, rfc3339(at))
		return
	}
	var legacy []string
	for _, c := range j.cms.certs {
		if usesSHA1(c) {
			legacy = append(legacy, fmt.Sprintf("%q", c.Subject.CommonName))
		}
	}
	detail := fmt.Sprintf("digest %s, %s key of the signer acceptable at %s", h, keyDesc(j.leaf), when)
	if len(legacy) > 0 {
		j.part.Warn("certificate(s) %s are signed with SHA-1, accepted for certificate chains of older CAs", strings.Join(legacy, ", "))
		detail += "; SHA-1 certificate signature(s) accepted with a warning"
	}
	j.part.Add(CheckAlgorithms, verify.Pass, "%s", detail)
}

func keyTooWeak(c *x509.Certificate, at time.Time) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		bits := k.N.BitLen()
		switch {
		case bits < minRSABits:
			return fmt.Sprintf("an RSA key of %d bits is never acceptable", bits)
		case bits < rsaBits && at.After(rsa1024Until):
			return fmt.Sprintf("RSA keys of %d bits were acceptable until %s", bits, rfc3339(rsa1024Until))
		}
	case *ecdsa.PublicKey:
		if bits := k.Curve.Params().BitSize; bits < minECBits {
			return fmt.Sprintf("an EC key of %d bits is not acceptable", bits)
		}
	}
	return ""
}

func keyDesc(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	}
	return c.PublicKeyAlgorithm.String()
}
