package vc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/cputime"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// Benchmarks of ecdsa-sd-2023 verification beside their floors, measured
// in the same run: one P-256 signature verification and one SHA-256 of the
// credential. A credential needs one P-256 verification per non-mandatory
// statement plus the base signature, and two RDF canonicalizations.

func BenchmarkFloorP256Verify(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	msg := []byte("_:u0 <https://example.org/p> \"v\" .\n")
	h := sha256.Sum256(msg)
	sig, _ := ecdsa.SignASN1(rand.Reader, k, h[:])
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
			b.Fatal("floor signature does not verify")
		}
	}
}

func BenchmarkFloorSHA256Credential(b *testing.B) {
	in := w3cVector(b, "derivedRevealDocument.json")
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		sha256.Sum256(in)
	}
}

// BenchmarkCanonicalizeDerived: JSON-LD expansion and RDFC-1.0 of the W3C
// derived credential (20 statements), the cost the signatures do not set.
func BenchmarkCanonicalizeDerived(b *testing.B) {
	c := mustParse(b, w3cVector(b, "derivedRevealDocument.json"))
	doc := c.unsecured()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := canonicalize(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyDerivedW3C: the W3C derived credential's checks (6
// statement signatures and the base signature).
func BenchmarkVerifyDerivedW3C(b *testing.B) {
	in := w3cVector(b, "derivedRevealDocument.json")
	c := mustParse(b, in)
	key, err := didKeyP256(c.Proofs[0].VerificationMethod)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c := mustParse(b, in)
		d, _, err := c.sdPrepare(c.Proofs[0])
		if err != nil || d.checkBase(key) != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyListedCredential: a whole verify.Verify of a base
// credential (7 statements) by a listed did:key issuer.
func BenchmarkVerifyListedCredential(b *testing.B) {
	is := newDIDKeyIssuer(b)
	in := signBase(b, testCredential(is.did), is.key, is.vm)
	v := verify.New(trustlisttest.TrustOne(b, "SG", is.entry(b, is.vm, &is.key.PublicKey, trustlist.DocVC)), verify.Options{})
	b.ReportAllocs()
	for b.Loop() {
		r, err := v.Verify(b.Context(), in)
		if err != nil || !r.Valid {
			b.Fatalf("%v %+v", err, r.FirstFailure())
		}
	}
}

// BenchmarkVerifyStatusListCredential: a whole verify.Verify of a
// credential whose status is a bit of a list fetched online, after the
// first fetch, beside the same credential without a status and the floor,
// one P-256 verification, all in process CPU time from the same run. The
// list is fetched and prepared once per run, so it costs each credential
// its issuer signature check (one P-256 verification) and the bit lookup;
// the status entry's own 5 statements add 5 statement signatures.
// Reported: cpu-ns/op (with status), plain-cpu-ns, floor-cpu-ns, and
// overhead-floors = (with status - plain) / floor.
func BenchmarkVerifyStatusListCredential(b *testing.B) {
	f := newStatusFixture(b)
	is := f.is
	url := f.list("/bench", StatusBitstring, "revocation", encodeList(b, MinStatusListBits, true, 3), inAYear)
	in := signBase(b, statusCredential(StatusBitstring, is.did, url, "revocation", 4), is.key, is.vm)
	plain := signBase(b, testCredential(is.did), is.key, is.vm)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h := sha256.Sum256(in)
	sig, _ := ecdsa.SignASN1(rand.Reader, k, h[:])
	run := func(doc []byte) {
		r, err := f.verify.Verify(b.Context(), doc)
		if err != nil || !r.Valid {
			b.Fatalf("%v %+v", err, r.FirstFailure())
		}
	}
	var withStatus, without, floor time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := cputime.Now()
		run(in)
		t1 := cputime.Now()
		run(plain)
		t2 := cputime.Now()
		if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
			b.Fatal("floor")
		}
		t3 := cputime.Now()
		withStatus, without, floor = withStatus+t1-t0, without+t2-t1, floor+t3-t2
	}
	n := float64(b.N)
	b.ReportMetric(float64(withStatus.Nanoseconds())/n, "cpu-ns/op")
	b.ReportMetric(float64(without.Nanoseconds())/n, "plain-cpu-ns")
	b.ReportMetric(float64(floor.Nanoseconds())/n, "floor-cpu-ns")
	if floor > 0 {
		b.ReportMetric(float64(withStatus-without)/float64(floor), "overhead-floors")
	}
	if f.fetch.Fetches() != 1 {
		b.Fatalf("%d fetches", f.fetch.Fetches())
	}
}
