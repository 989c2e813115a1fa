package trustlist

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"time"

	"github.com/veraison/go-cose"
)

// HashType says what a revocation hash was computed over (spec/rules.md
// §Revocation). Every hash is the first 16 bytes (128 bits) of a SHA-256.
type HashType string

// Revocation hash types. The first three are those of the EU DCC revocation
// specification; the others extend the scheme to OpenAttestation documents
// and PDF signatures.
const (
	HashSignature      HashType = "SIGNATURE"      // hcert: SHA-256 of the COSE signature (ES256: r only)
	HashUCI            HashType = "UCI"            // hcert: SHA-256 of the UVCI (ci)
	HashCountryCodeUCI HashType = "COUNTRYCODEUCI" // hcert: SHA-256 of co + ci
	HashOATargetHash   HashType = "OA_TARGETHASH"  // OpenAttestation: SHA-256 of the document's targetHash bytes
	HashOAMerkleRoot   HashType = "OA_MERKLEROOT"  // OpenAttestation: SHA-256 of the merkleRoot bytes (a whole batch)
	HashPDFSignature   HashType = "PDF_SIGNATURE"  // PDF: SHA-256 of a signature's CMS value
)

// RevocationHashSize is the size of every revocation hash.
const RevocationHashSize = 16

// Limits of one revocation delta.
const (
	MaxRevocationHashes  = 200_000 // hashes in one delta (3.2 MB)
	MaxRevocationBatches = 1000
)

func knownHashType(t HashType) bool {
	switch t {
	case HashSignature, HashUCI, HashCountryCodeUCI, HashOATargetHash, HashOAMerkleRoot, HashPDFSignature:
		return true
	}
	return false
}

// RevocationHash is SHA-256(b) truncated to 128 bits.
func RevocationHash(b []byte) [RevocationHashSize]byte {
	s := sha256.Sum256(b)
	var h [RevocationHashSize]byte
	copy(h[:], s[:RevocationHashSize])
	return h
}

// DCCSignatureHash is the SIGNATURE hash of an hcert: over the first half of
// the signature for ECDSA (COSE alg -7, -35, -36: the r value), over the
// whole signature otherwise (RSASSA-PSS), as the EU DCC reference verifier
// computes it.
func DCCSignatureHash(alg int64, sig []byte) [RevocationHashSize]byte {
	switch alg {
	case -7, -35, -36:
		return RevocationHash(sig[:len(sig)/2])
	}
	return RevocationHash(sig)
}

// RevocationBatch is one batch of revoked documents: hashes of one type, of
// documents signed by one key (KID, or any key when empty, the EU
// "UNKNOWN_KID"), that lose meaning after Expires.
type RevocationBatch struct {
	HashType HashType
	KID      []byte
	Expires  time.Time
	Reason   string
	Hashes   []byte // n × RevocationHashSize, strictly ascending
}

// Len returns the number of hashes in the batch.
func (b *RevocationBatch) Len() int { return len(b.Hashes) / RevocationHashSize }

// Hash returns the i-th hash.
func (b *RevocationBatch) Hash(i int) []byte {
	return b.Hashes[i*RevocationHashSize : (i+1)*RevocationHashSize]
}

// NewRevocationBatch makes a batch from hashes in any order, sorted and
// deduplicated.
func NewRevocationBatch(t HashType, kid []byte, expires time.Time, reason string, hashes [][RevocationHashSize]byte) *RevocationBatch {
	sort.Slice(hashes, func(i, j int) bool { return bytes.Compare(hashes[i][:], hashes[j][:]) < 0 })
	buf := make([]byte, 0, len(hashes)*RevocationHashSize)
	for i, h := range hashes {
		if i > 0 && h == hashes[i-1] {
			continue
		}
		buf = append(buf, h[:]...)
	}
	return &RevocationBatch{HashType: t, KID: kid, Expires: expires.UTC().Truncate(time.Second), Reason: reason, Hashes: buf}
}

// BatchRef names a batch: the seq of the delta that added it and its index there.
type BatchRef struct {
	_     struct{} `cbor:",toarray"`
	Seq   uint64
	Index uint64
}

// Revocations is one signed delta of an anchor's revocation chain: batches
// added and earlier batches withdrawn. Deltas form a hash chain (seq, prev)
// per descriptor version, like lists; a new descriptor version starts a new
// chain at seq 1 that restates every batch still in force.
type Revocations struct {
	PublicationHeader
	Prev      []byte
	Batches   []*RevocationBatch
	Withdrawn []BatchRef
	signed
}

type batchWire struct {
	HashType string `cbor:"0,keyasint"`
	KID      []byte `cbor:"1,keyasint,omitempty"`
	Expires  int64  `cbor:"2,keyasint"`
	Reason   string `cbor:"3,keyasint,omitempty"`
	Hashes   []byte `cbor:"4,keyasint"`
}

