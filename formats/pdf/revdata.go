package pdf

import (
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	pdflib "github.com/digitorus/pdf"

	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/verify"
)

// CheckRevocationData is the check of the OCSP responses and CRLs a file
// carries (spec/pdf.md §Embedded revocation data): in the /DSS dictionary,
// in the CMS SignedData's crls field and in Adobe's revocationInfoArchival
// signed attribute.
const CheckRevocationData = "revocation_data"

// ClaimRevocation is the claim of a signature part whose embedded
// revocation data revokes its chain: the ETSI sub-indication it gives
// (REVOKED, REVOKED_NO_POE or REVOKED_CA_NO_POE).
const ClaimRevocation = "revocation_sub_indication"

// maxValidationItems bounds the certificates, OCSP responses and CRLs read
// from /DSS (each kind), maxValidationBytes the decoded bytes of them all,
// and maxRevocationChecks the signature verifications one signature's
// evaluation may spend on responses, CRLs and chain links: a hostile file
// cannot make it do more work than that.
const (
	maxValidationItems  = 1000
	maxValidationBytes  = 64 << 20
	maxRevocationChecks = 256
)

// validationData is what the document's /DSS dictionary carries (PAdES
// B-LT): certificates, OCSP responses and CRLs, as DER.
type validationData struct {
	certs       []*pki.Certificate
	ocsps, crls [][]byte
	unreadable  int   // streams that could not be read
	budget      int64 // decoded bytes still allowed
}

// readDSS reads the catalog's /DSS dictionary; nil when there is none.
func readDSS(root pdflib.Value) *validationData {
	dss := root.Key("DSS")
	if dss.Kind() != pdflib.Dict {
		return nil
	}
	vd := &validationData{budget: maxValidationBytes}
	for _, der := range vd.streams(dss.Key("Certs")) {
		if c, err := pki.Parse(der); err == nil {
			vd.certs = append(vd.certs, c)
		} else {
			vd.unreadable++
		}
	}
	vd.ocsps = vd.streams(dss.Key("OCSPs"))
	vd.crls = vd.streams(dss.Key("CRLs"))
	return vd
}

// streams returns the decoded content of each stream of an array.
func (vd *validationData) streams(arr pdflib.Value) [][]byte {
	var out [][]byte
	for i := 0; i < arr.Len() && i < maxValidationItems; i++ {
		s := arr.Index(i)
		if s.Kind() != pdflib.Stream {
			vd.unreadable++
			continue
		}
		b, err := readStream(s, min(pki.MaxRevocationSize, vd.budget))
		if err != nil {
			vd.unreadable++
			continue
		}
		vd.budget -= int64(len(b))
		out = append(out, b)
	}
	return out
}

// readStream reads a stream's decoded content, at most limit bytes.
func readStream(s pdflib.Value, limit int64) ([]byte, error) {
	rc := s.Reader()
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("stream longer than %d bytes", limit)
	}
	return b, nil
}

// revStatus is what the embedded data establish about one certificate.
type revStatus struct {
	known     bool      // a usable response or CRL speaks about it
	revoked   bool      // and says it is revoked
	revokedAt time.Time // when
	source    string    // which response or CRL, for the detail
}

// revEvaluator judges one signature's chain against the embedded data.
type revEvaluator struct {
	at, now time.Time
	ocsps   []*pki.OCSPResponse
	crls    []*pki.CRL
	pool    []*pki.Certificate // certificates that may issue or respond
	notes   []string           // why data was not used
	checks  int                // signature verifications spent
}

// spend counts one signature verification; false when the budget is used
// up (and says so once).
func (e *revEvaluator) spend() bool {
	e.checks++
	if e.checks == maxRevocationChecks+1 {
		e.notes = append(e.notes, fmt.Sprintf("more than %d signature checks were needed: the rest of the data was not examined", maxRevocationChecks))
	}
	return e.checks <= maxRevocationChecks
}

