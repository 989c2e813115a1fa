package openattestation_test

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/ojson"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/internal/evm"
	"github.com/accord-network/accord/internal/titleescrow"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// wrapOnChain wraps n sample e-BLs as one batch issued through a contract
// (field "documentStore" or "tokenRegistry") on chain chainID (0: the
// document names no network, as older TradeTrust documents do).
func wrapOnChain(t testing.TB, n int, field string, addr common.Address, chainID uint64) [][]byte {
	t.Helper()
	var raws []*ojson.Value
	for i := 0; i < n; i++ {
		v, err := ojson.Parse(variant(t, "HHL718000"+strconv.Itoa(10+i)))
		if err != nil {
			t.Fatal(err)
		}
		v.Set("issuers", ojson.NewArray(ojson.NewObject(ojson.M("name", ojson.NewString("Carrier Pte Ltd")), ojson.M(field, ojson.NewString(addr.Hex())),
			ojson.M("identityProof", ojson.NewObject(ojson.M("type", ojson.NewString("DNS-TXT")), ojson.M("location", ojson.NewString("carrier.example")))))))
		if chainID != 0 {
			v.Set("network", ojson.NewObject(ojson.M("chain", ojson.NewString("ETH")), ojson.M("chainId", ojson.NewString(strconv.FormatUint(chainID, 10)))))
		}
		raws = append(raws, v)
	}
	w, err := oacore.WrapV2(raws)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, d := range w {
		out = append(out, ojson.Stringify(d))
	}
	return out
}

func chainVerifier(trust verify.TrustedMaterial, chains verify.ChainReader) *verify.Verifier {
	return verify.New(trust, verify.Options{Formats: []string{openattestation.FormatName}, Chains: chains})
}

