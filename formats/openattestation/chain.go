package openattestation

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/accord-network/accord/internal/evm"
	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/titleescrow"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// Checks for documents issued on chain (spec/openattestation.md §10).
const (
	// CheckTitle reports who holds a transferable record (token registry).
	CheckTitle = "title"
)

// chainABI holds the DocumentStore functions a verifier calls, isIssued and
// isRevoked; the same selectors serve every published version
// (@govtechsg/document-store 2.x–3.x, @tradetrust-tt 4.x). The token
// registry and TitleEscrow functions are internal/titleescrow's.
var chainABI = sync.OnceValue(func() abi.ABI {
	return mustABI(`[
 {"type":"function","name":"isIssued","stateMutability":"view","inputs":[{"name":"document","type":"bytes32"}],"outputs":[{"name":"","type":"bool"}]},
 {"type":"function","name":"isRevoked","stateMutability":"view","inputs":[{"name":"document","type":"bytes32"}],"outputs":[{"name":"","type":"bool"}]}
]`)
})

func mustABI(s string) abi.ABI {
	a, err := abi.JSON(strings.NewReader(s))
	if err != nil {
		panic(err)
	}
	return a
}

// onChain is an issuer whose issuance is recorded in a contract.
type onChain struct {
	is      IssuerInfo
	what    string // "document store", "token registry"
	addr    common.Address
	chainID uint64 // the listed chain, once known
	docID   uint64 // the chain the document names, 0 if none
}

func (c *onChain) where() string {
	return fmt.Sprintf("%s %s on %s", c.what, c.addr.Hex(), evm.NetworkName(c.chainID))
}

// chainIssuerChecks verifies one issuer that records issuance on chain: the
// contract must be listed by an admitted anchor for the chain it is on, and
// the chain, asked through the configured endpoint(s), must say the merkle
// root is issued and not revoked (document store), or that the token exists
// and who holds it (token registry).
func (f *Format) chainIssuerChecks(ctx context.Context, d *Document, is IssuerInfo, env *verify.Env, r *verify.Result, signed verify.SigningTime, intact bool) {
	c, err := newOnChain(d, is)
	if err != nil {
		add(r, verify.CheckSignature, verify.Error, FragmentStatus, "%v", err)
		skipIdentity(r, "the issuer's contract is not named correctly")
		return
	}
	if is.IdentityType != "" && is.Location != "" {
		r.Summary = append(r.Summary, verify.Field{Label: "Identity claimed (" + is.IdentityType + ", not used)", Value: is.Location})
	}
	m, ok := findContract(r, env, c)
	if !ok {
		add(r, verify.CheckSignature, verify.Skip, FragmentStatus, "not asked: %s %s is not listed, so its records would not identify the issuer", c.what, c.addr.Hex())
		return
	}
	c.chainID, _, _ = m.Entry.Contract()
	if !intact {
		add(r, verify.CheckSignature, verify.Skip, FragmentStatus, "not asked: the document's integrity check failed, so no record on %s can vouch for it", c.where())
	} else {
		switch is.Method {
		case IssuedByTokenRegistry:
			f.tokenRegistryChecks(ctx, d, c, env, r)
		default:
			f.documentStoreChecks(ctx, d, c, env, r)
		}
	}
	add(r, verify.CheckKeyUsage, verify.Pass, FragmentIdentity, "%s may issue oa documents", c.where())
	env.IssuerChecks(r, m, signed)
	domainCheck(r, is, m)
}

func newOnChain(d *Document, is IssuerInfo) (*onChain, error) {
	c := &onChain{is: is, what: "document store"}
	if is.Method == IssuedByTokenRegistry {
		c.what = "token registry"
	}
	if !common.IsHexAddress(is.Store) || !strings.HasPrefix(is.Store, "0x") {
		return nil, fmt.Errorf("the %s address %q is not a 0x-prefixed 20-byte hex address", c.what, clip(is.Store))
	}
	c.addr = common.HexToAddress(is.Store)
	id, err := documentChainID(d)
	if err != nil {
		return nil, err
	}
	c.docID = id
	return c, nil
}

// documentChainID reads the chain a document names (v2 data.network.chainId,
// v3 network.chainId); 0 when it names none.
func documentChainID(d *Document) (uint64, error) {
	v := d.data.Path("network", "chainId")
	if v == nil {
		return 0, nil
	}
	s, ok := v.Str()
	if !ok {
		if n, isNum := v.Num(); isNum && n > 0 && n == float64(uint64(n)) {
			return uint64(n), nil
		}
		return 0, fmt.Errorf("network.chainId is not a chain id")
	}
	id, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("network.chainId %q is not a chain id", clip(s))
	}
	return id, nil
}