// checkRevocationData evaluates the OCSP responses and CRLs embedded in the
// file for the signer's chain at the signing time st (spec/pdf.md
// §Embedded revocation data).
func (j *sigJob) checkRevocationData(st verify.SigningTime, at time.Time) {
	rv := revocationOf(j.cms.sd.Revocation)
	rv.CRLs = append(rv.CRLs, j.cms.si.Revocation.CRLs...)
	rv.OCSPs = append(rv.OCSPs, j.cms.si.Revocation.OCSPs...)
	if j.vd != nil {
		rv.CRLs = append(rv.CRLs, j.vd.crls...)
		rv.OCSPs = append(rv.OCSPs, j.vd.ocsps...)
	}
	if len(rv.CRLs)+len(rv.OCSPs) == 0 {
		j.part.Add(CheckRevocationData, verify.Skip, "the file carries no OCSP responses or CRLs (neither in /DSS nor in the signature): the signer's status rests on the trust lists")
		return
	}
	now := j.env.At
	if now.IsZero() {
		now = time.Now()
	}
	e := &revEvaluator{at: at, now: now}
	e.parse(rv)
	e.pool = append(e.pool, j.cms.certs...)
	if j.vd != nil {
		e.pool = append(e.pool, j.vd.certs...)
	}
	for _, m := range j.t.cas {
		if c, err := pki.Parse(m.Entry.Data); err == nil {
			e.pool = append(e.pool, c)
		}
	}
	for _, r := range e.ocsps {
		for _, der := range r.Certificates {
			if c, err := pki.Parse(der); err == nil {
				e.pool = append(e.pool, c)
			}
		}
	}
	chain := e.chain(j.cms.signer)
	j.judgeChain(e, chain, st)
}

func revocationOf(v pki.RevocationValues) pki.RevocationValues {
	return pki.RevocationValues{CRLs: append([][]byte(nil), v.CRLs...), OCSPs: append([][]byte(nil), v.OCSPs...)}
}

func (e *revEvaluator) parse(rv pki.RevocationValues) {
	for _, der := range rv.OCSPs {
		if r, err := pki.ParseOCSPResponse(der); err == nil {
			e.ocsps = append(e.ocsps, r)
		} else {
			e.notes = append(e.notes, fmt.Sprintf("an OCSP response is unreadable (%v)", err))
		}
	}
	for _, der := range rv.CRLs {
		if c, err := pki.ParseCRL(der); err == nil {
			e.crls = append(e.crls, c)
		} else {
			e.notes = append(e.notes, fmt.Sprintf("a CRL is unreadable (%v)", err))
		}
	}
}

// chain returns the signer and the issuers found for it in the pool, up to
// a self-signed certificate or one whose issuer is not at hand.
func (e *revEvaluator) chain(leaf *pki.Certificate) []*pki.Certificate {
	out := []*pki.Certificate{leaf}
	for cur := leaf; len(out) < 8; {
		var next *pki.Certificate
		for _, p := range e.pool {
			if string(p.Raw) == string(cur.Raw) || !namesIssuer(cur, p) || !e.spend() {
				continue
			}
			if cur.CheckSignatureFrom(p) == nil {
				next = p
				break
			}
		}
		if next == nil {
			break
		}
		out = append(out, next)
		if string(next.RawIssuer) == string(next.RawSubject) {
			break
		}
		cur = next
	}
	return out
}

