package trustlist

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
)

var lazyKey = sync.OnceValue(func() *PrivateKey {
	k, err := GenerateKey(AlgEdDSA, nil)
	if err != nil {
		panic(err)
	}
	return k
})

// wrapPayload signs p as a COSE_Sign object (any payload: the parser is
// what is tested, not the signature).
func wrapPayload(t testing.TB, p []byte) []byte {
	s, err := newSigned(p, []*PrivateKey{lazyKey()})
	if err != nil {
		t.Fatal(err)
	}
	return s.raw
}

// checkLazyAgrees fails unless the acceptance path's lazy parse accepts raw
// exactly when ParseList does, and builds the same entries.
func checkLazyAgrees(t *testing.T, raw []byte) {
	t.Helper()
	eager, err1 := parseList(raw, nil, false)
	lazy, err2 := parseList(raw, nil, true)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("eager parse: %v; lazy parse: %v", err1, err2)
	}
	if err1 != nil {
		if errors.Is(err1, ErrMalformed) != errors.Is(err2, ErrMalformed) {
			t.Fatalf("eager parse: %v; lazy parse: %v", err1, err2)
		}
		return
	}
	if lazy.entryCount() != len(eager.Entries) || !bytes.Equal(lazy.Hash(), eager.Hash()) {
		t.Fatalf("lazy list has %d entries, eager %d", lazy.entryCount(), len(eager.Entries))
	}
	got := lazy.entries()
	if len(got) != len(eager.Entries) {
		t.Fatalf("lazy list built %d entries, eager %d", len(got), len(eager.Entries))
	}
	for i, e := range eager.Entries {
		if !reflect.DeepEqual(wireOf(got[i]), wireOf(e)) || (got[i].cert == nil) != (e.cert == nil) {
			t.Fatalf("entry %d: lazy %+v, eager %+v", i, got[i], e)
		}
	}
}

// TestLazyParseAgrees compares the two parses on every fixture list, on
// single-byte mutations of their payloads and on a list naming one
// (kind, kid) twice.
func TestLazyParseAgrees(t *testing.T) {
	seeds := listPayloadSeeds(t)
	accepted := 0
	for _, p := range seeds {
		if l, err := parseList(wrapPayload(t, p), nil, true); err == nil && l.entryCount() > 0 {
			accepted++
		}
		checkLazyAgrees(t, wrapPayload(t, p))
		for _, m := range mutations(p) {
			checkLazyAgrees(t, wrapPayload(t, m))
		}
	}
	if accepted == 0 {
		t.Fatal("no fixture list with entries parsed: the comparison proves nothing")
	}
	e := entryWire{KID: bytes.Repeat([]byte{7}, 20), Kind: "eth", Data: bytes.Repeat([]byte{7}, 20), Uses: []string{"oa"},
		NotBefore: 1, NotAfter: 2, Status: "active", Name: "n"}
	other := e
	other.KID, other.Data = bytes.Repeat([]byte{8}, 20), bytes.Repeat([]byte{8}, 20)
	for _, es := range [][]entryWire{{e, other}, {e, other, e}} {
		p, err := marshal(&listWire{Type: "list", Country: "NL", DescriptorVersion: 1, Seq: 1, IssuedAt: 1, NextUpdate: 2, Prev: []byte{}, Entries: es})
		if err != nil {
			t.Fatal(err)
		}
		raw := wrapPayload(t, p)
		checkLazyAgrees(t, raw)
		_, err = parseList(raw, nil, true)
		if dup := len(es) == 3; dup != (err != nil && strings.Contains(err.Error(), "listed twice")) {
			t.Fatalf("%d entries: %v", len(es), err)
		}
	}
}

// FuzzParseListLazy: the lazy parse Set.Accept uses accepts exactly what
// ParseList accepts and builds the same entries.
func FuzzParseListLazy(f *testing.F) {
	for _, p := range listPayloadSeeds(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) { checkLazyAgrees(t, wrapPayload(t, p)) })
}
