package vc

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accord-network/accord/internal/evm"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// FormatName is the name the format registers under.
const FormatName = "vc"

// CheckStatus reports the credential's status (credentialStatus).
const CheckStatus = "credential_status"

// Format recognises W3C verifiable credentials.
type Format struct{}

func init() { verify.Register(Format{}) }

// Name implements verify.Format.
func (Format) Name() string { return FormatName }

// Detect implements verify.Format: a JSON object naming a VC data model
// context, and not an OpenAttestation credential (format "oa").
func (Format) Detect(in []byte) bool {
	t := bytes.TrimLeft(in, " \t\r\n\xef\xbb\xbf")
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	if bytes.Contains(in, []byte(`"OpenAttestationMerkleProofSignature2018"`)) || bytes.Contains(in, []byte(`"SHA3MerkleProof"`)) {
		return false
	}
	return bytes.Contains(in, []byte(`"`+ContextV1+`"`)) || bytes.Contains(in, []byte(`"`+ContextV2+`"`))
}

// unsupported says why a proof's algorithm is not verified here.
func unsupported(p Proof) string {
	switch p.Suite() {
	case "bbs-2023", "BbsBlsSignature2020":
		return "unsupported cryptosuite " + p.Suite() + ": no well-kept Go implementation of BBS signatures over BLS12-381 exists to verify it with"
	}
	return "unsupported proof type " + clip(p.Suite())
}

// Verify implements verify.Format.
func (Format) Verify(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	r := &verify.Result{Format: FormatName}
	c, err := Parse(in)
	if err != nil {
		r.Add(verify.CheckDecoded, verify.Error, "%s", err.Error())
		return r, err
	}
	if env == nil {
		env = &verify.Env{}
	}
	if env.Trust == nil || env.At.IsZero() {
		e := *env
		if e.Trust == nil {
			e.Trust = emptyTrust{}
		}
		if e.At.IsZero() {
			e.At = time.Now()
		}
		env = &e
	}
	r.Claims = c.Raw
	r.Add(verify.CheckDecoded, verify.Pass, "%s", describe(c))
	r.Summary = summarize(c)
	if len(c.Proofs) == 0 {
		r.Add(verify.CheckSignature, verify.Fail, "the credential carries no proof: it is not signed")
		r.Add(verify.CheckIssuerTrusted, verify.Skip, "not looked up: nothing binds the credential to %s", clip(c.Issuer))
	}
	for _, p := range c.Proofs {
		switch p.Suite() {
		case SuiteECDSASD:
			verifySD(r, c, p, env)
			continue
		case SuiteECDSARDFC:
			verifyRDFC(r, c, p, env)
			continue
		}
		why := unsupported(p)
		r.Add(verify.CheckIntegrity, verify.Skip, "not checked: %s", why)
		r.Add(verify.CheckSignature, verify.Skip, "%s", why)
		r.Add(verify.CheckIssuerTrusted, verify.Skip, "not looked up: the signature of %s was not verified, so nothing binds the credential to it", clip(c.Issuer))
		// First, so that it is the headline: no status or chain answer
		// can make up for a signature this verifier cannot check.
		r.MarkCannotCheck("cannot be checked: the credential is signed with %s, which this verifier does not support", clip(p.Suite()))
	}
	statusCheck(ctx, r, c, env)
	expiryCheck(r, c, env)
	return r, nil
}

type emptyTrust struct{}

// Find implements verify.TrustedMaterial: nothing is trusted.
func (emptyTrust) Find(trustlist.Query) []trustlist.Match { return nil }

func describe(c *Credential) string {
	d := "W3C Verifiable Credential (VC Data Model " + c.DataModel + ")"
	for _, p := range c.Proofs {
		d += ", proof " + p.Suite()
		switch p.Form {
		case FormBase:
			d += " (base proof: the issuer's signed form)"
		case FormDerived:
			d += " (derived proof: selectively disclosed by the holder)"
		}
	}
	return d
}

