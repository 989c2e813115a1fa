package main

import (
	"encoding/hex"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/evm"
	"github.com/accord-network/accord/trustlist"
)

// ethRPCFlag configures the Ethereum JSON-RPC endpoints that chain-backed
// documents (TradeTrust document stores, token registries) are checked
// against. Two endpoints for one network must agree on every answer.
func ethRPCFlag() *cli.StringSliceFlag {
	return &cli.StringSliceFlag{Name: ethRPCFlagName, EnvVars: []string{"ACCORD_ETH_RPC"},
		Usage: "NETWORK=URL of an Ethereum JSON-RPC endpoint for documents issued on that chain (repeatable; two for one network must agree), e.g. sepolia=https://…, amoy=…, 1337=http://127.0.0.1:8545"}
}

const ethRPCFlagName = "eth-rpc"

// chainReader dials the --eth-rpc endpoints; nil when none is given (such
// documents then get the "cannot check" outcome).
func chainReader(c *cli.Context) (*evm.Reader, error) {
	specs := c.StringSlice(ethRPCFlagName)
	if len(specs) == 0 {
		return nil, nil
	}
	var eps []evm.Endpoint
	for _, s := range specs {
		e, err := evm.ParseEndpoint(s)
		if err != nil {
			return nil, usageErr("--eth-rpc: %v", err)
		}
		eps = append(eps, e)
	}
	r, err := evm.Dial(c.Context, eps)
	if err != nil {
		return nil, usageErr("--eth-rpc: %v", err)
	}
	return r, nil
}

// contractFlag lists a document store or token registry on a named chain.
func contractFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: contractFlagName,
		Usage: "NETWORK:0xADDRESS of a TradeTrust document store or token registry that issues OpenAttestation documents on that chain (e.g. sepolia:0xAbC…)"}
}

const contractFlagName = "contract"

// contractEntry builds the evm_contract entry of --contract.
func contractEntry(c *cli.Context, uses []trustlist.DocType) (*trustlist.Entry, error) {
	spec := c.String(contractFlagName)
	network, addr, ok := strings.Cut(spec, ":")
	if !ok {
		return nil, usageErr("--contract %q: want NETWORK:0xADDRESS, e.g. amoy:0x71D28767662cB233F887aD2Bb65d048d760bA694", spec)
	}
	id, err := evm.ParseNetwork(network)
	if err != nil {
		return nil, usageErr("--contract: %v", err)
	}
	a, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(addr)), "0x"))
	if err != nil || len(a) != 20 {
		return nil, usageErr("--contract %q: %q is not a contract address (0x followed by 40 hex digits)", spec, addr)
	}
	if c.String("name") == "" {
		return nil, usageErr("--contract entries need --name: the organisation verifiers will be shown")
	}
	from, until, err := entryWindow(c)
	if err != nil {
		return nil, err
	}
	e, err := trustlist.NewContractEntry(id, a, uses, c.String("name"), c.String("domain"), from, until)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return e, nil
}
