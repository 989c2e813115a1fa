package main

import (
	"encoding/hex"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/clibase"
	"github.com/accord-network/accord/internal/evm"
	"github.com/accord-network/accord/trustlist"
)

// ethRPCFlag is --eth-rpc (see clibase.EthRPCFlag).
func ethRPCFlag() *cli.StringSliceFlag { return clibase.EthRPCFlag() }

// chainReader dials the --eth-rpc endpoints; nil when none is given.
func chainReader(c *cli.Context) (*evm.Reader, error) { return clibase.ChainReader(c) }

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
