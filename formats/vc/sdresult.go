package vc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accord-network/accord/internal/jsonld"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// SuiteECDSASD is the ecdsa-sd-2023 cryptosuite.
const SuiteECDSASD = "ecdsa-sd-2023"

// verifySD records the checks of one ecdsa-sd-2023 proof: integrity (every
// statement matches the proof), signature (the issuer's base signature with
// the listed key), the issuer's listing, and what a derived proof withheld.
func verifySD(r *verify.Result, c *Credential, p Proof, env *verify.Env) {
	d, ok := sdIntegrity(r, c, p)
	signed, ok := proofBound(r, c, p, ok)
	if !ok {
		return
	}
	sdIssuer(r, d, p.VerificationMethod, env, signed)
}

// proofBound records why the signature and the issuer's listing are not
// checked when integrity was not established (ok false) or proof p cannot
// speak for the credential's issuer, and returns false then; otherwise it
// returns the signing time the proof claims, for the issuer check.
func proofBound(r *verify.Result, c *Credential, p Proof, ok bool) (verify.SigningTime, bool) {
	if !ok {
		r.Add(verify.CheckSignature, verify.Skip, "not checked: the statements the issuer's signature covers could not be established")
		r.Add(verify.CheckIssuerTrusted, verify.Skip, "not looked up: the credential's integrity was not established")
		return verify.SigningTime{}, false
	}
	if why := sdBinding(c, p); why != "" {
		r.Add(verify.CheckSignature, verify.Fail, "%s", why)
		r.Add(verify.CheckIssuerTrusted, verify.Skip, "not looked up: the proof does not speak for the credential's issuer")
		return verify.SigningTime{}, false
	}
	signed := verify.SigningTime{Source: "the proof's created date (the signer's claim)"}
	if t, err := time.Parse(time.RFC3339, p.Created); err == nil {
		signed.Time = t
	}
	return signed, true
}

// sdBinding says why proof p cannot speak for the credential's issuer, or
// "": it must assert the credential with a key of the issuer's own DID.
func sdBinding(c *Credential, p Proof) string {
	if p.ProofPurpose != "assertionMethod" {
		return fmt.Sprintf("proof purpose is %q, want assertionMethod: this proof does not assert the credential", clip(p.ProofPurpose))
	}
	did, _, err := splitVM(p.VerificationMethod)
	if err != nil {
		return err.Error()
	}
	if did != c.Issuer {
		return fmt.Sprintf("the proof is signed by a key of %s, but the credential names issuer %s: only the issuer's own key can sign for it", clip(did), clip(c.Issuer))
	}
	return ""
}

// sdIntegrity canonicalizes the credential and checks every statement
// against the proof. It records the integrity check and says whether the
// issuer's signature can be checked next.
func sdIntegrity(r *verify.Result, c *Credential, p Proof) (*sdVerifyData, bool) {
	d, out, err := c.sdPrepare(p)
	switch {
	case errors.Is(err, jsonld.ErrContextNotBundled):
		r.Add(verify.CheckIntegrity, verify.Skip, "cannot be checked: %v", err)
		return nil, false
	case errors.Is(err, errStatementSig) && out.BadStatement != "":
		r.Add(verify.CheckIntegrity, verify.Fail, "%v; the first statement that no longer matches its signature: %s", err, clip(out.BadStatement))
		return nil, false
	case err != nil:
		r.Add(verify.CheckIntegrity, verify.Fail, "the %s proof does not hold for this credential: %v", p.Suite(), err)
		return nil, false
	}
	nonMandatory := out.Statements - out.Mandatory
	if out.Derived {
		r.Add(verify.CheckIntegrity, verify.Pass, "all %d disclosed statements match the derived proof: %d mandatory, %d disclosed by the holder, each with its signature", out.Statements, out.Mandatory, nonMandatory)
		r.Summary = append(r.Summary, verify.Field{Label: "Withheld", Value: "the holder disclosed only part of what the issuer signed (a derived proof); the fields shown are signed, the rest is withheld and a derived proof does not say what it was"})
	} else {
		ptrs := pointers(out.Pointers)
		r.Add(verify.CheckIntegrity, verify.Pass, "all %d statements match the base proof: %d mandatory (%s), %d each with its signature", out.Statements, out.Mandatory, ptrs, nonMandatory)
		r.Summary = append(r.Summary, verify.Field{Label: "Withheld", Value: fmt.Sprintf("none marked; ecdsa-sd-2023 binds only the mandatory fields (%s) together: any other field can be dropped without breaking the proof", ptrs)})
	}
	return d, true
}

// pointers shows a base proof's mandatory JSON pointers on one line, bounded.
func pointers(p []string) string {
	if len(p) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, x := range p {
		if i > 0 {
			b.WriteByte(' ')
		}
		if strings.ContainsFunc(x, func(r rune) bool { return r < 0x20 || r == ' ' }) {
			x = strconv.Quote(x)
		}
		b.WriteString(x)
		if b.Len() > 200 {
			return strings.ToValidUTF8(b.String()[:200], "") + "…"
		}
	}
	return b.String()
}

