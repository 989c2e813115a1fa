package trustlist

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/veraison/go-cose"
)

// Descriptor is a trust anchor's self-description: who it is and which keys
// must sign (t of n) everything it publishes. Version 1 is signed by t of its
// own keys; version n+1 by t of version n's keys and t of its own (a rotation).
type Descriptor struct {
	Country   string
	Name      string
	Version   uint64
	Threshold int
	Keys      []*PublicKey
	IssuedAt  time.Time
	// SealedSeq and SealedHash (rotations only) name the last list signed
	// under the previous version's keys. Lists under the previous version are
	// accepted up to that seq, and none after it: a rotation after a key
	// compromise closes the old keys for good.
	SealedSeq  uint64
	SealedHash []byte
	signed
	file [32]byte // SHA-256 of the encoded file: the descriptor's hash
}

// Hash returns the descriptor's hash: SHA-256 of its encoded bytes, exactly
// as the file holds them, so `sha256sum descriptor.cose` prints the same
// value. It is the one hash of a descriptor: the one an anchor gives out of
// band, the one endorsements name and the one every tool shows
// (spec/trustlist.md §1.2). Two files that differ only in their signatures
// have the same content (see SameContent) but different hashes.
func (d *Descriptor) Hash() []byte { return d.file[:] }

// SameContent reports whether d and o have the same signed payload.
func (d *Descriptor) SameContent(o *Descriptor) bool { return d.signed.hash == o.signed.hash }

type descriptorWire struct {
	Type       string   `cbor:"0,keyasint"`
	Country    string   `cbor:"1,keyasint"`
	Name       string   `cbor:"2,keyasint"`
	Version    uint64   `cbor:"3,keyasint"`
	Keys       [][]byte `cbor:"4,keyasint"`
	Threshold  uint64   `cbor:"5,keyasint"`
	IssuedAt   int64    `cbor:"6,keyasint"`
	SealedSeq  uint64   `cbor:"7,keyasint,omitempty"`
	SealedHash []byte   `cbor:"8,keyasint,omitempty"`
}

func (w *descriptorWire) kind() string { return w.Type }

// MaxAnchorKeys bounds the keys of one descriptor.
const MaxAnchorKeys = 32

func (d *Descriptor) wire() (*descriptorWire, error) {
	if err := checkCountry(d.Country); err != nil {
		return nil, err
	}
	if d.Name == "" || len(d.Name) > 256 {
		return nil, fmt.Errorf("%w: descriptor name must be 1 to 256 bytes", ErrMalformed)
	}
	if d.Version < 1 {
		return nil, fmt.Errorf("%w: descriptor version must be at least 1", ErrMalformed)
	}
	if len(d.Keys) == 0 || len(d.Keys) > MaxAnchorKeys {
		return nil, fmt.Errorf("%w: a descriptor holds 1 to %d keys, not %d", ErrMalformed, MaxAnchorKeys, len(d.Keys))
	}
	if d.Threshold < 1 || d.Threshold > len(d.Keys) {
		return nil, fmt.Errorf("%w: threshold %d is not between 1 and the %d keys", ErrMalformed, d.Threshold, len(d.Keys))
	}
	w := &descriptorWire{Type: string(KindDescriptor), Country: d.Country, Name: d.Name, Version: d.Version,
		Threshold: uint64(d.Threshold), IssuedAt: toUnix(d.IssuedAt), SealedSeq: d.SealedSeq, SealedHash: d.SealedHash}
	if (d.SealedSeq == 0) != (len(d.SealedHash) == 0) || (len(d.SealedHash) != 0 && len(d.SealedHash) != 32) || (d.Version == 1 && d.SealedSeq != 0) {
		return nil, fmt.Errorf("%w: a rotation seals the last list with both its seq and 32-byte hash; version 1 seals nothing", ErrMalformed)
	}
	seen := map[string]bool{}
	for _, k := range d.Keys {
		if seen[string(k.kid)] {
			return nil, fmt.Errorf("%w: key %x listed twice", ErrMalformed, k.kid)
		}
		seen[string(k.kid)] = true
		w.Keys = append(w.Keys, k.enc)
	}
	return w, nil
}

// SignDescriptor encodes d and signs it with keys. For version 1, pass t of
// d's own keys; for a rotation, t keys of the previous version and t of d's.
func SignDescriptor(d *Descriptor, keys []*PrivateKey) (*Descriptor, error) {
	w, err := d.wire()
	if err != nil {
		return nil, err
	}
	s, err := signWire(w, keys)
	if err != nil {
		return nil, err
	}
	out := *d
	out.Keys = append([]*PublicKey(nil), d.Keys...)
	out.signed = s
	out.file = sha256.Sum256(s.raw)
	return &out, nil
}

// ParseDescriptor decodes a signed descriptor. It checks structure only;
// signatures are checked by VerifySelf, VerifyRotation or a Set.
func ParseDescriptor(raw []byte) (*Descriptor, error) { return parseDescriptor(raw, nil) }

func parseDescriptor(raw []byte, msg *cose.SignMessage) (*Descriptor, error) {
	var w descriptorWire
	s, err := decodeSigned(raw, msg, KindDescriptor, &w)
	if err != nil {
		return nil, err
	}
	d := &Descriptor{Country: w.Country, Name: w.Name, Version: w.Version, IssuedAt: unixTime(w.IssuedAt),
		SealedSeq: w.SealedSeq, SealedHash: w.SealedHash, signed: s, file: sha256.Sum256(raw)}
	if w.Threshold > MaxAnchorKeys {
		return nil, fmt.Errorf("%w: threshold %d", ErrMalformed, w.Threshold)
	}
	d.Threshold = int(w.Threshold)
	if len(w.Keys) > MaxAnchorKeys {
		return nil, fmt.Errorf("%w: %d keys (at most %d)", ErrMalformed, len(w.Keys), MaxAnchorKeys)
	}
	for _, kb := range w.Keys {
		k, err := ParsePublicKey(kb)
		if err != nil {
			return nil, fmt.Errorf("descriptor key: %w", err)
		}
		d.Keys = append(d.Keys, k)
	}
	if _, err := d.wire(); err != nil {
		return nil, err
	}
	return d, nil
}

// VerifySelf checks that t of the descriptor's own keys signed it.
func (d *Descriptor) VerifySelf() error {
	return d.verifyBy(d.Keys, d.Threshold, fmt.Sprintf("%s descriptor v%d itself", d.Country, d.Version))
}

// VerifyRotation checks that d is a valid successor of prev: same country,
// version exactly prev.Version+1, signed by prev's threshold of prev's keys
// and by d's threshold of its own keys.
func (d *Descriptor) VerifyRotation(prev *Descriptor) error {
	if d.Country != prev.Country {
		return reject(ReasonBadVersion, "rotation changes country from %s to %s", prev.Country, d.Country)
	}
	if d.Version != prev.Version+1 {
		return reject(ReasonBadVersion, "%s descriptor v%d cannot follow v%d: rotations go one version at a time", d.Country, d.Version, prev.Version)
	}
	if err := d.verifyBy(prev.Keys, prev.Threshold, fmt.Sprintf("the keys of %s descriptor v%d", prev.Country, prev.Version)); err != nil {
		return err
	}
	return d.VerifySelf()
}

// Key returns the descriptor's key with the given kid, or nil.
func (d *Descriptor) Key(kid []byte) *PublicKey {
	for _, k := range d.Keys {
		if string(k.kid) == string(kid) {
			return k
		}
	}
	return nil
}
