package pdf

import (
	"encoding/hex"

	"github.com/accord-network/accord/trustlist"
)

// ClaimRevocationHash is the claim holding a signature's PDF_SIGNATURE
// revocation hash (hex), which `accord revoke --pdf` reads.
const ClaimRevocationHash = "revocation_hash"

// revocationQuery returns the PDF_SIGNATURE hash of a CMS signature: SHA-256
// of the signer's signature value, truncated to 128 bits. The value is
// unique to the signed document and says nothing about its content.
func revocationQuery(sig []byte) (trustlist.RevocationQuery, bool) {
	if len(sig) == 0 {
		return trustlist.RevocationQuery{}, false
	}
	return trustlist.RevocationQuery{Type: trustlist.HashPDFSignature, Hash: trustlist.RevocationHash(sig)}, true
}

func revocationClaim(sig []byte, claims map[string]any) {
	if q, ok := revocationQuery(sig); ok {
		claims[ClaimRevocationHash] = hex.EncodeToString(q.Hash[:])
	}
}

func revocationQueries(sig []byte) []trustlist.RevocationQuery {
	if q, ok := revocationQuery(sig); ok {
		return []trustlist.RevocationQuery{q}
	}
	return nil
}
