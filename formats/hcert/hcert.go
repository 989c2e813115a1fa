// Package hcert verifies EU Digital COVID Certificates (HC1 QR payloads and
// raw COSE_Sign1 CWTs) against Accord trust lists. It registers the verify
// format "hcert".
//
// Pipeline (spec/hcert.md): "HC1:" prefix → base45 (RFC 9285) → zlib when
// present (bounded) → COSE_Sign1 (tag 18, untagged, or tag 61 around tag 18)
// → CWT claims (iss, iat, exp, -260 → 1 → DCC) → signature with the listed
// DSC named by kid → issuer checks → key usage → validity → JSON schema.
package hcert

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/accord-network/accord/formats/base45"
	"github.com/accord-network/accord/internal/hc1"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// Name is the format's name in verify results.
const Name = "hcert"

// Format is the verify.Format for EU DCC health certificates.
type Format struct{}

func init() { verify.Register(Format{}) }

// Name returns "hcert".
func (Format) Name() string { return Name }

// Detect recognises an HC1 string, an HC1-like string with another context
// identifier (so it can be rejected with a clear reason), a bare base45
// string that decodes to a zlib or COSE header (the prefix is missing), and
// raw COSE_Sign1 bytes.
func (Format) Detect(in []byte) bool {
	s := bytes.TrimLeft(in, " \t\r\n")
	if len(s) < 4 {
		return false
	}
	switch {
	case bytes.HasPrefix(s, []byte(Prefix)):
		return true
	case s[0] == 'H' && hc1.OtherPrefix(s) != "":
		return true
	case s[0] == 0xd2 && s[1] == 0x84: // tag 18, array(4)
		return true
	case s[0] == 0xd8 && s[1] == 61 && s[2] == 0xd2 && s[3] == 0x84: // tag 61, tag 18
		return true
	case s[0] == 0x84 && s[1]>>5 == 2: // array(4) starting with a bstr
		return true
	}
	// Bare base45 whose first bytes are a zlib header or a COSE tag: an HC1
	// payload that lost its prefix.
	if len(s) >= 30 {
		b, err := base45.Decode(string(s[:3]))
		if err == nil && (b[0] == 0x78 || b[0] == 0xd2 || b[0] == 0xd8) {
			return true
		}
	}
	return false
}

// Verify decodes in and runs every check. The error is non-nil (wrapping
// verify.ErrMalformed, and a *StepError naming the step) only when in
// cannot be decoded.
func (Format) Verify(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	// A listed signer's document gets 11 checks, any other fewer (a
	// country of arrival's rules add theirs by append).
	r := &verify.Result{Format: Name, Checks: make([]verify.Check, 0, 11)}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sc := hc1.GetScratch()
	defer hc1.PutScratch(sc)
	var d hc1.Decoded
	if err := hc1.DecodeWith(in, &d, sc); err != nil {
		r.Add(verify.CheckDecoded, verify.Error, "%v", err)
		return r, err
	}
	// The details of passing checks and the summary are cut from one
	// buffer: in bulk they are built for every document and read for few.
	// It is sized by what recent verifications wrote (see textSizer).
	t := r.Text()
	textSizer.Grow(t)
	defer textSizer.Record(t)
	addCheck(r, verify.CheckDecoded, verify.Pass, describe(&d, t))
	if len(d.KID) != 8 && d.KID != nil {
		r.Warn("kid is %d bytes; EU DCC kids are 8 bytes (the first 8 bytes of the DSC's SHA-256)", len(d.KID))
	}
	r.Claims = &Claims{raw: d.DCCString()}
	r.Summary = summary(&d, t)

	m, signer := checkSigner(r, &d, env, sc, t)
	var key *signerKey // the listed DSC that verified the signature, if any
	if m != nil {
		key = &signer
		checkChain(r, m, env, t)
		// The CWT iss is the document's claim of its issuing country; the
		// listing decides (spec/hcert.md, spec/verify.md §Issuer checks).
		env.IssuerChecks(r, *m, verify.SigningTime{Time: d.IssuedAt, Source: "CWT iat (the issuer's claim)"},
			verify.Claims{Country: d.Issuer, Source: "CWT iss"})
		r.Summary = append(r.Summary, verify.Field{Label: "Listed by", Value: listedBy(m, t)})
		checkKeyUsage(r, &d, key.cert, t)
		// The revocation hashes (three SHA-256 for one entry) are computed
		// only when the anchor has published revocations to look them up in.
		env.DocumentNotRevokedHashed(r, m.Country, d.KID, hc1.RevocationQueryCount(&d), func(qs []trustlist.RevocationQuery) []trustlist.RevocationQuery {
			return hc1.AppendRevocationQueries(qs, &d)
		})
	} else {
		r.Add(verify.CheckKeyUsage, verify.Skip, "no listed DSC verified the signature, so its key usage is not known")
	}
	checkValidity(r, &d, key, env.At, t)
	checkSchema(r, &d, t)
	if env.Arrival != nil && env.Arrival.Country != "" {
		// Only a country of arrival's rules read the DCC's JSON form.
		env.ApplyArrival(r, verify.ArrivalInput{Payload: d.JSON(), IssuerCountry: d.Issuer, Expires: d.Expires, IssuedAt: d.IssuedAt, KID: d.KID})
	}
	return r, nil
}