// findContract looks the contract up among evm_contract entries allowed for
// oa. When the document names a chain, the entry must be for that chain;
// when it names none (older documents), the listed chain is used.
func findContract(r *verify.Result, env *verify.Env, c *onChain) (trustlist.Match, bool) {
	if env == nil || env.Trust == nil {
		env = &verify.Env{Trust: emptyTrust{}}
	}
	all := env.Trust.Find(trustlist.Query{Address: c.addr[:], Kind: trustlist.EntryContract})
	var onChainMatches, oa []trustlist.Match
	for _, m := range all {
		id, _, _ := m.Entry.Contract()
		if c.docID != 0 && id != c.docID {
			continue
		}
		onChainMatches = append(onChainMatches, m)
		if m.Entry.Allows(trustlist.DocOA) {
			oa = append(oa, m)
		}
	}
	switch {
	case len(all) == 0:
		env.NotListed(r, fmt.Sprintf("%s %s is not in any admitted trust list (unknown issuer)", c.what, c.addr.Hex()))
		return trustlist.Match{}, false
	case len(onChainMatches) == 0:
		id, _, _ := all[0].Entry.Contract()
		r.Add(verify.CheckIssuerTrusted, verify.Fail, "the document names %s, but %s (%s) lists %s %s on %s",
			evm.NetworkName(c.docID), all[0].Country, all[0].Entry.Name, c.what, c.addr.Hex(), evm.NetworkName(id))
		return trustlist.Match{}, false
	case len(oa) == 0:
		m := onChainMatches[0]
		r.Add(verify.CheckKeyUsage, verify.Fail, "%s %s is listed by %s (%s) but not for OpenAttestation documents (uses: %v)", c.what, c.addr.Hex(), m.Country, m.Entry.Name, m.Entry.Uses)
		env.NotListed(r, fmt.Sprintf("%s %s is not listed for oa documents", c.what, c.addr.Hex()))
		return trustlist.Match{}, false
	}
	best, score := oa[0], -1
	for _, m := range oa {
		s := 0
		if m.Entry.ValidAt(env.At) && !m.Entry.RevokedBy(env.At) && !m.Equivocated {
			s += 4
		}
		if d := normDomain(c.is.Location); d != "" && d == normDomain(m.Entry.Domain) {
			s += 2
		}
		// A document that names no chain, for a contract listed on several:
		// Ethereum mainnet, OpenAttestation's default, if it is one of them.
		if id, _, _ := m.Entry.Contract(); c.docID == 0 && id == 1 {
			s++
		}
		if s > score {
			best, score = m, s
		}
	}
	return best, true
}

// callChain runs calls on the contract's chain; on failure it records the
// outcome "cannot check" with the reason and returns false.
func callChain(ctx context.Context, env *verify.Env, c *onChain, r *verify.Result, calls []verify.ContractCall) bool {
	var err error
	if env.Chains == nil {
		err = verify.ErrNoChainEndpoint
	} else {
		err = env.Chains.CallContracts(ctx, c.chainID, calls)
	}
	if err == nil {
		return true
	}
	why := "no RPC endpoint is configured for " + evm.NetworkName(c.chainID)
	if !errors.Is(err, verify.ErrNoChainEndpoint) {
		why = err.Error()
	}
	add(r, verify.CheckSignature, verify.Skip, FragmentStatus, "cannot be checked offline: issuance is recorded in %s (%s)", c.where(), why)
	r.MarkCannotCheck("cannot be checked offline: issuance is recorded in %s", c.where())
	return false
}

func pack(name string, args ...any) []byte {
	b, err := chainABI().Pack(name, args...)
	if err != nil {
		panic(fmt.Sprintf("openattestation: abi pack %s: %v", name, err)) // static ABI: a bug, not input
	}
	return b
}

// unpackBool reads a bool return; ok is false for a malformed answer.
func unpackBool(name string, c verify.ContractCall) (v, ok bool) {
	out, err := chainABI().Unpack(name, c.Result)
	if err != nil || len(out) != 1 {
		return false, false
	}
	v, ok = out[0].(bool)
	return v, ok
}

