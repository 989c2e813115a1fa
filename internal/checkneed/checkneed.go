// Package checkneed says what a document that cannot be checked needs
// (verify.VerdictCannotCheck): a hint after its reason and the heading of a
// group of such documents. The accord CLI and the node's web page both show
// it, so a document reads the same wherever it is verified, and the texts
// live here only. They name the flags of `accord verify` and `accord node
// run` (--eth-rpc, --status-online), which is why this is not in package
// verify: library text says what is wrong, not which command to run.
package checkneed

import (
	"strings"

	"github.com/accord-network/accord/formats/vc"
	"github.com/accord-network/accord/verify"
)

// Cause is why a document cannot be checked, as far as the hint goes.
type Cause string

// Causes.
const (
	// Chain: the document's state is on a blockchain that no endpoint was
	// given for, or that could not be reached.
	Chain Cause = "chain"
	// Anchor: the document names a token registry that no admitted anchor
	// lists.
	Anchor Cause = "anchor"
	// StatusList: a credential's status list was not fetched (offline).
	StatusList Cause = "status_list"
	// StatusRetry: a credential's status list was fetched but could not be
	// used (unreachable, malformed, unsigned).
	StatusRetry Cause = "status_retry"
	// Unsupported: this verifier cannot check it at all (an unsupported
	// cryptosuite, an unknown status type).
	Unsupported Cause = "unsupported"
)

// Need is what a document that cannot be checked needs.
type Need struct {
	Cause Cause
	// Hint is what to do next, in a few words after the reason, naming the
	// verifier's flag where one helps.
	Hint string
	// Group heads a group of such documents (the CLI's closing block).
	Group string
}

var needs = map[Cause]Need{
	Chain:       {Chain, "give that network's endpoint with --eth-rpc NETWORK=URL, or check it online", "needs the blockchain: --eth-rpc"},
	Anchor:      {Anchor, "an anchor must list the token registry: list add --contract NETWORK:0xADDRESS --use vc", "needs an anchor to list the token registry"},
	StatusList:  {StatusList, "fetch it with --status-online; the issuer's server then learns that this credential is checked", "needs the issuer's status list: --status-online"},
	StatusRetry: {StatusRetry, "try again later, or ask the issuer about its status list", "the issuer's status list could not be used"},
	Unsupported: {Unsupported, "check it with the issuer's own tools: this verifier does not support it", "not checkable by this verifier"},
}

// Of returns what r needs, or the zero Need when r is not a document that
// cannot be checked (Result.CannotCheck is empty). It classifies the reason
// formats/openattestation, formats/vc and internal/titleescrow write.
func Of(r *verify.Result) Need {
	if r == nil || r.CannotCheck == "" {
		return Need{}
	}
	return needs[causeOf(r.Format, r.CannotCheck)]
}

func causeOf(format, why string) Cause {
	switch {
	case format != vc.FormatName:
		// OpenAttestation: issuance or the title is on a chain.
		return Chain
	case strings.Contains(why, "no admitted anchor lists"):
		return Anchor
	case strings.Contains(why, "transferable record"):
		// The title's registry or escrow, on a chain.
		return Chain
	case strings.Contains(why, "status list") && strings.HasPrefix(why, "cannot be checked offline"):
		return StatusList
	case strings.Contains(why, "status list") && !strings.Contains(why, "cannot be verified here"):
		return StatusRetry
	}
	return Unsupported
}
