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
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/accord-network/accord/formats/base45"
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
	case s[0] == 'H' && otherPrefix(s) != "":
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
	r := &verify.Result{Format: Name}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sc := getScratch()
	defer putScratch(sc)
	var d Decoded
	if err := decode(in, &d, sc); err != nil {
		r.Add(verify.CheckDecoded, verify.Error, "%v", err)
		return r, err
	}
	r.Add(verify.CheckDecoded, verify.Pass, "%s", describe(&d))
	if len(d.KID) != 8 && d.KID != nil {
		r.Warn("kid is %d bytes; EU DCC kids are 8 bytes (the first 8 bytes of the DSC's SHA-256)", len(d.KID))
	}
	r.Claims = d.DCC
	r.Summary = summary(&d)

	m := checkSigner(r, &d, env, sc)
	var cert *x509.Certificate
	if m != nil {
		cert = entryCert(m.Entry)
		checkChain(r, m, env)
		// The CWT iss is the document's claim of its issuing country; the
		// listing decides (spec/hcert.md, spec/verify.md §Issuer checks).
		env.IssuerChecks(r, *m, verify.SigningTime{Time: d.IssuedAt, Source: "CWT iat (the issuer's claim)"},
			verify.Claims{Country: d.Issuer, Source: "CWT iss"})
		r.Summary = append(r.Summary, verify.Field{Label: "Listed by", Value: listedBy(m)})
		checkKeyUsage(r, &d, cert)
		env.DocumentNotRevoked(r, m.Country, d.KID, RevocationQueries(&d)...)
	} else {
		r.Add(verify.CheckKeyUsage, verify.Skip, "no listed DSC verified the signature, so its key usage is not known")
	}
	checkValidity(r, &d, cert, env.At)
	checkSchema(r, &d)
	env.ApplyArrival(r, verify.ArrivalInput{Payload: d.DCC, IssuerCountry: d.Issuer, Expires: d.Expires, IssuedAt: d.IssuedAt, KID: d.KID})
	return r, nil
}

func describe(d *Decoded) string {
	var b strings.Builder
	if d.InputWasText {
		b.WriteString("HC1 → base45 → ")
		if d.Compressed {
			b.WriteString("zlib → ")
		} else {
			b.WriteString("uncompressed → ")
		}
	}
	fmt.Fprintf(&b, "COSE_Sign1 (%s) → CWT", d.Tags)
	if d.Issuer != "" {
		fmt.Fprintf(&b, " (iss %s)", d.Issuer)
	}
	b.WriteString(" → DCC")
	if v, ok := d.DCC["ver"].(string); ok {
		b.WriteString(" " + v)
	}
	return b.String()
}

// checkSigner finds the listed DSCs named by kid and verifies the signature
// with each until one succeeds. It records the signature check and, when no
// entry can be judged, the issuer checks.
func checkSigner(r *verify.Result, d *Decoded, env *verify.Env, sc *scratch) *trustlist.Match {
	if d.KID == nil {
		r.Add(verify.CheckSignature, verify.Fail, "the COSE headers carry no kid, so the signer cannot be identified")
		env.NotListed(r, "no kid: the document does not name its signer")
		return nil
	}
	var cands []trustlist.Match
	if env.Trust != nil {
		cands = env.Trust.Find(trustlist.Query{KID: d.KID, Use: trustlist.DocHCert, CA: new(false)})
	}
	if len(cands) == 0 {
		r.Add(verify.CheckSignature, verify.Skip, "no trusted key for kid %s (from the %s header), so the signature cannot be checked", kidString(d.KID), d.KIDFrom)
		env.NotListed(r, notListedWhy(d, env))
		return nil
	}
	var why []string
	for i := range cands {
		m := &cands[i]
		cert := entryCert(m.Entry)
		if cert == nil {
			continue
		}
		if err := checkSignature(d, cert, sc); err != nil {
			why = append(why, fmt.Sprintf("%s DSC %q: %v", m.Country, m.Entry.Name, err))
			continue
		}
		c := r.Add(verify.CheckSignature, verify.Pass, "%s signature verifies with the DSC %q (kid %s, listed by %s)", AlgName(d.Alg), m.Entry.Name, kidString(d.KID), m.Country)
		if m.Entry.Source != nil {
			c.Detail += "; " + m.Entry.Source.String()
		}
		return m
	}
	r.Add(verify.CheckSignature, verify.Fail, "%s", strings.Join(why, "; "))
	r.Add(verify.CheckIssuerTrusted, verify.Skip, "the signature verifies with none of the %d listed DSCs for kid %s", len(cands), kidString(d.KID))
	for _, n := range []string{verify.CheckKeyValidAtSigning, verify.CheckNotRevoked, verify.CheckListFresh} {
		r.Add(n, verify.Skip, "no listed key verified the signature")
	}
	return nil
}

