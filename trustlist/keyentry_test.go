package trustlist

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"
)

// A brainpool CA (Germany's CSCA, explicit brainpoolP512r1 parameters, which
// crypto/x509 refuses) can be listed, survives the wire, and its
// certificate is available lazily after decoding.
func TestBrainpoolCAEntry(t *testing.T) {
	der, err := os.ReadFile("../../shared/fixtures/icao-masterlist/icao-ml-tools/csca-germany_05-2019_self_signed.cer")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("shared fixtures absent: skipping the real brainpool CSCA")
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Log("crypto/x509 now accepts the German CSCA")
	}
	e, err := NewX509Entry(der, true, []DocType{"icao-csca"}, "")
	if err != nil {
		t.Fatal(err)
	}
	e.Country = "DE"
	e.Source = &Provenance{Format: "icao-ml", FileSHA256: make([]byte, 32), Signer: "CSCA Master List Signer", Signature: SourceVerified,
		Issued: time.Date(2021, 3, 15, 0, 0, 0, 0, time.UTC)}
	back, err := entryFromWire(e.wire())
	if err != nil {
		t.Fatal(err)
	}
	c := back.Certificate()
	if c == nil || c.Subject.CommonName != "csca-germany" {
		t.Fatalf("certificate after the wire: %v", c)
	}
	if back.Country != "DE" || back.Source == nil || !back.Source.Issued.Equal(e.Source.Issued) || back.Source.Signer != e.Source.Signer {
		t.Fatalf("country/provenance lost: %+v", back.Source)
	}
	if back.PublicKey() == nil {
		t.Fatal("no public key")
	}
}

func TestSPKIEntry(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spki, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	now := time.Now()
	e, err := NewSPKIEntry(spki, []byte("source-kid"), []DocType{DocHCert}, "CH key", now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	back, err := entryFromWire(e.wire())
	if err != nil {
		t.Fatal(err)
	}
	if pk, ok := back.PublicKey().(*ecdsa.PublicKey); !ok || !pk.Equal(&k.PublicKey) {
		t.Fatal("public key lost")
	}
	bad := *e
	bad.Thumbprint = append([]byte(nil), e.Thumbprint...)
	bad.Thumbprint[0] ^= 1
	if bad.check() == nil {
		t.Fatal("a wrong thumbprint was accepted")
	}
	bad = *e
	bad.KID = nil
	if bad.check() == nil {
		t.Fatal("an empty kid was accepted")
	}
	if _, err := NewSPKIEntry([]byte{0x30, 0}, []byte("k"), []DocType{DocHCert}, "x", now, now); err == nil {
		t.Fatal("an empty SPKI was accepted")
	}
}

func TestTrustEcosystemCountryCodes(t *testing.T) {
	for _, cc := range []string{"XK", "EU", "UN", "DE"} {
		if !ValidCountry(cc) {
			t.Errorf("%s refused", cc)
		}
	}
	for _, cc := range []string{"ZZ", "XX", "de", "EUR", "AA", "A", "", "AD\x00", "ZW ", "ZX"} {
		if ValidCountry(cc) {
			t.Errorf("%q accepted", cc)
		}
	}
	// Exactly the 249 officially assigned codes and XK, EU, UN; the first
	// and last of the table.
	n := 0
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			if ValidCountry(string([]rune{a, b})) {
				n++
			}
		}
	}
	if n != 249+3 || !ValidCountry("AD") || !ValidCountry("ZW") {
		t.Errorf("%d codes accepted, want 252 (AD %v, ZW %v)", n, ValidCountry("AD"), ValidCountry("ZW"))
	}
}

