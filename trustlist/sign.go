package trustlist

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
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
	// Check well-formedness with our bounded decoder before go-cose sees it.
	var probe cbor.RawTag
	if err := decMode.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	msg := new(cose.SignMessage)
	if err := msg.UnmarshalCBOR(b); err != nil {
		return nil, fmt.Errorf("%w: COSE_Sign: %v", ErrMalformed, err)
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
			err = s.Verify(v, body, msg.Payload, nil)
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
