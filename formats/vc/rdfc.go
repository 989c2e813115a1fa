package vc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/mr-tron/base58"

	"github.com/accord-network/accord/internal/jsonld"
	"github.com/accord-network/accord/verify"
)

// SuiteECDSARDFC is the ecdsa-rdfc-2019 cryptosuite (W3C "Data Integrity
// ECDSA Cryptosuites v1.0" §3.2-3.3): the issuer signs, with P-256 and
// SHA-256 (or P-384 and SHA-384), the hash of the canonical proof options
// followed by the hash of the canonical credential. It is all or nothing:
// no field can be withheld.
const SuiteECDSARDFC = "ecdsa-rdfc-2019"

// rdfcData is what an ecdsa-rdfc-2019 proof's signature covers.
type rdfcData struct {
	proofCanon, docCanon []byte
	statements           int
	sig                  []byte
}

// rdfcPrepare canonicalizes the credential and the proof options of proof
// p and decodes its signature (multibase base58btc of r‖s).
func (c *Credential) rdfcPrepare(p Proof) (*rdfcData, error) {
	if !strings.HasPrefix(p.ProofValue, "z") || len(p.ProofValue) > 256 {
		return nil, errors.New("proofValue is not multibase base58btc ('z' prefix)")
	}
	sig, err := base58.Decode(p.ProofValue[1:])
	if err != nil || (len(sig) != 64 && len(sig) != 96) {
		return nil, errors.New("proofValue is not a 64-byte (P-256) or 96-byte (P-384) r‖s signature")
	}
	cfg := make(map[string]any, len(p.obj))
	for k, v := range p.obj {
		if k != "proofValue" {
			cfg[k] = v
		}
	}
	cfg["@context"] = c.Raw["@context"]
	pq, err := canonicalize(cfg)
	if err != nil {
		return nil, fmt.Errorf("proof options: %w", err)
	}
	dq, err := canonicalize(c.unsecured())
	if err != nil {
		return nil, fmt.Errorf("credential: %w", err)
	}
	return &rdfcData{proofCanon: []byte(strings.Join(pq, "")), docCanon: []byte(strings.Join(dq, "")), statements: len(dq), sig: sig}, nil
}

// verify checks the signature with key: SHA-256 and 64-byte signatures on
// P-256, SHA-384 and 96-byte ones on P-384.
func (d *rdfcData) verify(key *ecdsa.PublicKey) error {
	switch {
	case key.Curve == elliptic.P256() && len(d.sig) == 64:
		a, b := sha256.Sum256(d.proofCanon), sha256.Sum256(d.docCanon)
		return rdfcCheck(key, sha256Of(append(a[:], b[:]...)), d.sig)
	case key.Curve == elliptic.P384() && len(d.sig) == 96:
		a, b := sha512.Sum384(d.proofCanon), sha512.Sum384(d.docCanon)
		h := sha512.Sum384(append(a[:], b[:]...))
		return rdfcCheck(key, h[:], d.sig)
	}
	return errCurve
}

func sha256Of(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

func rdfcCheck(key *ecdsa.PublicKey, digest, sig []byte) error {
	n := len(sig) / 2
	if !ecdsa.Verify(key, digest, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
		return errors.New("the issuer's signature does not verify with that key")
	}
	return nil
}

func (d *rdfcData) issuerSig() issuerSig {
	return issuerSig{suite: SuiteECDSARDFC, verify: d.verify,
		covers: fmt.Sprintf("the proof options and all %d statements of the credential", d.statements)}
}

// verifyRDFC records the checks of one ecdsa-rdfc-2019 proof. Its one
// signature covers the whole credential, so integrity is established
// exactly when the signature verifies with a key: an altered credential
// and a wrong key look alike.
func verifyRDFC(r *verify.Result, c *Credential, p Proof, env *verify.Env) {
	d, err := c.rdfcPrepare(p)
	switch {
	case errors.Is(err, jsonld.ErrContextNotBundled):
		r.Add(verify.CheckIntegrity, verify.Skip, "cannot be checked: %v", err)
	case err != nil:
		r.Add(verify.CheckIntegrity, verify.Fail, "the %s proof does not hold for this credential: %v", p.Suite(), err)
	}
	signed, ok := proofBound(r, c, p, err == nil)
	if !ok {
		return
	}
	issuerCheck(r, d.issuerSig(), p.VerificationMethod, env, signed)
	switch sig := r.Check(verify.CheckSignature); {
	case sig != nil && sig.Status == verify.Pass:
		r.Add(verify.CheckIntegrity, verify.Pass, "all %d statements are covered by the issuer's %s signature (it signs the whole credential: nothing can be withheld)", d.statements, p.Suite())
		r.Summary = append(r.Summary, verify.Field{Label: "Withheld", Value: "none: an " + p.Suite() + " proof signs the whole credential"})
	default:
		r.Add(verify.CheckIntegrity, verify.Skip, "not established apart from the signature: %s signs the whole credential at once, so an altered credential and a wrong key look alike", p.Suite())
	}
}
