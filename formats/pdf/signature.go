package pdf

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	pdfverify "github.com/digitorus/pdfsign/verify"

	"github.com/accord-network/accord/verify"
)

// CheckTimestamp is the check, on a signature that carries an RFC 3161
// timestamp token, that the token gives a trusted time.
const CheckTimestamp = "timestamp"

// sigJob is one signature being verified: its inputs and what the steps of
// verifySignature learn about it.
type sigJob struct {
	part    *verify.Result
	label   string
	v       *sigDict
	in      []byte
	t       *trust
	opts    *pdfverify.VerifyOptions
	env     *verify.Env
	sub     string
	br      [4]int64
	end     int64
	covered string
	cms     *signatureCMS
	leaf    *x509.Certificate
	lib     libOutcome
	signer  *pdfverify.Signer
	poe     []proof         // trusted document timestamps of the file
	vd      *validationData // the document's /DSS, nil when none
}

// libOutcome is what verifying the CMS found, with what pdfsign adds
// (DocMDP, embedded revocation data).
type libOutcome struct {
	sigOK, integrityOK         bool
	sigErr, docMDPErr, timeErr string
}

// verifySignature verifies signature n of total and returns its result and
// the end of the byte range it covers. The steps run in order and each
// records its checks; a step that makes the rest meaningless stops it.
func verifySignature(n, total int, v *sigDict, in []byte, t *trust, opts *pdfverify.VerifyOptions, env *verify.Env, poe []proof, vd *validationData) (*verify.Result, int64) {
	j := &sigJob{part: &verify.Result{Format: Name}, label: fmt.Sprintf("signature %d of %d", n, total), v: v, in: in, t: t, opts: opts, env: env, poe: poe, vd: vd}
	j.describe()
	if !j.checkByteRange() {
		return j.part, 0
	}
	if isDocTimestamp(v) {
		j.verifyDocTimestamp()
		return j.part, j.end
	}
	if !j.parseCMS() {
		return j.part, j.end
	}
	if !j.runLibrary() {
		return j.part, j.end
	}
	j.reportIntegrityAndSignature()
	if !j.lib.sigOK && j.lib.timeErr == "" {
		return j.part, j.end
	}
	st := j.signingTime()
	at := st.Time
	if at.IsZero() {
		at = opts.AtTime
		if at.IsZero() {
			at = time.Now()
		}
	}
	j.checkKeyUsage()
	algAt := j.env.At
	if st.Trusted || algAt.IsZero() {
		algAt = at
	}
	j.checkAlgorithms(algAt, st.Trusted)
	j.checkTrust(st, at)
	j.checkRevocationData(st, at)
	return j.part, j.end
}

// describe records the signature's summary fields.
func (j *sigJob) describe() {
	j.sub = j.v.subFilter
	j.part.Summary = append(j.part.Summary, verify.Field{Label: "Signature", Value: fmt.Sprintf("%s (%s)", j.label, j.sub)})
	for _, f := range [][2]string{{"Reason", "Reason"}, {"Location", "Location"}, {"ContactInfo", "Contact"}} {
		if s := j.v.text(f[0]); s != "" {
			j.part.Summary = append(j.part.Summary, verify.Field{Label: f[1], Value: s})
		}
	}
}

// checkByteRange checks /ByteRange and records what it covers.
func (j *sigJob) checkByteRange() bool {
	br, err := byteRange(j.v, j.in)
	if err != nil {
		j.part.Add(verify.CheckIntegrity, verify.Fail, "%s: %v", j.label, err)
		j.part.Add(verify.CheckSignature, verify.Skip, "not checked: the signed byte ranges are unusable")
		return false
	}
	j.br, j.end = br, br[2]+br[3]
	j.covered = fmt.Sprintf("covers bytes 0-%d and %d-%d of %d", br[1], br[2], j.end, len(j.in))
	if j.end < int64(len(j.in)) {
		j.covered += fmt.Sprintf(" (revision ending at byte %d; later revisions follow)", j.end)
	} else {
		j.covered += " (the whole file but its own signature value)"
	}
	j.part.Summary = append(j.part.Summary, verify.Field{Label: "Covers", Value: j.covered})
	return true
}

