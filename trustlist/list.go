package trustlist

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/veraison/go-cose"
)

// DocType names a kind of document an issuer key may sign.
type DocType string

// Document types known to this version. Entries may carry other lowercase
// tokens; verifiers ignore uses they do not know.
const (
	DocHCert DocType = "hcert" // EU Digital COVID Certificate style CBOR/COSE
	DocOA    DocType = "oa"    // OpenAttestation / TradeTrust documents
	DocPDF   DocType = "pdf"   // signed PDF
	// DocTSA marks an RFC 3161 time-stamping authority (its certificate, or
	// the CA of its certificates): it vouches for the time of a signature,
	// it does not sign documents. Lists keep TSAs apart from "pdf" signers.
	DocTSA DocType = "tsa"
)

// EntryKind says what an entry's Data holds.
type EntryKind string

// Entry kinds.
const (
	EntryX509    EntryKind = "x509"     // a DER X.509 certificate
	EntryCOSEKey EntryKind = "cose_key" // a canonical COSE_Key (P-256 or Ed25519)
	EntryEth     EntryKind = "eth"      // a 20-byte Ethereum address
)

// Status is an entry's revocation status.
type Status string

// Entry statuses.
const (
	StatusActive  Status = "active"
	StatusRevoked Status = "revoked"
)

// Entry is one issuer key in a trust list.
type Entry struct {
	KID        []byte    `json:"kid"`        // x509: SHA-256(DER)[:8]; cose_key: SHA-256(COSE_Key)[:8]; eth: the address
	Thumbprint []byte    `json:"thumbprint"` // full SHA-256 of Data (x509, cose_key)
	Kind       EntryKind `json:"kind"`
	Data       []byte    `json:"data"`
	CA         bool      `json:"ca,omitempty"` // x509 only: a CA whose issued certificates are trusted, not a signer itself
	Uses       []DocType `json:"uses"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	Status     Status    `json:"status"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	Reason     string    `json:"revocation_reason,omitempty"`
	Name       string    `json:"name"`
	Domain     string    `json:"domain,omitempty"`
	// Country is set only on entries an anchor relays for another country
	// from another ecosystem's list (e.g. the EU gateway's DSCs): the
	// country the key issues for. Empty means the anchor's own country.
	Country string `json:"country,omitempty"`
	// Source is set on entries imported from another ecosystem's list
	// (accord list import): where they came from.
	Source *Provenance `json:"source,omitempty"`
	// DCCTypes, when set, are the only EU DCC certificate types ("t" test,
	// "v" vaccination, "r" recovery) the entry's key may sign: a source's
	// per-key restriction (Switzerland's key list) for keys without a
	// certificate whose extended key usage could say it.
	DCCTypes []string `json:"dcc_types,omitempty"`

	cert *certCache
}

// certCache holds an x509 entry's parsed certificate, made on first use: a
// store of 200,000 entries keeps DER bytes, not 200,000 parsed certificates.
type certCache struct {
	once sync.Once
	c    *x509.Certificate
	// keyOnce and key cache the parsed public key of a spki entry.
	keyOnce sync.Once
	key     crypto.PublicKey
}

type entryWire struct {
	KID        []byte      `cbor:"1,keyasint"`
	Kind       string      `cbor:"2,keyasint"`
	Data       []byte      `cbor:"3,keyasint"`
	CA         bool        `cbor:"4,keyasint,omitempty"`
	Uses       []string    `cbor:"5,keyasint"`
	NotBefore  int64       `cbor:"6,keyasint"`
	NotAfter   int64       `cbor:"7,keyasint"`
	Status     string      `cbor:"8,keyasint"`
	RevokedAt  int64       `cbor:"9,keyasint,omitempty"`
	Reason     string      `cbor:"10,keyasint,omitempty"`
	Name       string      `cbor:"11,keyasint"`
	Domain     string      `cbor:"12,keyasint,omitempty"`
	Thumbprint []byte      `cbor:"13,keyasint,omitempty"`
	Country    string      `cbor:"14,keyasint,omitempty"`
	Source     *Provenance `cbor:"15,keyasint,omitempty"`
	DCCTypes   []string    `cbor:"16,keyasint,omitempty"`
}

