package trustlist

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/veraison/go-cose"
)

// Every signed Accord object is a COSE_Sign (RFC 9052 §4.1, tag 98) whose
// payload is deterministic CBOR and whose body protected header is empty.
// Each COSE_Signature carries alg (1) and kid (4) in its own protected header.
// Several signatures let an anchor require t of n keys (a threshold).

var signMessagePrefix = []byte{0xd8, 0x62} // tag 98

func addSignatures(msg *cose.SignMessage, keys []*PrivateKey, r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	body, err := msg.Headers.MarshalProtected()
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		for _, s := range msg.Signatures {
			if kid, _ := s.Headers.Protected[cose.HeaderLabelKeyID].([]byte); bytes.Equal(kid, k.pub.kid) {
				return nil, fmt.Errorf("key %x has already signed this object", k.pub.kid)
			}
		}
		signer, err := k.coseSigner()
		if err != nil {
			return nil, err
		}
		sig := cose.NewSignature()
		sig.Headers.Protected[cose.HeaderLabelAlgorithm] = k.pub.coseAlg()
		sig.Headers.Protected[cose.HeaderLabelKeyID] = k.pub.kid
		if err := sig.Sign(r, signer, body, msg.Payload, nil); err != nil {
			return nil, fmt.Errorf("sign with key %x: %w", k.pub.kid, err)
		}
		msg.Signatures = append(msg.Signatures, sig)
	}
	return msg.MarshalCBOR()
}

// Cosign adds signatures by keys to an already signed object, so that the
// holders of an anchor's keys can sign one after another on separate machines.
func Cosign(signed []byte, keys []*PrivateKey) ([]byte, error) {
	msg, err := decodeSignMessage(signed)
	if err != nil {
		return nil, err
	}
	return addSignatures(msg, keys, nil)
}

func decodeSignMessage(b []byte) (*cose.SignMessage, error) {
	if len(b) > MaxObjectSize {
		return nil, fmt.Errorf("%w: object of %d bytes exceeds the %d byte limit", ErrMalformed, len(b), MaxObjectSize)
	}
	if !bytes.HasPrefix(b, signMessagePrefix) {
		return nil, fmt.Errorf("%w: not a COSE_Sign object (tag 98)", ErrMalformed)
	}
	// Check well-formedness under our decoder's limits before go-cose sees
	// it: a walk, without decoding (or copying) anything.
	if err := decMode.Wellformed(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	msg, ok := splitSignMessage(b)
	if !ok {
		msg = new(cose.SignMessage)
		if err := msg.UnmarshalCBOR(b); err != nil {
			return nil, fmt.Errorf("%w: COSE_Sign: %v", ErrMalformed, err)
		}
	}
	if len(msg.Headers.Protected) != 0 {
		return nil, fmt.Errorf("%w: body protected header must be empty", ErrMalformed)
	}
	if msg.Payload == nil {
		return nil, fmt.Errorf("%w: detached payloads are not allowed", ErrMalformed)
	}
	if len(msg.Signatures) > 64 {
		return nil, fmt.Errorf("%w: %d signatures (at most 64)", ErrMalformed, len(msg.Signatures))
	}
	return msg, nil
}

// SignerReport says which keys of a key set produced a valid signature.
type SignerReport struct {
	Valid    [][]byte // kids of keys with a valid signature, each counted once
	Problems []string // signatures that did not count, and why
}

// Count returns the number of distinct keys that signed validly.
func (r SignerReport) Count() int { return len(r.Valid) }

// verifySigners checks each signature of msg against keys (matched by kid,
// alg must equal the key's alg) and reports which distinct keys signed.
func verifySigners(msg *cose.SignMessage, keys []*PublicKey) SignerReport {
	var rep SignerReport
	body, err := msg.Headers.MarshalProtected()
	if err != nil {
		rep.Problems = append(rep.Problems, err.Error())
		return rep
	}
	seen := make(map[string]bool)
	tried := make(map[string]bool) // each key's signature is verified at most once
	for i, s := range msg.Signatures {
		kid, _ := s.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
		alg, algErr := s.Headers.Protected.Algorithm()
		var key *PublicKey
		for _, k := range keys {
			if bytes.Equal(k.kid, kid) {
				key = k
				break
			}
		}
		switch {
		case key == nil:
			rep.Problems = append(rep.Problems, fmt.Sprintf("signature %d: key %x is not in the descriptor", i, kid))
			continue
		case algErr != nil || alg != key.coseAlg():
			rep.Problems = append(rep.Problems, fmt.Sprintf("signature %d: algorithm does not match key %x (%s)", i, kid, key.alg))
			continue
		case seen[string(kid)] || tried[string(kid)]:
			rep.Problems = append(rep.Problems, fmt.Sprintf("signature %d: key %x signed twice; counted once", i, kid))
			continue
		}
		tried[string(kid)] = true
		v, err := key.verifier()
		if err == nil {
			err = verifySignature(s, v, body, msg.Payload)
		}
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("signature %d by key %x does not verify", i, kid))
			continue
		}
		seen[string(kid)] = true
		rep.Valid = append(rep.Valid, kid)
	}
	return rep
}

