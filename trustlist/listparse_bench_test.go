package trustlist

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/cputime"
)

// benchList is a signed list of n eth entries under a one-key ES256
// descriptor, as BenchmarkParseVerifyList1000 (package trustlist_test) makes.
func benchList(b *testing.B, n int) (*Descriptor, *List) {
	return benchListOf(b, n, func(i int, at time.Time) (*Entry, error) { return benchEthEntry("NL", i, at) })
}

// benchEthEntry is the i-th of a benchmark's eth entries (address from
// seed and i), valid for a year from at. The external benchmarks use it
// too (BenchEthEntry, export_test.go).
func benchEthEntry(seed string, i int, at time.Time) (*Entry, error) {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(i))
	h := sha256.Sum256(append([]byte(seed), buf[:]...))
	return NewEthEntry(h[:20], []DocType{DocOA}, fmt.Sprintf("Issuer %d", i), "", at.Add(-time.Hour), at.Add(24*time.Hour*365))
}

// benchX509List is a signed list of n x509 entries (distinct P-256
// certificates of about 400 bytes, as DSCs are), under the same descriptor.
func benchX509List(b *testing.B, n int) (*Descriptor, *List) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return benchListOf(b, n, func(i int, at time.Time) (*Entry, error) {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{Country: []string{"NL"}, CommonName: fmt.Sprintf("DSC %d", i)},
			NotBefore: at.Add(-time.Hour), NotAfter: at.Add(24 * time.Hour * 365)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			return nil, err
		}
		return NewX509Entry(der, false, []DocType{DocHCert}, "")
	})
}

// benchCOSEKeyList is a signed list of n cose_key entries (distinct P-256
// keys, 77-byte COSE_Keys), under the same descriptor.
func benchCOSEKeyList(b *testing.B, n int) (*Descriptor, *List) {
	return benchListOf(b, n, func(i int, at time.Time) (*Entry, error) {
		k, err := GenerateKey(AlgES256, nil)
		if err != nil {
			return nil, err
		}
		return NewCOSEKeyEntry(k.Public(), []DocType{DocHCert}, fmt.Sprintf("Issuer %d", i), at.Add(-time.Hour), at.Add(24*time.Hour*365))
	})
}

func benchListOf(b *testing.B, n int, entry func(i int, at time.Time) (*Entry, error)) (*Descriptor, *List) {
	at := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	k, err := GenerateKey(AlgES256, nil)
	if err != nil {
		b.Fatal(err)
	}
	d, err := SignDescriptor(&Descriptor{Country: "NL", Name: "NL anchor", Version: 1, Threshold: 1, Keys: []*PublicKey{k.Public()}, IssuedAt: at}, []*PrivateKey{k})
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]*Entry, n)
	for i := range entries {
		if entries[i], err = entry(i, at); err != nil {
			b.Fatal(err)
		}
	}
	l, err := SignList(&List{Country: "NL", DescriptorVersion: 1, Seq: 1, IssuedAt: at, NextUpdate: at.Add(time.Hour), Entries: entries}, []*PrivateKey{k})
	if err != nil {
		b.Fatal(err)
	}
	return d, l
}

// reportCPU starts measuring the process's CPU time; call the returned
// function after the loop to report it as cpu-ns/op. The external
// benchmarks use it too (ReportCPU, export_test.go).
func reportCPU(b *testing.B) func() {
	start := cputime.Now()
	return func() { b.ReportMetric(float64(cputime.Now()-start)/float64(b.N), "cpu-ns/op") }
}

// BenchmarkAcceptParseVerifyList1000 is what Set.Accept does with a list
// before its chain checks: decode the COSE envelope and the payload in its
// deterministic encoding, check every entry (spec/trustlist.md §1.3) and
// that no (kind, kid) is listed twice, hash the payload, verify the
// signatures. Entries are not built (a list that becomes a head builds
// them for the index: BenchmarkAcceptParseVerifyBuildList1000). Compare
// with BenchmarkParseVerifyList1000Floor (package trustlist_test).
func BenchmarkAcceptParseVerifyList1000(b *testing.B) {
	d, l := benchList(b, 1000)
	benchAccept(b, d, l, false)
}

// BenchmarkAcceptParseVerifyBuildList1000 is BenchmarkAcceptParseVerifyList1000
// for a list that becomes its anchor's head: its entries are built too.
func BenchmarkAcceptParseVerifyBuildList1000(b *testing.B) {
	d, l := benchList(b, 1000)
	benchAccept(b, d, l, true)
}

// benchAccept runs the acceptance parse and signature check of list l
// under descriptor d b.N times, building its 1,000 entries too if build.
func benchAccept(b *testing.B, d *Descriptor, l *List, build bool) {
	raw := l.Raw()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		p, err := parseList(raw, nil, true)
		if err != nil || p.Verify(d) != nil {
			b.Fatal(err)
		}
		n := p.entryCount()
		if build {
			n = len(p.entries())
		}
		if n != 1000 {
			b.Fatalf("%d entries", n)
		}
	}
}

