package trustlist

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/veraison/go-cose"

	"github.com/accord-network/accord/fixtures"
)

// oracleListPayload is the generic check the strict reader replaces: decode
// into listWire, and accept only if re-encoding gives the same bytes.
func oracleListPayload(p []byte) (*listWire, bool) {
	var w listWire
	if err := unmarshal(p, &w); err != nil || w.Type != string(KindList) {
		return nil, false
	}
	again, err := marshal(&w)
	return &w, err == nil && bytes.Equal(again, p)
}

// checkStrictAgrees fails unless decodeListPayload accepts p exactly when the
// re-encoding oracle does, with the same values.
func checkStrictAgrees(t *testing.T, p []byte) {
	t.Helper()
	want, ok := oracleListPayload(p)
	got, err := decodeListPayload(p, nil)
	if ok != (err == nil) {
		t.Fatalf("strict reader accepts=%v, re-encoding oracle accepts=%v for %x", err == nil, ok, p)
	}
	if ok && !reflect.DeepEqual(normWire(got), normWire(want)) {
		t.Fatalf("strict reader decoded\n%+v\noracle\n%+v", got, want)
	}
}

// normWire makes empty and nil byte strings compare equal (the oracle
// decodes an empty byte string as empty, the reader as a zero-length view).
func normWire(w *listWire) *listWire {
	c := *w
	c.Entries = append([]entryWire(nil), w.Entries...)
	for i := range c.Entries {
		if src := c.Entries[i].Source; src != nil {
			// The reader also fills the derived time; the oracle leaves it to entryInto.
			cp := *src
			cp.Issued = time.Time{}
			c.Entries[i].Source = &cp
		}
	}
	return &c
}

