package openattestation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/cputime"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/ojson"
	oaissue "github.com/accord-network/accord/issue/openattestation"
	"github.com/accord-network/accord/trustlist/trustlisttest"

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

// benchBatch is the batch the per-document benchmarks use: 16 e-BLs
// wrapped together, so each carries a 4-step merkle proof as documents of
// a real batch do.
func benchBatch(b *testing.B) issued {
	return issueBatch(b, 16, oaissue.IssueOptions{Domain: "hlag.example"}, "hlag.example")
}

// floor returns the work no verifier of doc can avoid: keccak256 of every
// {"path":salted value} leaf and of the sorted hash list, the merkle proof
// fold, the EIP-191 hash, one secp256k1 recovery and the address hash. The
// inputs to hash are prepared outside the returned function.
func floor(b *testing.B, doc []byte) func() {
	b.Helper()
	d, err := openattestation.Parse(doc)
	if err != nil {
		b.Fatal(err)
	}
	root, err := ojson.Parse(doc)
	if err != nil {
		b.Fatal(err)
	}
	var leaves [][]byte
	var hexes []string
	err = oacore.V2Leaves(root.Get("data"), "", 0, func(path string, leaf *ojson.Value) {
		buf, h := oacore.LeafHash(nil, path, leaf)
		leaves = append(leaves, buf)
		hexes = append(hexes, h)
	})
	if err != nil {
		b.Fatal(err)
	}
	sort.Strings(hexes)
	list := []byte("[")
	for i, h := range hexes {
		if i > 0 {
			list = append(list, ',')
		}
		list = append(list, '"')
		list = append(list, h...)
		list = append(list, '"')
	}
	list = append(list, ']')
	proof := make([]oacore.Hash, len(d.Proof))
	for i, p := range d.Proof {
		proof[i], _ = oacore.ParseHash(p)
	}
	sig, err := openattestation.ParseSignature(d.Issuers[0].Signature)
	if err != nil {
		b.Fatal(err)
	}
	st := oacore.NewKeccakState() // the keccak implementation the verifier uses
	var h oacore.Hash
	sum := func(in []byte) oacore.Hash {
		st.Reset()
		st.Write(in)
		st.Read(h[:])
		return h
	}
	merkleRoot, _ := oacore.ParseHash(d.MerkleRoot)
	return func() {
		for _, l := range leaves {
			sum(l)
		}
		target := sum(list)
		if oacore.FoldProof(target, proof) != merkleRoot {
			b.Fatal("floor: proof does not lead to the root")
		}
		ph := oacore.PersonalHash(merkleRoot)
		pub, err := crypto.Ecrecover(ph[:], sig)
		if err != nil {
			b.Fatal(err)
		}
		sum(pub[1:])
	}
}

// BenchmarkFloor is the floor of BenchmarkVerifyEBL, on the same document:
// the hashing integrity requires plus one ecrecover (see floor). Issue 16
// asks BenchmarkVerifyEBL ≤ 1.5 × BenchmarkFloor.
func BenchmarkFloor(b *testing.B) {
	bt := benchBatch(b)
	fn := floor(b, bt.docs[0])
	b.ReportAllocs()
	for b.Loop() {
		fn()
	}
}

// BenchmarkVerifyEBL verifies one DID-signed e-BL of a 16-document batch end
// to end (parse, unsalt, integrity, signature recovery without cache, trust
// list lookup, issuer checks, e-BL shape, summary). Compare with
// BenchmarkFloor (same document) and BenchmarkRecoverRaw.
func BenchmarkVerifyEBL(b *testing.B) {
	bt := benchBatch(b)
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

// BenchmarkVerifyEBLVsFloor interleaves BenchmarkFloor's work and
// BenchmarkVerifyEBL's on the same document in blocks of 16, so that both
// meet the same machine load, and reports the process CPU time of each per
// document (internal/cputime: user + system, GC included; on a shared
// machine wall time mostly measures the neighbours) and their ratio,
// x-floor, over the whole run, and the median of the blocks' ratios
// (x-floor-median: a block that met a burst of load on one side only moves
// it less). Issue 16 asks for x-floor <= 1.5.
func BenchmarkVerifyEBLVsFloor(b *testing.B) {
	bt := benchBatch(b)
	fn := floor(b, bt.docs[0])
	f := openattestation.NewFormat(0)
	env := &verify.Env{Trust: bt.set, At: time.Now()}
	ctx := context.Background()
	const block = 16
	var tf, tv time.Duration
	var ratios []float64
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		t0 := cputime.Now()
		for range block {
			fn()
		}
		t1 := cputime.Now()
		for range block {
			r, err := f.Verify(ctx, bt.docs[0], env)
			if err != nil || !r.Finish().Valid {
				b.Fatal(err, r.FirstFailure())
			}
		}
		t2 := cputime.Now()
		tf += t1 - t0
		tv += t2 - t1
		if t1 > t0 {
			ratios = append(ratios, float64(t2-t1)/float64(t1-t0))
		}
		n += block
	}
	b.ReportMetric(float64(tf.Nanoseconds())/float64(n), "floor-cpu-ns/doc")
	b.ReportMetric(float64(tv.Nanoseconds())/float64(n), "verify-cpu-ns/doc")
	b.ReportMetric(float64(tv)/float64(tf), "x-floor")
	if len(ratios) > 0 {
		sort.Float64s(ratios)
		b.ReportMetric(ratios[len(ratios)/2], "x-floor-median")
	}
}

