package pdf

import (
	"encoding/hex"

	"github.com/digitorus/pkcs7"

	"github.com/accord-network/accord/trustlist"
)

// ClaimRevocationHash is the claim holding a signature's PDF_SIGNATURE
// revocation hash (hex), which `accord revoke --pdf` reads.
const ClaimRevocationHash = "revocation_hash"

// revocationQuery returns the PDF_SIGNATURE hash of a CMS signature: SHA-256
// of the first signer's signature value, truncated to 128 bits. The value is
// unique to the signed document and says nothing about its content.
func revocationQuery(p7 *pkcs7.PKCS7) (trustlist.RevocationQuery, bool) {
	if len(p7.Signers) == 0 || len(p7.Signers[0].EncryptedDigest) == 0 {
		return trustlist.RevocationQuery{}, false
	}
	return trustlist.RevocationQuery{Type: trustlist.HashPDFSignature, Hash: trustlist.RevocationHash(p7.Signers[0].EncryptedDigest)}, true
}

func revocationClaim(p7 *pkcs7.PKCS7, claims map[string]any) {
	if q, ok := revocationQuery(p7); ok {
		claims[ClaimRevocationHash] = hex.EncodeToString(q.Hash[:])
	}
}

func revocationQueries(p7 *pkcs7.PKCS7) []trustlist.RevocationQuery {
	if q, ok := revocationQuery(p7); ok {
		return []trustlist.RevocationQuery{q}
	}
	return nil
}