// judgeChain records the check from the status of each certificate of the
// chain that has an issuer (a self-signed root has no revocation status).
func (j *sigJob) judgeChain(e *revEvaluator, chain []*pki.Certificate, st verify.SigningTime) {
	var established []string
	var uncovered []string
	leafKnown := false
	for i := 0; i+1 < len(chain); i++ {
		c, issuer := chain[i], chain[i+1]
		s := e.status(c, issuer)
		name := fmt.Sprintf("%q", c.Subject.CommonName)
		if !s.known {
			if i > 0 {
				uncovered = append(uncovered, name)
			}
			continue
		}
		if i == 0 {
			leafKnown = true
		}
		if s.revoked {
			if sub, msg := j.revokedOutcome(i, name, s, st.Trusted, e.at); sub != "" {
				j.part.Claims.(map[string]any)[ClaimRevocation] = sub
				j.part.Add(CheckRevocationData, verify.Fail, "%s", msg)
				return
			}
			j.part.Warn("%s was revoked at %s (%s), after the trusted signing time %s", name, rfc3339(s.revokedAt), s.source, rfc3339(e.at))
			established = append(established, fmt.Sprintf("%s revoked only after the signing time (%s)", name, s.source))
			continue
		}
		established = append(established, fmt.Sprintf("%s not revoked (%s)", name, s.source))
	}
	if !leafKnown {
		why := "none of them speaks about the signer certificate"
		if len(e.notes) > 0 {
			why += "; " + strings.Join(dedupe(e.notes), "; ")
		}
		j.part.Add(CheckRevocationData, verify.Skip, "the file carries revocation data, but it establishes nothing about the signer at %s: %s", rfc3339(e.at), why)
		return
	}
	detail := "at the signing time " + rfc3339(e.at) + ": " + strings.Join(established, "; ")
	if len(uncovered) > 0 {
		detail += "; no usable data for CA certificate(s) " + strings.Join(uncovered, ", ")
	}
	j.part.Add(CheckRevocationData, verify.Pass, "%s", detail)
}

// revokedOutcome says whether a revocation found for chain certificate i
// fails the signature, with the ETSI sub-indication and the detail. A
// revocation after a trusted signing time does not (sub is "").
func (j *sigJob) revokedOutcome(i int, name string, s revStatus, trusted bool, at time.Time) (sub, msg string) {
	what := "the signer certificate " + name
	if i > 0 {
		what = "the CA certificate " + name
	}
	switch {
	case !s.revokedAt.After(at) && i == 0 && trusted:
		return "REVOKED", fmt.Sprintf("%s was revoked at %s (%s), before the trusted signing time %s", what, rfc3339(s.revokedAt), s.source, rfc3339(at))
	case !s.revokedAt.After(at):
		sub = "REVOKED_NO_POE"
		if i > 0 {
			sub = "REVOKED_CA_NO_POE"
		}
		return sub, fmt.Sprintf("%s was revoked at %s (%s), not after the signing time %s", what, rfc3339(s.revokedAt), s.source, rfc3339(at))
	case !trusted:
		sub = "REVOKED_NO_POE"
		if i > 0 {
			sub = "REVOKED_CA_NO_POE"
		}
		return sub, fmt.Sprintf("%s was revoked at %s (%s); the signing time %s is only the signer's claim, so nothing proves the signature was made before the revocation", what, rfc3339(s.revokedAt), s.source, rfc3339(at))
	}
	return "", ""
}

