package trustlist

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"

	"filippo.io/nistec"
	"github.com/veraison/go-cose"
)

// KeyAlg names the signature algorithms an anchor key may use.
type KeyAlg string

// Anchor key algorithms. Anchor keys are deliberately limited to these two:
// both have one encoding, one signature size and no parameters to get wrong.
const (
	AlgES256 KeyAlg = "ES256" // ECDSA P-256 with SHA-256, raw r‖s signatures
	AlgEdDSA KeyAlg = "EdDSA" // Ed25519
)

// PublicKey is an anchor's public signing key. Its canonical encoding is a
// deterministic COSE_Key (kty, alg, crv, x[, y], coordinates left-padded to the
// field size); its KID is the first 16 bytes of SHA-256 over that encoding.
type PublicKey struct {
	alg KeyAlg
	key crypto.PublicKey
	enc []byte
	kid []byte
}

// Alg returns the key's algorithm.
func (p *PublicKey) Alg() KeyAlg { return p.alg }

// KID returns the key identifier carried in each signature's protected header.
func (p *PublicKey) KID() []byte { return p.kid }

// Bytes returns the canonical COSE_Key encoding.
func (p *PublicKey) Bytes() []byte { return p.enc }

// Crypto returns the key as a crypto.PublicKey (*ecdsa.PublicKey or ed25519.PublicKey).
func (p *PublicKey) Crypto() crypto.PublicKey { return p.key }

func (p *PublicKey) coseAlg() cose.Algorithm {
	if p.alg == AlgEdDSA {
		return cose.AlgorithmEdDSA
	}
	return cose.AlgorithmES256
}

func (p *PublicKey) verifier() (cose.Verifier, error) {
	return cose.NewVerifier(p.coseAlg(), p.key)
}

// NewPublicKey wraps a P-256 *ecdsa.PublicKey or an ed25519.PublicKey.
func NewPublicKey(pub crypto.PublicKey) (*PublicKey, error) {
	var m map[int]any
	var alg KeyAlg
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: anchor keys must be P-256 or Ed25519, not %s", ErrMalformed, k.Curve.Params().Name)
		}
		raw, err := k.Bytes() // 0x04 ‖ X ‖ Y, fixed width
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		alg = AlgES256
		m = map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]}
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrMalformed, len(k))
		}
		alg = AlgEdDSA
		m = map[int]any{1: 1, 3: -8, -1: 6, -2: []byte(k)}
	default:
		return nil, fmt.Errorf("%w: anchor keys must be P-256 or Ed25519, got %T", ErrMalformed, pub)
	}
	enc, err := marshal(m)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(enc)
	return &PublicKey{alg: alg, key: pub, enc: enc, kid: sum[:16]}, nil
}

// ParsePublicKey decodes a COSE_Key holding a P-256 or Ed25519 public key.
// The encoding must be the canonical one, so a key has exactly one KID.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) > 1024 {
		return nil, fmt.Errorf("%w: COSE_Key of %d bytes", ErrMalformed, len(b))
	}
	k, err := decodeCOSEKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: COSE_Key: %v", ErrMalformed, err)
	}
	if _, hasD := k.Params[int64(-4)]; hasD {
		return nil, fmt.Errorf("%w: COSE_Key contains a private key", ErrMalformed)
	}
	pub, err := k.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: COSE_Key: %v", ErrMalformed, err)
	}
	p, err := NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if string(p.enc) != string(b) {
		return nil, fmt.Errorf("%w: COSE_Key is not in canonical form", ErrMalformed)
	}
	return p, nil
}

// decodeCOSEKey is go-cose's Key.UnmarshalCBOR with its panics made errors:
// go-cose v1.3.0 panics on an EC2 or OKP key whose crv is not an integer
// ({1: 2, -1: h'30'}), and keys come from lists and descriptors any peer
// can send (TestParsePublicKeyNoPanic).
func decodeCOSEKey(b []byte) (k *cose.Key, err error) {
	defer func() {
		if r := recover(); r != nil {
			k, err = nil, fmt.Errorf("malformed key parameters (%v)", r)
		}
	}()
	k = new(cose.Key)
	if err := k.UnmarshalCBOR(b); err != nil {
		return nil, err
	}
	return k, nil
}

