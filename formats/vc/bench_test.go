package vc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

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

// BenchmarkVerifyStatusListCredential: the same whole verify.Verify of a
// credential whose status is a bit of a list fetched online, after the
// first fetch: the list is fetched and prepared once per run, so the list
// costs each credential its issuer signature check (one P-256
// verification) and the bit lookup; the status entry's own 5 statements
// add 5 statement signatures to BenchmarkVerifyListedCredential's.
func BenchmarkVerifyStatusListCredential(b *testing.B) {
	f := newStatusFixture(b)
	is := f.is
	url := f.list("/bench", StatusBitstring, "revocation", encodeList(b, MinStatusListBits, true, 3), inAYear)
	in := signBase(b, statusCredential(StatusBitstring, is.did, url, "revocation", 4), is.key, is.vm)
	b.ReportAllocs()
	for b.Loop() {
		r, err := f.verify.Verify(b.Context(), in)
		if err != nil || !r.Valid {
			b.Fatalf("%v %+v", err, r.FirstFailure())
		}
	}
	if f.fetch.Fetches() != 1 {
		b.Fatalf("%d fetches", f.fetch.Fetches())
	}
}