// textSizer sizes each verification's text buffer by what recent HC1
// verifications wrote; it decides memory only, never a check.
var textSizer verify.TextSizer

func describe(d *hc1.Decoded, t *verify.TextBuf) string {
	var text, iss, issEnd, ver string
	if d.InputWasText {
		text = "HC1 → base45 → uncompressed → "
		if d.Compressed {
			text = "HC1 → base45 → zlib → "
		}
	}
	if d.Issuer != "" {
		iss, issEnd = " (iss ", ")"
	}
	if d.DCC.Ver != "" {
		ver = " "
	}
	return t.Join(text, "COSE_Sign1 (", d.Tags, ") → CWT", iss, d.Issuer, issEnd, " → DCC", ver, d.DCC.Ver)
}

// signerKey is the key of a listed DSC: its certificate (nil for a bare
// key from a key-only list) and its validity window.
type signerKey struct {
	pub                 crypto.PublicKey
	cert                *x509.Certificate
	notBefore, notAfter time.Time
}

// entryKey returns the key of an x509 or spki entry, parsed once per entry
// (trustlist caches it), or ok false.
func entryKey(e *trustlist.Entry) (k signerKey, ok bool) {
	switch e.Kind {
	case trustlist.EntryX509:
		if c := e.Certificate(); c != nil {
			return signerKey{pub: c.PublicKey, cert: c, notBefore: c.NotBefore, notAfter: c.NotAfter}, true
		}
	case trustlist.EntrySPKI:
		// A bare key has no extended key usage, so it may sign every
		// certificate type, as the key-only lists intend — unless its source
		// restricts it to some types (Entry.DCCTypes): then a stand-in
		// certificate carries them as the extended key usage a DSC would.
		if pub := e.PublicKey(); pub != nil {
			k := signerKey{pub: pub, notBefore: e.NotBefore, notAfter: e.NotAfter}
			if len(e.DCCTypes) > 0 {
				k.cert = &x509.Certificate{PublicKey: pub, NotBefore: e.NotBefore, NotAfter: e.NotAfter}
				for _, t := range e.DCCTypes {
					k.cert.UnknownExtKeyUsage = append(k.cert.UnknownExtKeyUsage, dccTypeOIDs[t])
				}
			}
			return k, true
		}
	}
	return signerKey{}, false
}

