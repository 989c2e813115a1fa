package openattestation_test

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/evmsim"
	"github.com/accord-network/accord/trustlist"
)

// The simulated chain, its HTTP JSON-RPC proxy and the published
// token-registry artifacts live in internal/evmsim, shared with the W3C VC
// tests.
type (
	simChain = evmsim.Chain
	rpcProxy = evmsim.Proxy
	artifact = evmsim.Artifact
)

var (
	newSimChain     = evmsim.NewChain
	hardhatArtifact = evmsim.HardhatArtifact
	newProxyServer  = evmsim.NewProxyServer
)

// documentStoreArtifact reads DocumentStore's creation code from the
// typechain factory of @tradetrust-tt/document-store (JS, not JSON) and
// pairs it with the functions the test calls.
func documentStoreArtifact(t testing.TB) artifact {
	t.Helper()
	p := filepath.Join(evmsim.ContractPackages(t), "@tradetrust-tt", "document-store", "dist", "contracts", "factories", "DocumentStore__factory.js")
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
	return artifact{ABI: a, Bytecode: code}
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

func rpcDial(url string) (*rpc.Client, error) { return rpc.DialContext(context.Background(), url) }