// documentStoreChecks asks isIssued(merkleRoot) and isRevoked for the
// target hash, each intermediate hash of the merkle proof and the root, as
// oa-verify does, in one batch.
func (f *Format) documentStoreChecks(ctx context.Context, d *Document, c *onChain, env *verify.Env, r *verify.Result) {
	target, _ := oacore.ParseHash(d.TargetHash) // intact: both parse
	root, _ := d.rootHash()
	hashes := []oacore.Hash{target}
	h := target
	for _, p := range d.Proof {
		ph, _ := oacore.ParseHash(p)
		h = oacore.Combine(h, ph)
		hashes = append(hashes, h) // the last is the root
	}
	calls := []verify.ContractCall{{To: c.addr, Data: pack("isIssued", [32]byte(root))}}
	for _, x := range hashes {
		calls = append(calls, verify.ContractCall{To: c.addr, Data: pack("isRevoked", [32]byte(x))})
	}
	if !callChain(ctx, env, c, r, calls) {
		add(r, CheckRevocation, verify.Skip, FragmentStatus, "not asked: %s could not be reached", evm.NetworkName(c.chainID))
		return
	}
	issued, ok := unpackBool("isIssued", calls[0])
	if calls[0].Err != nil || !ok {
		add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "%s did not answer isIssued (is it a document store?)", c.where())
		return
	}
	if !issued {
		add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "merkle root %s is not issued in %s", short(d.MerkleRoot), c.where())
	} else {
		add(r, verify.CheckSignature, verify.Pass, FragmentStatus, "merkle root %s is issued in %s", short(d.MerkleRoot), c.where())
	}
	for i, call := range calls[1:] {
		rev, ok := unpackBool("isRevoked", call)
		if call.Err != nil || !ok {
			add(r, CheckRevocation, verify.Fail, FragmentStatus, "%s did not answer isRevoked", c.where())
			return
		}
		if rev {
			what := "the document (target hash)"
			switch {
			case i == len(hashes)-1:
				what = "its whole batch (merkle root)"
			case i > 0:
				what = fmt.Sprintf("part of its batch (proof step %d)", i)
			}
			add(r, CheckRevocation, verify.Fail, FragmentStatus, "revoked: %s %s is revoked in %s", what, short(hashes[i].Hex()), c.where())
			return
		}
	}
	add(r, CheckRevocation, verify.Pass, FragmentStatus, "not revoked in %s (%d hashes asked)", c.where(), len(hashes))
}

// tokenRegistryChecks asks ownerOf(tokenId = merkle root); the owner is the
// document's TitleEscrow, whose beneficiary and holder are then asked, or
// the registry itself (returned to the issuer), or the burn address.
func (f *Format) tokenRegistryChecks(ctx context.Context, d *Document, c *onChain, env *verify.Env, r *verify.Result) {
	root, _ := d.rootHash()
	owner, ok := f.ownerOf(ctx, env, c, r, root)
	if !ok {
		return
	}
	titleChecks(ctx, env, r, c.addr, c.chainID, owner, FragmentStatus)
}

func (f *Format) ownerOf(ctx context.Context, env *verify.Env, c *onChain, r *verify.Result, token oacore.Hash) (common.Address, bool) {
	calls := []verify.ContractCall{titleescrow.OwnerOfCall(c.addr, new(big.Int).SetBytes(token[:]))}
	if !callChain(ctx, env, c, r, calls) {
		add(r, CheckTitle, verify.Skip, FragmentStatus, "not asked: %s could not be reached", evm.NetworkName(c.chainID))
		return common.Address{}, false
	}
	if calls[0].Err != nil {
		add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "token %s was never minted in %s (not issued)", short(token.Hex()), c.where())
		return common.Address{}, false
	}
	owner, ok := titleescrow.UnpackAddress("ownerOf", calls[0])
	if !ok {
		add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "%s gave a malformed ownerOf answer (is it a token registry?)", c.where())
		return common.Address{}, false
	}
	add(r, verify.CheckSignature, verify.Pass, FragmentStatus, "token %s is minted in %s", short(token.Hex()), c.where())
	return owner, true
}

// titleChecks reports the state of a transferable record whose token in
// registry (on chain chainID) is owned by owner, through the shared
// internal/titleescrow check (the same outcomes for every format).
func titleChecks(ctx context.Context, env *verify.Env, r *verify.Result, registry common.Address, chainID uint64, owner common.Address, fragment string) {
	titleescrow.Checks(ctx, env.Chains, r, registry, chainID, owner, func(st verify.Status, format string, args ...any) {
		add(r, CheckTitle, st, fragment, format, args...)
	})
}

// domainCheck compares the domain a document claims with the one the trust
// list binds the entry to.
func domainCheck(r *verify.Result, is IssuerInfo, m trustlist.Match) {
	docDomain := normDomain(is.Location)
	listDomain := normDomain(m.Entry.Domain)
	switch {
	case docDomain != "" && listDomain != "" && docDomain != listDomain:
		r.Add(CheckIssuerDomain, verify.Fail, "the document claims domain %s but the %s trust list binds this issuer to %s", docDomain, m.Country, listDomain)
	case docDomain != "" && listDomain != "":
		addText(r, CheckIssuerDomain, verify.Pass, "", r.Text().Join("domain ", docDomain, " matches the trust list entry"))
	case docDomain != "":
		r.Add(CheckIssuerDomain, verify.Skip, "the document claims domain %s; the trust list entry names no domain, so the claim is not verified", docDomain)
		r.Warn("domain %s named in the document is not vouched for by the trust list", docDomain)
	default:
		r.Add(CheckIssuerDomain, verify.Skip, "the document names no domain")
	}
}
