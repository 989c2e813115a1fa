package vc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// ecdsa-sd-2023 (W3C "Data Integrity ECDSA Cryptosuites v1.0" §3.4–3.5):
// the issuer canonicalizes the credential (RDFC-1.0), relabels its blank
// nodes with an HMAC of their canonical labels, signs every statement that
// is not mandatory with a fresh per-proof P-256 key, and signs with its own
// key the hash of the proof options, that per-proof public key and the hash
// of the mandatory statements. A holder derives a proof that discloses a
// subset of the statements with their signatures.

// Limits on a decoded proofValue.
const (
	maxProofValue  = 1 << 20
	maxStatements  = 4096
	maxPointers    = 1024
	maxPointerLen  = 1024
	maxLabelMapLen = 4096
)

// Header bytes of an ecdsa-sd-2023 proofValue (after the multibase "u").
var (
	headerBase    = []byte{0xd9, 0x5d, 0x00}
	headerDerived = []byte{0xd9, 0x5d, 0x01}
)

// p256Multikey is the multicodec prefix of a compressed P-256 public key
// (p256-pub, 0x1200, as an unsigned varint).
var p256Multikey = []byte{0x80, 0x24}

// baseProofValue is a decoded base proof: what the issuer hands the holder.
type baseProofValue struct {
	_                 struct{} `cbor:",toarray"`
	BaseSignature     []byte
	PublicKey         []byte
	HMACKey           []byte
	Signatures        [][]byte
	MandatoryPointers []string
}

// derivedProofValue is a decoded derived proof: what a holder discloses.
type derivedProofValue struct {
	_                  struct{} `cbor:",toarray"`
	BaseSignature      []byte
	PublicKey          []byte
	Signatures         [][]byte
	CompressedLabelMap map[uint64][]byte
	MandatoryIndexes   []uint64
}

var cborDec = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		MaxNestedLevels:  4,
		MaxArrayElements: maxStatements,
		MaxMapPairs:      maxLabelMapLen,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsAllowed,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// decodeProofValue reads a multibase base64url proofValue and returns its
// CBOR payload and whether it is a derived proof.
func decodeProofValue(pv string) (payload []byte, derived bool, err error) {
	if len(pv) > maxProofValue {
		return nil, false, fmt.Errorf("proofValue of %d bytes exceeds %d", len(pv), maxProofValue)
	}
	if !strings.HasPrefix(pv, "u") {
		return nil, false, errors.New("proofValue is not multibase base64url (no 'u' prefix)")
	}
	b, err := base64.RawURLEncoding.DecodeString(pv[1:])
	if err != nil {
		return nil, false, fmt.Errorf("proofValue is not base64url: %v", err)
	}
	switch {
	case len(b) >= 3 && string(b[:3]) == string(headerBase):
		return b[3:], false, nil
	case len(b) >= 3 && string(b[:3]) == string(headerDerived):
		return b[3:], true, nil
	}
	return nil, false, errors.New("proofValue does not start with the ecdsa-sd-2023 base or derived header (0xd9 0x5d 0x00/0x01)")
}

// parseBaseProofValue decodes an ecdsa-sd-2023 base proofValue.
func parseBaseProofValue(pv string) (*baseProofValue, error) {
	payload, derived, err := decodeProofValue(pv)
	if err != nil {
		return nil, err
	}
	if derived {
		return nil, errors.New("proofValue is a derived proof, not a base proof")
	}
	var v baseProofValue
	if err := cborDec.Unmarshal(payload, &v); err != nil {
		return nil, fmt.Errorf("base proofValue CBOR: %v", err)
	}
	if err := checkCommon(v.BaseSignature, v.PublicKey, v.Signatures); err != nil {
		return nil, err
	}
	if len(v.HMACKey) != 32 {
		return nil, fmt.Errorf("HMAC key of %d bytes, want 32", len(v.HMACKey))
	}
	if len(v.MandatoryPointers) > maxPointers {
		return nil, fmt.Errorf("%d mandatory pointers (at most %d)", len(v.MandatoryPointers), maxPointers)
	}
	for _, p := range v.MandatoryPointers {
		if len(p) > maxPointerLen || (p != "" && p[0] != '/') {
			return nil, fmt.Errorf("mandatory pointer %q is not a JSON pointer", clip(p))
		}
	}
	return &v, nil
}