// checkSigner finds the listed DSCs named by kid and verifies the signature
// with each until one succeeds. It records the signature check and, when no
// entry can be judged, the issuer checks.
func checkSigner(r *verify.Result, d *hc1.Decoded, env *verify.Env, sc *hc1.Scratch, t *verify.TextBuf) (*trustlist.Match, signerKey) {
	if d.KID == nil {
		r.Add(verify.CheckSignature, verify.Fail, "the COSE headers carry no kid, so the signer cannot be identified")
		env.NotListed(r, "no kid: the document does not name its signer")
		return nil, signerKey{}
	}
	var cands []trustlist.Match
	if env.Trust != nil {
		cands = env.Trust.Find(trustlist.Query{KID: d.KID, Use: trustlist.DocHCert, CA: new(false)})
	}
	if len(cands) == 0 {
		r.Add(verify.CheckSignature, verify.Skip, "no trusted key for kid %s (from the %s header), so the signature cannot be checked", kidString(d.KID), d.KIDFrom)
		env.NotListed(r, notListedWhy(d, env))
		return nil, signerKey{}
	}
	var why []string
	for i := range cands {
		m := &cands[i]
		key, ok := entryKey(m.Entry)
		if !ok {
			continue
		}
		if err := d.VerifySignature(key.pub, sc); err != nil {
			why = append(why, fmt.Sprintf("%s DSC %q: %v", m.Country, m.Entry.Name, err))
			continue
		}
		var sep, source string
		if m.Entry.Source != nil {
			sep, source = "; ", m.Entry.Source.String()
		}
		addCheck(r, verify.CheckSignature, verify.Pass, t.Join(hc1.AlgName(d.Alg), " signature verifies with the DSC ", t.Quote(m.Entry.Name),
			" (kid ", kidText(d.KID, t), ", listed by ", m.Country, ")", sep, source))
		return m, key
	}
	r.Add(verify.CheckSignature, verify.Fail, "%s", strings.Join(why, "; "))
	r.Add(verify.CheckIssuerTrusted, verify.Skip, "the signature verifies with none of the %d listed DSCs for kid %s", len(cands), kidString(d.KID))
	for _, n := range []string{verify.CheckKeyValidAtSigning, verify.CheckNotRevoked, verify.CheckListFresh} {
		r.Add(n, verify.Skip, "no listed key verified the signature")
	}
	return nil, signerKey{}
}

func notListedWhy(d *hc1.Decoded, env *verify.Env) string {
	kid := kidString(d.KID)
	if env.Trust != nil {
		if other := env.Trust.Find(trustlist.Query{KID: d.KID}); len(other) > 0 {
			e := other[0].Entry
			what := "a DSC"
			if e.CA {
				what = "a CA (a CSCA signs DSCs; it cannot sign documents itself)"
			}
			return fmt.Sprintf("kid %s is listed by %s as %s %q for %v, not as a document signer for hcert", kid, other[0].Country, what, e.Name, e.Uses)
		}
	}
	if len(d.KID) != 8 {
		return fmt.Sprintf("kid %s (%d bytes; DCC kids are 8) is not listed by any trusted anchor", kid, len(d.KID))
	}
	return fmt.Sprintf("kid %s is not listed by any trusted anchor for hcert", kid)
}

// kidText is kidString in t.
func kidText(kid []byte, t *verify.TextBuf) string {
	if len(kid) == 0 || len(kid) > 32 {
		return kidString(kid)
	}
	return t.Hex(kid)
}

func kidString(kid []byte) string {
	if len(kid) > 32 {
		return hex.EncodeToString(kid[:32]) + "…"
	}
	if len(kid) == 0 {
		return "(empty)"
	}
	return hex.EncodeToString(kid)
}

// checkChain requires the DSC to chain to a CSCA when its anchor lists CSCAs
// for hcert, as the DCC gateway checks on upload.
func checkChain(r *verify.Result, m *trustlist.Match, env *verify.Env, t *verify.TextBuf) {
	if m.Entry.Kind == trustlist.EntrySPKI {
		r.Add(CheckIssuerChain, verify.Skip, "the key is listed bare (from a key-only list), without a certificate to chain")
		return
	}
	cas := env.Trust.Find(trustlist.Query{Country: m.Country, Use: trustlist.DocHCert, Kind: trustlist.EntryX509, CA: new(true)})
	if len(cas) == 0 {
		addCheck(r, CheckIssuerChain, verify.Skip, t.Join(m.Country, " lists no CSCA for hcert; the DSC is trusted because it is listed itself"))
		return
	}
	roots := x509.NewCertPool()
	var skipped []string
	n := 0
	for _, ca := range cas {
		if ca.Entry.RevokedBy(env.At) {
			skipped = append(skipped, fmt.Sprintf("%q revoked: %s", ca.Entry.Name, ca.Entry.Reason))
			continue
		}
		if c := ca.Entry.Certificate(); c != nil {
			roots.AddCert(c)
			n++
		}
	}
	cert := m.Entry.Certificate()
	if n == 0 {
		r.Add(CheckIssuerChain, verify.Fail, "%s lists CSCAs for hcert but none is active (%s)", m.Country, strings.Join(skipped, "; "))
		return
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: env.At, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		r.Add(CheckIssuerChain, verify.Fail, "the DSC does not chain to any of the %d active CSCAs %s lists for hcert at %s: %v", n, m.Country, env.At.UTC().Format(time.RFC3339), err)
		return
	}
	r.Add(CheckIssuerChain, verify.Pass, "the DSC chains to the CSCA %q listed by %s", chains[0][len(chains[0])-1].Subject.String(), m.Country)
}