// parseCMS reads the CMS in /Contents and its signer certificate.
func (j *sigJob) parseCMS() bool {
	cms, err := openSignatureCMS(j.v.contents)
	if err != nil {
		j.part.Add(verify.CheckSignature, verify.Error, "%s: cannot use the CMS signature in /Contents: %v", j.label, err)
		return false
	}
	leaf := cms.leaf
	j.part.Summary = append(j.part.Summary, verify.Field{Label: "Signer", Value: certName(leaf)})
	if name := j.v.name; name != "" && name != certName(leaf) {
		j.part.Summary = append(j.part.Summary, verify.Field{Label: "Name", Value: name})
	}
	tp := sha256.Sum256(leaf.Raw)
	j.part.Claims = map[string]any{
		"signer_subject": leaf.Subject.String(), "signer_issuer": leaf.Issuer.String(),
		"signer_sha256": hex.EncodeToString(tp[:]), "sub_filter": j.sub,
		"byte_range": j.br, "certificates": len(cms.sd.Certificates),
	}
	revocationClaim(cms.si.Signature, j.part.Claims.(map[string]any))
	j.cms, j.leaf = cms, leaf
	return true
}

// runLibrary verifies the CMS signature over the signed bytes (with the
// government-PKI layer), and runs pdfsign for what it adds: DocMDP
// permissions. (Embedded revocation data are judged by
// checkRevocationData, not by pdfsign.)
func (j *sigJob) runLibrary() bool {
	o := libOutcome{integrityOK: true}
	integrityOK, err := j.cms.verify(hashChunks(j.in[:j.br[1]], j.in[j.br[2]:j.br[2]+j.br[3]])...)
	o.integrityOK, o.sigOK = integrityOK, err == nil
	if err != nil {
		o.sigErr = err.Error()
	}
	o.timeErr = j.cms.signingTimeOutsideValidity()
	if o.timeErr != "" {
		o.sigOK, o.sigErr = false, o.timeErr
	}
	// pdfsign checks DocMDP before it reads the CMS, so its DocMDP verdict
	// stands even when it cannot read a CMS that the PKI layer reads. It
	// hashes the document again, so it runs only when there is something
	// for it to judge: a DocMDP reference.
	if !j.v.reference {
		j.lib = o
		return true
	}
	signer, _ := pdfverify.VerifySignature(j.v.lib, bytes.NewReader(j.in), int64(len(j.in)), j.opts)
	if signer != nil {
		j.signer = signer
		for _, e := range signer.ValidationErrors {
			if msg := oneLine(e.Error()); strings.HasPrefix(msg, "DocMDP") {
				o.docMDPErr = msg
			}
		}
	}
	j.lib = o
	return true
}

// reportIntegrityAndSignature records integrity and signature from what
// the library found.
func (j *sigJob) reportIntegrityAndSignature() {
	o, label := j.lib, j.label
	alg, signerName := j.cms.si.SignatureAlgorithm.String(), certName(j.leaf)
	switch {
	case o.docMDPErr != "":
		j.part.Add(verify.CheckIntegrity, verify.Fail, "%s %s, but the document was changed in a way its certification (DocMDP) does not permit: %s", label, j.covered, o.docMDPErr)
	case !o.integrityOK:
		j.part.Add(verify.CheckIntegrity, verify.Fail, "%s: the signed bytes (%s) do not match the message digest in the signature: the document was altered after signing", label, j.covered)
	default:
		j.part.Add(verify.CheckIntegrity, verify.Pass, "%s %s; their SHA digest matches the signed message digest", label, j.covered)
	}
	switch {
	case o.sigOK:
		j.part.Add(verify.CheckSignature, verify.Pass, "%s by %q verifies (%s, %s)", label, signerName, alg, j.sub)
	case !o.integrityOK:
		j.part.Add(verify.CheckSignature, verify.Fail, "%s does not verify over the signed bytes", label)
	case o.timeErr != "":
		j.part.Add(verify.CheckSignature, verify.Fail, "%s was not accepted: the CMS signing-time attribute lies outside the signer certificate's validity (%s)", label, o.sigErr)
	default:
		j.part.Add(verify.CheckSignature, verify.Fail, "%s: %s", label, o.sigErr)
	}
}