// BenchmarkAcceptParseVerifyX509List1000 is BenchmarkAcceptParseVerifyList1000
// for a list of 1,000 certificates: each entry's kid and thumbprint are
// checked against SHA-256 of its certificate (spec/trustlist.md §1.3), a
// second pass over most of the list's bytes that the floor does not make.
// Its floor: BenchmarkAcceptParseVerifyX509List1000Floor.
func BenchmarkAcceptParseVerifyX509List1000(b *testing.B) {
	d, l := benchX509List(b, 1000)
	benchAccept(b, d, l, false)
}

// BenchmarkAcceptParseVerifyX509List1000Floor is the signature check of that
// list alone: SHA-256 over the whole signed list and one raw P-256 verify.
func BenchmarkAcceptParseVerifyX509List1000Floor(b *testing.B) {
	_, l := benchX509List(b, 1000)
	benchSignatureFloor(b, l.Raw())
}

// BenchmarkAcceptParseVerifyCOSEKeyList1000 is BenchmarkAcceptParseVerifyList1000
// for a list of 1,000 cose_key entries: each entry's key must be a canonical
// COSE_Key of a valid P-256 point, and its kid and thumbprint SHA-256 of it.
// Its floor: BenchmarkAcceptParseVerifyCOSEKeyList1000Floor.
func BenchmarkAcceptParseVerifyCOSEKeyList1000(b *testing.B) {
	d, l := benchCOSEKeyList(b, 1000)
	benchAccept(b, d, l, false)
}

// BenchmarkAcceptParseVerifyCOSEKeyList1000Floor is the signature check of
// that list alone: SHA-256 over the whole signed list and one raw P-256 verify.
func BenchmarkAcceptParseVerifyCOSEKeyList1000Floor(b *testing.B) {
	_, l := benchCOSEKeyList(b, 1000)
	benchSignatureFloor(b, l.Raw())
}

// benchSignatureFloor is the floor of a list's parse and verify, measured in
// the same run (spec/trustlist.md §3.3, cost): its signature checks alone,
// SHA-256 over the signed bytes (the whole encoded list, raw, a little more
// than the Sig_structure an ES256 signature covers) and one raw P-256 verify
// (the anchor's one ES256 key). The external benchmarks use it too
// (BenchSignatureFloor).
func benchSignatureFloor(b *testing.B, raw []byte) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h := sha256.Sum256(raw)
	sig, _ := ecdsa.SignASN1(rand.Reader, k, h[:])
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		h := sha256.Sum256(raw)
		if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
			b.Fatal("verify")
		}
	}
}

// BenchmarkListPayloadWalk1000 is the acceptance path's reading of a
// 1,000-entry payload alone: decoding, the canonical-form check, every
// entry's checks and their uniqueness, without the envelope, the hashes
// or the signature.
func BenchmarkListPayloadWalk1000(b *testing.B) {
	_, l := benchList(b, 1000)
	p := l.Payload()
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		var offs entryOffsets
		if _, err := decodeListPayload(p, &offs); err != nil || offs.err != nil || len(offs.offs) != 1000 {
			b.Fatal(err, offs.err)
		}
		offs.uniq.release()
	}
}

// The ratio benchmarks alternate the acceptance parse and signature check of
// a list with its floor (benchSignatureFloor's work) in each iteration, and report
// the CPU time of each and their ratio: on a loaded machine both then see
// the same load, where separate benchmarks run minutes apart may not.
func BenchmarkAcceptRatioList1000(b *testing.B) {
	d, l := benchList(b, 1000)
	benchRatio(b, d, l)
}

// BenchmarkAcceptRatioX509List1000 is BenchmarkAcceptRatioList1000 for a
// list of 1,000 certificates.
func BenchmarkAcceptRatioX509List1000(b *testing.B) {
	d, l := benchX509List(b, 1000)
	benchRatio(b, d, l)
}

// BenchmarkAcceptRatioCOSEKeyList1000 is BenchmarkAcceptRatioList1000 for
// a list of 1,000 P-256 cose_key entries.
func BenchmarkAcceptRatioCOSEKeyList1000(b *testing.B) {
	d, l := benchCOSEKeyList(b, 1000)
	benchRatio(b, d, l)
}

func benchRatio(b *testing.B, d *Descriptor, l *List) {
	raw := l.Raw()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h := sha256.Sum256(raw)
	sig, _ := ecdsa.SignASN1(rand.Reader, k, h[:])
	var accept, floor time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := cputime.Now()
		p, err := parseList(raw, nil, true)
		if err != nil || p.Verify(d) != nil || p.entryCount() != 1000 {
			b.Fatal(err)
		}
		t1 := cputime.Now()
		h := sha256.Sum256(raw)
		if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
			b.Fatal("verify")
		}
		t2 := cputime.Now()
		accept += t1 - t0
		floor += t2 - t1
	}
	b.ReportMetric(float64(accept)/float64(b.N), "accept-cpu-ns/op")
	b.ReportMetric(float64(floor)/float64(b.N), "floor-cpu-ns/op")
	b.ReportMetric(float64(accept)/float64(floor), "x-floor")
}