// dccTypeOIDs maps a source's per-key restriction (Entry.DCCTypes) to the
// DCC extended key usage a DSC restricted the same way carries.
var dccTypeOIDs = map[string]asn1.ObjectIdentifier{"t": oidTest, "v": oidVacc, "r": oidRecovery}

// CheckIssuerChain is the check that a listed DSC chains to a CSCA listed
// by the same anchor (skipped when the anchor lists no CSCA for hcert).
const CheckIssuerChain = "issuer_chain"

// Extended key usage OIDs that restrict which DCC types a DSC may sign. Some
// countries issued DSCs with the misplaced ".0." arc; both are honoured.
var (
	oidTest     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1}
	oidVacc     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2}
	oidRecovery = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3}
	oidTestAlt  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 1}
	oidVaccAlt  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 2}
	oidRecAlt   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 3}
)

var typeNames = map[string]string{"v": "vaccination", "t": "test", "r": "recovery"}

// allowedTypes returns the DCC types the DSC's EKU allows, or nil when it
// carries none of the DCC OIDs (all types allowed).
func allowedTypes(cert *x509.Certificate) map[string]bool {
	var out map[string]bool
	for _, oid := range cert.UnknownExtKeyUsage {
		t := ""
		switch {
		case oid.Equal(oidTest) || oid.Equal(oidTestAlt):
			t = "t"
		case oid.Equal(oidVacc) || oid.Equal(oidVaccAlt):
			t = "v"
		case oid.Equal(oidRecovery) || oid.Equal(oidRecAlt):
			t = "r"
		default:
			continue
		}
		if out == nil {
			out = map[string]bool{}
		}
		out[t] = true
	}
	return out
}

// certTypes returns the certificate types present in the DCC ("v", "t",
// "r"), in that order, in an array (no allocation) of which the first n
// are set.
func certTypes(dcc *hc1.DCC) (ts [3]string, n int) {
	for _, k := range [...]string{"v", "t", "r"} {
		if len(dcc.Group(k)) > 0 {
			ts[n] = k
			n++
		}
	}
	return ts, n
}

func typeList(ts []string) string {
	if len(ts) == 1 {
		return typeNames[ts[0]]
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = typeNames[t]
	}
	return strings.Join(names, ", ")
}

// addCheck records a check whose detail is already written.
func addCheck(r *verify.Result, name string, st verify.Status, detail string) {
	r.Checks = append(r.Checks, verify.Check{Name: name, Status: st, Detail: detail})
}

func checkKeyUsage(r *verify.Result, d *hc1.Decoded, cert *x509.Certificate, t *verify.TextBuf) {
	st, detail := keyUsageVerdict(&d.DCC, cert, t)
	addCheck(r, verify.CheckKeyUsage, st, detail)
}