// isToken reports whether s matches ^[a-z0-9][a-z0-9_-]{0,15}$: a use or
// format token.
func isToken(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Certificate returns the parsed certificate of an x509 entry, or nil. It is
// parsed on first use and cached; safe for concurrent use.
func (e *Entry) Certificate() *x509.Certificate {
	if e.Kind != EntryX509 {
		return nil
	}
	if e.cert == nil { // an Entry built by hand rather than by a constructor or parser
		c, err := parseCertificate(e.Data)
		if err != nil {
			return nil
		}
		return c
	}
	e.cert.once.Do(func() { e.cert.c, _ = parseCertificate(e.Data) })
	return e.cert.c
}

// Allows reports whether the entry may sign documents of type t.
func (e *Entry) Allows(t DocType) bool {
	for _, u := range e.Uses {
		if u == t {
			return true
		}
	}
	return false
}

// ValidAt reports whether t lies in the entry's validity window.
func (e *Entry) ValidAt(t time.Time) bool {
	return !t.Before(e.NotBefore) && !t.After(e.NotAfter)
}

// RevokedBy reports whether the entry is revoked as of t. A revocation takes
// effect at RevokedAt: documents signed before it stay valid.
func (e *Entry) RevokedBy(t time.Time) bool {
	return e.Status == StatusRevoked && !t.Before(e.RevokedAt)
}

// NewX509Entry makes an entry for a DER certificate. The validity window is
// the certificate's own; uses must name at least one document type.
func NewX509Entry(der []byte, ca bool, uses []DocType, name string) (*Entry, error) {
	c, err := parseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if name == "" {
		name = c.Subject.CommonName
		if len(c.Subject.Organization) > 0 {
			name = c.Subject.Organization[0]
		}
	}
	sum := sha256.Sum256(der)
	e := &Entry{KID: sum[:8], Thumbprint: sum[:], Kind: EntryX509, Data: der, CA: ca, Uses: uses,
		NotBefore: c.NotBefore.UTC().Truncate(time.Second), NotAfter: c.NotAfter.UTC().Truncate(time.Second),
		Status: StatusActive, Name: name, cert: &certCache{}}
	e.cert.once.Do(func() { e.cert.c = c })
	return e, e.check()
}

// NewCOSEKeyEntry makes an entry for a raw P-256 or Ed25519 key.
func NewCOSEKeyEntry(key *PublicKey, uses []DocType, name string, notBefore, notAfter time.Time) (*Entry, error) {
	sum := sha256.Sum256(key.enc)
	e := &Entry{KID: sum[:8], Thumbprint: sum[:], Kind: EntryCOSEKey, Data: key.enc, Uses: uses,
		NotBefore: notBefore.UTC().Truncate(time.Second), NotAfter: notAfter.UTC().Truncate(time.Second), Status: StatusActive, Name: name}
	return e, e.check()
}

// NewEthEntry makes an entry for a 20-byte Ethereum address.
func NewEthEntry(addr []byte, uses []DocType, name, domain string, notBefore, notAfter time.Time) (*Entry, error) {
	e := &Entry{KID: append([]byte(nil), addr...), Kind: EntryEth, Data: append([]byte(nil), addr...), Uses: uses,
		NotBefore: notBefore.UTC().Truncate(time.Second), NotAfter: notAfter.UTC().Truncate(time.Second), Status: StatusActive, Name: name, Domain: domain}
	return e, e.check()
}

// check enforces the structural rules of spec/trustlist.md §Entry.
func (e *Entry) check() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: entry %x: %s", ErrMalformed, e.KID, fmt.Sprintf(f, a...))
	}
	switch e.Kind {
	case EntryX509:
		if e.cert == nil {
			// Decoding a list checks the DER envelope only; the full parse
			// happens on first use (certCache). A certificate that then does
			// not parse matches nothing (spec/trustlist.md §1.3). Catching up
			// on 200,000 certificates does not pay 200,000 parses.
			if !oneDERSequence(e.Data) {
				return bad("data is not a DER certificate (one SEQUENCE)")
			}
		}
		sum := sha256.Sum256(e.Data)
		if !bytes.Equal(e.KID, sum[:8]) || !bytes.Equal(e.Thumbprint, sum[:]) {
			return bad("kid and thumbprint must be SHA-256 of the certificate (first 8 bytes, and all)")
		}
	case EntryCOSEKey:
		if e.CA {
			return bad("only x509 entries can be CAs")
		}
		if err := checkCOSEKey(e.Data); err != nil {
			return bad("key: %v", err)
		}
		sum := sha256.Sum256(e.Data)
		if !bytes.Equal(e.KID, sum[:8]) || !bytes.Equal(e.Thumbprint, sum[:]) {
			return bad("kid and thumbprint must be SHA-256 of the COSE_Key (first 8 bytes, and all)")
		}
	case EntrySPKI:
		if err := e.checkSPKI(); err != nil {
			return bad("%v", err)
		}
	case EntryEth:
		if e.CA || len(e.Data) != 20 || !bytes.Equal(e.KID, e.Data) || len(e.Thumbprint) != 0 {
			return bad("an eth entry holds a 20-byte address, which is also its kid")
		}
	case EntryContract:
		if msg := e.checkContract(); msg != "" {
			return bad("%s", msg)
		}
	case EntryDIDKey:
		if err := e.checkDIDKey(); err != nil {
			return bad("%v", err)
		}
	default:
		return bad("unknown kind %q", e.Kind)
	}
	if len(e.Uses) == 0 || len(e.Uses) > 16 {
		return bad("1 to 16 uses required")
	}
	for _, u := range e.Uses {
		if !isToken(string(u)) {
			return bad("use %q is not a lowercase token", u)
		}
	}
	if e.NotAfter.Before(e.NotBefore) {
		return bad("not_after before not_before")
	}
	switch e.Status {
	case StatusActive:
		if !e.RevokedAt.IsZero() || e.Reason != "" {
			return bad("an active entry has no revocation time or reason")
		}
	case StatusRevoked:
		if e.RevokedAt.IsZero() || e.Reason == "" {
			return bad("a revoked entry needs a revocation time and reason")
		}
	default:
		return bad("status %q", e.Status)
	}
	if e.Name == "" || len(e.Name) > 256 || len(e.Domain) > 253 {
		return bad("name must be 1 to 256 bytes, domain at most 253")
	}
	if e.Country != "" && !ValidCountry(e.Country) {
		return bad("country %q is not an ISO 3166-1 alpha-2 code", e.Country)
	}
	if err := e.Source.check(); err != nil {
		return bad("%v", err)
	}
	if len(e.DCCTypes) > 0 && e.Kind != EntrySPKI {
		return bad("dcc_types only on spki entries (a certificate's extended key usage says it)")
	}
	if err := checkDCCTypes(e.DCCTypes); err != nil {
		return bad("%v", err)
	}
	return nil
}