// The canonical COSE_Key encodings (NewPublicKey's, deterministic CBOR): a
// P-256 key is {1: 2, 3: -7, -1: 1, -2: x, -3: y} and an Ed25519 key
// {1: 1, 3: -8, -1: 6, -2: x}, coordinates 32-byte strings. Each key has
// exactly one, so a COSE_Key is canonical exactly when it is one of these
// with its coordinates filled in.
var (
	coseKeyP256Head    = []byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20}
	coseKeyP256Mid     = []byte{0x22, 0x58, 0x20}
	coseKeyEd25519Head = []byte{0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20}
)

const (
	coseKeyP256Len    = 10 + 32 + 3 + 32
	coseKeyEd25519Len = 10 + 32
)

// checkCOSEKey reports whether ParsePublicKey accepts b, without building
// the key: b must be one of the two canonical encodings above, and a P-256
// point must be on the curve, its coordinates below the field prime
// (filippo.io/nistec, the package crypto/ecdsa's own check is a copy of,
// without allocating). A list's cose_key entries are
// checked with it (FuzzCheckCOSEKey pins that it agrees with
// ParsePublicKey): a list of 1,000 keys then costs 1,000 point checks, not
// 1,000 generic decodes and re-encodings.
func checkCOSEKey(b []byte) error {
	switch {
	case len(b) == coseKeyP256Len && bytes.HasPrefix(b, coseKeyP256Head) && bytes.Equal(b[42:45], coseKeyP256Mid):
		var pt [65]byte
		pt[0] = 4 // uncompressed point
		copy(pt[1:33], b[10:42])
		copy(pt[33:], b[45:])
		var p nistec.P256Point
		if _, err := p.SetBytes(pt[:]); err != nil {
			return fmt.Errorf("%w: COSE_Key: P-256 point: %v", ErrMalformed, err)
		}
		return nil
	case len(b) == coseKeyEd25519Len && bytes.HasPrefix(b, coseKeyEd25519Head):
		return nil
	}
	if _, err := ParsePublicKey(b); err != nil { // for its error message
		return err
	}
	return fmt.Errorf("%w: COSE_Key is not in canonical form", ErrMalformed)
}

// PrivateKey is an anchor signing key. It never leaves its file except to sign.
type PrivateKey struct {
	signer crypto.Signer
	pub    *PublicKey
}

// Public returns the public half.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// GenerateKey creates a new anchor key from rand (crypto/rand when nil).
func GenerateKey(alg KeyAlg, r io.Reader) (*PrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	var s crypto.Signer
	switch alg {
	case AlgES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), r)
		if err != nil {
			return nil, err
		}
		s = k
	case AlgEdDSA:
		_, k, err := ed25519.GenerateKey(r)
		if err != nil {
			return nil, err
		}
		s = k
	default:
		return nil, fmt.Errorf("unknown key algorithm %q (use ES256 or EdDSA)", alg)
	}
	return NewPrivateKey(s)
}

// NewPrivateKey wraps a P-256 *ecdsa.PrivateKey or an ed25519.PrivateKey.
func NewPrivateKey(s crypto.Signer) (*PrivateKey, error) {
	pub, err := NewPublicKey(s.Public())
	if err != nil {
		return nil, err
	}
	return &PrivateKey{signer: s, pub: pub}, nil
}

func (k *PrivateKey) coseSigner() (cose.Signer, error) {
	return cose.NewSigner(k.pub.coseAlg(), k.signer)
}

// MarshalPrivateKey encodes the key as a COSE_Key including the private part.
func (k *PrivateKey) MarshalPrivateKey() ([]byte, error) {
	ck, err := cose.NewKeyFromPrivate(k.signer)
	if err != nil {
		return nil, err
	}
	return ck.MarshalCBOR()
}

// ParsePrivateKey decodes a COSE_Key with its private part.
func ParsePrivateKey(b []byte) (*PrivateKey, error) {
	ck, err := decodeCOSEKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: private COSE_Key: %v", ErrMalformed, err)
	}
	priv, err := ck.PrivateKey()
	if err != nil {
		return nil, fmt.Errorf("%w: private COSE_Key: %v", ErrMalformed, err)
	}
	s, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: private key of type %T cannot sign", ErrMalformed, priv)
	}
	return NewPrivateKey(s)
}
