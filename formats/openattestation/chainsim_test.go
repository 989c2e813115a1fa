package openattestation_test

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
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/evm"
	"github.com/accord-network/accord/trustlist"
)

// simChain is go-ethereum's simulated backend (a real EVM, in process) with
// a funded deployer, served over HTTP JSON-RPC by rpcProxy so that the
// verifier talks to it exactly as to a real node.
type simChain struct {
	t       testing.TB
	backend *simulated.Backend
	client  simulated.Client
	rpc     *rpc.Client
	key     *ecdsa.PrivateKey
	from    common.Address
	chainID *big.Int
	proxy   *rpcProxy
	url     string
}

// newSimChain starts a chain; the deployer and each of funded get ether.
func newSimChain(t testing.TB, funded ...*ecdsa.PrivateKey) *simChain {
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
	s := &simChain{t: t, backend: b, client: c, rpc: rc, key: key, from: from, chainID: id}
	s.proxy = &rpcProxy{upstream: rc}
	srv := httptest.NewServer(s.proxy)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// reader returns an evm.Reader dialled to the chain's HTTP endpoint.
func (s *simChain) reader(t testing.TB) *evm.Reader {
	r, err := evm.Dial(context.Background(), []evm.Endpoint{{ChainID: s.chainID.Uint64(), URL: s.url}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// send signs a transaction from key, mines it and requires success.
func (s *simChain) send(key *ecdsa.PrivateKey, to *common.Address, data []byte) *types.Receipt {
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
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: s.chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: fee, Gas: 12_000_000, To: to, Data: data})
	signed, err := types.SignTx(tx, types.LatestSignerForChainID(s.chainID), key)
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

// deploy creates a contract from creation code and constructor arguments.
func (s *simChain) deploy(a abi.ABI, code []byte, args ...any) common.Address {
	s.t.Helper()
	enc, err := a.Pack("", args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.send(s.key, nil, append(append([]byte(nil), code...), enc...)).ContractAddress
}

// call sends a state-changing method call from key.
func (s *simChain) call(key *ecdsa.PrivateKey, to common.Address, a abi.ABI, method string, args ...any) {
	s.t.Helper()
	data, err := a.Pack(method, args...)
	if err != nil {
		s.t.Fatal(err)
	}
	s.send(key, &to, data)
}

// rpcProxy serves JSON-RPC over HTTP by forwarding each request (single or
// batch) to the simulated node's RPC client. It counts round trips, and can
// be made to lie about eth_call answers.
type rpcProxy struct {
	upstream *rpc.Client
	trips    atomic.Int64
	calls    atomic.Int64
	lie      atomic.Bool // flip the last byte of every eth_call result
	down     atomic.Bool // answer 503
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

func (p *rpcProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.trips.Add(1)
	if p.down.Load() {
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

func (p *rpcProxy) one(ctx context.Context, q rpcReq) rpcResp {
	args := make([]any, len(q.Params))
	for i, a := range q.Params {
		args[i] = a
	}
	if q.Method == "eth_call" {
		p.calls.Add(1)
	}
	var res json.RawMessage
	err := p.upstream.CallContext(ctx, &res, q.Method, args...)
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
	if q.Method == "eth_call" && p.lie.Load() {
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

// contractPackages returns the node_modules folder holding the pinned
// TradeTrust contract packages, or skips.
func contractPackages(t testing.TB) string {
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

type artifact struct {
	ABI      abi.ABI
	Bytecode []byte
}

// hardhatArtifact reads a token-registry artifact (hh-sol-artifact-1).
func hardhatArtifact(t testing.TB, name string) artifact {
	t.Helper()
	p := filepath.Join(contractPackages(t), "@tradetrust-tt", "token-registry", "dist", "artifacts", name+".sol", name+".json")
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
	return artifact{parsed, code}
}

// documentStoreArtifact reads DocumentStore's creation code from the
// typechain factory of @tradetrust-tt/document-store (JS, not JSON) and
// pairs it with the functions the test calls.
func documentStoreArtifact(t testing.TB) artifact {
	t.Helper()
	p := filepath.Join(contractPackages(t), "@tradetrust-tt", "document-store", "dist", "contracts", "factories", "DocumentStore__factory.js")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("document store package not installed: %v", err)
	}
	m := regexp.MustCompile(`const _bytecode = "0x([0-9a-fA-F]+)"`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s: no _bytecode", p)
	}
	code, _ := hex.DecodeString(string(m[1]))
	a := openattestation.MustABI(`[
	 {"type":"constructor","inputs":[{"name":"_name","type":"string"},{"name":"owner","type":"address"}]},
	 {"type":"function","name":"issue","inputs":[{"name":"document","type":"bytes32"}],"outputs":[]},
	 {"type":"function","name":"revoke","inputs":[{"name":"document","type":"bytes32"}],"outputs":[{"name":"","type":"bool"}]}
	]`)
	return artifact{a, code}
}

// contractEntry lists a contract on the simulated chain for oa.
func contractEntry(t testing.TB, chainID uint64, addr common.Address, name, domain string) *trustlist.Entry {
	t.Helper()
	e, err := trustlist.NewContractEntry(chainID, addr[:], []trustlist.DocType{trustlist.DocOA}, name, domain,
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newProxyServer(t testing.TB, p *rpcProxy) string {
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

func rpcDial(url string) (*rpc.Client, error) { return rpc.DialContext(context.Background(), url) }