// ready gives a decoded entry whose key is parsed on first use (x509: the
// certificate; spki: the key) the cache that keeps it. Decoding checks the
// DER envelope only (check); the full parse happens on first use.
func (e *Entry) ready() {
	if e.cert == nil && (e.Kind == EntryX509 || e.Kind == EntrySPKI) {
		e.cert = &certCache{}
	}
}

// checkDCCTypes requires DCC certificate types to be distinct and in the
// order t, v, r (one encoding per meaning).
func checkDCCTypes(ts []string) error {
	last := -1
	for _, t := range ts {
		i := strings.Index("tvr", t)
		if len(t) != 1 || i < 0 || i <= last {
			return fmt.Errorf("dcc_types must be distinct, of t, v, r, in that order; got %q", ts)
		}
		last = i
	}
	return nil
}

func (e *Entry) wire() entryWire {
	w := entryWire{KID: e.KID, Kind: string(e.Kind), Data: e.Data, CA: e.CA, NotBefore: toUnix(e.NotBefore), NotAfter: toUnix(e.NotAfter),
		Status: string(e.Status), RevokedAt: toUnix(e.RevokedAt), Reason: e.Reason, Name: e.Name, Domain: e.Domain, Thumbprint: e.Thumbprint,
		Country: e.Country, Source: e.Source, DCCTypes: e.DCCTypes}
	if w.Source != nil {
		src := *w.Source
		src.IssuedUnix = toUnix(src.Issued)
		w.Source = &src
	}
	for _, u := range e.Uses {
		w.Uses = append(w.Uses, string(u))
	}
	return w
}

func entryFromWire(w entryWire) (*Entry, error) {
	e := new(Entry)
	return e, entryInto(e, &w)
}

// entryInto fills e from w and checks it.
// e.Uses, when not nil, is where the uses go (len(w.Uses) of them).
func entryInto(e *Entry, w *entryWire) error {
	uses := e.Uses
	if len(uses) != len(w.Uses) {
		uses = make([]DocType, len(w.Uses))
	}
	for i, u := range w.Uses {
		uses[i] = DocType(u)
	}
	if w.Uses == nil {
		uses = nil
	}
	*e = Entry{Uses: uses, KID: w.KID, Kind: EntryKind(w.Kind), Data: w.Data, CA: w.CA, NotBefore: unixTime(w.NotBefore), NotAfter: unixTime(w.NotAfter),
		Status: Status(w.Status), RevokedAt: unixTime(w.RevokedAt), Reason: w.Reason, Name: w.Name, Domain: w.Domain, Thumbprint: w.Thumbprint,
		Country: w.Country, Source: w.Source, DCCTypes: w.DCCTypes}
	if e.Source != nil {
		e.Source.Issued = unixTime(e.Source.IssuedUnix)
	}
	if err := e.check(); err != nil {
		return err
	}
	e.ready()
	return nil
}

