package hc1

import (
	"github.com/accord-network/accord/trustlist"
)

// RevocationQueries returns the hashes of the EU DCC revocation scheme for a
// decoded certificate: SIGNATURE (over the COSE signature, ECDSA r only),
// and for each vaccination, test or recovery entry UCI (over ci) and
// COUNTRYCODEUCI (over co + ci), each SHA-256 truncated to 128 bits, as
// the EU DCC reference verifier computes them.
func RevocationQueries(d *Decoded) []trustlist.RevocationQuery {
	return AppendRevocationQueries(make([]trustlist.RevocationQuery, 0, RevocationQueryCount(d)), d)
}

// RevocationQueryCount is how many queries RevocationQueries returns for d,
// without hashing anything.
func RevocationQueryCount(d *Decoded) int {
	n := 0
	if len(d.Signature) > 0 && d.HasAlg {
		n++
	}
	for _, group := range [...]string{"v", "t", "r"} {
		for _, e := range d.DCC.Group(group) {
			if e.CI != "" {
				n += 2
			}
		}
	}
	return n
}

// AppendRevocationQueries appends RevocationQueries(d) to dst.
func AppendRevocationQueries(dst []trustlist.RevocationQuery, d *Decoded) []trustlist.RevocationQuery {
	qs := dst
	if len(d.Signature) > 0 && d.HasAlg {
		qs = append(qs, trustlist.RevocationQuery{Type: trustlist.HashSignature, Hash: trustlist.DCCSignatureHash(d.Alg, d.Signature)})
	}
	var buf [128]byte // co + ci of a typical entry, without an allocation
	for _, group := range [...]string{"v", "t", "r"} {
		for _, e := range d.DCC.Group(group) {
			ci, co := e.CI, e.CO
			if ci == "" {
				continue
			}
			coci := append(append(buf[:0], co...), ci...)
			qs = append(qs,
				trustlist.RevocationQuery{Type: trustlist.HashUCI, Hash: trustlist.RevocationHash(coci[len(co):])},
				trustlist.RevocationQuery{Type: trustlist.HashCountryCodeUCI, Hash: trustlist.RevocationHash(coci)})
		}
	}
	return qs
}