func notListedWhy(d *Decoded, env *verify.Env) string {
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
func checkChain(r *verify.Result, m *trustlist.Match, env *verify.Env) {
	if m.Entry.Kind == trustlist.EntrySPKI {
		r.Add(CheckIssuerChain, verify.Skip, "the key is listed bare (from a key-only list), without a certificate to chain")
		return
	}
	cas := env.Trust.Find(trustlist.Query{Country: m.Country, Use: trustlist.DocHCert, Kind: trustlist.EntryX509, CA: new(true)})
	if len(cas) == 0 {
		r.Add(CheckIssuerChain, verify.Skip, "%s lists no CSCA for hcert; the DSC is trusted because it is listed itself", m.Country)
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

// entryCert returns the DSC of an x509 entry, or for a bare key (spki entry,
// from a key-only national list) a stand-in holding only the key and the
// entry's validity window, and the DCC types its source restricts it to
// (Entry.DCCTypes) as the extended key usage a DSC would carry; without a
// restriction it may sign every certificate type, as the key-only lists intend.
func entryCert(e *trustlist.Entry) *x509.Certificate {
	switch e.Kind {
	case trustlist.EntryX509:
		return e.Certificate()
	case trustlist.EntrySPKI:
		if pub := e.PublicKey(); pub != nil {
			c := &x509.Certificate{PublicKey: pub, NotBefore: e.NotBefore, NotAfter: e.NotAfter}
			for _, t := range e.DCCTypes {
				c.UnknownExtKeyUsage = append(c.UnknownExtKeyUsage, map[string]asn1.ObjectIdentifier{"t": oidTest, "v": oidVacc, "r": oidRecovery}[t])
			}
			return c
		}
	}
	return nil
}

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

// certTypes returns the certificate types present in the DCC ("v", "t", "r").
func certTypes(dcc map[string]any) []string {
	var out []string
	for _, k := range []string{"v", "t", "r"} {
		if a, ok := dcc[k].([]any); ok && len(a) > 0 {
			out = append(out, k)
		}
	}
	return out
}

func typeList(ts []string) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = typeNames[t]
	}
	return strings.Join(names, ", ")
}

func checkKeyUsage(r *verify.Result, d *Decoded, cert *x509.Certificate) {
	st, detail := keyUsageVerdict(d.DCC, cert)
	r.Add(verify.CheckKeyUsage, st, "%s", detail)
}

// keyUsageVerdict judges whether the DSC's extended key usage allows the
// certificate types the DCC holds.
func keyUsageVerdict(dcc map[string]any, cert *x509.Certificate) (verify.Status, string) {
	types := certTypes(dcc)
	if len(types) == 0 {
		return verify.Fail, "the DCC holds no vaccination, test or recovery entry"
	}
	allowed := allowedTypes(cert)
	if allowed == nil {
		return verify.Pass, fmt.Sprintf("the DSC carries no DCC extended key usage, so it may sign every certificate type (this is a %s certificate)", typeList(types))
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
	return verify.Pass, fmt.Sprintf("the DSC's extended key usage allows %s; this is a %s certificate", typeList(may), typeList(types))
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkValidity checks exp and iat against the verification time, and the
// DSC's own validity period at that time.
func checkValidity(r *verify.Result, d *Decoded, cert *x509.Certificate, at time.Time) {
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
	if cert != nil {
		if at.Before(cert.NotBefore) {
			bad = append(bad, fmt.Sprintf("the DSC is not valid before %s", ts(cert.NotBefore)))
		} else if at.After(cert.NotAfter) {
			bad = append(bad, fmt.Sprintf("the DSC expired at %s", ts(cert.NotAfter)))
		}
	}
	if len(bad) > 0 {
		r.Add(verify.CheckNotExpired, verify.Fail, "at %s: %s", ts(at), strings.Join(bad, "; "))
		return
	}
	iat := "no iat"
	if !d.IssuedAt.IsZero() {
		iat = "issued " + ts(d.IssuedAt)
	}
	r.Add(verify.CheckNotExpired, verify.Pass, "%s, expires %s", iat, ts(d.Expires))
}

func summary(d *Decoded) []verify.Field {
	var out []verify.Field
	add := func(label, value string) {
		if value != "" {
			out = append(out, verify.Field{Label: label, Value: value})
		}
	}
	if nam, ok := d.DCC["nam"].(map[string]any); ok {
		gn, _ := nam["gn"].(string)
		fn, _ := nam["fn"].(string)
		if gn == "" && fn == "" {
			gn, _ = nam["gnt"].(string)
			fn, _ = nam["fnt"].(string)
		}
		add("Name", strings.TrimSpace(gn+" "+fn))
	}
	dob, _ := d.DCC["dob"].(string)
	add("Date of birth", dob)
	var ci string
	for _, t := range certTypes(d.DCC) {
		entries := d.DCC[t].([]any)
		e, _ := entries[0].(map[string]any)
		what := typeNames[t]
		switch t {
		case "v":
			dn, sd := e["dn"], e["sd"]
			if dn != nil && sd != nil {
				what += fmt.Sprintf(" (dose %v of %v)", dn, sd)
			}
		case "t":
			switch e["tr"] {
			case "260415000":
				what += " (not detected)"
			case "260373001":
				what += " (DETECTED)"
			}
		}
		add("Certificate type", what)
		if ci == "" {
			ci, _ = e["ci"].(string)
		}
	}
	add("Issuer country (claimed, iss)", d.Issuer)
	add("Certificate id", ci)
	if !d.IssuedAt.IsZero() {
		add("Issued", ts(d.IssuedAt))
	}
	if !d.Expires.IsZero() {
		add("Expires", ts(d.Expires))
	}
	return out
}

// listedBy names the anchor whose list holds the DSC, and the country the
// entry issues for when the anchor relays it for another.
func listedBy(m *trustlist.Match) string {
	s := fmt.Sprintf("%s (%s)", m.Country, m.Anchor)
	if cc := m.IssuerCountry(); cc != m.Country {
		s += fmt.Sprintf(", for %s", cc)
	}
	return s
}
