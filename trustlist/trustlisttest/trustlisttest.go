// Package trustlisttest builds real, signed anchors and trust lists for tests
// of packages that consume trust lists. Nothing in it is mocked: descriptors
// and lists are signed with freshly generated keys and admitted by a
// trustlist.Set exactly as in production.
package trustlisttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/cputime"
	"github.com/accord-network/accord/trustlist"
)

// Anchor is a test trust anchor with one P-256 key and threshold 1.
type Anchor struct {
	Country    string
	Key        *trustlist.PrivateKey
	Descriptor *trustlist.Descriptor
	Lists      []*trustlist.List
}

// NewAnchor creates an anchor for country with a signed descriptor v1.
func NewAnchor(t testing.TB, country string) *Anchor {
	t.Helper()
	k, err := trustlist.GenerateKey(trustlist.AlgES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := trustlist.SignDescriptor(&trustlist.Descriptor{Country: country, Name: "Test anchor " + country, Version: 1,
		Threshold: 1, Keys: []*trustlist.PublicKey{k.Public()}, IssuedAt: time.Now().Add(-time.Hour)}, []*trustlist.PrivateKey{k})
	if err != nil {
		t.Fatal(err)
	}
	return &Anchor{Country: country, Key: k, Descriptor: d}
}

// SignList signs the next list of the anchor (seq and prev follow the last
// one signed), issued an hour before issuedAt's zero value (now), valid for validFor.
func (a *Anchor) SignList(t testing.TB, issuedAt time.Time, validFor time.Duration, entries ...*trustlist.Entry) *trustlist.List {
	t.Helper()
	if issuedAt.IsZero() {
		issuedAt = time.Now().Add(-time.Hour)
	}
	l := &trustlist.List{Country: a.Country, DescriptorVersion: 1, Seq: uint64(len(a.Lists) + 1), IssuedAt: issuedAt.UTC().Truncate(time.Second),
		NextUpdate: issuedAt.Add(validFor).UTC().Truncate(time.Second), Entries: entries}
	if n := len(a.Lists); n > 0 {
		l.Prev = a.Lists[n-1].Hash()
	}
	sl, err := trustlist.SignList(l, []*trustlist.PrivateKey{a.Key})
	if err != nil {
		t.Fatal(err)
	}
	a.Lists = append(a.Lists, sl)
	return sl
}

// Set returns a Set that pins each anchor and accepts its lists, in order.
// It fails the test if anything is refused. Lists are accepted as of their
// own issue time, so old fixtures load too.
func Set(t testing.TB, anchors ...*Anchor) *trustlist.Set {
	t.Helper()
	s := trustlist.NewSet(trustlist.DefaultPolicy())
	for _, a := range anchors {
		if _, err := s.Pin(a.Descriptor.Raw()); err != nil {
			t.Fatal(err)
		}
		for _, l := range a.Lists {
			if d := s.Accept(l.Raw(), l.IssuedAt); d.Err() != nil {
				t.Fatal(d.Err())
			}
		}
	}
	return s
}

// TrustOne is the shortest path for a format test: one anchor for country
// whose single list (valid for a year from an hour ago) holds entries.
func TrustOne(t testing.TB, country string, entries ...*trustlist.Entry) *trustlist.Set {
	t.Helper()
	a := NewAnchor(t, country)
	a.SignList(t, time.Time{}, 365*24*time.Hour, entries...)
	return Set(t, a)
}

// Must returns v, or panics on err. For test setup, where any error is a bug
// in the test itself; the panic fails the test with a stack trace.
func Must[T any](v T, err error) T {
	if err != nil {
		panic("trustlisttest.Must: " + err.Error())
	}
	return v
}

// CertOptions describe a test certificate.
type CertOptions struct {
	CommonName         string
	Country            string
	NotBefore          time.Time // default: a day ago
	NotAfter           time.Time // default: a year from now
	IsCA               bool
	ExtKeyUsage        []x509.ExtKeyUsage
	UnknownExtKeyUsage []asn1.ObjectIdentifier
	// Parent and ParentKey sign the certificate; nil means self-signed.
	Parent    *x509.Certificate
	ParentKey *ecdsa.PrivateKey
}

// Cert makes a P-256 certificate and its key.
func Cert(t testing.TB, o CertOptions) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-24 * time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: o.CommonName, Country: []string{o.Country}},
		NotBefore: o.NotBefore, NotAfter: o.NotAfter, ExtKeyUsage: o.ExtKeyUsage,
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: o.IsCA,
	}
	tmpl.UnknownExtKeyUsage = append(tmpl.UnknownExtKeyUsage, o.UnknownExtKeyUsage...)
	if o.IsCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	parent, pkey := tmpl, key
	if o.Parent != nil {
		parent, pkey = o.Parent, o.ParentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, pkey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// SignatureFloor returns the CPU time (internal/cputime) of the signature
// checks that accepting lists cannot avoid: a SHA-256 over each encoded
// list and one P-256 verify each. Benchmarks report it beside the cost of
// a whole import measured in the same run.
func SignatureFloor(tb testing.TB, lists [][]byte) time.Duration {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	sigs := make([][]byte, len(lists))
	for i, raw := range lists {
		h := sha256.Sum256(raw)
		if sigs[i], err = ecdsa.SignASN1(rand.Reader, k, h[:]); err != nil {
			tb.Fatal(err)
		}
	}
	start := cputime.Now()
	for i, raw := range lists {
		h := sha256.Sum256(raw)
		if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sigs[i]) {
			tb.Fatal("verify")
		}
	}
	return cputime.Now() - start
}
