package openattestation

import (
	"encoding/hex"

	"github.com/accord-network/accord/trustlist"
)

// RevocationQueries returns the hashes an anchor's revocation batches name
// an OpenAttestation document by: OA_TARGETHASH (SHA-256 of the document's
// 32-byte targetHash, truncated to 128 bits: this document) and
// OA_MERKLEROOT (the same of the merkleRoot: every document issued in its
// batch). Revoking needs no blockchain.
func RevocationQueries(d *Document) []trustlist.RevocationQuery {
	var qs []trustlist.RevocationQuery
	if b, err := hex.DecodeString(trimHex(d.TargetHash)); err == nil && len(b) == 32 {
		qs = append(qs, trustlist.RevocationQuery{Type: trustlist.HashOATargetHash, Hash: trustlist.RevocationHash(b)})
	}
	if b, err := hex.DecodeString(trimHex(d.MerkleRoot)); err == nil && len(b) == 32 {
		qs = append(qs, trustlist.RevocationQuery{Type: trustlist.HashOAMerkleRoot, Hash: trustlist.RevocationHash(b)})
	}
	return qs
}

func trimHex(s string) string {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:]
	}
	return s
}