// signingTime decides the signing time and how much it is worth: the
// genTime of a timestamp token that passes checkTimestampToken is trusted;
// otherwise the time is the signer's claim (/M, or the token's genTime when
// there is no /M).
func (j *sigJob) signingTime() verify.SigningTime {
	var st verify.SigningTime
	var tokenTime time.Time
	if token, sigValue := j.cms.timestampToken(); token != nil {
		tc := j.t.checkTimestampToken(token, sigValue)
		if tc.Trusted {
			st = verify.SigningTime{Time: tc.GenTime, Trusted: true, Source: fmt.Sprintf("RFC 3161 timestamp by TSA %q, verified: %s", tc.TSA, tc.How)}
			j.part.Add(CheckTimestamp, verify.Pass, "timestamp at %s by TSA %q: token signature, message imprint, critical timeStamping EKU and TSA listing verified; %s", rfc3339(tc.GenTime), tc.TSA, tc.How)
			j.recordTime(st)
			return st
		}
		tokenTime = tc.GenTime
		j.part.Add(CheckTimestamp, verify.Skip, "the signature's timestamp is not used as a trusted time: %s", tc.Why)
		j.part.Warn("the signature's RFC 3161 timestamp is not trusted (%s); the signing time is the signer's claim", tc.Why)
	}
	if p, ok := proofFor(j.poe, j.end); ok {
		st = verify.SigningTime{Time: p.at, Trusted: true, Source: fmt.Sprintf("no later than the document timestamp by TSA %q that covers it (proof of existence)", p.tsa)}
		j.recordTime(st)
		return st
	}
	m, hasM := pdfDate(j.v.m)
	switch {
	case hasM:
		st.Time = m
		st.Source = "the signer's own claim (/M), no trusted timestamp"
		j.part.Warn("signing time %s is the signer's own claim (/M): the signature carries no trusted timestamp", st.Time.Format(time.RFC3339))
	case !tokenTime.IsZero():
		st.Time = tokenTime
		st.Source = "an unverified timestamp, so only a claim"
	}
	j.recordTime(st)
	return st
}

func (j *sigJob) recordTime(st verify.SigningTime) {
	if st.Time.IsZero() {
		return
	}
	j.part.Summary = append(j.part.Summary, verify.Field{Label: "Signed at", Value: st.Time.Format(time.RFC3339) + " (" + st.Source + ")"})
	j.part.Claims.(map[string]any)["signing_time"] = st.Time
	j.part.Claims.(map[string]any)["signing_time_source"] = st.Source
}

// checkKeyUsage judges the signer certificate's (extended) key usage.
func (j *sigJob) checkKeyUsage() {
	if ok, found := keyUsage(j.leaf); ok {
		j.part.Add(verify.CheckKeyUsage, verify.Pass, "%s", found)
	} else {
		j.part.Add(verify.CheckKeyUsage, verify.Fail, "%s", found)
	}
}