// The DE gateway list's DSCs with negative serial numbers (crypto/x509
// refuses them) are listed, and their certificate is there for verifiers.
func TestNegativeSerialDSCEntry(t *testing.T) {
	b, err := os.ReadFile("../../shared/fixtures/dcc-trustlists/trustlist_de.json")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("shared fixtures absent: skipping the real DSCs")
	}
	if err != nil {
		t.Fatal(err)
	}
	var l struct{ Certificates []struct{ RawData string } }
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range l.Certificates {
		der, _ := base64.StdEncoding.DecodeString(it.RawData)
		if _, err := x509.ParseCertificate(der); err == nil {
			continue
		}
		e, err := NewX509Entry(der, false, []DocType{DocHCert}, "")
		if err != nil {
			t.Fatalf("refused by crypto/x509 and by Accord: %v", err)
		}
		back, err := entryFromWire(e.wire())
		if err != nil {
			t.Fatal(err)
		}
		c := back.Certificate()
		if c == nil || c.SerialNumber.Sign() >= 0 || c.PublicKey == nil {
			t.Fatalf("certificate after the wire: %+v", c)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no DSC in the real list is refused by crypto/x509 any more; pick another vector")
	}
	t.Logf("%d DSCs crypto/x509 refuses are listed", n)
}

// dcc_types (field 16): distinct t, v, r in that order, on spki entries
// only, and kept through the wire.
func TestDCCTypesField(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spki, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	now := time.Now()
	e, err := NewSPKIEntry(spki, []byte("ch-kid"), []DocType{DocHCert}, "CH key", now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	e.DCCTypes = []string{"t", "v"}
	if err := e.check(); err != nil {
		t.Fatal(err)
	}
	back, err := entryFromWire(e.wire())
	if err != nil || len(back.DCCTypes) != 2 || back.DCCTypes[0] != "t" || back.DCCTypes[1] != "v" {
		t.Fatalf("round trip: %v %v", back, err)
	}
	for _, bad := range [][]string{{"v", "t"}, {"t", "t"}, {"x"}, {"tv"}, {""}} {
		e.DCCTypes = bad
		if e.check() == nil {
			t.Errorf("dcc_types %q accepted", bad)
		}
	}
	der, _ := os.ReadFile("../../shared/fixtures/icao-masterlist/icao-ml-tools/csca-germany_05-2019_self_signed.cer")
	if der != nil {
		x, err := NewX509Entry(der, true, []DocType{"icao-csca"}, "")
		if err != nil {
			t.Fatal(err)
		}
		x.DCCTypes = []string{"v"}
		if x.check() == nil {
			t.Error("dcc_types accepted on an x509 entry")
		}
	}
}

// derSequenceOracle is the check oneDERSequence replaced.
func derSequenceOracle(b []byte) bool {
	var rv asn1.RawValue
	rest, err := asn1.Unmarshal(b, &rv)
	return err == nil && len(rest) == 0 && rv.Tag == asn1.TagSequence && rv.IsCompound
}

func derSequenceSeeds() [][]byte {
	long := append([]byte{0x30, 0x81, 0x80}, make([]byte, 0x80)...)
	return [][]byte{nil, {0x30}, {0x30, 0x00}, {0x30, 0x01, 0x05}, {0x31, 0x00}, {0x10, 0x00}, {0xb0, 0x00}, {0x70, 0x00},
		{0x30, 0x80, 0x00, 0x00}, {0x30, 0x81, 0x01, 0x00}, {0x30, 0x82, 0x00, 0x01, 0x00}, {0x3f, 0x10, 0x00}, {0x30, 0x02, 0x05},
		{0x30, 0x00, 0x00}, long, long[:len(long)-1], {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff}, {0x30, 0x85, 0x01, 0, 0, 0, 0}}
}

// TestOneDERSequence pins oneDERSequence to asn1.Unmarshal's verdict.
func TestOneDERSequence(t *testing.T) {
	for _, b := range derSequenceSeeds() {
		if got, want := oneDERSequence(b), derSequenceOracle(b); got != want {
			t.Errorf("oneDERSequence(%x) = %v, asn1 says %v", b, got, want)
		}
	}
}

// FuzzOneDERSequence: oneDERSequence agrees with asn1.Unmarshal on any input.
func FuzzOneDERSequence(f *testing.F) {
	for _, b := range derSequenceSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := oneDERSequence(b), derSequenceOracle(b); got != want {
			t.Fatalf("oneDERSequence(%x) = %v, asn1 says %v", b, got, want)
		}
	})
}