// keyUsageVerdict judges whether the DSC's extended key usage allows the
// certificate types the DCC holds. A nil cert is a bare listed key: no
// extended key usage.
func keyUsageVerdict(dcc *hc1.DCC, cert *x509.Certificate, t *verify.TextBuf) (verify.Status, string) {
	typeArr, n := certTypes(dcc)
	types := typeArr[:n]
	if len(types) == 0 {
		return verify.Fail, "the DCC holds no vaccination, test or recovery entry"
	}
	var allowed map[string]bool
	if cert != nil {
		allowed = allowedTypes(cert)
	}
	if allowed == nil {
		return verify.Pass, t.Join("the DSC carries no DCC extended key usage, so it may sign every certificate type (this is a ", typeList(types), " certificate)")
	}
	var may []string
	for t := range allowed {
		may = append(may, t)
	}
	sort.Strings(may)
	for _, t := range types {
		if !allowed[t] {
			return verify.Fail, fmt.Sprintf("this is a %s certificate, but the DSC's extended key usage allows only %s", typeNames[t], typeList(may))
		}
	}
	return verify.Pass, t.Join("the DSC's extended key usage allows ", typeList(may), "; this is a ", typeList(types), " certificate")
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkValidity checks exp and iat against the verification time, and the
// DSC's own validity period at that time (key is nil when no listed DSC
// verified the signature).
func checkValidity(r *verify.Result, d *hc1.Decoded, key *signerKey, at time.Time, t *verify.TextBuf) {
	var bad []string
	switch {
	case d.Expires.IsZero():
		bad = append(bad, "the CWT has no exp claim")
	case at.After(d.Expires):
		bad = append(bad, fmt.Sprintf("expired at %s", ts(d.Expires)))
	}
	if !d.IssuedAt.IsZero() && d.IssuedAt.After(at) {
		bad = append(bad, fmt.Sprintf("issued at %s, after the verification time", ts(d.IssuedAt)))
	}
	if key != nil {
		if at.Before(key.notBefore) {
			bad = append(bad, fmt.Sprintf("the DSC is not valid before %s", ts(key.notBefore)))
		} else if at.After(key.notAfter) {
			bad = append(bad, fmt.Sprintf("the DSC expired at %s", ts(key.notAfter)))
		}
	}
	if len(bad) > 0 {
		r.Add(verify.CheckNotExpired, verify.Fail, "at %s: %s", ts(at), strings.Join(bad, "; "))
		return
	}
	if d.IssuedAt.IsZero() {
		addCheck(r, verify.CheckNotExpired, verify.Pass, t.Join("no iat, expires ", t.Time(d.Expires)))
		return
	}
	addCheck(r, verify.CheckNotExpired, verify.Pass, t.Join("issued ", t.Time(d.IssuedAt), ", expires ", t.Time(d.Expires)))
}

func summary(d *hc1.Decoded, tb *verify.TextBuf) []verify.Field {
	out := make([]verify.Field, 0, 8)
	add := func(label, value string) {
		if value != "" {
			out = append(out, verify.Field{Label: label, Value: value})
		}
	}
	nam := &d.DCC.Nam
	gn, fn := nam.Gn, nam.Fn
	if gn == "" && fn == "" {
		gn, fn = nam.Gnt, nam.Fnt
	}
	switch {
	case gn == "" || fn == "":
		add("Name", strings.TrimSpace(gn+fn))
	default:
		add("Name", strings.TrimSpace(tb.Join(gn, " ", fn)))
	}
	add("Date of birth", d.DCC.Dob)
	var ci string
	types, n := certTypes(&d.DCC)
	for _, t := range types[:n] {
		e := &d.DCC.Group(t)[0]
		what := typeNames[t]
		switch t {
		case "v":
			if e.DN.Set && e.SD.Set {
				what = tb.Join(what, " (dose ", tb.Int(e.DN.N), " of ", tb.Int(e.SD.N), ")")
			}
		case "t":
			switch e.TR {
			case "260415000":
				what += " (not detected)"
			case "260373001":
				what += " (DETECTED)"
			}
		}
		add("Certificate type", what)
		if ci == "" {
			ci = e.CI
		}
	}
	add("Issuer country (claimed, iss)", d.Issuer)
	add("Certificate id", ci)
	if !d.IssuedAt.IsZero() {
		add("Issued", tb.Time(d.IssuedAt))
	}
	if !d.Expires.IsZero() {
		add("Expires", tb.Time(d.Expires))
	}
	return out
}

// listedBy names the anchor whose list holds the DSC, and the country the
// entry issues for when the anchor relays it for another.
func listedBy(m *trustlist.Match, t *verify.TextBuf) string {
	if cc := m.IssuerCountry(); cc != m.Country {
		return t.Join(m.Country, " (", m.Anchor, "), for ", cc)
	}
	return t.Join(m.Country, " (", m.Anchor, ")")
}