// statusCheck reports the credential's status. A TransferableRecords
// status is asked of its token registry when an RPC endpoint for its chain
// is configured; any status that cannot be asked marks the result
// cannot-check with the reason, never passed; a status list is fetched
// when the verifier may go online (spec/openattestation.md §11.7).
func statusCheck(ctx context.Context, r *verify.Result, c *Credential, env *verify.Env) {
	switch {
	case len(c.Statuses) == 0 && c.derived():
		r.Add(CheckStatus, verify.Skip, "no credentialStatus is disclosed; a derived credential can withhold one, so if the issuer's original carried a status it is unknown here")
	case len(c.Statuses) == 0:
		r.Add(CheckStatus, verify.Skip, "the credential declares no credentialStatus")
	}
	for i := range c.Statuses {
		oneStatus(ctx, r, c, &c.Statuses[i], env)
	}
}

// oneStatus reports one credentialStatus entry.
func oneStatus(ctx context.Context, r *verify.Result, c *Credential, s *Status, env *verify.Env) {
	switch {
	case s.Type == "TransferableRecords":
		titleStatus(ctx, r, s, env)
	case s.Type == StatusBitstring || s.Type == Status2021:
		listStatus(ctx, r, c, s, env)
	default:
		r.Add(CheckStatus, verify.Skip, "credentialStatus of unknown type %q is not checked", clip(s.Type))
		r.MarkCannotCheck("cannot be checked: the credential's status is of a type this verifier does not know (%s)", clip(s.Type))
	}
}

// networkOf names a chain ID as the credential gives it.
func networkOf(id string) string {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return "chain " + strconv.Quote(clip(id))
	}
	return evm.NetworkName(n)
}

func expiryCheck(r *verify.Result, c *Credential, env *verify.Env) {
	if t, err := time.Parse(time.RFC3339, c.ValidFrom); c.ValidFrom != "" && err == nil && env.At.Before(t) {
		r.Add(verify.CheckNotExpired, verify.Fail, "not valid before %s", t.UTC().Format(time.RFC3339))
		return
	}
	if c.ValidUntil == "" {
		r.Add(verify.CheckNotExpired, verify.Skip, "the credential carries no expiry date")
		return
	}
	t, err := time.Parse(time.RFC3339, c.ValidUntil)
	switch {
	case err != nil:
		r.Add(verify.CheckNotExpired, verify.Error, "expiry %q is not an RFC 3339 date", clip(c.ValidUntil))
	case env.At.After(t):
		r.Add(verify.CheckNotExpired, verify.Fail, "expired at %s", t.UTC().Format(time.RFC3339))
	default:
		r.Add(verify.CheckNotExpired, verify.Pass, "valid until %s", t.UTC().Format(time.RFC3339))
	}
}

// maxShown bounds the subject fields shown in the summary.
const maxShown = 24

func summarize(c *Credential) []verify.Field {
	var f []verify.Field
	add := func(l, v string) {
		if v != "" {
			f = append(f, verify.Field{Label: l, Value: v})
		}
	}
	add("Document", strings.Join(without(strings1(c.Subject["type"]), ""), ", "))
	add("Issuer (as the credential says)", c.Issuer)
	for _, p := range c.Proofs {
		add("Signing key (claimed)", p.VerificationMethod)
	}
	add("Valid from", c.ValidFrom)
	if s := c.Status; s != nil && s.Type == "TransferableRecords" {
		add("Transferable record", fmt.Sprintf("token registry %s on %s", s.TokenRegistry, networkOf(s.ChainID)))
	}
	var fields []verify.Field
	flatten("", c.Subject, &fields)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Label < fields[j].Label })
	for i, x := range fields {
		if i == maxShown {
			add("…", fmt.Sprintf("%d more fields", len(fields)-maxShown))
			break
		}
		f = append(f, x)
	}
	return f
}

func flatten(prefix string, v any, out *[]verify.Field) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if prefix == "" && (k == "type" || k == "id") {
				continue
			}
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, e, out)
		}
	case []any:
		for i, e := range x {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), e, out)
		}
	default:
		s := fmt.Sprint(x)
		if x == nil {
			s = "null"
		}
		if len(s) > 120 {
			s = s[:120] + "…"
		}
		*out = append(*out, verify.Field{Label: prefix, Value: s})
	}
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}
