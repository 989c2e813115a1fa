// Package evmsim is a test helper: go-ethereum's simulated backend (a real
// EVM, in process) served over HTTP JSON-RPC, with the TradeTrust contracts'
// compiled bytecode from their published npm packages, so that verifiers are
// tested against a chain exactly as against a real node. Only tests import
// it.
package evmsim

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/internal/evm"
)

// Chain is go-ethereum's simulated backend (a real EVM, in process) with
// a funded deployer, served over HTTP JSON-RPC by Proxy so that the
// verifier talks to it exactly as to a real node.
type Chain struct {
	t       testing.TB
	backend *simulated.Backend
	client  simulated.Client
	// RPC is the in-process client of the simulated node.
	RPC *rpc.Client
	// Key is the funded deployer; From its address.
	Key  *ecdsa.PrivateKey
	From common.Address
	// ChainID is the simulated chain's ID.
	ChainID *big.Int
	// Proxy serves the chain over HTTP at URL.
	Proxy *Proxy
	URL   string
}

// NewChain starts a chain; the deployer and each of funded get ether.
func NewChain(t testing.TB, funded ...*ecdsa.PrivateKey) *Chain {
	t.Helper()
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	alloc := types.GenesisAlloc{from: {Balance: new(big.Int).Lsh(big.NewInt(1), 100)}}
	for _, k := range funded {
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: new(big.Int).Lsh(big.NewInt(1), 90)}
	}
	b := simulated.NewBackend(alloc)
	t.Cleanup(func() { b.Close() })
	c := b.Client()
	// The backend's client embeds *ethclient.Client (an exported field of an
	// unexported type); its in-process RPC client is what the proxy serves.
	ec, ok := reflect.ValueOf(c).FieldByName("Client").Interface().(*ethclient.Client)
	if !ok {
		t.Fatal("simulated backend client does not embed *ethclient.Client")
	}
	rc := ec.Client()
	id, err := c.ChainID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := &Chain{t: t, backend: b, client: c, RPC: rc, Key: key, From: from, ChainID: id}
	s.Proxy = &Proxy{Upstream: rc}
	srv := httptest.NewServer(s.Proxy)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Reader returns an evm.Reader dialled to the chain's HTTP endpoint.
