package verify

import (
	"context"
	"errors"
)

// ChainReader answers read-only contract calls (eth_call at the latest
// block) on EVM blockchains, for formats whose issuance is recorded on chain
// (OpenAttestation document stores and token registries,
// spec/openattestation.md §10). Implementations batch the calls of one
// CallContracts, and may merge concurrent ones, into few round trips.
//
// An endpoint is trusted to report the chain's state: spec/openattestation.md
// §10.4 says what a lying endpoint can do and how an operator limits it.
type ChainReader interface {
	// CallContracts runs each call on chain chainID and fills its Result
	// (the ABI-encoded return data) or Err (the call reverted). The returned
	// error is for the whole batch: ErrNoChainEndpoint when no endpoint is
	// configured for chainID, or a wrapped ErrChainUnreachable when the
	// chain could not be asked or its endpoints disagree.
	CallContracts(ctx context.Context, chainID uint64, calls []ContractCall) error
}

// ContractCall is one eth_call.
type ContractCall struct {
	To     [20]byte
	Data   []byte
	Result []byte
	// Err is set when the call itself failed on chain (reverted); that is an
	// answer from the chain, not an unreachable endpoint.
	Err error
}

// ErrNoChainEndpoint is returned by a ChainReader that has no endpoint for a chain.
var ErrNoChainEndpoint = errors.New("no RPC endpoint configured for this chain")

// ErrChainUnreachable is wrapped by errors from a ChainReader whose
// endpoints could not be asked, gave malformed answers, or disagree.
var ErrChainUnreachable = errors.New("chain could not be reached")

// VerdictCannotCheck is the outcome of a document whose validity hangs on a
// check that needs a service this verifier could not reach (a blockchain
// endpoint, none configured or down), when no check failed: neither valid
// nor a claim that the document is forged. Result.CannotCheck holds the
// reason; the result is not Valid and the CLI exits 1 with that reason as
// the headline.
const VerdictCannotCheck Verdict = "cannot_check"

// MarkCannotCheck records that the document could not be checked because a
// required service was unreachable. The first reason is kept.
func (r *Result) MarkCannotCheck(format string, args ...any) {
	if r.CannotCheck != "" {
		return
	}
	r.Warn(format, args...)
	r.CannotCheck = r.Warnings[len(r.Warnings)-1]
}
