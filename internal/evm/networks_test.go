package evm

import (
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	for in, want := range map[string]uint64{
		"sepolia=https://rpc.example/v3/KEY": 11155111,
		"Amoy=https://amoy.example":          80002,
		"1337=http://127.0.0.1:8545":         1337,
		"mainnet=wss://node.example/ws":      1,
		"stabilitytestnet=/run/geth.ipc":     20180427,
	} {
		e, err := ParseEndpoint(in)
		if err != nil || e.ChainID != want {
			t.Errorf("%s: %+v %v", in, e, err)
		}
	}
	for in, why := range map[string]string{
		"https://rpc.example":       "want NETWORK=URL",
		"nowhere=https://x":         "unknown network",
		"0=https://x":               "unknown network",
		"sepolia=":                  "want NETWORK=URL",
		"sepolia=ftp://rpc.example": "URL must start with",
	} {
		if _, err := ParseEndpoint(in); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want %q", in, err, why)
		}
	}
	if NetworkName(80002) != "Polygon Amoy" || NetworkName(4242) != "chain 4242" {
		t.Error("network names")
	}
	if got := redact("https://user:pw@rpc.example/v3/SECRET?key=1"); got != "https://rpc.example" {
		t.Errorf("redact: %s", got)
	}
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"sepolia=https://rpc.example", "1337=http://127.0.0.1:8545", "=", "amoy=/x", "x=y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEndpoint(s)
		if err == nil && (e.ChainID == 0 || e.URL == "") {
			t.Fatalf("%q accepted as %+v", s, e)
		}
	})
}
