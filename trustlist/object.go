package trustlist

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"time"
	"unsafe"

	"github.com/veraison/go-cose"
)

// Kind names the type of a signed object. It is the first field (key 0) of
// every payload, so a signature over one kind can never be replayed as another.
type Kind string

// Object kinds.
const (
	KindDescriptor  Kind = "descriptor"
	KindList        Kind = "list"
	KindEndorsement Kind = "endorsement"
	KindEvidence    Kind = "evidence"
)

// signed is the part every COSE_Sign object shares.
type signed struct {
	raw     []byte
	payload []byte
	hash    [32]byte
	msg     *cose.SignMessage
}

// Raw returns the signed COSE_Sign bytes exactly as received.
func (s *signed) Raw() []byte { return s.raw }

// Hash returns SHA-256 of the payload: the object's identity. Two encodings of
// one payload with different signature sets are the same object.
func (s *signed) Hash() []byte { return s.hash[:] }

// Payload returns the deterministic CBOR payload.
func (s *signed) Payload() []byte { return s.payload }

func (s *signed) verifyBy(keys []*PublicKey, t int, who string) error {
	rep := verifySigners(s.msg, keys)
	switch {
	case rep.Count() >= t:
		return nil
	case rep.Count() == 0:
		return reject(ReasonBadSignature, "no valid signature by a key of %s (%s)", who, joinProblems(rep.Problems))
	default:
		return reject(ReasonThresholdNotMet, "%d of the %d signatures required from %s (%s)", rep.Count(), t, who, joinProblems(rep.Problems))
	}
}

func joinProblems(p []string) string {
	if len(p) == 0 {
		return "no other signatures"
	}
	if len(p) > 3 {
		return fmt.Sprintf("%s; and %d more", bytesJoin(p[:3]), len(p)-3)
	}
	return bytesJoin(p)
}

func bytesJoin(p []string) string {
	var b bytes.Buffer
	for i, s := range p {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// decodeSigned parses a COSE_Sign, decodes its payload into v, checks the kind
// and that the payload is in deterministic form.
// msg is raw already decoded (by peek), or nil to decode it here.
func decodeSigned(raw []byte, msg *cose.SignMessage, want Kind, v interface{ kind() string }) (signed, error) {
	if msg == nil {
		var err error
		if msg, err = decodeSignMessage(raw); err != nil {
			return signed{}, err
		}
	}
	// Name a wrong kind before the full decode, whose error would only
	// speak of CBOR field types.
	var h struct {
		Type string `cbor:"0,keyasint"`
	}
	if err := unmarshal(msg.Payload, &h); err == nil && h.Type != string(want) {
		return signed{}, fmt.Errorf("%w: %w", ErrMalformed, &WrongKindError{Got: Kind(h.Type), Want: want})
	}
	if err := unmarshal(msg.Payload, v); err != nil {
		return signed{}, fmt.Errorf("%s payload: %w", want, err)
	}
	if got := v.kind(); got != string(want) {
		return signed{}, fmt.Errorf("%w: object is a %q, not a %s", ErrMalformed, got, want)
	}
	again, err := marshal(v)
	if err != nil || !bytes.Equal(again, msg.Payload) {
		return signed{}, fmt.Errorf("%w: %s payload is not deterministic CBOR (RFC 8949 §4.2.1) or has unknown fields", ErrMalformed, want)
	}
	payloadView(raw, msg)
	return signed{raw: raw, payload: msg.Payload, hash: sha256.Sum256(msg.Payload), msg: msg}, nil
}

// payloadView makes msg.Payload a view of the same bytes inside raw rather
// than a second copy (a node holding 200 lists of 1,000 certificates saves
// ~90 MB).
func payloadView(raw []byte, msg *cose.SignMessage) {
	if within(raw, msg.Payload) { // already one (splitSignMessage)
		return
	}
	if i := bytes.Index(raw, msg.Payload); i >= 0 {
		msg.Payload = raw[i : i+len(msg.Payload) : i+len(msg.Payload)]
	}
}

// within reports whether p is a non-empty view into the bytes of raw.
func within(raw, p []byte) bool {
	if len(p) == 0 || len(raw) == 0 {
		return false
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
	at := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	return at >= lo && at-lo <= uintptr(len(raw)-len(p)) && len(p) <= len(raw)
}

// WrongKindError says that an object is of another kind than the one
// expected (a trust list given where a descriptor is needed).
type WrongKindError struct {
	Got, Want Kind
}

func (e *WrongKindError) Error() string {
	return fmt.Sprintf("this is %s, not %s", e.Got.Article(), e.Want.Article())
}

// Article names the kind for people, with its article: "a trust list".
func (k Kind) Article() string {
	switch k {
	case KindDescriptor:
		return "an anchor descriptor"
	case KindList:
		return "a trust list"
	case KindEndorsement:
		return "an endorsement"
	case KindEvidence:
		return "equivocation evidence"
	case KindForeign:
		return "a foreign list envelope"
	case "":
		return "an object of no kind"
	}
	return fmt.Sprintf("an object of unknown kind %q", string(k))
}

// signWire encodes a payload in deterministic CBOR and signs it with keys.
func signWire(w any, keys []*PrivateKey) (signed, error) {
	payload, err := marshal(w)
	if err != nil {
		return signed{}, err
	}
	return newSigned(payload, keys)
}

func newSigned(payload []byte, keys []*PrivateKey) (signed, error) {
	msg := cose.NewSignMessage()
	msg.Payload = payload
	raw, err := addSignatures(msg, keys, nil)
	if err != nil {
		return signed{}, err
	}
	return signed{raw: raw, payload: payload, hash: sha256.Sum256(payload), msg: msg}, nil
}

// PeekKind reports which kind of object b is, without verifying anything.
func PeekKind(b []byte) (Kind, error) {
	k, _, err := peek(b)
	return k, err
}

// peek reports b's kind and, for a COSE_Sign object, returns it decoded so
// that the parser does not decode it a second time.
func peek(b []byte) (Kind, *cose.SignMessage, error) {
	if bytes.HasPrefix(b, signMessagePrefix) {
		msg, err := decodeSignMessage(b)
		if err != nil {
			return "", nil, err
		}
		// Only field 0 is decoded; the rest of the payload is skipped.
		var h struct {
			Type string `cbor:"0,keyasint"`
		}
		if err := unmarshal(msg.Payload, &h); err != nil {
			return "", nil, err
		}
		switch Kind(h.Type) {
		case KindDescriptor, KindList, KindEndorsement:
			return Kind(h.Type), msg, nil
		}
		if isPublication(Kind(h.Type)) { // rules, value sets, revocations: publication.go
			return Kind(h.Type), msg, nil
		}
		return "", nil, fmt.Errorf("%w: unknown object type %q", ErrMalformed, h.Type)
	}
	var ev evidenceWire
	if err := unmarshal(b, &ev); err == nil && ev.Type == string(KindEvidence) {
		return KindEvidence, nil, nil
	}
	return "", nil, fmt.Errorf("%w: not an Accord object (expected a COSE_Sign descriptor, list or endorsement, or equivocation evidence)", ErrMalformed)
}

func unixTime(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0).UTC()
}

func toUnix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