// issuerSig is a proof's issuer signature, checked with a key: the
// ecdsa-sd-2023 base signature or an ecdsa-rdfc-2019 proof.
type issuerSig struct {
	suite  string
	covers string // what the signature covers, for the pass message
	// verify checks the signature with key; errCurve when the key is on a
	// curve the suite does not use.
	verify func(key *ecdsa.PublicKey) error
}

// errCurve: the key's curve is not the one the proof is made with.
var errCurve = errors.New("the key is on a curve this proof is not made with")

// sdSig is an ecdsa-sd-2023 base signature (P-256 only).
func sdSig(d *sdVerifyData) issuerSig {
	return issuerSig{suite: SuiteECDSASD,
		covers: fmt.Sprintf("the proof options, the proof key and the %d mandatory statements", len(d.mandatory)),
		verify: func(k *ecdsa.PublicKey) error {
			if k.Curve != elliptic.P256() {
				return errCurve
			}
			return d.checkBase(k)
		}}
}

// sdIssuer finds the issuer's key in the trust lists, checks the base
// signature with it and records the issuer checks.
func sdIssuer(r *verify.Result, d *sdVerifyData, vm string, env *verify.Env, signed verify.SigningTime) {
	issuerCheck(r, sdSig(d), vm, env, signed)
}

// issuerCheck finds the key of verification method vm in the trust lists
// (a did_key entry allowed for vc, preferring one in force), checks the
// proof's signature with it and records the issuer checks.
func issuerCheck(r *verify.Result, sig issuerSig, vm string, env *verify.Env, signed verify.SigningTime) {
	all := env.Trust.Find(trustlist.Query{KID: []byte(vm), Kind: trustlist.EntryDIDKey})
	var usable []trustlist.Match
	for _, m := range all {
		if m.Entry.Allows(trustlist.DocVC) {
			usable = append(usable, m)
		}
	}
	if len(usable) == 0 {
		sdUnlisted(r, sig, vm, env, all)
		return
	}
	m := usable[0]
	for _, c := range usable {
		if c.Entry.ValidAt(env.At) && !c.Entry.RevokedBy(env.At) && !c.Equivocated {
			m = c
			break
		}
	}
	key, ok := m.Entry.PublicKey().(*ecdsa.PublicKey)
	if !ok {
		r.Add(verify.CheckSignature, verify.Fail, "%s is listed by %s with a key that is not an ECDSA key; %s proofs are ECDSA signatures", clip(vm), m.Country, sig.suite)
		return
	}
	if dk, err := didKeyP256(vm); err == nil && !dk.Equal(key) {
		r.Add(verify.CheckSignature, verify.Fail, "%s is listed by %s with a different key than the did:key itself names", clip(vm), m.Country)
		return
	}
	switch err := sig.verify(key); {
	case errors.Is(err, errCurve):
		r.Add(verify.CheckSignature, verify.Fail, "%s is listed by %s with a key on %s, which %s proofs are not made with", clip(vm), m.Country, key.Curve.Params().Name, sig.suite)
		return
	case err != nil:
		r.Add(verify.CheckSignature, verify.Fail, "%v (%s as listed by %s): the credential was not signed by the listed key, or what it signed was altered", err, clip(vm), m.Country)
		return
	}
	r.Add(verify.CheckSignature, verify.Pass, "the issuer's %s signature over %s verifies with %s as listed by %s", key.Curve.Params().Name, sig.covers, clip(vm), m.Country)
	r.Add(verify.CheckKeyUsage, verify.Pass, "%s may sign verifiable credentials", clip(vm))
	env.IssuerChecks(r, m, signed)
}

// sdUnlisted records a proof whose key no admitted list names for vc. A
// did:key names its own key, so the signature can still be checked (and a
// forgery told apart from an unknown issuer); a did:web key is taken only
// from a trust list: DID documents are never fetched.
func sdUnlisted(r *verify.Result, sig issuerSig, vm string, env *verify.Env, other []trustlist.Match) {
	if k, err := didKeyP256(vm); err == nil {
		if err := sig.verify(k); err != nil {
			r.Add(verify.CheckSignature, verify.Fail, "%v (the key the did:key names)", err)
		} else {
			r.Add(verify.CheckSignature, verify.Pass, "the issuer's P-256 signature over %s verifies with the key the did:key names", sig.covers)
		}
	} else {
		r.Add(verify.CheckSignature, verify.Skip, "not checked: the key of %s is taken only from a trust list entry (DID documents are not fetched), and no admitted list names it", clip(vm))
	}
	if len(other) > 0 {
		m := other[0]
		r.Add(verify.CheckKeyUsage, verify.Fail, "%s is listed by %s (%s) but not for verifiable credentials (uses: %v)", clip(vm), m.Country, m.Entry.Name, m.Entry.Uses)
		env.NotListed(r, fmt.Sprintf("%s is not listed for vc documents", clip(vm)))
		return
	}
	env.NotListed(r, fmt.Sprintf("%s is not in any admitted trust list (unknown issuer)", clip(vm)))
}
