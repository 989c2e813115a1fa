package vc

import (
	"crypto/ecdsa"
	"fmt"
)

// RecoverIssuerKeys returns the candidate issuer keys of c's first proof, an
// ecdsa-sd-2023 base proof, recovered from its base signature
// (recover_test.go), for listing online-only did:web issuers in tests.
func RecoverIssuerKeys(c *Credential) ([]*ecdsa.PublicKey, error) {
	if len(c.Proofs) == 0 || c.Proofs[0].Suite() != SuiteECDSASD || c.Proofs[0].Form != FormBase {
		return nil, fmt.Errorf("not an ecdsa-sd-2023 base proof")
	}
	d, _, err := c.sdPrepare(c.Proofs[0])
	if err != nil {
		return nil, err
	}
	return recoverP256(d.baseSignedMessage(), d.baseSignature), nil
}
