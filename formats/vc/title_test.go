package vc

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/internal/evmsim"
	"github.com/accord-network/accord/internal/titleescrow"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// registryEntry lists a token registry on chain id for uses.
func registryEntry(t testing.TB, id uint64, addr common.Address, uses ...trustlist.DocType) *trustlist.Entry {
	t.Helper()
	e, err := trustlist.NewContractEntry(id, addr[:], uses, "Carrier Pte Ltd", "", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func chainKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func verifyOnChain(t testing.TB, trust verify.TrustedMaterial, chains verify.ChainReader, in []byte) *verify.Result {
	t.Helper()
	r, err := verify.New(trust, verify.Options{Formats: []string{FormatName}, Chains: chains}).Verify(t.Context(), in)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func summaryOf(r *verify.Result, label string) string {
	for _, f := range r.Summary {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

// TestTransferableRecordTitle deploys the published token registry 5.x
// (TitleEscrowFactory + TradeTrustToken) on go-ethereum's simulated
// backend, issues an ecdsa-sd-2023 e-BL whose TransferableRecords
// credentialStatus names a token of it, and verifies the credential through
// the real JSON-RPC client at each step of the record's life: without an
// endpoint, registry unlisted, not minted, minted, holder and beneficiary
// changed, chain unreachable, surrendered, burnt.
func TestTransferableRecordTitle(t *testing.T) {
	factoryArt := evmsim.HardhatArtifact(t, "TitleEscrowFactory")
	tokenArt := evmsim.HardhatArtifact(t, "TradeTrustToken")
	escrowArt := evmsim.HardhatArtifact(t, "TitleEscrow")
	a, b, c := chainKey(t), chainKey(t), chainKey(t)
	sim := evmsim.NewChain(t, a, b, c)
	id := sim.ChainID.Uint64()
	factory := sim.Deploy(factoryArt.ABI, factoryArt.Bytecode)
	registry := sim.Deploy(tokenArt.ABI, tokenArt.Bytecode, "Carrier eBL", "CEBL", factory)

	var tokenID [32]byte
	if _, err := rand.Read(tokenID[:]); err != nil {
		t.Fatal(err)
	}
	tok := new(big.Int).SetBytes(tokenID[:])
	is := newDIDKeyIssuer(t)
	doc := testCredential(is.did)
	doc["@context"] = append(doc["@context"].([]any), "https://trustvc.io/context/transferable-records-context.json")
	doc["credentialStatus"] = map[string]any{"type": "TransferableRecords", "tokenNetwork": map[string]any{"chain": "local", "chainId": big.NewInt(int64(id)).String()},
		"tokenRegistry": registry.Hex(), "tokenId": hex.EncodeToString(tokenID[:])}
	cred := signBase(t, doc, is.key, is.vm)

	issuerKey := is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocVC)
	trust := trustlisttest.TrustOne(t, "SG", issuerKey, registryEntry(t, id, registry, trustlist.DocVC))
	chains := sim.Reader(t)
	addrOf := func(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }
	status := func(r *verify.Result) *verify.Check { return r.Check(CheckStatus) }
	wantCannot := func(step string, r *verify.Result, reason string) {
		t.Helper()
		if r.Valid || r.Verdict() != verify.VerdictCannotCheck || !strings.Contains(r.CannotCheck, reason) || r.Check(verify.CheckSignature).Status != verify.Pass {
			t.Fatalf("%s: outcome %s %q, status %+v; want cannot_check %q", step, r.Verdict(), r.CannotCheck, status(r), reason)
		}
	}
	wantInvalid := func(step string, r *verify.Result, detail string) {
		t.Helper()
		f := r.FirstFailure()
		if r.Valid || r.Verdict() != verify.VerdictInvalid || f == nil || f.Name != CheckStatus || !strings.Contains(f.Detail, detail) {
			t.Fatalf("%s: outcome %s, first failure %+v; want invalid on %s: %q", step, r.Verdict(), f, CheckStatus, detail)
		}
	}
	wantTitle := func(step string, holder, beneficiary *ecdsa.PrivateKey) {
		t.Helper()
		r := verifyOnChain(t, trust, chains, cred)
		if !r.Valid || status(r).Status != verify.Pass {
			t.Fatalf("%s: outcome %s, first failure %+v, cannot check %q", step, r.Verdict(), r.FirstFailure(), r.CannotCheck)
		}
		if h, bn := summaryOf(r, "Holder"), summaryOf(r, "Beneficiary"); h != addrOf(holder).Hex() || bn != addrOf(beneficiary).Hex() {
			t.Fatalf("%s: holder %s beneficiary %s", step, h, bn)
		}
	}

	// Without an endpoint: today's "cannot check", naming token and registry.
	wantCannot("no endpoint", verifyOnChain(t, trust, nil, cred),
		"cannot be checked offline: this transferable record's title is recorded as token "+hex.EncodeToString(tokenID[:])+" in token registry "+registry.Hex())
	// The chain is not asked about a registry no anchor lists for vc.
	before := sim.Proxy.Trips.Load()
	wantCannot("registry unlisted", verifyOnChain(t, trustlisttest.TrustOne(t, "SG", issuerKey), chains, cred), "no admitted anchor lists")
	wantCannot("registry listed for oa only", verifyOnChain(t, trustlisttest.TrustOne(t, "SG", issuerKey, registryEntry(t, id, registry, trustlist.DocOA)), chains, cred), "no admitted anchor lists")
	wantInvalid("registry listed on another chain", verifyOnChain(t, trustlisttest.TrustOne(t, "SG", issuerKey, registryEntry(t, id+1, registry, trustlist.DocVC)), chains, cred), "lists token registry")
	if n := sim.Proxy.Trips.Load() - before; n != 0 {
		t.Fatalf("unlisted registries: %d round trips to the chain, want 0", n)
	}

	wantInvalid("not minted", verifyOnChain(t, trust, chains, cred), "never minted")

	sim.Call(sim.Key, registry, tokenArt.ABI, "mint", addrOf(a), addrOf(a), tok, []byte{})
	wantTitle("minted to A", a, a)

	calls := []verify.ContractCall{titleescrow.OwnerOfCall(registry, tok)}
	if err := chains.CallContracts(t.Context(), id, calls); err != nil || calls[0].Err != nil {
		t.Fatalf("ownerOf: %v %v", err, calls[0].Err)
	}
	escrow, _ := titleescrow.UnpackAddress("ownerOf", calls[0])
	sim.Call(a, escrow, escrowArt.ABI, "transferHolder", addrOf(b), []byte("to B"))
	wantTitle("holder changed to B", b, a)

	sim.Call(a, escrow, escrowArt.ABI, "nominate", addrOf(c), []byte{})
	sim.Call(b, escrow, escrowArt.ABI, "transferBeneficiary", addrOf(c), []byte{})
	wantTitle("beneficiary changed to C", b, c)

	sim.Proxy.Down.Store(true)
	wantCannot("endpoint down", verifyOnChain(t, trust, sim.Reader(t), cred), "cannot be checked offline")
	sim.Proxy.Down.Store(false)

	sim.Call(b, escrow, escrowArt.ABI, "transferHolder", addrOf(c), []byte{})
	sim.Call(c, escrow, escrowArt.ABI, "returnToIssuer", []byte("surrender"))
	r := verifyOnChain(t, trust, chains, cred)
	if !r.Valid || summaryOf(r, "Title") != "returned to the issuer (surrendered)" || summaryOf(r, "Holder") != "" {
		t.Fatalf("surrendered: outcome %s, summary %+v", r.Verdict(), r.Summary)
	}

	sim.Call(sim.Key, registry, tokenArt.ABI, "burn", tok, []byte("accepted"))
	wantInvalid("burnt", verifyOnChain(t, trust, chains, cred), "burnt")
}

// TestTransferableRecordMalformed pins that a TransferableRecords status
// naming no readable registry, chain or token errors before any chain is
// asked: the credential is not valid, whatever the endpoint.
func TestTransferableRecordMalformed(t *testing.T) {
	is := newDIDKeyIssuer(t)
	trust := trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocVC))
	good := map[string]any{"type": "TransferableRecords", "tokenNetwork": map[string]any{"chainId": "1337"},
		"tokenRegistry": "0x9Eb613a88534E2939518f4ffBFE65F5969b491FF", "tokenId": "ab"}
	for name, tc := range map[string]struct{ field, value, want string }{
		"registry not hex":  {"tokenRegistry", "0xZZb613a88534E2939518f4ffBFE65F5969b491FF", "tokenRegistry"},
		"registry no 0x":    {"tokenRegistry", "9Eb613a88534E2939518f4ffBFE65F5969b491FF", "tokenRegistry"},
		"chain by name":     {"chainId", "MATIC", "tokenNetwork.chainId"},
		"token not hex":     {"tokenId", "0xnothex", "tokenId"},
		"token over 256bit": {"tokenId", strings.Repeat("ab", 33), "tokenId"},
		"token empty":       {"tokenId", "", "tokenId"},
	} {
		st := map[string]any{}
		for k, v := range good {
			st[k] = v
		}
		if tc.field == "chainId" {
			st["tokenNetwork"] = map[string]any{"chainId": tc.value}
		} else {
			st[tc.field] = tc.value
		}
		doc := testCredential(is.did)
		doc["@context"] = append(doc["@context"].([]any), "https://trustvc.io/context/transferable-records-context.json")
		doc["credentialStatus"] = st
		r := verifyOnChain(t, trust, unreachableChains{}, signBase(t, doc, is.key, is.vm))
		f := r.FirstFailure()
		if r.Valid || r.Verdict() != verify.VerdictInvalid || f == nil || f.Name != CheckStatus || f.Status != verify.Error || !strings.Contains(f.Detail, tc.want) {
			t.Errorf("%s: outcome %s, first failure %+v; want %s error naming %s", name, r.Verdict(), f, CheckStatus, tc.want)
		}
	}
}

// unreachableChains fails the test if any chain is asked.
type unreachableChains struct{}

func (unreachableChains) CallContracts(context.Context, uint64, []verify.ContractCall) error {
	panic("a chain was asked about a malformed status")
}

// BenchmarkTransferableRecordTitle verifies an ecdsa-sd-2023 e-BL whose
// title is asked of the published token registry on the simulated chain
// over HTTP JSON-RPC (ownerOf, then beneficiary + holder: two round trips).
// The floors, measured in the same run: one eth_call round trip over the
// same endpoint, and the credential's verification without a chain.
func BenchmarkTransferableRecordTitle(b *testing.B) {
	factoryArt := evmsim.HardhatArtifact(b, "TitleEscrowFactory")
	tokenArt := evmsim.HardhatArtifact(b, "TradeTrustToken")
	holder := chainKey(b)
	sim := evmsim.NewChain(b, holder)
	id := sim.ChainID.Uint64()
	factory := sim.Deploy(factoryArt.ABI, factoryArt.Bytecode)
	registry := sim.Deploy(tokenArt.ABI, tokenArt.Bytecode, "Carrier eBL", "CEBL", factory)
	tok := big.NewInt(0x5eed)
	h := crypto.PubkeyToAddress(holder.PublicKey)
	sim.Call(sim.Key, registry, tokenArt.ABI, "mint", h, h, tok, []byte{})
	is := newDIDKeyIssuer(b)
	doc := testCredential(is.did)
	doc["@context"] = append(doc["@context"].([]any), "https://trustvc.io/context/transferable-records-context.json")
	doc["credentialStatus"] = map[string]any{"type": "TransferableRecords", "tokenNetwork": map[string]any{"chainId": big.NewInt(int64(id)).String()},
		"tokenRegistry": registry.Hex(), "tokenId": hex.EncodeToString(tok.Bytes())}
	cred := signBase(b, doc, is.key, is.vm)
	trust := trustlisttest.TrustOne(b, "SG", is.entry(b, is.vm, &is.key.PublicKey, trustlist.DocVC), registryEntry(b, id, registry, trustlist.DocVC))
	chains := sim.Reader(b)
	if r := verifyOnChain(b, trust, chains, cred); !r.Valid {
		b.Fatalf("setup: %s %+v", r.Verdict(), r.FirstFailure())
	}
	b.Run("title", func(b *testing.B) {
		v := verify.New(trust, verify.Options{Formats: []string{FormatName}, Chains: chains})
		for b.Loop() {
			if r, err := v.Verify(b.Context(), cred); err != nil || !r.Valid {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-offline", func(b *testing.B) {
		v := verify.New(trust, verify.Options{Formats: []string{FormatName}})
		for b.Loop() {
			if r, err := v.Verify(b.Context(), cred); err != nil || r.Verdict() != verify.VerdictCannotCheck {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-roundtrip", func(b *testing.B) {
		for b.Loop() {
			calls := []verify.ContractCall{titleescrow.OwnerOfCall(registry, tok)}
			if err := chains.CallContracts(b.Context(), id, calls); err != nil || calls[0].Err != nil {
				b.Fatal(err)
			}
		}
	})
}