// BenchmarkVerifyEBLNoSig is BenchmarkVerifyEBL minus the recovery (the
// signature comes from the cache): the cost of everything but secp256k1.
func BenchmarkVerifyEBLNoSig(b *testing.B) {
	bt := benchBatch(b)
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

// BenchmarkParseIntegrity is parsing plus the integrity check of one e-BL
// of the benchmark batch (JSON, 54 leaf hashes, sorted digest, unsalting,
// merkle fold: Parse hashes the salted fields before it unsalts them), the
// part of BenchmarkVerifyEBL before the signature. Compare with
// BenchmarkFloor minus BenchmarkRecoverRaw.
func BenchmarkParseIntegrity(b *testing.B) {
	bt := benchBatch(b)
	b.ReportAllocs()
	for b.Loop() {
		d, err := openattestation.Parse(bt.docs[0])
		if err != nil {
			b.Fatal(err)
		}
		if err := d.CheckIntegrity(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSideBySide verifies the same 64 documents (four batches of 16,
// DID-signed) with TradeTrust's own verifier, @govtechsg/oa-verify 9.4.0
// under node (testdata/interop/oa-verify-bench.js: integrity and DID
// signature fragments, offline DID resolution), and with ours (the whole
// verification, trust list lookup and e-BL checks included, signature cache
// off, and as shipped with it on), one thread each; issue 16 asks for ≥ 50×.
// Skips without node and .ci/node_modules.
//
// How it is measured: each iteration starts one node process, which loads
// oa-verify, verifies every document nodeWarm times untimed (so V8 has
// compiled the hot code; process start and module loading are never
// counted), then nodeRounds times timed, and prints its CPU time (user +
// system of the whole process: JIT and GC threads included, as ours
// includes Go's GC) and its wall time per document. Right after it, in the
// same iteration and so under the same machine load, ours verifies the same
// documents one warm-up round untimed, then oursRounds rounds timed, and
// takes this process's CPU time (internal/cputime) per document; then the
// floor of each document (see floor) as many times. The
// figures are averaged over the iterations; x-faster-cpu is the CPU time
// ratio, the steady one on a shared machine (x-faster, by wall time, also
// counts waiting for a core).
func BenchmarkSideBySide(b *testing.B) {
	mods := nodeModules(b)
	const batches, perBatch = 4, 16
	const nodeWarm, nodeRounds, oursRounds = 3, 5, 40
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	var docs [][]byte
	for i := 0; i < batches; i++ {
		var raws [][]byte
		for j := 0; j < perBatch; j++ {
			raws = append(raws, variant(b, fmt.Sprintf("HHL7%07d", i*perBatch+j)))
		}
		out, err := oaissue.IssueEBL(key, raws, oaissue.IssueOptions{Domain: "hlag.example"})
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, out...)
	}
	dir := b.TempDir()
	args := []string{strconv.Itoa(nodeRounds), strconv.Itoa(nodeWarm)}
	for i, d := range docs {
		p := filepath.Join(dir, strconv.Itoa(i)+".json")
		if err := os.WriteFile(p, d, 0o600); err != nil {
			b.Fatal(err)
		}
		args = append(args, p)
	}
	set := trustlisttest.TrustOne(b, "DE", ethEntry(b, oaissue.AddressOf(key).Hex(), "Hapag-Lloyd AG", "hlag.example"))
	env := &verify.Env{Trust: set, At: time.Now()}
	ctx := context.Background()
	verifyAll := func(f *openattestation.Format) {
		for _, d := range docs {
			r, err := f.Verify(ctx, d, env)
			if err != nil || !r.Finish().Valid {
				b.Fatal(err, r.FirstFailure())
			}
		}
	}
	floors := make([]func(), len(docs))
	for i, d := range docs {
		floors[i] = floor(b, d)
	}
	script, _ := filepath.Abs("testdata/interop/oa-verify-bench.js")
	var theirs, theirsCPU, ours, oursCPU, cachedCPU, floorCPU float64
	n := float64(oursRounds * len(docs))
	for b.Loop() {
		cmd := exec.Command("node", append([]string{script}, args...)...)
		cmd.Env = append(os.Environ(), "ACCORD_NODE_MODULES="+mods)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("node: %v: %s", err, stderr.String())
		}
		var res struct {
			NsPerDoc    float64 `json:"ns_per_doc"`
			CPUNsPerDoc float64 `json:"cpu_ns_per_doc"`
		}
		if err := json.Unmarshal(out, &res); err != nil || res.NsPerDoc <= 0 || res.CPUNsPerDoc <= 0 {
			b.Fatalf("node output %q: %v", out, err)
		}
		theirs += res.NsPerDoc
		theirsCPU += res.CPUNsPerDoc

		// Ours, signature cache off: one recovery per document, as
		// oa-verify does.
		f := openattestation.NewFormat(0)
		verifyAll(f) // warm-up
		start, cpu0 := time.Now(), cputime.Now()
		for range oursRounds {
			verifyAll(f)
		}
		ours += float64(time.Since(start).Nanoseconds()) / n
		oursCPU += float64((cputime.Now() - cpu0).Nanoseconds()) / n

		// As shipped: the registered format caches (merkle root,
		// signature) → signer, so a batch of 16 costs one recovery; a
		// fresh cache each round.
		cpu0 = cputime.Now()
		for range oursRounds {
			verifyAll(openattestation.NewFormat(openattestation.DefaultCacheSize))
		}
		cachedCPU += float64((cputime.Now() - cpu0).Nanoseconds()) / n

		// The floor of the same documents (see floor): what no verifier
		// can avoid, so theirs/floor bounds the speed-up any verifier
		// could show here.
		cpu0 = cputime.Now()
		for range oursRounds {
			for _, fn := range floors {
				fn()
			}
		}
		floorCPU += float64((cputime.Now() - cpu0).Nanoseconds()) / n
	}
	k := float64(b.N)
	theirs, theirsCPU, ours, oursCPU, cachedCPU, floorCPU = theirs/k, theirsCPU/k, ours/k, oursCPU/k, cachedCPU/k, floorCPU/k
	b.ReportMetric(ours, "ours-ns/doc")
	b.ReportMetric(theirs, "oa-verify-ns/doc")
	b.ReportMetric(theirs/ours, "x-faster")
	b.ReportMetric(oursCPU, "ours-cpu-ns/doc")
	b.ReportMetric(theirsCPU, "oa-verify-cpu-ns/doc")
	b.ReportMetric(theirsCPU/oursCPU, "x-faster-cpu")
	b.ReportMetric(cachedCPU, "ours-cached-cpu-ns/doc")
	b.ReportMetric(theirsCPU/cachedCPU, "x-faster-cached-cpu")
	b.ReportMetric(floorCPU, "floor-cpu-ns/doc")
	b.ReportMetric(theirsCPU/floorCPU, "x-faster-floor-cpu")
}

// BenchmarkParseJSON is the JSON parse alone of the benchmark e-BL (the
// recycled slab Verify parses into), the first step of BenchmarkVerifyEBL.
func BenchmarkParseJSON(b *testing.B) {
	bt := benchBatch(b)
	sl := ojson.NewRecyclingSlab()
	b.SetBytes(int64(len(bt.docs[0])))
	b.ReportAllocs()
	var cpu0 = cputime.Now()
	for b.Loop() {
		if _, _, err := sl.ParseText(bt.docs[0]); err != nil {
			b.Fatal(err)
		}
		sl.Reset()
	}
	b.ReportMetric(float64((cputime.Now()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