// List is one version of an anchor's trust list.
type List struct {
	Country           string
	DescriptorVersion uint64
	Seq               uint64
	IssuedAt          time.Time
	NextUpdate        time.Time
	Prev              []byte // Hash of the previous list of this anchor; empty for the first
	Entries           []*Entry
	signed
	lazy *lazyEntries // entries not built yet (parseList)
}

type listWire struct {
	Type              string      `cbor:"0,keyasint"`
	Country           string      `cbor:"1,keyasint"`
	DescriptorVersion uint64      `cbor:"2,keyasint"`
	Seq               uint64      `cbor:"3,keyasint"`
	IssuedAt          int64       `cbor:"4,keyasint"`
	NextUpdate        int64       `cbor:"5,keyasint"`
	Prev              []byte      `cbor:"6,keyasint"`
	Entries           []entryWire `cbor:"7,keyasint"`
}

func (w *listWire) kind() string { return w.Type }

// MaxEntries bounds the entries of one list.
const MaxEntries = 100_000

func (l *List) checkHeader() error {
	if err := checkCountry(l.Country); err != nil {
		return err
	}
	if l.Seq < 1 || l.DescriptorVersion < 1 {
		return fmt.Errorf("%w: seq and descriptor version start at 1", ErrMalformed)
	}
	if (l.Seq == 1) != (len(l.Prev) == 0) || (len(l.Prev) != 0 && len(l.Prev) != 32) {
		return fmt.Errorf("%w: the first list (seq 1) has an empty prev, every later one a 32-byte hash", ErrMalformed)
	}
	if l.IssuedAt.IsZero() || !l.NextUpdate.After(l.IssuedAt) {
		return fmt.Errorf("%w: next_update must be after issued_at", ErrMalformed)
	}
	if n := l.entryCount(); n > MaxEntries {
		return fmt.Errorf("%w: %d entries (at most %d)", ErrMalformed, n, MaxEntries)
	}
	return nil
}

func checkUniqueEntries(entries []*Entry) error {
	var t uniqTable
	t.init(len(entries))
	defer t.release()
	same := func(i int, k EntryKind, kid []byte) bool {
		return compareEntryKey(entries[i], &Entry{Kind: k, KID: kid}) == 0
	}
	for i, e := range entries {
		if t.add(e.Kind, e.KID, i, same) {
			return fmt.Errorf("%w: entry %s %x listed twice", ErrMalformed, e.Kind, e.KID)
		}
	}
	return nil
}

// uniqTable finds a (kind, kid) listed twice: an open-addressing table of
// (hash of kind and kid, entry index + 1), with no key allocated per entry
// and no map. Equal hashes are compared in full (same), so a collision
// costs a comparison, never a wrong answer.
type uniqTable struct {
	slots []uniqSlot
	seed  maphash.Seed
}

type uniqSlot struct {
	h uint32 // the hash's high half (its low bits choose the slot)
	i uint32
}

// uniqSlots keeps tables for reuse: a node checks list after list, and a
// table of a 1,000-entry list is 16 KiB.
var uniqSlots sync.Pool

func (t *uniqTable) init(n int) {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	if p, ok := uniqSlots.Get().(*[]uniqSlot); ok && cap(*p) >= size {
		t.slots = (*p)[:size]
		clear(t.slots)
	} else {
		t.slots = make([]uniqSlot, size)
	}
	t.seed = maphash.MakeSeed()
}

// release gives the table's slots back for reuse; t is not used after.
func (t *uniqTable) release() {
	if sl := t.slots; cap(sl) <= 1<<18 { // up to the MaxEntries table
		uniqSlots.Put(&sl)
	}
	t.slots = nil
}

// add records entry i and reports whether an earlier entry has its kind
// and kid.
func (t *uniqTable) add(k EntryKind, kid []byte, i int, same func(j int, k EntryKind, kid []byte) bool) bool {
	sum := maphash.Bytes(t.seed, kid)
	if len(k) > 0 { // the kind, mixed in cheaply: equal hashes are compared in full anyway
		sum ^= (uint64(k[0])<<8 | uint64(len(k))) * 0x9e3779b97f4a7c15
	}
	hi := uint32(sum >> 32)
	mask := uint64(len(t.slots) - 1)
	for j := sum & mask; ; j = (j + 1) & mask {
		sl := &t.slots[j]
		if sl.i == 0 {
			sl.h, sl.i = hi, uint32(i)+1
			return false
		}
		if sl.h == hi && same(int(sl.i)-1, k, kid) {
			return true
		}
	}
}

