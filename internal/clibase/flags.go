package clibase

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/evm"
)

// Flags that several commands take are defined here, once. Each call returns
// a new flag: urfave/cli records per-run state in a flag, so commands do not
// share one value.

// DirFlag is the required --dir: the anchor directory or trust store the
// command works in, described by usage.
func DirFlag(usage string) *cli.StringFlag {
	return &cli.StringFlag{Name: "dir", Required: true, Usage: usage}
}

// OptionalDirFlag is --dir where leaving it out has a default.
func OptionalDirFlag(usage string) *cli.StringFlag {
	f := DirFlag(usage)
	f.Required = false
	return f
}

// DataFlag is --data ($ACCORD_DATA): a node's data directory, described by
// usage.
func DataFlag(usage string, required bool) *cli.StringFlag {
	return &cli.StringFlag{Name: "data", Usage: usage, Required: required, EnvVars: []string{"ACCORD_DATA"}}
}

// JSONFlag is --json: machine-readable output, described by usage.
func JSONFlag(usage string) *cli.BoolFlag {
	return &cli.BoolFlag{Name: "json", Usage: usage}
}

// NodeURLFile is written by `accord node run` into its data directory: the
// URL its HTTP API serves, so that commands run beside the data directory
// find the node that holds it (and its operator token).
const NodeURLFile = "node.url"

// RecordedNodeURL returns the URL the node on data directory dir recorded in
// dir/node.url, and false when there is none or it is not an http(s) URL.
// It is the one reader of that file: `accord verify --trust DIR` names the
// node that holds the store with it, and the node client commands given
// --data DIR talk to that node when --node is not given.
func RecordedNodeURL(dir string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dir, NodeURLFile))
	if err != nil {
		return "", false
	}
	u := strings.TrimSpace(string(b))
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return "", false
	}
	return u, true
}

// ethRPCFlagName is the name of EthRPCFlag.
const ethRPCFlagName = "eth-rpc"

// EthRPCFlag configures the Ethereum JSON-RPC endpoints that chain-backed
// documents (TradeTrust document stores, token registries) are checked
// against. Two endpoints for one network must agree on every answer.
func EthRPCFlag() *cli.StringSliceFlag {
	return &cli.StringSliceFlag{Name: ethRPCFlagName, EnvVars: []string{"ACCORD_ETH_RPC"},
		Usage: "NETWORK=URL of an Ethereum JSON-RPC endpoint for documents issued on that chain (repeatable; two for one network must agree), e.g. sepolia=https://…, amoy=…, 1337=http://127.0.0.1:8545"}
}

// ChainReader dials the --eth-rpc endpoints; nil when none is given (such
// documents then get the "cannot check" outcome).
func ChainReader(c *cli.Context) (*evm.Reader, error) {
	specs := c.StringSlice(ethRPCFlagName)
	if len(specs) == 0 {
		return nil, nil
	}
	var eps []evm.Endpoint
	for _, s := range specs {
		e, err := evm.ParseEndpoint(s)
		if err != nil {
			return nil, UsageErr("--eth-rpc: %v", err)
		}
		eps = append(eps, e)
	}
	r, err := evm.Dial(c.Context, eps)
	if err != nil {
		return nil, UsageErr("--eth-rpc: %v", err)
	}
	return r, nil
}
