package openattestation

import (
	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/trustlist"
)

// RevocationQueries returns the hashes an anchor's revocation batches name
// an OpenAttestation document by: OA_TARGETHASH (SHA-256 of the document's
// 32-byte targetHash, truncated to 128 bits: this document) and
// OA_MERKLEROOT (the same of the merkleRoot: every document issued in its
// batch). Revoking needs no blockchain.
func RevocationQueries(d *Document) []trustlist.RevocationQuery {
	qs := make([]trustlist.RevocationQuery, 0, 2)
	if h, ok := hash32(d.TargetHash); ok {
		qs = append(qs, trustlist.RevocationQuery{Type: trustlist.HashOATargetHash, Hash: trustlist.RevocationHash(h[:])})
	}
	if h, ok := hash32(d.MerkleRoot); ok {
		qs = append(qs, trustlist.RevocationQuery{Type: trustlist.HashOAMerkleRoot, Hash: trustlist.RevocationHash(h[:])})
	}
	return qs
}

// hash32 decodes 64 hex digits (optionally 0x-prefixed) into 32 bytes.
func hash32(s string) (h [32]byte, ok bool) {
	h, err := oacore.ParseHash(trimHex(s))
	return h, err == nil
}

func trimHex(s string) string {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:]
	}
	return s
}