// checkUniqueSorted sorts a copy by (kind, kid) and compares neighbours.
func checkUniqueSorted(entries []*Entry) error {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, compareEntryKey)
	for i := 1; i < len(sorted); i++ {
		if e := sorted[i]; compareEntryKey(sorted[i-1], e) == 0 {
			return fmt.Errorf("%w: entry %s %x listed twice", ErrMalformed, e.Kind, e.KID)
		}
	}
	return nil
}

func compareEntryKey(a, b *Entry) int {
	if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
		return c
	}
	return bytes.Compare(a.KID, b.KID)
}

func (l *List) wire() (*listWire, error) {
	if err := l.checkHeader(); err != nil {
		return nil, err
	}
	entries := l.entries()
	if err := checkUniqueEntries(entries); err != nil {
		return nil, err
	}
	w := &listWire{Type: string(KindList), Country: l.Country, DescriptorVersion: l.DescriptorVersion, Seq: l.Seq,
		IssuedAt: toUnix(l.IssuedAt), NextUpdate: toUnix(l.NextUpdate), Prev: l.Prev, Entries: make([]entryWire, 0, len(entries))}
	if w.Prev == nil {
		w.Prev = []byte{}
	}
	for _, e := range entries {
		if err := e.check(); err != nil {
			return nil, err
		}
		w.Entries = append(w.Entries, e.wire())
	}
	return w, nil
}

// SignList encodes l and signs it with keys (t keys of the anchor's
// descriptor of version l.DescriptorVersion).
func SignList(l *List, keys []*PrivateKey) (*List, error) {
	w, err := l.wire()
	if err != nil {
		return nil, err
	}
	s, err := signWire(w, keys)
	if err != nil {
		return nil, err
	}
	out := *l
	out.signed = s
	return &out, nil
}

// ParseList decodes a signed trust list. It checks structure only.
func ParseList(raw []byte) (*List, error) { return parseList(raw, nil, false) }

