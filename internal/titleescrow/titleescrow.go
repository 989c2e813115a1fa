// Package titleescrow reads the title of a TradeTrust transferable record
// (an electronic bill of lading) from its token registry: the registry's
// ERC-721 ownerOf(tokenId) names the token's TitleEscrow contract, whose
// beneficiary() and holder() say who holds the title; a token owned by the
// registry itself has been returned to the issuer (surrendered), one owned
// by the burn address has been burnt (surrender accepted)
// (spec/openattestation.md §10.3). Every format that carries transferable
// records (OpenAttestation, W3C VC credentialStatus TransferableRecords)
// reports the title through Checks, so the outcomes are the same.
package titleescrow

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/accord-network/accord/internal/evm"
	"github.com/accord-network/accord/verify"
)

// ABI holds the functions a verifier calls: the token registry's ERC-721
// ownerOf and TitleEscrow's beneficiary / holder. The selectors serve every
// published token registry (4.x and 5.x). It is parsed on first use, not
// at every process start.
var ABI = sync.OnceValue(func() abi.ABI {
	return mustABI(`[
 {"type":"function","name":"ownerOf","stateMutability":"view","inputs":[{"name":"tokenId","type":"uint256"}],"outputs":[{"name":"","type":"address"}]},
 {"type":"function","name":"beneficiary","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"address"}]},
 {"type":"function","name":"holder","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"address"}]}
]`)
})

func mustABI(s string) abi.ABI {
	a, err := abi.JSON(strings.NewReader(s))
	if err != nil {
		panic(err)
	}
	return a
}

// BurnAddress is where TradeTrust token registries send a burnt (shredded,
// surrender accepted) token: address(0) means "never minted" to ERC-721.
var BurnAddress = common.HexToAddress("0x000000000000000000000000000000000000dEaD")

// OwnerOfCall is the call ownerOf(token) to registry.
func OwnerOfCall(registry common.Address, token *big.Int) verify.ContractCall {
	return verify.ContractCall{To: registry, Data: pack("ownerOf", token)}
}

// UnpackAddress reads the address a call of ABI function name returned; ok
// is false for a malformed answer.
func UnpackAddress(name string, c verify.ContractCall) (common.Address, bool) {
	out, err := ABI().Unpack(name, c.Result)
	if err != nil || len(out) != 1 {
		return common.Address{}, false
	}
	a, ok := out[0].(common.Address)
	return a, ok
}

func pack(name string, args ...any) []byte {
	b, err := ABI().Pack(name, args...)
	if err != nil {
		panic(fmt.Sprintf("titleescrow: abi pack %s: %v", name, err)) // static ABI: a bug, not input
	}
	return b
}

// AddFunc records one check of the title with the caller's check name.
type AddFunc func(st verify.Status, format string, args ...any)

// Checks reports the state of a transferable record whose token in
// registry (on chain chainID) is owned by owner: held in a TitleEscrow
// (beneficiary and holder asked and shown in the summary), returned to the
// issuer, or burnt. It records the outcome through add and the summary
// fields on r; an escrow that cannot be asked marks r cannot-check.
func Checks(ctx context.Context, chains verify.ChainReader, r *verify.Result, registry common.Address, chainID uint64, owner common.Address, add AddFunc) {
	where := fmt.Sprintf("token registry %s on %s", registry.Hex(), evm.NetworkName(chainID))
	switch owner {
	case registry:
		add(verify.Pass, "returned to the issuer (surrendered): the registry itself holds the token; the issuer may accept (burn) or reject the surrender")
		r.Summary = append(r.Summary, verify.Field{Label: "Title", Value: "returned to the issuer (surrendered)"})
		r.Warn("this transferable record has been surrendered to its issuer; it no longer circulates")
		return
	case BurnAddress, common.Address{}:
		add(verify.Fail, "the title was burnt in %s (surrender accepted): the document no longer represents the goods", where)
		r.Summary = append(r.Summary, verify.Field{Label: "Title", Value: "burnt (surrender accepted)"})
		return
	}
	calls := []verify.ContractCall{{To: owner, Data: pack("beneficiary")}, {To: owner, Data: pack("holder")}}
	var err error
	if chains == nil {
		err = verify.ErrNoChainEndpoint
	} else {
		err = chains.CallContracts(ctx, chainID, calls)
	}
	if err != nil {
		add(verify.Skip, "title escrow %s could not be asked: %v", owner.Hex(), err)
		r.MarkCannotCheck("cannot be checked offline: the holder of this transferable record is recorded in %s", where)
		return
	}
	ben, ok1 := UnpackAddress("beneficiary", calls[0])
	hol, ok2 := UnpackAddress("holder", calls[1])
	if calls[0].Err != nil || calls[1].Err != nil || !ok1 || !ok2 {
		add(verify.Fail, "the token's owner %s is not a TitleEscrow (no beneficiary/holder): the title is not held as TradeTrust requires", owner.Hex())
		r.Summary = append(r.Summary, verify.Field{Label: "Owner", Value: owner.Hex()})
		return
	}
	add(verify.Pass, "held in title escrow %s: beneficiary %s, holder %s", owner.Hex(), ben.Hex(), hol.Hex())
	r.Summary = append(r.Summary,
		verify.Field{Label: "Holder", Value: hol.Hex()},
		verify.Field{Label: "Beneficiary", Value: ben.Hex()},
		verify.Field{Label: "Title escrow", Value: owner.Hex()})
}