type revocationsWire struct {
	Type              string      `cbor:"0,keyasint"`
	Country           string      `cbor:"1,keyasint"`
	DescriptorVersion uint64      `cbor:"2,keyasint"`
	Seq               uint64      `cbor:"3,keyasint"`
	IssuedAt          int64       `cbor:"4,keyasint"`
	Prev              []byte      `cbor:"5,keyasint,omitempty"`
	Batches           []batchWire `cbor:"6,keyasint,omitempty"`
	Withdrawn         []BatchRef  `cbor:"7,keyasint,omitempty"`
}

func (w *revocationsWire) kind() string { return w.Type }

func (r *Revocations) check() error {
	if err := r.PublicationHeader.check(); err != nil {
		return err
	}
	if (r.Seq == 1) != (len(r.Prev) == 0) || (len(r.Prev) != 0 && len(r.Prev) != 32) {
		return fmt.Errorf("%w: the first revocation delta (seq 1) has no prev, every later one a 32-byte hash", ErrMalformed)
	}
	if len(r.Batches) == 0 && len(r.Withdrawn) == 0 {
		return fmt.Errorf("%w: a revocation delta adds or withdraws at least one batch", ErrMalformed)
	}
	if len(r.Batches) > MaxRevocationBatches || len(r.Withdrawn) > MaxRevocationBatches {
		return fmt.Errorf("%w: more than %d batches in one delta", ErrMalformed, MaxRevocationBatches)
	}
	total := 0
	for i, b := range r.Batches {
		if !knownHashType(b.HashType) {
			return fmt.Errorf("%w: batch %d: unknown hash type %q", ErrMalformed, i, b.HashType)
		}
		if len(b.KID) > 64 || len(b.Reason) > 256 {
			return fmt.Errorf("%w: batch %d: kid or reason too long", ErrMalformed, i)
		}
		if b.Expires.IsZero() {
			return fmt.Errorf("%w: batch %d has no expiry", ErrMalformed, i)
		}
		if len(b.Hashes) == 0 || len(b.Hashes)%RevocationHashSize != 0 {
			return fmt.Errorf("%w: batch %d: hashes must be a non-empty run of %d-byte hashes", ErrMalformed, i, RevocationHashSize)
		}
		n := b.Len()
		if total += n; total > MaxRevocationHashes {
			return fmt.Errorf("%w: more than %d hashes in one delta", ErrMalformed, MaxRevocationHashes)
		}
		for j := 1; j < n; j++ {
			if bytes.Compare(b.Hash(j-1), b.Hash(j)) >= 0 {
				return fmt.Errorf("%w: batch %d: hashes are not strictly ascending", ErrMalformed, i)
			}
		}
	}
	for _, ref := range r.Withdrawn {
		if ref.Seq >= r.Seq || ref.Seq < 1 {
			return fmt.Errorf("%w: withdrawn batch %d.%d is not from an earlier delta", ErrMalformed, ref.Seq, ref.Index)
		}
	}
	return nil
}

// SignRevocations encodes r and signs it with keys.
func SignRevocations(r *Revocations, keys []*PrivateKey) (*Revocations, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	w := &revocationsWire{Type: string(KindRevocations), Country: r.Country, DescriptorVersion: r.DescriptorVersion,
		Seq: r.Seq, IssuedAt: toUnix(r.IssuedAt), Prev: r.Prev, Withdrawn: r.Withdrawn}
	for _, b := range r.Batches {
		w.Batches = append(w.Batches, batchWire{HashType: string(b.HashType), KID: b.KID, Expires: toUnix(b.Expires), Reason: b.Reason, Hashes: b.Hashes})
	}
	s, err := signWire(w, keys)
	if err != nil {
		return nil, err
	}
	out := *r
	out.signed = s
	return &out, nil
}

// ParseRevocations decodes a signed revocation delta. It checks structure only.
func ParseRevocations(raw []byte) (*Revocations, error) { return parseRevocations(raw, nil) }