func (s *Chain) Reader(t testing.TB) *evm.Reader {
	r, err := evm.Dial(context.Background(), []evm.Endpoint{{ChainID: s.ChainID.Uint64(), URL: s.URL}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// Send signs a transaction from key, mines it and requires success.
func (s *Chain) Send(key *ecdsa.PrivateKey, to *common.Address, data []byte) *types.Receipt {
	s.t.Helper()
	ctx := context.Background()
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := s.client.PendingNonceAt(ctx, from)
	if err != nil {
		s.t.Fatal(err)
	}
	tip := big.NewInt(1e9)
	head, _ := s.client.HeaderByNumber(ctx, nil)
	fee := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: s.ChainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: fee, Gas: 12_000_000, To: to, Data: data})
	signed, err := types.SignTx(tx, types.LatestSignerForChainID(s.ChainID), key)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.client.SendTransaction(ctx, signed); err != nil {
		s.t.Fatalf("send: %v", err)
	}
	s.backend.Commit()
	rc, err := s.client.TransactionReceipt(ctx, signed.Hash())
	if err != nil {
		s.t.Fatal(err)
	}
	if rc.Status != types.ReceiptStatusSuccessful {
		s.t.Fatalf("transaction to %v reverted", to)
	}
	return rc
}

// Deploy creates a contract from creation code and constructor arguments.
func (s *Chain) Deploy(a abi.ABI, code []byte, args ...any) common.Address {
	s.t.Helper()
	enc, err := a.Pack("", args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.Send(s.Key, nil, append(append([]byte(nil), code...), enc...)).ContractAddress
}

// Call sends a state-changing method call from key.
func (s *Chain) Call(key *ecdsa.PrivateKey, to common.Address, a abi.ABI, method string, args ...any) {
	s.t.Helper()
	data, err := a.Pack(method, args...)
	if err != nil {
		s.t.Fatal(err)
	}
	s.Send(key, &to, data)
}

// Proxy serves JSON-RPC over HTTP by forwarding each request (single or
// batch) to the simulated node's RPC client. It counts round trips, and can
// be made to lie about eth_call answers.
type Proxy struct {
	// Upstream is the node the proxy forwards to.
	Upstream *rpc.Client
	// Trips counts HTTP round trips; Calls counts eth_calls.
	Trips atomic.Int64
	Calls atomic.Int64
	// Lie flips the last byte of every eth_call result.
	Lie atomic.Bool
	// Down answers 503.
	Down atomic.Bool
}

type rpcReq struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

type rpcResp struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *rpcErr         `json:"error,omitempty"`
}

type rpcErr struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.Trips.Add(1)
	if p.Down.Load() {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	body = []byte(strings.TrimSpace(string(body)))
	w.Header().Set("Content-Type", "application/json")
	if len(body) > 0 && body[0] == '[' {
		var reqs []rpcReq
		if err := json.Unmarshal(body, &reqs); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		out := make([]rpcResp, len(reqs))
		for i, q := range reqs {
			out[i] = p.one(r.Context(), q)
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	var q rpcReq
	if err := json.Unmarshal(body, &q); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	_ = json.NewEncoder(w).Encode(p.one(r.Context(), q))
}

func (p *Proxy) one(ctx context.Context, q rpcReq) rpcResp {
	args := make([]any, len(q.Params))
	for i, a := range q.Params {
		args[i] = a
	}
	if q.Method == "eth_call" {
		p.Calls.Add(1)
	}
	var res json.RawMessage
	err := p.Upstream.CallContext(ctx, &res, q.Method, args...)
	out := rpcResp{JSONRPC: "2.0", ID: q.ID}
	if err != nil {
		e := &rpcErr{Code: -32000, Message: err.Error()}
		var re rpc.Error
		if errors.As(err, &re) {
			e.Code = re.ErrorCode()
		}
		var de rpc.DataError
		if errors.As(err, &de) {
			e.Data = de.ErrorData()
		}
		out.Error = e
		return out
	}
	if q.Method == "eth_call" && p.Lie.Load() {
		var h string
		if json.Unmarshal(res, &h) == nil && len(h) > 2 {
			b, _ := hex.DecodeString(h[2:])
			if len(b) > 0 {
				b[len(b)-1] ^= 1
				res, _ = json.Marshal("0x" + hex.EncodeToString(b))
			}
		}
	}
	out.Result = res
	return out
}

// Compiled contracts from their published npm packages (pinned in
// .ci/package.json; .ci/run installs them).

// ContractPackages returns the node_modules folder holding the pinned
// TradeTrust contract packages, or skips.
func ContractPackages(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("ACCORD_NODE_MODULES")
	if dir == "" {
		root, err := fixtures.Root()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, ".ci", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(dir, "@tradetrust-tt", "token-registry", "package.json")); err != nil {
		t.Skipf("SKIP: TradeTrust contract packages (@tradetrust-tt/token-registry@5.5.1, @tradetrust-tt/document-store@4.1.1) not installed in %s: run .ci/run or `cd .ci && npm ci`", dir)
	}
	return dir
}

// Artifact is a contract's ABI and creation code.
type Artifact struct {
	ABI      abi.ABI
	Bytecode []byte
}

// HardhatArtifact reads a token-registry artifact (hh-sol-artifact-1).
func HardhatArtifact(t testing.TB, name string) Artifact {
	t.Helper()
	p := filepath.Join(ContractPackages(t), "@tradetrust-tt", "token-registry", "dist", "artifacts", name+".sol", name+".json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		ABI      json.RawMessage `json:"abi"`
		Bytecode string          `json:"bytecode"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	parsed, err := abi.JSON(strings.NewReader(string(a.ABI)))
	if err != nil {
		t.Fatal(err)
	}
	code, err := hex.DecodeString(strings.TrimPrefix(a.Bytecode, "0x"))
	if err != nil || len(code) == 0 {
		t.Fatalf("%s: bytecode: %v", name, err)
	}
	return Artifact{ABI: parsed, Bytecode: code}
}

// NewProxyServer serves p over HTTP until the test ends and returns its URL.
func NewProxyServer(t testing.TB, p *Proxy) string {
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}
