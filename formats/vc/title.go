package vc

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/accord-network/accord/internal/evm"
	"github.com/accord-network/accord/internal/titleescrow"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// transferable is a TransferableRecords credentialStatus, read.
type transferable struct {
	registry common.Address
	chainID  uint64
	token    *big.Int
}

func (t *transferable) where() string {
	return fmt.Sprintf("token registry %s on %s", t.registry.Hex(), evm.NetworkName(t.chainID))
}

// readTransferable reads the registry address, chain and token ID of a
// TransferableRecords status; the token ID is 32 bytes of hex (TrustVC
// writes it without 0x).
func readTransferable(s *Status) (*transferable, error) {
	if !common.IsHexAddress(s.TokenRegistry) || !strings.HasPrefix(s.TokenRegistry, "0x") {
		return nil, fmt.Errorf("tokenRegistry %q is not a 0x-prefixed 20-byte hex address", clip(s.TokenRegistry))
	}
	id, err := strconv.ParseUint(strings.TrimSpace(s.ChainID), 10, 64)
	if err != nil || id == 0 {
		return nil, fmt.Errorf("tokenNetwork.chainId %q is not a chain id", clip(s.ChainID))
	}
	h := strings.TrimPrefix(strings.TrimPrefix(s.TokenID, "0x"), "0X")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) == 0 || len(b) > 32 {
		return nil, fmt.Errorf("tokenId %q is not a 256-bit hex number", clip(s.TokenID))
	}
	return &transferable{registry: common.HexToAddress(s.TokenRegistry), chainID: id, token: new(big.Int).SetBytes(b)}, nil
}

// titleStatus checks a TransferableRecords status as OpenAttestation's
// token-registry path does (spec/openattestation.md §11.4): the registry
// must be listed by an admitted anchor for vc credentials on the chain the
// status names; then ownerOf(tokenId) is asked and the token's
// TitleEscrow, through the shared internal/titleescrow check.
func titleStatus(ctx context.Context, r *verify.Result, s *Status, env *verify.Env) {
	t, err := readTransferable(s)
	if err != nil {
		r.Add(CheckStatus, verify.Error, "the TransferableRecords status cannot be read, so no chain can say who holds this record: %v", err)
		return
	}
	if env.Chains == nil {
		offline(r, s, t, "no RPC endpoint is configured for "+evm.NetworkName(t.chainID))
		return
	}
	if !registryListed(r, s, env, t) {
		return
	}
	calls := []verify.ContractCall{titleescrow.OwnerOfCall(t.registry, t.token)}
	if !askChain(ctx, r, s, env, t, calls) {
		return
	}
	tok := fmt.Sprintf("%064x", t.token)[:16] + "…"
	if calls[0].Err != nil {
		r.Add(CheckStatus, verify.Fail, "token %s was never minted in %s (not issued)", tok, t.where())
		return
	}
	owner, ok := titleescrow.UnpackAddress("ownerOf", calls[0])
	if !ok {
		r.Add(CheckStatus, verify.Fail, "%s gave a malformed ownerOf answer (is it a token registry?)", t.where())
		return
	}
	titleescrow.Checks(ctx, env.Chains, r, t.registry, t.chainID, owner, func(st verify.Status, format string, args ...any) {
		r.Add(CheckStatus, st, "token %s in %s: %s", tok, t.where(), fmt.Sprintf(format, args...))
	})
}

// registryListed looks the registry up among evm_contract entries for the
// status's chain allowed for vc; without one, the chain is not asked: its
// records would not identify anyone.
func registryListed(r *verify.Result, s *Status, env *verify.Env, t *transferable) bool {
	all := env.Trust.Find(trustlist.Query{Address: t.registry[:], Kind: trustlist.EntryContract})
	var onChain, usable []trustlist.Match
	for _, m := range all {
		if id, _, _ := m.Entry.Contract(); id != t.chainID {
			continue
		}
		onChain = append(onChain, m)
		if m.Entry.Allows(trustlist.DocVC) {
			usable = append(usable, m)
		}
	}
	switch {
	case len(all) == 0:
		r.Add(CheckStatus, verify.Skip, "not asked: %s is not in any admitted trust list, so its records would not identify the issuer of this transferable record", t.where())
	case len(onChain) == 0:
		id, _, _ := all[0].Entry.Contract()
		r.Add(CheckStatus, verify.Fail, "the credential names %s, but %s (%s) lists token registry %s on %s", evm.NetworkName(t.chainID), all[0].Country, all[0].Entry.Name, t.registry.Hex(), evm.NetworkName(id))
		return false
	case len(usable) == 0:
		m := onChain[0]
		r.Add(CheckStatus, verify.Skip, "not asked: %s is listed by %s (%s) but not for W3C verifiable credentials (uses: %v)", t.where(), m.Country, m.Entry.Name, m.Entry.Uses)
	default:
		for _, m := range usable {
			if m.Entry.ValidAt(env.At) && !m.Entry.RevokedBy(env.At) && !m.Equivocated {
				r.Summary = append(r.Summary, verify.Field{Label: "Token registry listed by", Value: fmt.Sprintf("%s (%s)", m.Country, m.Entry.Name)})
				return true
			}
		}
		m := usable[0]
		r.Add(CheckStatus, verify.Fail, "%s is listed by %s (%s) but the entry is not in force at %s (expired, not yet valid, revoked or equivocated)", t.where(), m.Country, m.Entry.Name, env.At.UTC().Format("2006-01-02"))
		return false
	}
	r.MarkCannotCheck("cannot be checked: this transferable record's title is recorded as %s, which no admitted anchor lists for vc credentials", recordedAs(s, t))
	return false
}

// askChain runs calls on the status's chain; on failure it records "cannot
// check" with the reason and returns false.
func askChain(ctx context.Context, r *verify.Result, s *Status, env *verify.Env, t *transferable, calls []verify.ContractCall) bool {
	err := env.Chains.CallContracts(ctx, t.chainID, calls)
	if err == nil {
		return true
	}
	why := "no RPC endpoint is configured for " + evm.NetworkName(t.chainID)
	if !errors.Is(err, verify.ErrNoChainEndpoint) {
		why = err.Error()
	}
	offline(r, s, t, why)
	return false
}

// offline records that the title was not asked, and why.
func offline(r *verify.Result, s *Status, t *transferable, why string) {
	r.Add(CheckStatus, verify.Skip, "not asked: this transferable record's title (who holds it, whether it was surrendered) is %s (%s)", recordedAs(s, t), why)
	r.MarkCannotCheck("cannot be checked offline: this transferable record's title is recorded as %s", recordedAs(s, t))
}

func recordedAs(s *Status, t *transferable) string {
	return fmt.Sprintf("token %s in %s", clip(s.TokenID), t.where())
}
