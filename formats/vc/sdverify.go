package vc

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/accord-network/accord/internal/jsonld"
)

// canonicalize is jsonld.Canonicalize.
var canonicalize = jsonld.Canonicalize

// unsecured returns the credential without its proof, as it was signed.
func (c *Credential) unsecured() map[string]any {
	doc := make(map[string]any, len(c.Raw))
	for k, v := range c.Raw {
		if k != "proof" {
			doc[k] = v
		}
	}
	return doc
}

// proofHash is SHA-256 of the canonical proof options: the proof without
// its proofValue, in the credential's @context.
func (c *Credential) proofHash(p Proof) ([32]byte, error) {
	cfg := make(map[string]any, len(p.obj))
	for k, v := range p.obj {
		if k != "proofValue" {
			cfg[k] = v
		}
	}
	cfg["@context"] = c.Raw["@context"]
	q, err := canonicalize(cfg)
	if err != nil {
		return [32]byte{}, fmt.Errorf("proof options: %w", err)
	}
	return sha256.Sum256([]byte(strings.Join(q, ""))), nil
}

// sdPrepare canonicalizes a credential carrying ecdsa-sd-2023 proof p,
// relabels its blank nodes as the proof says, checks every per-statement
// signature with the proof's own key, and returns what the issuer's base
// signature must cover. An error wrapping errStatementSig means the
// credential was altered; any other error that the proof or the credential
// cannot be processed.
func (c *Credential) sdPrepare(p Proof) (*sdVerifyData, *sdOutcome, error) {
	out := &sdOutcome{Derived: p.Form == FormDerived}
	ph, err := c.proofHash(p)
	if err != nil {
		return nil, out, err
	}
	quads, err := canonicalize(c.unsecured())
	if err != nil {
		return nil, out, fmt.Errorf("credential: %w", err)
	}
	out.Statements = len(quads)
	d := &sdVerifyData{proofHash: ph}
	if out.Derived {
		err = d.fromDerived(p.ProofValue, quads)
	} else {
		err = d.fromBase(p.ProofValue, quads, out)
	}
	if err != nil {
		return nil, out, err
	}
	out.Mandatory = len(d.mandatory)
	if err := d.checkStatements(out); err != nil {
		return nil, out, err
	}
	return d, out, nil
}

func (d *sdVerifyData) fromBase(pv string, quads []string, out *sdOutcome) error {
	v, err := parseBaseProofValue(pv)
	if err != nil {
		return err
	}
	out.Pointers = v.MandatoryPointers
	labelled, err := relabel(quads, hmacLabeler(v.HMACKey))
	if err != nil {
		return err
	}
	pub, err := parseMultikeyP256(v.PublicKey)
	if err != nil {
		return err
	}
	d.mandatory, d.nonMandatory, err = splitBase(labelled, pub, v.Signatures)
	if err != nil {
		return err
	}
	d.publicKey, d.signatures, d.baseSignature = v.PublicKey, v.Signatures, v.BaseSignature
	return nil
}

func (d *sdVerifyData) fromDerived(pv string, quads []string) error {
	v, err := parseDerivedProofValue(pv)
	if err != nil {
		return err
	}
	labelled, err := relabel(quads, mapLabeler(v.CompressedLabelMap))
	if err != nil {
		return err
	}
	d.mandatory, d.nonMandatory, err = splitDerived(labelled, v.MandatoryIndexes)
	if err != nil {
		return err
	}
	d.publicKey, d.signatures, d.baseSignature = v.PublicKey, v.Signatures, v.BaseSignature
	return nil
}

// checkBase verifies the issuer's base signature with key.
func (d *sdVerifyData) checkBase(key *ecdsa.PublicKey) error {
	if !verifyP256(key, d.baseSignedMessage(), d.baseSignature) {
		return errBaseSig
	}
	return nil
}