func mustVerify(t testing.TB, v *verify.Verifier, doc []byte) *verify.Result {
	t.Helper()
	r, err := v.Verify(context.Background(), doc)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func wantValid(t testing.TB, step string, r *verify.Result) {
	t.Helper()
	if !r.Valid {
		t.Fatalf("%s: not valid: %+v (cannot check: %q)", step, r.FirstFailure(), r.CannotCheck)
	}
}

func wantFailure(t testing.TB, step string, r *verify.Result, check, detail string) {
	t.Helper()
	f := r.FirstFailure()
	if r.Valid || f == nil || f.Name != check || !strings.Contains(f.Detail, detail) {
		t.Fatalf("%s: valid=%v first failure %+v, want %s containing %q", step, r.Valid, f, check, detail)
	}
	if r.CannotCheck != "" {
		t.Fatalf("%s: a definite answer must not be 'cannot check': %q", step, r.CannotCheck)
	}
}

func summary(r *verify.Result, label string) string {
	for _, f := range r.Summary {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

func rootOf(t testing.TB, doc []byte) (root, target [32]byte) {
	d, err := openattestation.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := oacore.ParseHash(d.MerkleRoot)
	g, _ := oacore.ParseHash(d.TargetHash)
	return r, g
}

// TestChainDocumentStore deploys the published DocumentStore on a simulated
// chain and verifies a batch of documents through the JSON-RPC client at
// each step: not yet issued, issued, one revoked, the batch revoked.
func TestChainDocumentStore(t *testing.T) {
	art := documentStoreArtifact(t)
	sim := newSimChain(t)
	id := sim.ChainID.Uint64()
	store := sim.Deploy(art.ABI, art.Bytecode, "Carrier Pte Ltd store", sim.From)
	docs := wrapOnChain(t, 20, "documentStore", store, id)
	root, _ := rootOf(t, docs[0])
	set := trustlisttest.TrustOne(t, "SG", contractEntry(t, id, store, "Carrier Pte Ltd", "carrier.example"))
	reader := sim.Reader(t)
	reader.Window = 250 * time.Millisecond // two cores shared by many tests (and -race): let the batch fill
	v := chainVerifier(set, reader)

	wantFailure(t, "before issue", mustVerify(t, v, docs[0]), verify.CheckSignature, "is not issued in document store "+store.Hex())

	sim.Call(sim.Key, store, art.ABI, "issue", root)
	r := mustVerify(t, v, docs[0])
	wantValid(t, "issued", r)
	if r.Issuer == nil || r.Issuer.Country != "SG" || r.Issuer.Name != "Carrier Pte Ltd" {
		t.Fatalf("issuer %+v", r.Issuer)
	}
	if c := r.Check(openattestation.CheckIssuerDomain); c == nil || c.Status != verify.Pass {
		t.Fatalf("issuer_domain %+v", c)
	}
	if c := r.Check(openattestation.CheckRevocation); c == nil || c.Status != verify.Pass {
		t.Fatalf("revocation %+v", c)
	}

	// Bulk: the whole batch in a few round trips, not one per document.
	before := sim.Proxy.Trips.Load()
	var jobs []verify.Job
	for i, d := range docs {
		jobs = append(jobs, verify.Job{Name: strconv.Itoa(i), Data: d})
	}
	v.VerifyAll(context.Background(), jobs, len(jobs), func(o verify.Outcome) {
		if o.Err != nil || !o.Result.Valid {
			t.Errorf("bulk %s: %v %+v", o.Name, o.Err, o.Result.FirstFailure())
		}
	})
	trips := sim.Proxy.Trips.Load() - before
	t.Logf("bulk: %d documents of one store verified in %d JSON-RPC round trips", len(docs), trips)
	if trips > 2 {
		t.Errorf("bulk verification of %d documents took %d round trips; calls must be batched", len(docs), trips)
	}

	_, target0 := rootOf(t, docs[0])
	sim.Call(sim.Key, store, art.ABI, "revoke", target0)
	wantFailure(t, "one revoked", mustVerify(t, v, docs[0]), openattestation.CheckRevocation, "revoked: the document (target hash)")
	wantValid(t, "sibling of the revoked one", mustVerify(t, v, docs[1]))

	sim.Call(sim.Key, store, art.ABI, "revoke", root)
	wantFailure(t, "batch revoked", mustVerify(t, v, docs[1]), openattestation.CheckRevocation, "whole batch")
}

// TestChainCannotCheck: with no endpoint, an endpoint that is down, or two
// endpoints that disagree (one lies), a chain-backed document is neither
// valid nor called forged: its outcome is "cannot check", naming the
// contract and network.
func TestChainCannotCheck(t *testing.T) {
	art := documentStoreArtifact(t)
	sim := newSimChain(t)
	id := sim.ChainID.Uint64()
	store := sim.Deploy(art.ABI, art.Bytecode, "store", sim.From)
	docs := wrapOnChain(t, 1, "documentStore", store, id)
	root, _ := rootOf(t, docs[0])
	sim.Call(sim.Key, store, art.ABI, "issue", root)
	set := trustlisttest.TrustOne(t, "SG", contractEntry(t, id, store, "Carrier Pte Ltd", "carrier.example"))
	wantCannot := func(step string, r *verify.Result) {
		t.Helper()
		want := "cannot be checked offline: issuance is recorded in document store " + store.Hex() + " on local chain 1337"
		if r.Valid || r.CannotCheck != want || r.FirstFailure() != nil {
			t.Fatalf("%s: valid=%v cannot_check=%q first failure %+v", step, r.Valid, r.CannotCheck, r.FirstFailure())
		}
		if c := r.Check(verify.CheckSignature); c == nil || c.Status != verify.Skip {
			t.Fatalf("%s: signature %+v", step, c)
		}
	}
	wantCannot("no endpoint", mustVerify(t, chainVerifier(set, nil), docs[0]))
	wantCannot("endpoint for another chain only", mustVerify(t, chainVerifier(set, evm.NewReader()), docs[0]))

	honest := sim.Reader(t)
	wantValid(t, "honest endpoint", mustVerify(t, chainVerifier(set, honest), docs[0]))

	sim.Proxy.Down.Store(true)
	wantCannot("endpoint down", mustVerify(t, chainVerifier(set, sim.Reader(t)), docs[0]))
	sim.Proxy.Down.Store(false)

	// A second, lying endpoint for the same chain: the answers disagree.
	liar := &rpcProxy{Upstream: sim.RPC}
	liar.Lie.Store(true)
	lsrv := newProxyServer(t, liar)
	r2, err := evm.Dial(context.Background(), []evm.Endpoint{{ChainID: id, URL: lsrv}})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	wantFailure(t, "single lying endpoint (flips isIssued)", mustVerify(t, chainVerifier(set, r2), docs[0]), verify.CheckSignature, "not issued")
	two, err := evm.Dial(context.Background(), []evm.Endpoint{{ChainID: id, URL: sim.URL}, {ChainID: id, URL: lsrv}})
	if err != nil {
		t.Fatal(err)
	}
	defer two.Close()
	r := mustVerify(t, chainVerifier(set, two), docs[0])
	wantCannot("two endpoints disagree", r)
	if c := r.Check(verify.CheckSignature); !strings.Contains(c.Detail, "different answers") {
		t.Fatalf("disagreement reason: %q", c.Detail)
	}

	// An endpoint that serves another chain than configured is refused.
	docs5 := wrapOnChain(t, 1, "documentStore", store, 0)
	set5 := trustlisttest.TrustOne(t, "SG", contractEntry(t, 5, store, "Carrier Pte Ltd", ""))
	w5, _ := evm.Dial(context.Background(), []evm.Endpoint{{ChainID: 5, URL: sim.URL}})
	defer w5.Close()
	r = mustVerify(t, chainVerifier(set5, w5), docs5[0])
	if r.Valid || !strings.Contains(r.Check(verify.CheckSignature).Detail, "serves chain 1337, not 5") {
		t.Fatalf("wrong chain endpoint: valid=%v %+v", r.Valid, r.Check(verify.CheckSignature))
	}
}

// TestChainListing: the trust list, not the document, says which contract
// on which chain speaks for an issuer.
func TestChainListing(t *testing.T) {
	art := documentStoreArtifact(t)
	sim := newSimChain(t)
	id := sim.ChainID.Uint64()
	store := sim.Deploy(art.ABI, art.Bytecode, "store", sim.From)
	docs := wrapOnChain(t, 1, "documentStore", store, id)
	root, _ := rootOf(t, docs[0])
	sim.Call(sim.Key, store, art.ABI, "issue", root)
	reader := sim.Reader(t)

	other := trustlisttest.TrustOne(t, "SG", contractEntry(t, id, common.HexToAddress("0x1111111111111111111111111111111111111111"), "Other", ""))
	wantFailure(t, "store not listed", mustVerify(t, chainVerifier(other, reader), docs[0]), verify.CheckIssuerTrusted, "not in any admitted trust list (unknown issuer)")

	elsewhere := trustlisttest.TrustOne(t, "SG", contractEntry(t, 11155111, store, "Carrier Pte Ltd", ""))
	wantFailure(t, "listed on another chain", mustVerify(t, chainVerifier(elsewhere, reader), docs[0]), verify.CheckIssuerTrusted, "lists document store "+store.Hex()+" on Sepolia")

	wrongDomain := trustlisttest.TrustOne(t, "SG", contractEntry(t, id, store, "Carrier Pte Ltd", "other.example"))
	wantFailure(t, "domain mismatch", mustVerify(t, chainVerifier(wrongDomain, reader), docs[0]), openattestation.CheckIssuerDomain, "binds this issuer to other.example")

	// A document that names no network is checked on the listed chain.
	bare := wrapOnChain(t, 1, "documentStore", store, 0)
	broot, _ := rootOf(t, bare[0])
	sim.Call(sim.Key, store, art.ABI, "issue", broot)
	ok := trustlisttest.TrustOne(t, "SG", contractEntry(t, id, store, "Carrier Pte Ltd", "carrier.example"))
	wantValid(t, "no network in the document", mustVerify(t, chainVerifier(ok, reader), bare[0]))

	// A tampered document is not looked up on chain.
	bad := mutate(t, docs[0], func(v *ojson.Value) { v.Get("data").Set("extra", ojson.NewString("x")) })
	before := sim.Proxy.Trips.Load()
	r := mustVerify(t, chainVerifier(ok, reader), bad)
	if r.Valid || r.FirstFailure().Name != verify.CheckIntegrity || sim.Proxy.Trips.Load() != before {
		t.Fatalf("tampered: valid=%v %+v, %d round trips", r.Valid, r.FirstFailure(), sim.Proxy.Trips.Load()-before)
	}
}

// TestChainTransferableRecord deploys the published token registry 5.x
// (TitleEscrowFactory + TradeTrustToken) and follows one e-BL through its
// life: not minted, minted, holder changed, beneficiary changed, returned to
// the issuer (surrendered), burnt (surrender accepted).
func TestChainTransferableRecord(t *testing.T) {
	factoryArt := hardhatArtifact(t, "TitleEscrowFactory")
	tokenArt := hardhatArtifact(t, "TradeTrustToken")
	escrowArt := hardhatArtifact(t, "TitleEscrow")
	a, b, c := newKey(t), newKey(t), newKey(t)
	sim := newSimChain(t, a, b, c)
	id := sim.ChainID.Uint64()
	factory := sim.Deploy(factoryArt.ABI, factoryArt.Bytecode)
	registry := sim.Deploy(tokenArt.ABI, tokenArt.Bytecode, "Carrier eBL", "CEBL", factory)
	docs := wrapOnChain(t, 1, "tokenRegistry", registry, id)
	doc := docs[0]
	tokenID, _ := rootOf(t, doc)
	set := trustlisttest.TrustOne(t, "SG", contractEntry(t, id, registry, "Carrier Pte Ltd", "carrier.example"))
	v := chainVerifier(set, sim.Reader(t))
	addrOf := func(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }
	wantTitle := func(step string, holder, beneficiary *ecdsa.PrivateKey) {
		t.Helper()
		r := mustVerify(t, v, doc)
		wantValid(t, step, r)
		if h, bn := summary(r, "Holder"), summary(r, "Beneficiary"); h != addrOf(holder).Hex() || bn != addrOf(beneficiary).Hex() {
			t.Fatalf("%s: holder %s beneficiary %s", step, h, bn)
		}
	}

	wantFailure(t, "not minted", mustVerify(t, v, doc), verify.CheckSignature, "never minted")

	tok := new(big.Int).SetBytes(tokenID[:])
	sim.Call(sim.Key, registry, tokenArt.ABI, "mint", addrOf(a), addrOf(a), tok, []byte{})
	wantTitle("minted to A", a, a)

	escrow := ownerOfToken(t, sim, registry, tok)
	sim.Call(a, escrow, escrowArt.ABI, "transferHolder", addrOf(b), []byte("to B"))
	wantTitle("holder changed to B", b, a)

	sim.Call(a, escrow, escrowArt.ABI, "nominate", addrOf(c), []byte{})
	sim.Call(b, escrow, escrowArt.ABI, "transferBeneficiary", addrOf(c), []byte{})
	wantTitle("beneficiary changed to C", b, c)

	sim.Call(b, escrow, escrowArt.ABI, "transferHolder", addrOf(c), []byte{})
	sim.Call(c, escrow, escrowArt.ABI, "returnToIssuer", []byte("surrender"))
	r := mustVerify(t, v, doc)
	wantValid(t, "returned to issuer", r)
	if summary(r, "Title") != "returned to the issuer (surrendered)" || summary(r, "Holder") != "" {
		t.Fatalf("surrendered: summary %+v", r.Summary)
	}

	sim.Call(sim.Key, registry, tokenArt.ABI, "burn", tok, []byte("accepted"))
	wantFailure(t, "burnt", mustVerify(t, v, doc), openattestation.CheckTitle, "burnt")
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ownerOfToken(t testing.TB, sim *simChain, registry common.Address, tok *big.Int) common.Address {
	t.Helper()
	calls := []verify.ContractCall{titleescrow.OwnerOfCall(registry, tok)}
	if err := sim.Reader(t).CallContracts(context.Background(), sim.ChainID.Uint64(), calls); err != nil || calls[0].Err != nil {
		t.Fatalf("ownerOf: %v %v", err, calls[0].Err)
	}
	a, _ := titleescrow.UnpackAddress("ownerOf", calls[0])
	return a
}

// BenchmarkChainDocumentStore verifies one document-store document through
// HTTP JSON-RPC against the simulated chain (one batch: isIssued + isRevoked
// per proof step). Compare with BenchmarkChainRoundTrip, the floor: one
// eth_call over the same endpoint.
func BenchmarkChainDocumentStore(b *testing.B) {
	_, v, docs, _ := benchChain(b, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r, _ := v.Verify(context.Background(), docs[0]); !r.Valid {
			b.Fatal(r.FirstFailure())
		}
	}
}

// BenchmarkChainBulk100 verifies 100 documents of one store at once; the
// batching reader sends them in one or two round trips.
func BenchmarkChainBulk100(b *testing.B) {
	sim, v, docs, _ := benchChain(b, 100)
	var jobs []verify.Job
	for i, d := range docs {
		jobs = append(jobs, verify.Job{Name: strconv.Itoa(i), Data: d})
	}
	before := sim.Proxy.Trips.Load()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.VerifyAll(context.Background(), jobs, len(jobs), func(o verify.Outcome) {
			if !o.Result.Valid {
				b.Error(o.Result.FirstFailure())
			}
		})
	}
	b.ReportMetric(float64(sim.Proxy.Trips.Load()-before)/float64(b.N), "roundtrips/op")
}

// BenchmarkChainRoundTrip is the floor: the same two eth_calls (isIssued,
// isRevoked) in one round trip through the same HTTP endpoint, sent at once
// (no batching window), no verification.
func BenchmarkChainRoundTrip(b *testing.B) {
	sim, _, docs, store := benchChain(b, 1)
	root, _ := rootOf(b, docs[0])
	r := evm.NewReader()
	r.Window = 0
	c, err := rpcDial(sim.URL)
	if err != nil {
		b.Fatal(err)
	}
	r.AddClient(sim.ChainID.Uint64(), "bench", c)
	defer r.Close()
	calls := []verify.ContractCall{{To: store, Data: openattestation.Pack("isIssued", root)}, {To: store, Data: openattestation.Pack("isRevoked", root)}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.CallContracts(context.Background(), sim.ChainID.Uint64(), calls); err != nil {
			b.Fatal(err)
		}
	}
}

func benchChain(b *testing.B, n int) (*simChain, *verify.Verifier, [][]byte, common.Address) {
	art := documentStoreArtifact(b)
	sim := newSimChain(b)
	id := sim.ChainID.Uint64()
	store := sim.Deploy(art.ABI, art.Bytecode, "store", sim.From)
	docs := wrapOnChain(b, n, "documentStore", store, id)
	root, _ := rootOf(b, docs[0])
	sim.Call(sim.Key, store, art.ABI, "issue", root)
	set := trustlisttest.TrustOne(b, "SG", contractEntry(b, id, store, "Carrier Pte Ltd", ""))
	return sim, chainVerifier(set, sim.Reader(b)), docs, store
}