// checkTrust lets the trust lists alone decide: it finds the entry that
// vouches for the signer, judges the certificate and its path at the
// signing time, then applies the shared issuer checks.
func (j *sigJob) checkTrust(st verify.SigningTime, at time.Time) {
	leaf, part := j.leaf, j.part
	found, pathErr := j.t.find(leaf, j.cms.carried, at)
	if found.m == nil {
		tp := sha256.Sum256(leaf.Raw)
		why := fmt.Sprintf("signer certificate %q (SHA-256 %s) is not in any trust list for pdf and does not chain to a listed pdf CA", certName(leaf), hex.EncodeToString(tp[:8]))
		how := found.how
		if how == "" {
			how = j.t.listedForOtherUse(leaf, j.cms.carried, at)
		}
		defect := ""
		if how == "" {
			defect = j.t.chainDefect(leaf, j.cms.carried)
		}
		switch {
		case defect != "":
			why = defect
			part.Add(CheckCertificate, verify.Fail, "%s", defect)
		case how != "":
			why = how
			part.Add(CheckCertificate, verify.Skip, "no trusted path for pdf: %s", how)
		default:
			if pathErr != nil {
				why += fmt.Sprintf(" (%v)", pathErr)
			}
			part.Add(CheckCertificate, verify.Skip, "no trusted path: the certificate's issuer is not listed")
		}
		j.env.NotListed(part, why)
		return
	}
	j.checkCertificate(found, at)
	j.env.IssuerChecks(part, *found.m, st)
	j.env.DocumentNotRevoked(part, found.m.Country, nil, revocationQueries(j.cms.si.Signature)...)
	if c := part.Check(verify.CheckIssuerTrusted); c != nil && c.Status == verify.Pass {
		c.Detail += "; " + found.how
	}
}

// checkCertificate judges the signer certificate and its path at the
// signing time.
func (j *sigJob) checkCertificate(found signerTrust, at time.Time) {
	leaf, o := j.leaf, j.lib
	validity := fmt.Sprintf("%s to %s", rfc3339(leaf.NotBefore), rfc3339(leaf.NotAfter))
	switch {
	case at.Before(leaf.NotBefore) || at.After(leaf.NotAfter):
		j.part.Add(CheckCertificate, verify.Fail, "signer certificate %q is valid %s, not at the signing time %s", certName(leaf), validity, rfc3339(at))
	case o.timeErr != "":
		j.part.Add(CheckCertificate, verify.Fail, "signer certificate %q is valid %s, not at the signing time in the CMS signed attributes (%s)", certName(leaf), validity, o.timeErr)
	case found.pathErr != nil:
		j.part.Add(CheckCertificate, verify.Fail, "the path to the listed CA is not valid at the signing time %s: %v", rfc3339(at), found.pathErr)
	default:
		j.part.Add(CheckCertificate, verify.Pass, "signer certificate %q valid %s covers the signing time; %s", certName(leaf), validity, found.how)
	}
}

// pdfDate parses a PDF date string (ISO 32000-1 §7.9.4):
// D:YYYYMMDDHHmmSSOHH'mm', every part after the year optional.
func pdfDate(s string) (time.Time, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	digits := 0
	for digits < len(s) && digits < 14 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits < 4 || digits%2 != 0 {
		return time.Time{}, false
	}
	base := s[:digits] + "0101000000"[digits-4:]
	t, err := time.Parse("20060102150405", base)
	if err != nil {
		return time.Time{}, false
	}
	rest := strings.ReplaceAll(s[digits:], "'", "")
	if len(rest) >= 1 && (rest[0] == '+' || rest[0] == '-') {
		hh, mm := 0, 0
		if len(rest) >= 3 {
			fmt.Sscanf(rest[1:3], "%d", &hh)
		}
		if len(rest) >= 5 {
			fmt.Sscanf(rest[3:5], "%d", &mm)
		}
		off := time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute
		if rest[0] == '+' {
			t = t.Add(-off)
		} else {
			t = t.Add(off)
		}
	}
	return t.UTC(), true
}

// hashChunk is the most of the signed bytes hashed in one call.
const hashChunk = 64 << 10

// hashChunks splits the signed byte ranges into slices of at most
// hashChunk bytes, hashed one after the other (no copy): the SHA-256
// assembly cannot be preempted, so hashing a large file in one call holds
// up every garbage collection's stop-the-world until it returns, while the
// other threads spin.
func hashChunks(parts ...[]byte) [][]byte {
	n := 0
	for _, p := range parts {
		n += (len(p) + hashChunk - 1) / hashChunk
	}
	out := make([][]byte, 0, n)
	for _, p := range parts {
		for len(p) > hashChunk {
			out = append(out, p[:hashChunk])
			p = p[hashChunk:]
		}
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}