// parseDerivedProofValue decodes an ecdsa-sd-2023 derived proofValue.
func parseDerivedProofValue(pv string) (*derivedProofValue, error) {
	payload, derived, err := decodeProofValue(pv)
	if err != nil {
		return nil, err
	}
	if !derived {
		return nil, errors.New("proofValue is a base proof, not a derived proof")
	}
	var v derivedProofValue
	if err := cborDec.Unmarshal(payload, &v); err != nil {
		return nil, fmt.Errorf("derived proofValue CBOR: %v", err)
	}
	if err := checkCommon(v.BaseSignature, v.PublicKey, v.Signatures); err != nil {
		return nil, err
	}
	labels := make(map[string]bool, len(v.CompressedLabelMap))
	for k, l := range v.CompressedLabelMap {
		if len(l) != 32 || k > maxStatements {
			return nil, fmt.Errorf("label map entry %d: want a 32-byte HMAC label for a blank node index below %d", k, maxStatements)
		}
		// Two blank nodes under one label would let one signed statement
		// stand for two disclosed ones.
		if labels[string(l)] {
			return nil, fmt.Errorf("label map gives two blank nodes the same label")
		}
		labels[string(l)] = true
	}
	for i, x := range v.MandatoryIndexes {
		if x > maxStatements || (i > 0 && x <= v.MandatoryIndexes[i-1]) {
			return nil, errors.New("mandatory indexes are not strictly increasing statement indexes")
		}
	}
	return &v, nil
}

func checkCommon(baseSig, pub []byte, sigs [][]byte) error {
	if len(baseSig) != 64 {
		return fmt.Errorf("base signature of %d bytes, want 64 (P-256 r‖s)", len(baseSig))
	}
	if _, err := parseMultikeyP256(pub); err != nil {
		return fmt.Errorf("per-proof public key: %v", err)
	}
	for i, s := range sigs {
		if len(s) != 64 {
			return fmt.Errorf("statement signature %d of %d bytes, want 64", i, len(s))
		}
	}
	return nil
}

// parseMultikeyP256 reads a multikey-encoded compressed P-256 public key.
func parseMultikeyP256(b []byte) (*ecdsa.PublicKey, error) {
	if len(b) != 35 || b[0] != p256Multikey[0] || b[1] != p256Multikey[1] {
		return nil, errors.New("not a multikey P-256 public key (0x8024 ‖ 33-byte compressed point)")
	}
	return p256Compressed(b[2:])
}

// p256Compressed parses a 33-byte compressed P-256 point.
func p256Compressed(b []byte) (*ecdsa.PublicKey, error) {
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
	if x == nil {
		return nil, errors.New("not a point on P-256")
	}
	raw := make([]byte, 65)
	raw[0] = 4
	x.FillBytes(raw[1:33])
	y.FillBytes(raw[33:])
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
}

// verifyP256 checks a 64-byte r‖s signature over SHA-256(msg).
func verifyP256(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	h := sha256.Sum256(msg)
	return ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}

// relabel replaces the canonical blank node labels (_:c14nN) of canonical
// N-Quads by label(N) and sorts the result, as labelReplacementCanonicalize
// does. Labels are replaced only outside literals. A label that label cannot
// map is an error.
func relabel(quads []string, label func(n string) (string, bool)) ([]string, error) {
	out := make([]string, len(quads))
	for i, q := range quads {
		var b strings.Builder
		inLit, esc := false, false
		for j := 0; j < len(q); j++ {
			c := q[j]
			switch {
			case esc:
				esc = false
			case inLit && c == '\\':
				esc = true
			case c == '"':
				inLit = !inLit
			case !inLit && strings.HasPrefix(q[j:], "_:c14n") && (j == 0 || q[j-1] == ' '):
				k := j + len("_:c14n")
				for k < len(q) && q[k] >= '0' && q[k] <= '9' {
					k++
				}
				id := q[j+2 : k]
				l, ok := label(id)
				if !ok {
					return nil, fmt.Errorf("blank node %s has no label in the proof", id)
				}
				b.WriteString("_:" + l)
				j = k - 1
				continue
			}
			b.WriteByte(c)
		}
		out[i] = b.String()
	}
	sort.Strings(out)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, fmt.Errorf("two statements are identical after relabelling blank nodes")
		}
	}
	return out, nil
}

// hmacLabeler labels canonical blank node ids as a base proof does: "u" and
// base64url(HMAC-SHA-256(key, id)).
func hmacLabeler(key []byte) func(string) (string, bool) {
	return func(id string) (string, bool) {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id))
		return "u" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)), true
	}
}

