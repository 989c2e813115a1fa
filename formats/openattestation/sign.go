package openattestation

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/verify"
)

// Address is a 20-byte Ethereum address.
type Address [20]byte

// Hex returns the EIP-55 checksummed form.
func (a Address) Hex() string {
	var out [42]byte
	a.checksummed(&out)
	return string(out[:])
}

// appendHex is Hex written into t.
func (a Address) appendHex(t *verify.TextBuf) string {
	var out [42]byte
	a.checksummed(&out)
	return t.Join(unsafe.String(&out[0], len(out))) // Join copies out
}

// checksummed writes a's EIP-55 form into out.
func (a Address) checksummed(out *[42]byte) {
	out[0], out[1] = '0', 'x'
	hex.Encode(out[2:], a[:])
	sum := oacore.Keccak(out[2:])
	for i := 0; i < 40; i++ {
		c := out[i+2]
		if c >= 'a' && c <= 'f' {
			nib := sum[i/2]
			if i%2 == 0 {
				nib >>= 4
			}
			if nib&0xF >= 8 {
				out[i+2] = c - 32
			}
		}
	}
}

// ParseAddress reads a 0x-prefixed 40-hex-digit address (any case).
func ParseAddress(s string) (Address, error) {
	var a Address
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return a, fmt.Errorf("address %q lacks 0x", clip(s))
	}
	if len(s) != 42 {
		return a, fmt.Errorf("address %q is not 20 bytes", clip(s))
	}
	if _, err := hex.Decode(a[:], []byte(s[2:])); err != nil {
		return a, fmt.Errorf("address %q is not hex", clip(s))
	}
	return a, nil
}

// parseDIDEthr reads "did:ethr:0x…" with an optional "#fragment" (e.g.
// "#controller") and returns the address. Network-qualified forms
// ("did:ethr:sepolia:0x…") are accepted; the network does not matter offline.
func parseDIDEthr(did string) (Address, string, error) {
	rest, ok := strings.CutPrefix(did, "did:ethr:")
	if !ok {
		return Address{}, "", fmt.Errorf("%q is not a did:ethr DID", clip(did))
	}
	rest, frag, _ := strings.Cut(rest, "#")
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest = rest[i+1:]
	}
	a, err := ParseAddress(rest)
	if err != nil {
		return Address{}, "", fmt.Errorf("DID %q: %v", clip(did), err)
	}
	return a, frag, nil
}

// parseSignature decodes a 65-byte hex signature and normalises v to 0/1.
func parseSignature(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s) != 130 {
		return nil, fmt.Errorf("signature is %d hex digits, want 130 (65 bytes)", len(s))
	}
	sig, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("signature is not hex")
	}
	switch sig[64] {
	case 27, 28:
		sig[64] -= 27
	case 0, 1:
	default:
		return nil, fmt.Errorf("signature recovery id %d is not 27 or 28", sig[64])
	}
	return sig, nil
}

// recoverRootSigner returns the address whose key made sig over root.
func recoverRootSigner(root oacore.Hash, sigHex string) (Address, error) {
	sig, err := parseSignature(sigHex)
	if err != nil {
		return Address{}, err
	}
	h := oacore.PersonalHash(root)
	pub, err := crypto.Ecrecover(h[:], sig)
	if err != nil {
		return Address{}, fmt.Errorf("signature does not recover a key: %v", err)
	}
	var a Address
	h = oacore.Keccak(pub[1:])
	copy(a[:], h[12:])
	return a, nil
}

// sigCache remembers recovered signers by (merkle root, signature), so a
// batch of documents sharing one root costs one recovery. It is bounded:
// when full it is emptied (a batch is verified in one go, so recency hardly
// matters and the bound is what protects memory).
type sigCache struct {
	mu         sync.Mutex
	max        int
	m          map[string]Address
	recoveries atomic.Int64 // secp256k1 recoveries made (for tests and metrics)
}

func newSigCache(max int) *sigCache { return &sigCache{max: max, m: make(map[string]Address)} }

func (c *sigCache) recover(root oacore.Hash, sig string) (Address, error) {
	if c == nil || c.max <= 0 {
		return recoverRootSigner(root, sig)
	}
	k := string(root[:]) + strings.ToLower(sig)
	c.mu.Lock()
	a, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return a, nil
	}
	c.recoveries.Add(1)
	a, err := recoverRootSigner(root, sig)
	if err != nil {
		return a, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = a
	c.mu.Unlock()
	return a, nil
}
