// Package evm reads EVM blockchains over Ethereum JSON-RPC for verifiers:
// read-only contract calls, batched into few round trips, checked against
// the chain ID each endpoint serves, and compared across independent
// endpoints when more than one is configured for a chain
// (spec/openattestation.md §10.4).
package evm

import (
	"fmt"
	"strconv"
	"strings"
)

// Network is a named EVM chain.
type Network struct {
	ChainID uint64
	Name    string   // for people: "Polygon Amoy"
	Aliases []string // lowercase names accepted on the command line
}

// Networks are the chains TradeTrust documents name, by chain ID.
var Networks = []Network{
	{1, "Ethereum mainnet", []string{"mainnet", "ethereum", "homestead", "eth"}},
	{5, "Goerli", []string{"goerli"}},
	{11155111, "Sepolia", []string{"sepolia"}},
	{137, "Polygon", []string{"polygon", "matic"}},
	{80002, "Polygon Amoy", []string{"amoy", "polygon-amoy"}},
	{50, "XDC Network", []string{"xdc"}},
	{51, "XDC Apothem", []string{"xdcapothem", "apothem"}},
	{101010, "Stability", []string{"stability"}},
	{20180427, "Stability testnet", []string{"stabilitytestnet", "stability-testnet"}},
	{1337, "local chain 1337", []string{"local"}},
}

// NetworkName names chain id for people ("Polygon Amoy", else "chain 12345").
func NetworkName(id uint64) string {
	for _, n := range Networks {
		if n.ChainID == id {
			return n.Name
		}
	}
	return "chain " + strconv.FormatUint(id, 10)
}

// ParseNetwork reads a network name or a decimal chain ID.
func ParseNetwork(s string) (uint64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, n := range Networks {
		for _, a := range n.Aliases {
			if a == s {
				return n.ChainID, nil
			}
		}
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("unknown network %q (want a chain ID or one of: %s)", s, knownNames())
	}
	return id, nil
}

func knownNames() string {
	var out []string
	for _, n := range Networks {
		out = append(out, n.Aliases[0])
	}
	return strings.Join(out, ", ")
}

// Endpoint is one configured JSON-RPC endpoint for a chain.
type Endpoint struct {
	ChainID uint64
	URL     string
}

// ParseEndpoint reads "NETWORK=URL" (as given to --eth-rpc). The URL must be
// http(s), ws(s) or an absolute IPC socket path.
func ParseEndpoint(s string) (Endpoint, error) {
	name, url, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(url) == "" {
		return Endpoint{}, fmt.Errorf("RPC endpoint %q: want NETWORK=URL, e.g. sepolia=https://rpc.example/…", s)
	}
	id, err := ParseNetwork(name)
	if err != nil {
		return Endpoint{}, fmt.Errorf("RPC endpoint %q: %w", s, err)
	}
	url = strings.TrimSpace(url)
	switch {
	case strings.HasPrefix(url, "http://"), strings.HasPrefix(url, "https://"),
		strings.HasPrefix(url, "ws://"), strings.HasPrefix(url, "wss://"), strings.HasPrefix(url, "/"):
	default:
		return Endpoint{}, fmt.Errorf("RPC endpoint %q: URL must start with http://, https://, ws://, wss:// or / (IPC)", s)
	}
	return Endpoint{ChainID: id, URL: url}, nil
}