// status finds what the embedded data say about c, issued by issuer, at
// e.at: a revocation from a verified response or CRL wins; otherwise a
// verified good status that covers e.at.
func (e *revEvaluator) status(c, issuer *pki.Certificate) revStatus {
	var good revStatus
	for _, r := range e.ocsps {
		for k := range r.Responses {
			sr := &r.Responses[k]
			if !sr.For(c, issuer) || !e.spend() {
				continue
			}
			by, err := e.ocspSigner(r, issuer)
			if err != nil {
				e.notes = append(e.notes, fmt.Sprintf("an OCSP response about %q is not signed by its CA or a responder the CA authorised (%v)", c.Subject.CommonName, err))
				continue
			}
			src := fmt.Sprintf("OCSP by %s, produced %s", by, rfc3339(r.ProducedAt))
			switch {
			case sr.Status == pki.StatusRevoked:
				return revStatus{known: true, revoked: true, revokedAt: sr.RevokedAt, source: src}
			case sr.Status == pki.StatusGood && e.covers(sr.ThisUpdate, sr.NextUpdate, "an OCSP response about "+quote(c)):
				good = revStatus{known: true, source: src}
			case sr.Status == pki.StatusUnknown:
				e.notes = append(e.notes, fmt.Sprintf("an OCSP response says the status of %q is unknown", c.Subject.CommonName))
			}
		}
	}
	for _, crl := range e.crls {
		if string(crl.RawIssuer) != string(c.RawIssuer) || !e.spend() {
			continue
		}
		if err := crl.SignedBy(issuer); err != nil {
			e.notes = append(e.notes, fmt.Sprintf("a CRL naming the issuer of %q does not verify with its key (%v)", c.Subject.CommonName, err))
			continue
		}
		src := fmt.Sprintf("CRL of %q, thisUpdate %s", issuer.Subject.CommonName, rfc3339(crl.ThisUpdate))
		if ent, ok := crl.Revoked[c.SerialNumber.String()]; ok {
			return revStatus{known: true, revoked: true, revokedAt: ent.RevokedAt, source: src}
		}
		if e.covers(crl.ThisUpdate, crl.NextUpdate, "a CRL for "+quote(c)) && !good.known {
			good = revStatus{known: true, source: src}
		}
	}
	return good
}

// covers says whether a status with these times speaks about e.at: issued
// at or after it (revocation is permanent, so a later "not revoked" holds
// at e.at too), or issued before it and not yet due for renewal at it. A
// status issued after the verification time is refused.
func (e *revEvaluator) covers(thisUpdate, nextUpdate time.Time, what string) bool {
	switch {
	case thisUpdate.After(e.now.Add(5 * time.Minute)):
		e.notes = append(e.notes, fmt.Sprintf("%s claims to be issued at %s, after the verification time", what, rfc3339(thisUpdate)))
		return false
	case !thisUpdate.Before(e.at):
		return true
	case nextUpdate.IsZero() || !nextUpdate.Before(e.at):
		return true
	}
	e.notes = append(e.notes, fmt.Sprintf("%s is stale at the signing time (thisUpdate %s, nextUpdate %s)", what, rfc3339(thisUpdate), rfc3339(nextUpdate)))
	return false
}

// ocspSigner returns who signed an OCSP response if it is the certificate's
// issuer itself or a responder the issuer authorised (RFC 6960 §4.2.2.2: a
// certificate issued by the CA with the OCSPSigning EKU, valid when the
// response was produced); an error otherwise.
func (e *revEvaluator) ocspSigner(r *pki.OCSPResponse, issuer *pki.Certificate) (string, error) {
	if err := r.SignedBy(issuer); err == nil {
		return fmt.Sprintf("the CA %q", issuer.Subject.CommonName), nil
	}
	var last error
	for _, c := range e.pool {
		if !r.NamesResponder(c) || !e.spend() || r.SignedBy(c) != nil {
			continue
		}
		switch {
		case c.CheckSignatureFrom(issuer) != nil:
			last = fmt.Errorf("responder %q is not issued by the CA %q", c.Subject.CommonName, issuer.Subject.CommonName)
		case !hasOCSPSigning(c):
			last = fmt.Errorf("responder %q lacks the OCSPSigning extended key usage", c.Subject.CommonName)
		case r.ProducedAt.Before(c.NotBefore) || r.ProducedAt.After(c.NotAfter):
			last = fmt.Errorf("responder %q is not valid when the response was produced (%s)", c.Subject.CommonName, rfc3339(r.ProducedAt))
		default:
			return fmt.Sprintf("responder %q authorised by the CA", c.Subject.CommonName), nil
		}
	}
	if last == nil {
		last = fmt.Errorf("no certificate at hand verifies its signature")
	}
	return "", last
}

func hasOCSPSigning(c *pki.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageOCSPSigning {
			return true
		}
	}
	return false
}

func quote(c *pki.Certificate) string { return fmt.Sprintf("%q", c.Subject.CommonName) }

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
