package trustlist

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"time"
)

// KindForeign is a foreign signed list carried verbatim between nodes
// (spec/trustlist.md §7.5): an EU DCC gateway list, an ETSI trusted list or
// the EU LOTL, an ICAO master list. It is not a COSE object: its authority
// is the foreign signature inside the file, which only a node that pinned the
// list's source can check.
const KindForeign Kind = "foreign"

// ForeignObject is the envelope of a foreign list on the wire and in sync:
//
//	{0: "foreign", 1: format, 2: territory, 3: seq, 4: issued_at,
//	 ? 5: next_update, 6: file, ? 7: true (a list of lists)}
//
// Field 6 is the source file byte for byte. Fields 1–5 and 7 are what the
// sender derived from it; they route the object and let a receiver skip what
// it holds, but they are claims: a receiver recomputes every one from the file
// and refuses the object when one disagrees (ForeignObject.Agrees).
type ForeignObject struct {
	Format     string
	Territory  string
	Seq        uint64
	IssuedAt   time.Time
	NextUpdate time.Time // zero: the source states none
	LOTL       bool
	Data       []byte

	raw  []byte
	hash [32]byte
}

type foreignWire struct {
	Type       string `cbor:"0,keyasint"`
	Format     string `cbor:"1,keyasint"`
	Territory  string `cbor:"2,keyasint"`
	Seq        uint64 `cbor:"3,keyasint"`
	IssuedAt   int64  `cbor:"4,keyasint"`
	NextUpdate int64  `cbor:"5,keyasint,omitempty"`
	Data       []byte `cbor:"6,keyasint"`
	LOTL       bool   `cbor:"7,keyasint,omitempty"`
}

// Slot names the place a foreign list takes in a verifier's holdings: a
// newer list replaces the one in the same slot. Format, territory and, for a
// list of lists, "lotl".
func ForeignSlot(format, territory string, lotl bool) string {
	if lotl {
		return format + "/" + territory + "/lotl"
	}
	return format + "/" + territory
}

// Slot returns the object's slot.
func (o *ForeignObject) Slot() string { return ForeignSlot(o.Format, o.Territory, o.LOTL) }

// Raw returns the envelope's bytes.
func (o *ForeignObject) Raw() []byte { return o.raw }

// Hash returns SHA-256 of the file (field 6): the object's identity. Two
// envelopes of one file are the same object.
func (o *ForeignObject) Hash() []byte { return o.hash[:] }

// NewForeignObject encodes the envelope of a foreign list.
func NewForeignObject(o ForeignObject) (*ForeignObject, error) {
	w := foreignWire{Type: string(KindForeign), Format: o.Format, Territory: o.Territory, Seq: o.Seq,
		IssuedAt: toUnix(o.IssuedAt), NextUpdate: toUnix(o.NextUpdate), Data: o.Data, LOTL: o.LOTL}
	raw, err := marshal(w)
	if err != nil {
		return nil, err
	}
	return ParseForeignObject(raw)
}

// ParseForeignObject decodes an envelope and checks its structure (not the
// file's signature: that is the pinned source's business). It must be
// deterministic CBOR with no unknown field, at most MaxObjectSize bytes, with
// a format token, a two-letter territory and a non-empty file.
func ParseForeignObject(raw []byte) (*ForeignObject, error) {
	var w foreignWire
	if err := unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("foreign list envelope: %w", err)
	}
	if w.Type != string(KindForeign) {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, &WrongKindError{Got: Kind(w.Type), Want: KindForeign})
	}
	again, err := marshal(w)
	if err != nil || !bytes.Equal(again, raw) {
		return nil, fmt.Errorf("%w: foreign list envelope is not deterministic CBOR (RFC 8949 §4.2.1) or has unknown fields", ErrMalformed)
	}
	if !isToken(w.Format) {
		return nil, fmt.Errorf("%w: foreign list format %q is not a format token", ErrMalformed, w.Format)
	}
	if len(w.Territory) != 2 || w.Territory[0] < 'A' || w.Territory[0] > 'Z' || w.Territory[1] < 'A' || w.Territory[1] > 'Z' {
		return nil, fmt.Errorf("%w: foreign list territory %q is not two capital letters", ErrMalformed, w.Territory)
	}
	if len(w.Data) == 0 {
		return nil, fmt.Errorf("%w: foreign list envelope without a file", ErrMalformed)
	}
	if w.IssuedAt < 0 || w.NextUpdate < 0 {
		return nil, fmt.Errorf("%w: foreign list times before 1970", ErrMalformed)
	}
	return &ForeignObject{Format: w.Format, Territory: w.Territory, Seq: w.Seq, IssuedAt: unixTime(w.IssuedAt),
		NextUpdate: unixTime(w.NextUpdate), LOTL: w.LOTL, Data: w.Data, raw: raw, hash: sha256.Sum256(w.Data)}, nil
}

// IsForeignObject reports, without decoding the file, whether raw is a
// foreign list envelope (a CBOR map whose field 0 is "foreign").
func IsForeignObject(raw []byte) bool {
	var h struct {
		Type string `cbor:"0,keyasint"`
	}
	return len(raw) <= MaxObjectSize && decMode.Unmarshal(raw, &h) == nil && h.Type == string(KindForeign)
}

// Agrees reports, with the first difference, whether the envelope's claims
// equal what the receiver derived from the file itself. Times are compared
// to the second, as the envelope carries them.
func (o *ForeignObject) Agrees(format, territory string, lotl bool, seq uint64, issued, nextUpdate time.Time) error {
	switch {
	case o.Format != format:
		return fmt.Errorf("%w: envelope says format %s, the file is %s", ErrMalformed, o.Format, format)
	case o.Territory != territory || o.LOTL != lotl:
		return fmt.Errorf("%w: envelope says slot %s, the file is %s", ErrMalformed, o.Slot(), ForeignSlot(format, territory, lotl))
	case o.Seq != seq:
		return fmt.Errorf("%w: envelope says seq %d, the file %d", ErrMalformed, o.Seq, seq)
	case toUnix(o.IssuedAt) != toUnix(issued):
		return fmt.Errorf("%w: envelope says issued %s, the file %s", ErrMalformed, o.IssuedAt.Format(time.RFC3339), issued.UTC().Format(time.RFC3339))
	case toUnix(o.NextUpdate) != toUnix(nextUpdate):
		return fmt.Errorf("%w: envelope says next update %s, the file %s", ErrMalformed, o.NextUpdate.Format(time.RFC3339), nextUpdate.UTC().Format(time.RFC3339))
	}
	return nil
}