// verifySignature is s.Verify(v, body, payload, nil). For ES256 it does not
// build the Sig_structure in memory (a copy of the payload): its SHA-256 is
// taken over the same encoding streamed, the short prefix and then the
// payload in place, and the digest verified. Headers not in their shortest
// encoding take go-cose's path, which re-encodes them.
func verifySignature(s *cose.Signature, v cose.Verifier, body, payload []byte) error {
	dv, ok := v.(cose.DigestVerifier)
	signProt, err := s.Headers.MarshalProtected()
	if !ok || v.Algorithm() != cose.AlgorithmES256 || err != nil || payload == nil || len(s.Signature) == 0 ||
		!shortestBstr(body) || !shortestBstr(signProt) {
		return s.Verify(v, body, payload, nil)
	}
	// Sig_structure = ["Signature", body_protected, sign_protected, external_aad h'', payload]
	pre := make([]byte, 0, 24+len(body)+len(signProt))
	pre = append(pre, 0x85, 0x69)
	pre = append(pre, "Signature"...)
	pre = append(pre, body...)
	pre = append(pre, signProt...)
	pre = append(pre, 0x40)
	pre = appendHead(pre, 2, uint64(len(payload)))
	h := sha256.New()
	h.Write(pre)
	h.Write(payload)
	return dv.VerifyDigest(h.Sum(nil), s.Signature)
}

// shortestBstr reports whether b is exactly one byte string whose length is
// encoded in its shortest form (what go-cose would use unchanged).
func shortestBstr(b []byte) bool {
	if len(b) == 0 || b[0]>>5 != 2 {
		return false
	}
	r := &cborReader{b: b}
	m, n, err := r.head()
	return err == nil && m == 2 && uint64(len(b)-r.off) == n
}

// appendHead appends a CBOR head of major type m with argument n, shortest.
func appendHead(b []byte, m byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, m<<5|byte(n))
	case n <= 0xff:
		return append(b, m<<5|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m<<5|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, m<<5|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, m<<5|27), n)
}

// splitSignMessage is cose.SignMessage.UnmarshalCBOR for the usual case, a
// COSE_Sign in shortest-form CBOR without tags inside (what SignList and
// every other signer here produce), without copying the payload: it walks
// the four fields, keeps the payload as a view into b, and lets go-cose
// decode and check the headers and each COSE_Signature as it would. It
// reports false for anything else; the caller then takes go-cose's path,
// which accepts or refuses it (so both paths accept the same objects).
func splitSignMessage(b []byte) (*cose.SignMessage, bool) {
	r := &cborReader{b: b[len(signMessagePrefix):], noTags: true}
	if n, err := r.container(4); err != nil || n != 4 {
		return nil, false
	}
	prot, err := r.item(0)
	if err != nil || len(prot) == 0 || prot[0]>>5 != 2 {
		return nil, false
	}
	unprot, err := r.item(0)
	if err != nil {
		return nil, false
	}
	payload, err := r.raw(2)
	if err != nil {
		return nil, false
	}
	n, err := r.container(4)
	if err != nil || n == 0 {
		return nil, false
	}
	msg := &cose.SignMessage{Headers: cose.Headers{RawProtected: prot, RawUnprotected: unprot}, Payload: payload}
	for i := 0; i < n; i++ {
		item, err := r.item(0)
		if err != nil {
			return nil, false
		}
		sig := &cose.Signature{}
		if err := sig.UnmarshalCBOR(item); err != nil {
			return nil, false
		}
		msg.Signatures = append(msg.Signatures, sig)
	}
	if r.off != len(r.b) || msg.Headers.UnmarshalFromRaw() != nil {
		return nil, false
	}
	return msg, true
}
