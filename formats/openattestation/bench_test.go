package openattestation_test

import (
	"context"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/oacore"
	oaissue "github.com/accord-network/accord/issue/openattestation"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/verify"
)

// BenchmarkRecoverRaw is the floor: one secp256k1 public key recovery of an
// EIP-191 signature over a merkle root, plus the address hash.
func BenchmarkRecoverRaw(b *testing.B) {
	key, _ := crypto.GenerateKey()
	root := oacore.Keccak([]byte("root"))
	sigHex, _ := oaissue.SignRoot(key, root)
	sig, _ := openattestation.ParseSignature(sigHex)
	h := oacore.PersonalHash(root)
	b.ReportAllocs()
	for b.Loop() {
		pub, err := crypto.Ecrecover(h[:], sig)
		if err != nil {
			b.Fatal(err)
		}
		_ = crypto.Keccak256(pub[1:])
	}
}

// BenchmarkVerifyEBL verifies one DID-signed e-BL end to end (parse,
// integrity, signature recovery without cache, trust list lookup, issuer
// checks, e-BL shape, summary). Compare with BenchmarkRecoverRaw.
func BenchmarkVerifyEBL(b *testing.B) {
	bt := issueBatch(b, 1, oaissue.IssueOptions{Domain: "hlag.example"}, "hlag.example")
	f := openattestation.NewFormat(0) // no cache: every iteration recovers the signer
	env := &verify.Env{Trust: bt.set, At: time.Now()}
	ctx := context.Background()
	b.SetBytes(int64(len(bt.docs[0])))
	b.ReportAllocs()
	for b.Loop() {
		r, err := f.Verify(ctx, bt.docs[0], env)
		if err != nil || !r.Finish().Valid {
			b.Fatal(err, r.FirstFailure())
		}
	}
}

// BenchmarkVerifyEBLNoSig is BenchmarkVerifyEBL minus the recovery (the
// signature comes from the cache): the cost of everything but secp256k1.
func BenchmarkVerifyEBLNoSig(b *testing.B) {
	bt := issueBatch(b, 1, oaissue.IssueOptions{Domain: "hlag.example"}, "hlag.example")
	f := openattestation.NewFormat(16)
	env := &verify.Env{Trust: bt.set, At: time.Now()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Verify(ctx, bt.docs[0], env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatch1000 verifies 1,000 e-BLs sharing one merkle root; the
// root's signature is recovered once (cache by root). One op = the batch.
func BenchmarkBatch1000(b *testing.B) {
	bt := issueBatch(b, 1000, oaissue.IssueOptions{}, "")
	env := &verify.Env{Trust: bt.set, At: time.Now()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f := openattestation.NewFormat(openattestation.DefaultCacheSize) // a fresh cache per batch: one recovery per op
		for _, d := range bt.docs {
			r, err := f.Verify(ctx, d, env)
			if err != nil || !r.Finish().Valid {
				b.Fatal(err, r.FirstFailure())
			}
		}
	}
}

// BenchmarkBatch1000NoCache is BenchmarkBatch1000 with the signature cache
// off: 1,000 recoveries. The difference is what the cache saves.
func BenchmarkBatch1000NoCache(b *testing.B) {
	bt := issueBatch(b, 1000, oaissue.IssueOptions{}, "")
	env := &verify.Env{Trust: bt.set, At: time.Now()}
	ctx := context.Background()
	f := openattestation.NewFormat(0)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range bt.docs {
			r, err := f.Verify(ctx, d, env)
			if err != nil || !r.Finish().Valid {
				b.Fatal(err, r.FirstFailure())
			}
		}
	}
}

// BenchmarkIntegrity is the integrity check alone (54 leaves, keccak256
// each, sorted digest, merkle fold) of one e-BL.
func BenchmarkIntegrity(b *testing.B) {
	bt := issueBatch(b, 1, oaissue.IssueOptions{}, "")
	d, err := openattestation.Parse(bt.docs[0])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := d.CheckIntegrity(); err != nil {
			b.Fatal(err)
		}
	}
}