// parseList decodes and checks a signed list. With lazy, each entry is
// decoded and checked as strictly as ParseList does, but the list keeps
// only where each entry is in its payload; entries() builds them when they
// are needed (a list that becomes an anchor's head, or leaves the package).
// A duplicate, a list kept as history or a rejected list never does.
func parseList(raw []byte, msg *cose.SignMessage, lazy bool) (*List, error) {
	if msg == nil {
		var err error
		if msg, err = decodeSignMessage(raw); err != nil {
			return nil, err
		}
	}
	payloadView(raw, msg)
	// The strict reader accepts only the deterministic encoding, and its
	// byte strings are views into the payload (listdecode.go). When it
	// refuses, the generic decoder says why.
	var sink interface {
		entrySink
		failed() error
	}
	var eager *listEntries
	var offs *entryOffsets
	if lazy {
		offs = &entryOffsets{}
		sink = offs
	} else {
		eager = &listEntries{}
		sink = eager
	}
	w, err := decodeListPayload(msg.Payload, sink)
	if offs != nil {
		offs.uniq.release()
	}
	if err != nil {
		var slow listWire
		if _, err := decodeSigned(raw, msg, KindList, &slow); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s payload is not deterministic CBOR (RFC 8949 §4.2.1) or has unknown fields", ErrMalformed, KindList)
	}
	if err := sink.failed(); err != nil {
		return nil, err
	}
	sg := signed{raw: raw, payload: msg.Payload, hash: sha256.Sum256(msg.Payload), msg: msg}
	l := &List{Country: w.Country, DescriptorVersion: w.DescriptorVersion, Seq: w.Seq, IssuedAt: unixTime(w.IssuedAt),
		NextUpdate: unixTime(w.NextUpdate), Prev: w.Prev, signed: sg}
	if len(l.Prev) == 0 {
		l.Prev = nil
	}
	if lazy {
		l.lazy = &lazyEntries{offs: offs.offs}
	} else {
		l.Entries = eager.ptrs
	}
	// Entries were checked as they were decoded (lazily: their uniqueness
	// too); the header remains, and uniqueness of the eager ones.
	if err := l.checkHeader(); err != nil {
		return nil, err
	}
	if !lazy {
		if err := checkUniqueEntries(l.Entries); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// lazyEntries is where a lazily parsed list's entries are in its payload,
// and their one building.
type lazyEntries struct {
	once sync.Once
	offs []uint32
}

// entries returns l's entries, building them on first use for a list
// parsed lazily. Safe for concurrent use.
func (l *List) entries() []*Entry {
	if lz := l.lazy; lz != nil {
		lz.once.Do(func() { l.Entries = buildEntries(l.payload, lz.offs) })
	}
	return l.Entries
}

// entryCount is len(l.entries()) without building them.
func (l *List) entryCount() int {
	if l.lazy != nil {
		return len(l.lazy.offs)
	}
	return len(l.Entries)
}

// buildEntries decodes the entries at offs in p: the entries a lazy parse
// decoded and checked already, read again by the same reader from the
// same bytes, so they decode the same way (a failure would be a bug; such
// an entry is left out rather than half-built).
func buildEntries(p []byte, offs []uint32) []*Entry {
	all := make([]Entry, len(offs))
	out := make([]*Entry, 0, len(offs))
	r := &cborReader{b: p}
	for i, off := range offs {
		e := &all[i]
		r.off = int(off)
		if r.entry(e) != nil {
			continue
		}
		e.ready()
		out = append(out, e)
	}
	return out
}

// entryOffsets is the entry sink of a lazy parse: it decodes each entry
// into one scratch Entry whose texts are views (nothing is kept), checks
// it, checks that its (kind, kid) is new, and keeps its offset.
type entryOffsets struct {
	offs []uint32
	uniq uniqTable
	err  error
	r    *cborReader
}

func (s *entryOffsets) failed() error { return s.err }

func (s *entryOffsets) start(n int) {
	s.offs = make([]uint32, 0, n)
	s.uniq.init(n)
}

func (s *entryOffsets) add(r *cborReader) error {
	off := r.off
	r.view = true
	r.docs = r.docs[:0]
	var scratch Entry // on the stack: no write barriers, nothing kept
	e := &scratch
	err := r.entry(e)
	r.view = false
	if err != nil {
		return err
	}
	s.offs = append(s.offs, uint32(off))
	if s.err != nil {
		return nil
	}
	if err := e.check(); err != nil {
		s.err = err
		return nil
	}
	// A (kind, kid) seen before: compare with the entry of the same hash,
	// decoded again from its offset.
	s.r = r
	if s.uniq.add(e.Kind, e.KID, len(s.offs)-1, s.sameKey) {
		s.err = fmt.Errorf("%w: entry %s %x listed twice", ErrMalformed, e.Kind, e.KID)
	}
	return nil
}

// sameKey reports whether the entry at index i has kind k and kid kid.
func (s *entryOffsets) sameKey(i int, k EntryKind, kid []byte) bool {
	r := cborReader{b: s.r.b, off: int(s.offs[i]), view: true}
	var other Entry
	if r.entry(&other) != nil {
		return false
	}
	return other.Kind == k && bytes.Equal(other.KID, kid)
}

// listEntries builds a parsed list's entries as the reader yields them, in
// few allocations: one for all entries, a few for all their uses. It keeps
// the first entry that fails its check; the reader goes on, so an encoding
// error later in the payload is still the one reported.
type listEntries struct {
	all  []Entry
	ptrs []*Entry
	err  error
}

func (s *listEntries) failed() error { return s.err }

func (s *listEntries) start(n int) {
	s.all = make([]Entry, n)
	s.ptrs = make([]*Entry, 0, n)
}

func (s *listEntries) add(r *cborReader) error {
	e := &s.all[len(s.ptrs)]
	s.ptrs = append(s.ptrs, e)
	if err := r.entry(e); err != nil {
		return err
	}
	if s.err == nil { // one failed entry fails the list: later ones are read, not checked
		s.err = e.check()
	}
	e.ready()
	return nil
}

// Verify checks that t keys of d signed the list and that d is the descriptor
// the list names.
func (l *List) Verify(d *Descriptor) error {
	if d.Country != l.Country || d.Version != l.DescriptorVersion {
		return reject(ReasonUnknownAnchor, "list names %s descriptor v%d, not %s v%d", l.Country, l.DescriptorVersion, d.Country, d.Version)
	}
	return l.verifyBy(d.Keys, d.Threshold, fmt.Sprintf("%s descriptor v%d", d.Country, d.Version))
}

// Fresh reports whether the list is still current at t (t before next_update).
func (l *List) Fresh(t time.Time) bool { return t.Before(l.NextUpdate) }

// Endorsement is anchor A vouching for anchor B's descriptor (by hash) until
// ExpiresAt. It counts only while A's descriptor version that signed it is
// A's current one (spec/trustlist.md §3.2).
type Endorsement struct {
	Endorser        string
	EndorserVersion uint64
	Subject         string
	SubjectHash     []byte
	IssuedAt        time.Time
	ExpiresAt       time.Time
	signed
}

// DefaultEndorsementValidity is how long Endorse's endorsements last.
const DefaultEndorsementValidity = 365 * 24 * time.Hour

type endorsementWire struct {
	Type            string `cbor:"0,keyasint"`
	Endorser        string `cbor:"1,keyasint"`
	EndorserVersion uint64 `cbor:"2,keyasint"`
	Subject         string `cbor:"3,keyasint"`
	SubjectHash     []byte `cbor:"4,keyasint"`
	IssuedAt        int64  `cbor:"5,keyasint"`
	ExpiresAt       int64  `cbor:"6,keyasint"`
}

func (w *endorsementWire) kind() string { return w.Type }

func (e *Endorsement) wire() (*endorsementWire, error) {
	if err := checkCountry(e.Endorser); err != nil {
		return nil, err
	}
	if err := checkCountry(e.Subject); err != nil {
		return nil, err
	}
	if e.Endorser == e.Subject || len(e.SubjectHash) != 32 || e.EndorserVersion < 1 {
		return nil, fmt.Errorf("%w: an endorsement names another anchor's 32-byte descriptor hash", ErrMalformed)
	}
	if e.IssuedAt.IsZero() || !e.ExpiresAt.After(e.IssuedAt) {
		return nil, fmt.Errorf("%w: an endorsement expires after it is issued", ErrMalformed)
	}
	return &endorsementWire{Type: string(KindEndorsement), Endorser: e.Endorser, EndorserVersion: e.EndorserVersion,
		Subject: e.Subject, SubjectHash: e.SubjectHash, IssuedAt: toUnix(e.IssuedAt), ExpiresAt: toUnix(e.ExpiresAt)}, nil
}

// Endorse makes endorser's signed endorsement of subject, with t of
// endorser's keys, valid for DefaultEndorsementValidity from at.
func Endorse(endorser, subject *Descriptor, keys []*PrivateKey, at time.Time) (*Endorsement, error) {
	return EndorseUntil(endorser, subject, keys, at, at.Add(DefaultEndorsementValidity))
}

// EndorseUntil is Endorse with an explicit expiry.
func EndorseUntil(endorser, subject *Descriptor, keys []*PrivateKey, at, expires time.Time) (*Endorsement, error) {
	e := &Endorsement{Endorser: endorser.Country, EndorserVersion: endorser.Version, Subject: subject.Country,
		SubjectHash: subject.Hash(), IssuedAt: at.UTC().Truncate(time.Second), ExpiresAt: expires.UTC().Truncate(time.Second)}
	w, err := e.wire()
	if err != nil {
		return nil, err
	}
	if e.signed, err = signWire(w, keys); err != nil {
		return nil, err
	}
	return e, nil
}

// ParseEndorsement decodes a signed endorsement. It checks structure only.
func ParseEndorsement(raw []byte) (*Endorsement, error) { return parseEndorsement(raw, nil) }

func parseEndorsement(raw []byte, msg *cose.SignMessage) (*Endorsement, error) {
	var w endorsementWire
	s, err := decodeSigned(raw, msg, KindEndorsement, &w)
	if err != nil {
		return nil, err
	}
	e := &Endorsement{Endorser: w.Endorser, EndorserVersion: w.EndorserVersion, Subject: w.Subject, SubjectHash: w.SubjectHash,
		IssuedAt: unixTime(w.IssuedAt), ExpiresAt: unixTime(w.ExpiresAt), signed: s}
	if _, err := e.wire(); err != nil {
		return nil, err
	}
	return e, nil
}

// Verify checks the endorsement against the endorser's descriptor.
func (e *Endorsement) Verify(endorser *Descriptor) error {
	if endorser.Country != e.Endorser || endorser.Version != e.EndorserVersion {
		return reject(ReasonUnknownAnchor, "endorsement names %s v%d, not %s v%d", e.Endorser, e.EndorserVersion, endorser.Country, endorser.Version)
	}
	return e.verifyBy(endorser.Keys, endorser.Threshold, fmt.Sprintf("%s descriptor v%d", e.Endorser, e.EndorserVersion))
}

// Evidence proves that an anchor equivocated: two different lists, both
// validly signed under one descriptor, with the same seq or the same prev.
// It carries the descriptor, so anyone can check it without any other state.
type Evidence struct {
	Descriptor *Descriptor
	A, B       *List
	raw        []byte
}

type evidenceWire struct {
	Type       string `cbor:"0,keyasint"`
	Descriptor []byte `cbor:"1,keyasint"`
	A          []byte `cbor:"2,keyasint"`
	B          []byte `cbor:"3,keyasint"`
}

// NewEvidence builds and checks evidence from two conflicting lists. The lists
// are ordered by hash, so the same conflict always encodes the same way.
func NewEvidence(d *Descriptor, a, b *List) (*Evidence, error) {
	a.entries() // the lists leave the package inside the evidence
	b.entries()
	if bytes.Compare(a.Hash(), b.Hash()) > 0 {
		a, b = b, a
	}
	ev := &Evidence{Descriptor: d, A: a, B: b}
	raw, err := marshal(evidenceWire{Type: string(KindEvidence), Descriptor: d.Raw(), A: a.Raw(), B: b.Raw()})
	if err != nil {
		return nil, err
	}
	ev.raw = raw
	return ev, ev.Verify()
}

// ParseEvidence decodes evidence and checks that it proves what it claims.
func ParseEvidence(raw []byte) (*Evidence, error) {
	ev, err := parseEvidence(raw)
	if err != nil {
		return nil, err
	}
	return ev, ev.Verify()
}

// parseEvidence decodes evidence and checks its structure, not its
// signatures: enough to know its identity (Evidence.Hash) cheaply.
func parseEvidence(raw []byte) (*Evidence, error) {
	var w evidenceWire
	if err := unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if w.Type != string(KindEvidence) {
		return nil, fmt.Errorf("%w: not equivocation evidence", ErrMalformed)
	}
	d, err := ParseDescriptor(w.Descriptor)
	if err != nil {
		return nil, fmt.Errorf("evidence descriptor: %w", err)
	}
	a, err := ParseList(w.A)
	if err != nil {
		return nil, fmt.Errorf("evidence list A: %w", err)
	}
	b, err := ParseList(w.B)
	if err != nil {
		return nil, fmt.Errorf("evidence list B: %w", err)
	}
	if bytes.Compare(a.Hash(), b.Hash()) >= 0 {
		return nil, fmt.Errorf("%w: evidence lists must be distinct and ordered by hash", ErrMalformed)
	}
	return &Evidence{Descriptor: d, A: a, B: b, raw: raw}, nil
}

// Raw returns the encoded evidence.
func (ev *Evidence) Raw() []byte { return ev.raw }

// Hash returns the evidence's identity: SHA-256 over the hashes of its two
// lists' signed payloads, in order. It depends on nothing an attacker can
// re-encode (the COSE envelopes and their unprotected headers, the copy of
// the descriptor), so one equivocation is one piece of evidence however it
// is re-wrapped (spec/trustlist.md §1.5).
func (ev *Evidence) Hash() []byte {
	h := sha256.New()
	h.Write([]byte("accord evidence\x00"))
	h.Write(ev.A.Hash())
	h.Write(ev.B.Hash())
	return h.Sum(nil)
}

// Country returns the equivocating anchor.
func (ev *Evidence) Country() string { return ev.Descriptor.Country }

// Verify checks the evidence on its own: the descriptor is signed by t of its
// own keys, both lists by t of those keys, and they conflict.
func (ev *Evidence) Verify() error {
	d := ev.Descriptor
	if err := d.VerifySelf(); err != nil {
		return fmt.Errorf("evidence descriptor: %w", err)
	}
	for _, l := range []*List{ev.A, ev.B} {
		if err := l.Verify(d); err != nil {
			return fmt.Errorf("evidence list seq %d: %w", l.Seq, err)
		}
	}
	if bytes.Equal(ev.A.Hash(), ev.B.Hash()) {
		return reject(ReasonMalformed, "evidence lists are the same list")
	}
	sameSeq := ev.A.Seq == ev.B.Seq
	fork := len(ev.A.Prev) > 0 && bytes.Equal(ev.A.Prev, ev.B.Prev)
	if !sameSeq && !fork {
		return reject(ReasonMalformed, "lists seq %d and %d neither share a seq nor a prev: no conflict", ev.A.Seq, ev.B.Seq)
	}
	return nil
}

// alias returns a view of buf equal to b, searching forward from pos, and the
// position after it; b itself if it is not found. Equal bytes are
// interchangeable, so any match is correct.
func alias(buf []byte, pos int, b []byte) ([]byte, int) {
	if len(b) == 0 || pos > len(buf) {
		return b, pos
	}
	i := bytes.Index(buf[pos:], b)
	if i < 0 {
		return b, pos
	}
	j := pos + i
	return buf[j : j+len(b) : j+len(b)], j + len(b)
}