// mapLabeler labels canonical blank node ids from a derived proof's label
// map (c14nN → its HMAC label).
func mapLabeler(compressed map[uint64][]byte) func(string) (string, bool) {
	return func(id string) (string, bool) {
		n, err := strconv.ParseUint(strings.TrimPrefix(id, "c14n"), 10, 32)
		if err != nil {
			return "", false
		}
		l, ok := compressed[n]
		if !ok {
			return "", false
		}
		return "u" + base64.RawURLEncoding.EncodeToString(l), true
	}
}

// sdVerifyData is what a proof's signatures are checked against.
type sdVerifyData struct {
	proofHash     [32]byte
	publicKey     []byte   // multikey per-proof key, as signed
	mandatory     []string // mandatory statements, in order
	nonMandatory  []string // statements with their own signature, in order
	signatures    [][]byte // one per nonMandatory statement
	baseSignature []byte
}

// baseSignedMessage is what the issuer's key signed: proofHash ‖ publicKey ‖
// SHA-256 of the mandatory statements concatenated.
func (d *sdVerifyData) baseSignedMessage() []byte {
	h := sha256.New()
	for _, q := range d.mandatory {
		h.Write([]byte(q))
	}
	msg := append(append(d.proofHash[:0:0], d.proofHash[:]...), d.publicKey...)
	return h.Sum(msg)
}

// sdOutcome is the result of checking an ecdsa-sd-2023 proof.
type sdOutcome struct {
	Derived    bool
	Statements int // statements in the (disclosed) credential
	Mandatory  int
	Pointers   []string // base proofs: the issuer's mandatory pointers
	// BadStatement is set when a per-statement signature does not verify:
	// the statement that was altered (or the one the signature belongs to).
	BadStatement string
}

// errStatementSig and errBaseSig distinguish which signature failed.
var (
	errStatementSig = errors.New("a statement's signature does not verify: the credential was altered after signing")
	errBaseSig      = errors.New("the issuer's base signature does not verify with that key")
)

// checkStatements verifies the per-proof signature of each non-mandatory
// statement with the per-proof key.
func (d *sdVerifyData) checkStatements(out *sdOutcome) error {
	pub, err := parseMultikeyP256(d.publicKey)
	if err != nil {
		return err
	}
	if len(d.signatures) != len(d.nonMandatory) {
		return fmt.Errorf("%d statement signatures for %d non-mandatory statements", len(d.signatures), len(d.nonMandatory))
	}
	for i, q := range d.nonMandatory {
		if !verifyP256(pub, []byte(q), d.signatures[i]) {
			out.BadStatement = strings.TrimSpace(q)
			return errStatementSig
		}
	}
	return nil
}

// splitBase divides a base proof's statements into mandatory and
// non-mandatory ones. The issuer signed the non-mandatory statements in
// canonical order, one signature each; statements are distinct, so walking
// them in order and taking a statement as non-mandatory exactly when the
// next unused signature verifies over it recovers the issuer's division.
// A statement altered after signing ends up counted as mandatory, which
// changes the mandatory hash, so the base signature then fails. (The
// specification selects mandatory statements by the JSON pointers the base
// proof carries; both divisions are the same for an unaltered credential,
// and this one needs no JSON pointer selection over a skolemized copy.)
func splitBase(quads []string, pub *ecdsa.PublicKey, sigs [][]byte) (mandatory, nonMandatory []string, err error) {
	j := 0
	for _, q := range quads {
		if j < len(sigs) && verifyP256(pub, []byte(q), sigs[j]) {
			nonMandatory = append(nonMandatory, q)
			j++
			continue
		}
		mandatory = append(mandatory, q)
	}
	if j != len(sigs) {
		return nil, nil, fmt.Errorf("%w (%d of %d statement signatures match no statement)", errStatementSig, len(sigs)-j, len(sigs))
	}
	return mandatory, nonMandatory, nil
}

// splitDerived divides a derived proof's statements by its mandatory
// indexes.
func splitDerived(quads []string, idx []uint64) (mandatory, nonMandatory []string, err error) {
	m := make(map[uint64]bool, len(idx))
	for _, i := range idx {
		if i >= uint64(len(quads)) {
			return nil, nil, fmt.Errorf("mandatory index %d beyond the %d statements", i, len(quads))
		}
		m[i] = true
	}
	for i, q := range quads {
		if m[uint64(i)] {
			mandatory = append(mandatory, q)
		} else {
			nonMandatory = append(nonMandatory, q)
		}
	}
	return mandatory, nonMandatory, nil
}