func parseRevocations(raw []byte, msg *cose.SignMessage) (*Revocations, error) {
	var w revocationsWire
	s, err := decodeSigned(raw, msg, KindRevocations, &w)
	if err != nil {
		return nil, err
	}
	r := &Revocations{PublicationHeader: PublicationHeader{Country: w.Country, DescriptorVersion: w.DescriptorVersion, Seq: w.Seq, IssuedAt: unixTime(w.IssuedAt)},
		Prev: w.Prev, Withdrawn: w.Withdrawn, signed: s}
	pos := 0
	for _, bw := range w.Batches {
		b := &RevocationBatch{HashType: HashType(bw.HashType), KID: bw.KID, Expires: unixTime(bw.Expires), Reason: bw.Reason, Hashes: bw.Hashes}
		// The hashes sit inside the payload: keep a view, not a second copy.
		b.Hashes, pos = alias(r.payload, pos, b.Hashes)
		r.Batches = append(r.Batches, b)
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

// Verify checks that t keys of d signed the delta.
func (r *Revocations) Verify(d *Descriptor) error {
	return verifyPub(&r.signed, &r.PublicationHeader, KindRevocations, d)
}

// revChain is an anchor's revocation chain under one descriptor version and
// the index of the batches in force.
type revChain struct {
	version uint64
	deltas  []*Revocations // deltas[i].Seq == i+1
	batches []batchState
	byRef   map[BatchRef]uint32
	first   map[uint64]uint64   // first 8 bytes of a hash → slot (batch index << 32 | position in the batch)
	more    map[uint64][]uint64 // further slots whose hash has that prefix (rare)
	live    int                 // distinct prefixes indexed
}

type batchState struct {
	ref       BatchRef
	b         *RevocationBatch
	withdrawn bool
}

func newRevChain(version uint64) *revChain {
	return &revChain{version: version, byRef: map[BatchRef]uint32{}, first: map[uint64]uint64{}, more: map[uint64][]uint64{}}
}

// acceptRevocations applies the chain rules to r and takes it in; it
// returns a decision only when r is refused or already held.
func (p *pubState) acceptRevocations(r *Revocations, ctx *Decision) *Decision {
	fail := func(reason Reason, f string, args ...any) *Decision {
		return withCtx(rejected(reject(reason, f, args...)), ctx)
	}
	c := p.revs
	switch {
	case c != nil && r.DescriptorVersion < c.version:
		return fail(ReasonBadVersion, "%s revocation delta seq %d is under descriptor v%d; the chain under v%d supersedes it", r.Country, r.Seq, r.DescriptorVersion, c.version)
	case c == nil || r.DescriptorVersion > c.version:
		if r.Seq != 1 {
			return fail(ReasonBrokenChain, "%s revocation delta seq %d under descriptor v%d: deltas 1 to %d are missing", r.Country, r.Seq, r.DescriptorVersion, r.Seq-1)
		}
		c = newRevChain(r.DescriptorVersion)
	default:
		n := uint64(len(c.deltas))
		if r.Seq <= n {
			if held := c.deltas[r.Seq-1]; bytes.Equal(held.Hash(), r.Hash()) {
				ctx.Outcome = Duplicate
				return ctx
			}
			if r.Seq == n {
				return fail(ReasonEquivocation, "a different %s revocation delta seq %d is already held", r.Country, r.Seq)
			}
			return fail(ReasonRollback, "%s revocation delta seq %d is older than the held seq %d", r.Country, r.Seq, n)
		}
		if r.Seq != n+1 {
			return fail(ReasonBrokenChain, "%s revocation delta seq %d does not follow the held seq %d: deltas %d to %d are missing", r.Country, r.Seq, n, n+1, r.Seq-1)
		}
		if !bytes.Equal(r.Prev, c.deltas[n-1].Hash()) {
			return fail(ReasonBrokenChain, "%s revocation delta seq %d links to prev %x, but the held seq %d has hash %x", r.Country, r.Seq, short(r.Prev), n, short(c.deltas[n-1].Hash()))
		}
	}
	for _, ref := range r.Withdrawn {
		i, ok := c.byRef[ref]
		if !ok || c.batches[i].withdrawn {
			return fail(ReasonMalformed, "%s revocation delta seq %d withdraws batch %d.%d, which is not in force", r.Country, r.Seq, ref.Seq, ref.Index)
		}
	}
	for _, ref := range r.Withdrawn {
		c.withdraw(c.byRef[ref])
	}
	for i, b := range r.Batches {
		c.add(BatchRef{Seq: r.Seq, Index: uint64(i)}, b)
	}
	c.deltas = append(c.deltas, r)
	p.revs = c
	return nil
}

func (c *revChain) add(ref BatchRef, b *RevocationBatch) {
	idx := uint32(len(c.batches))
	c.batches = append(c.batches, batchState{ref: ref, b: b})
	c.byRef[ref] = idx
	for i, n := 0, b.Len(); i < n; i++ {
		k := binary.BigEndian.Uint64(b.Hash(i))
		slot := uint64(idx)<<32 | uint64(i)
		if _, dup := c.first[k]; dup {
			c.more[k] = append(c.more[k], slot)
			continue
		}
		c.first[k] = slot
		c.live++
	}
}

func (c *revChain) withdraw(idx uint32) {
	st := &c.batches[idx]
	st.withdrawn = true
	for i, n := 0, st.b.Len(); i < n; i++ {
		k := binary.BigEndian.Uint64(st.b.Hash(i))
		slot := uint64(idx)<<32 | uint64(i)
		others := c.more[k]
		if c.first[k] == slot {
			if len(others) == 0 {
				delete(c.first, k)
				c.live--
				continue
			}
			c.first[k] = others[0]
			others = others[1:]
		} else {
			for j, o := range others {
				if o == slot {
					others = append(others[:j:j], others[j+1:]...)
					break
				}
			}
		}
		if len(others) == 0 {
			delete(c.more, k)
		} else {
			c.more[k] = others
		}
	}
}

// Revocation is a match of a document against a batch in force.
type Revocation struct {
	Country  string    `json:"country"`
	HashType HashType  `json:"hash_type"`
	Batch    BatchRef  `json:"-"`
	Seq      uint64    `json:"delta_seq"`
	Reason   string    `json:"reason,omitempty"`
	Expires  time.Time `json:"expires"`
}

// RevocationQuery is one hash a verifier computed from a document.
type RevocationQuery struct {
	Type HashType
	Hash [RevocationHashSize]byte
}

// Revoked reports whether the anchor of country revoked a document with one
// of the hashes qs, signed by the key kid (nil if unknown), in a batch that
// has not expired at at. Only batches of the query's hash type whose kid is
// empty or equal to kid count.
func (s *Set) Revoked(country string, kid []byte, at time.Time, qs ...RevocationQuery) *Revocation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.pubs[country].revoked(country, kid, at, qs)
}

// revoked is Revoked on one anchor's publications (p may be nil).
func (p *pubState) revoked(country string, kid []byte, at time.Time, qs []RevocationQuery) *Revocation {
	if p == nil || p.revs == nil {
		return nil
	}
	c := p.revs
	for _, q := range qs {
		k := binary.BigEndian.Uint64(q.Hash[:8])
		first, ok := c.first[k]
		if !ok {
			continue
		}
		if r := c.match(first, country, kid, at, q); r != nil {
			return r
		}
		for _, slot := range c.more[k] {
			if r := c.match(slot, country, kid, at, q); r != nil {
				return r
			}
		}
	}
	return nil
}

// match reports the batch of slot if it is in force and the hash at the
// slot is q's in full (the index is keyed by an 8-byte prefix).
func (c *revChain) match(slot uint64, country string, kid []byte, at time.Time, q RevocationQuery) *Revocation {
	st := &c.batches[slot>>32]
	b := st.b
	if st.withdrawn || b.HashType != q.Type || (len(b.KID) > 0 && !bytes.Equal(b.KID, kid)) || (!at.IsZero() && at.After(b.Expires)) {
		return nil
	}
	if !bytes.Equal(b.Hash(int(uint32(slot))), q.Hash[:]) {
		return nil
	}
	return &Revocation{Country: country, HashType: q.Type, Batch: st.ref, Seq: st.ref.Seq, Reason: b.Reason, Expires: b.Expires}
}

// RevocationInfo summarises an anchor's revocation chain.
type RevocationInfo struct {
	Country           string `json:"country"`
	DescriptorVersion uint64 `json:"descriptor_version"`
	Seq               uint64 `json:"seq"`
	Hash              []byte `json:"hash"`
	Batches           int    `json:"batches_in_force"`
	Hashes            int    `json:"hashes_in_force"`
}

// RevocationChain returns the held deltas of an anchor's current chain, oldest first.
func (s *Set) RevocationChain(country string) []*Revocations {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p := s.pubs[country]; p != nil && p.revs != nil {
		return append([]*Revocations(nil), p.revs.deltas...)
	}
	return nil
}

// RevocationBatches returns the batches in force of an anchor, with their refs.
func (s *Set) RevocationBatches(country string) ([]BatchRef, []*RevocationBatch) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.pubs[country]
	if p == nil || p.revs == nil {
		return nil, nil
	}
	var refs []BatchRef
	var out []*RevocationBatch
	for _, st := range p.revs.batches {
		if !st.withdrawn {
			refs = append(refs, st.ref)
			out = append(out, st.b)
		}
	}
	return refs, out
}

// RevocationSummary returns the state of an anchor's revocation chain, or nil.
func (s *Set) RevocationSummary(country string) *RevocationInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.pubs[country].summary(country)
}

// summary is RevocationSummary on one anchor's publications (p may be nil).
func (p *pubState) summary(country string) *RevocationInfo {
	if p == nil || p.revs == nil || len(p.revs.deltas) == 0 {
		return nil
	}
	c := p.revs
	head := c.deltas[len(c.deltas)-1]
	info := &RevocationInfo{Country: country, DescriptorVersion: c.version, Seq: head.Seq, Hash: head.Hash(), Hashes: c.live}
	for _, st := range c.batches {
		if !st.withdrawn {
			info.Batches++
		}
	}
	return info
}
