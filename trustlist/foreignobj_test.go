package trustlist_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
)

func foreignSeed(t testing.TB) *trustlist.ForeignObject {
	o, err := trustlist.NewForeignObject(trustlist.ForeignObject{Format: "etsi-tl", Territory: "EU", Seq: 340,
		IssuedAt: time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC), NextUpdate: time.Date(2024, 9, 8, 0, 0, 0, 0, time.UTC),
		LOTL: true, Data: []byte("<TrustServiceStatusList/>")})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// The envelope round-trips, names its slot, and its claims are compared
// with what a receiver derives from the file.
func TestForeignObjectRoundTrip(t *testing.T) {
	o := foreignSeed(t)
	if !trustlist.IsForeignObject(o.Raw()) {
		t.Fatal("IsForeignObject: false for an envelope")
	}
	p, err := trustlist.ParseForeignObject(o.Raw())
	if err != nil {
		t.Fatal(err)
	}
	if p.Slot() != "etsi-tl/EU/lotl" || p.Seq != 340 || !bytes.Equal(p.Data, o.Data) || !bytes.Equal(p.Hash(), o.Hash()) {
		t.Fatalf("round trip: %+v", p)
	}
	if err := p.Agrees("etsi-tl", "EU", true, 340, o.IssuedAt, o.NextUpdate); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"seq":       p.Agrees("etsi-tl", "EU", true, 341, o.IssuedAt, o.NextUpdate),
		"territory": p.Agrees("etsi-tl", "DE", true, 340, o.IssuedAt, o.NextUpdate),
		"lotl":      p.Agrees("etsi-tl", "EU", false, 340, o.IssuedAt, o.NextUpdate),
		"issued":    p.Agrees("etsi-tl", "EU", true, 340, o.IssuedAt.Add(time.Second), o.NextUpdate),
		"next":      p.Agrees("etsi-tl", "EU", true, 340, o.IssuedAt, time.Time{}),
		"format":    p.Agrees("dccg", "EU", true, 340, o.IssuedAt, o.NextUpdate),
	} {
		if !errors.Is(err, trustlist.ErrMalformed) {
			t.Errorf("%s differs but Agrees said %v", name, err)
		}
	}
}

// Malformed envelopes are refused with ErrMalformed: another kind, a bad
// territory or format, no file, trailing or unknown fields.
func TestForeignObjectRefused(t *testing.T) {
	for name, o := range map[string]trustlist.ForeignObject{
		"territory": {Format: "dccg", Territory: "eu", Data: []byte("x")},
		"format":    {Format: "DCCG!", Territory: "EU", Data: []byte("x")},
		"no file":   {Format: "dccg", Territory: "EU"},
	} {
		if _, err := trustlist.NewForeignObject(o); !errors.Is(err, trustlist.ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	raw := foreignSeed(t).Raw()
	if _, err := trustlist.ParseForeignObject(append(bytes.Clone(raw), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	if trustlist.IsForeignObject([]byte{0xa1, 0x00, 0x64, 'l', 'i', 's', 't'}) {
		t.Error("a map of another kind taken for an envelope")
	}
}

// FuzzParseForeignObject: arbitrary bytes never panic, and whatever parses
// re-encodes to the same bytes.
func FuzzParseForeignObject(f *testing.F) {
	f.Add(foreignSeed(f).Raw())
	f.Add([]byte{0xa1, 0x00, 0x67, 'f', 'o', 'r', 'e', 'i', 'g', 'n'})
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := trustlist.ParseForeignObject(raw)
		if err != nil {
			return
		}
		again, err := trustlist.NewForeignObject(*o)
		if err != nil || !bytes.Equal(again.Raw(), raw) {
			t.Fatalf("a parsed envelope does not re-encode to itself: %v", err)
		}
	})
}
