package trustlist

import (
	"bytes"
	"fmt"

	"github.com/veraison/go-cose"
)

// Key custody: an anchor's keys can live with different people on different
// machines. Each custodian signs the same payload on their own machine and
// hands over a part (a COSE_Sign carrying only their signatures); Combine
// merges the parts into one object. Combining adds no trust: the combined
// object is verified like any other, against the anchor's threshold.

// SignPart signs the payload of signed (any Accord object: a list, a
// descriptor, an endorsement, possibly itself a part) with keys and returns a
// part carrying only the new signatures.
func SignPart(signed []byte, keys []*PrivateKey) ([]byte, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("no key to sign with")
	}
	msg, err := decodeSignMessage(signed)
	if err != nil {
		return nil, err
	}
	msg.Signatures = nil
	return addSignatures(msg, keys, nil)
}

// CombineParts merges the signatures of parts that sign the same payload into
// one object. A key that signed in several parts is kept once. It returns an
// error naming the first part whose payload differs.
func CombineParts(parts ...[]byte) ([]byte, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no parts to combine")
	}
	var out *cose.SignMessage
	seen := map[string]bool{}
	for i, p := range parts {
		msg, err := decodeSignMessage(p)
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", i+1, err)
		}
		sigs := msg.Signatures
		if out == nil {
			out = msg
			out.Signatures = nil
		} else if !bytes.Equal(msg.Payload, out.Payload) {
			return nil, fmt.Errorf("part %d signs a different payload than part 1: every custodian must sign the same object", i+1)
		}
		for _, s := range sigs {
			kid, _ := s.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
			if seen[string(kid)] {
				continue
			}
			seen[string(kid)] = true
			out.Signatures = append(out.Signatures, s)
		}
	}
	if len(out.Signatures) > 64 {
		return nil, fmt.Errorf("%w: %d signatures (at most 64)", ErrMalformed, len(out.Signatures))
	}
	return out.MarshalCBOR()
}

// Signers returns the key ids that signed b, valid or not, in order.
func Signers(b []byte) ([][]byte, error) {
	msg, err := decodeSignMessage(b)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, s := range msg.Signatures {
		kid, _ := s.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
		out = append(out, kid)
	}
	return out, nil
}