// fullListPayload encodes a list whose entries use every field, including
// the omitempty ones and a Source.
func fullListPayload(t testing.TB) []byte {
	w := listWire{Type: string(KindList), Country: "NL", DescriptorVersion: 1, Seq: 2, IssuedAt: 1700000000, NextUpdate: 1800000000,
		Prev: bytes.Repeat([]byte{1}, 32), Entries: []entryWire{
			{KID: []byte{1, 2}, Kind: "x509", Data: []byte{0x30, 0}, CA: true, Uses: []string{"hcert", "pdf"}, NotBefore: -5, NotAfter: 1 << 40,
				Status: "revoked", RevokedAt: 1750000000, Reason: "key compromise", Name: "Ä issuer", Domain: "example.org",
				Thumbprint: []byte{9}, Country: "DE", Source: &Provenance{Format: "dccg", FileSHA256: make([]byte, 32), Signer: "s",
					Signature: SourceVerified, IssuedUnix: 1600000000, Name: "gw"}},
			{KID: nil, Kind: "eth", Data: []byte{}, Uses: nil, Status: "active", Name: "n"},
		}}
	p, err := marshal(&w)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// coseKeyListPayload is a valid list payload of two cose_key entries, a
// P-256 and an Ed25519 key.
func coseKeyListPayload(t testing.TB) []byte {
	at := time.Unix(1700000000, 0)
	var entries []*Entry
	for _, alg := range []KeyAlg{AlgES256, AlgEdDSA} {
		k, err := GenerateKey(alg, nil)
		if err != nil {
			t.Fatal(err)
		}
		e, err := NewCOSEKeyEntry(k.Public(), []DocType{DocHCert}, "k", at, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	l := &List{Country: "NL", DescriptorVersion: 1, Seq: 1, IssuedAt: at, NextUpdate: at.Add(time.Hour), Entries: entries}
	w, err := l.wire()
	if err != nil {
		t.Fatal(err)
	}
	p, err := marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func listPayloadSeeds(t testing.TB) [][]byte {
	out := [][]byte{fullListPayload(t), coseKeyListPayload(t)}
	dir := fixtures.Dir(t, "trustlist")
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if msg, err := decodeSignMessage(b); err == nil {
			out = append(out, msg.Payload)
		}
	}
	return out
}

// mutations returns p changed in the ways a non-canonical encoder differs:
// every byte bumped, dropped or duplicated.
func mutations(p []byte) [][]byte {
	var out [][]byte
	for i := range p {
		for _, d := range []byte{1, 0x20, 0x80, 0xff} {
			m := bytes.Clone(p)
			m[i] += d
			out = append(out, m)
		}
		out = append(out, append(bytes.Clone(p[:i]), p[i+1:]...))
		out = append(out, append(append(bytes.Clone(p[:i+1]), p[i]), p[i+1:]...))
		// The same head with a longer argument than needed.
		if ib := p[i]; ib>>5 < 6 {
			switch ai := ib & 0x1f; {
			case ai < 24:
				out = append(out, append(append(bytes.Clone(p[:i]), ib&0xe0|24, ai), p[i+1:]...))
			case ai == 24 && i+1 < len(p):
				out = append(out, append(append(bytes.Clone(p[:i]), ib&0xe0|25, 0, p[i+1]), p[i+2:]...))
			case ai == 25 && i+2 < len(p):
				out = append(out, append(append(bytes.Clone(p[:i]), ib&0xe0|26, 0, 0, p[i+1], p[i+2]), p[i+3:]...))
			case ai == 26 && i+4 < len(p):
				out = append(out, append(append(bytes.Clone(p[:i]), ib&0xe0|27, 0, 0, 0, 0, p[i+1], p[i+2], p[i+3], p[i+4]), p[i+5:]...))
			}
		}
	}
	return out
}

// TestListPayloadStrictAgreesWithOracle checks the strict reader against the
// re-encoding oracle on every fixture list and on single-byte mutations of it
// and on hand-made non-canonical encodings.
func TestListPayloadStrictAgreesWithOracle(t *testing.T) {
	seeds := listPayloadSeeds(t)
	seeds = append(seeds, fullListPayload(t))
	accepted := 0
	for _, p := range seeds {
		if _, ok := oracleListPayload(p); ok {
			accepted++
		}
		checkStrictAgrees(t, p)
		for _, m := range mutations(p) {
			checkStrictAgrees(t, m)
		}
	}
	if accepted == 0 {
		t.Fatal("no fixture list payload was accepted: the comparison proves nothing")
	}
	// Non-shortest heads, indefinite lengths, unsorted keys, zero omitempty
	// fields, unknown fields, tags, floats, nulls.
	for _, p := range [][]byte{
		{0xb8, 0x08},             // map count in a non-shortest head
		{0xbf, 0xff},             // indefinite map
		{0xa1, 0x18, 0x00, 0x00}, // key 0 in a non-shortest head
		{0xf6},
		{0xfa, 0, 0, 0, 0},
		{0xc1, 0xa0},
	} {
		checkStrictAgrees(t, p)
	}
}

// FuzzListPayloadStrict proves the strict list reader accepts exactly the
// payloads whose decoding re-encodes to the same bytes, and decodes them to
// the same values.
func FuzzListPayloadStrict(f *testing.F) {
	for _, p := range listPayloadSeeds(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) { checkStrictAgrees(t, p) })
}

// TestCheckUniqueEntries: the same (kind, kid) twice is refused, by the hash
// index and by its sorting fallback; the same kid under two kinds is not.
func TestCheckUniqueEntries(t *testing.T) {
	a := &Entry{Kind: EntryEth, KID: []byte{1, 2, 3}}
	b := &Entry{Kind: EntryX509, KID: []byte{1, 2, 3}}
	c := &Entry{Kind: EntryEth, KID: []byte{9}}
	dup := &Entry{Kind: EntryEth, KID: []byte{1, 2, 3}}
	if err := checkUniqueEntries([]*Entry{a, b, c}); err != nil {
		t.Fatal(err)
	}
	for _, check := range []func([]*Entry) error{checkUniqueEntries, checkUniqueSorted} {
		if err := check([]*Entry{a, c, b, dup}); err == nil {
			t.Fatal("a duplicate entry was accepted")
		}
		if err := check([]*Entry{a, b, c}); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzSplitSignMessage checks splitSignMessage against go-cose: whatever the
// fast path accepts, go-cose's decoder accepts too, with the same payload,
// headers and signatures (the fast path refuses everything else, which then
// goes to go-cose).
func FuzzSplitSignMessage(f *testing.F) {
	dir := fixtures.Dir(f, "trustlist")
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && bytes.HasPrefix(b, signMessagePrefix) {
			f.Add(b)
		}
	}
	k, _ := GenerateKey(AlgES256, nil)
	d, _ := SignDescriptor(&Descriptor{Country: "NL", Name: "n", Version: 1, Threshold: 1, Keys: []*PublicKey{k.Public()}, IssuedAt: unixTime(1700000000)}, []*PrivateKey{k})
	f.Add(d.Raw())
	f.Add(append([]byte(nil), signMessagePrefix...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !bytes.HasPrefix(b, signMessagePrefix) || len(b) > 1<<16 {
			return
		}
		got, ok := splitSignMessage(b)
		if !ok {
			return
		}
		if decMode.Wellformed(b) != nil {
			return // decodeSignMessage refuses it before either path
		}
		want := new(cose.SignMessage)
		if err := want.UnmarshalCBOR(b); err != nil {
			t.Fatalf("fast path accepts what go-cose refuses (%v): %x", err, b)
		}
		if !bytes.Equal(got.Payload, want.Payload) || !reflect.DeepEqual(got.Headers.Protected, want.Headers.Protected) ||
			!reflect.DeepEqual(got.Headers.Unprotected, want.Headers.Unprotected) || len(got.Signatures) != len(want.Signatures) {
			t.Fatalf("fast path and go-cose decode differently: %x", b)
		}
		for i := range got.Signatures {
			if !bytes.Equal(got.Signatures[i].Signature, want.Signatures[i].Signature) ||
				!reflect.DeepEqual(got.Signatures[i].Headers.Protected, want.Signatures[i].Headers.Protected) {
				t.Fatalf("signature %d differs: %x", i, b)
			}
		}
	})
}
