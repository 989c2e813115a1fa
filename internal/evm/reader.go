package evm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"golang.org/x/sync/errgroup"

	"github.com/accord-network/accord/verify"
)

// Defaults for a Reader.
const (
	DefaultWindow   = 5 * time.Millisecond
	DefaultMaxBatch = 200
	DefaultTimeout  = 20 * time.Second
)

// ErrReverted is the Err of a ContractCall the chain answered with a revert
// (e.g. ownerOf of a token that does not exist).
var ErrReverted = errors.New("execution reverted")

// Reader implements verify.ChainReader over JSON-RPC. Calls that arrive
// within Window of each other for one chain are sent as one JSON-RPC batch
// (identical calls once), so verifying a folder of documents from one
// document store costs a round trip or two, not one per document. With
// several endpoints for a chain, each is asked and all must agree. It is
// safe for concurrent use.
type Reader struct {
	// Window is how long a call waits for others to share its batch.
	Window time.Duration
	// MaxBatch bounds the calls of one batch; a full batch is sent at once.
	MaxBatch int
	// Timeout bounds one batch round trip.
	Timeout time.Duration

	mu     sync.Mutex
	chains map[uint64]*chain
}

type chain struct {
	id   uint64
	eps  []*endpoint
	open *batch // collecting calls, nil if none
}

type endpoint struct {
	label   string // URL without credentials, for messages
	client  *rpc.Client
	idKnown atomic.Bool // eth_chainId confirmed
}

type batch struct {
	calls []verify.ContractCall
	once  sync.Once
	done  chan struct{}
	err   error
}

// NewReader returns a Reader with no endpoints.
func NewReader() *Reader {
	return &Reader{Window: DefaultWindow, MaxBatch: DefaultMaxBatch, Timeout: DefaultTimeout, chains: map[uint64]*chain{}}
}

// Dial returns a Reader with a client for each endpoint. Several endpoints
// for one chain must all agree on every answer.
func Dial(ctx context.Context, eps []Endpoint) (*Reader, error) {
	r := NewReader()
	for _, e := range eps {
		c, err := rpc.DialContext(ctx, e.URL)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("RPC endpoint for %s: %w", NetworkName(e.ChainID), err)
		}
		r.AddClient(e.ChainID, redact(e.URL), c)
	}
	return r, nil
}

// AddClient adds an endpoint for chain id; label names it in messages.
func (r *Reader) AddClient(id uint64, label string, c *rpc.Client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := r.chains[id]
	if ch == nil {
		ch = &chain{id: id}
		r.chains[id] = ch
	}
	ch.eps = append(ch.eps, &endpoint{label: label, client: c})
}

// Chains returns the chain IDs that have an endpoint.
func (r *Reader) Chains() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []uint64
	for id := range r.chains {
		out = append(out, id)
	}
	return out
}

// Close closes every client.
func (r *Reader) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ch := range r.chains {
		for _, e := range ch.eps {
			e.client.Close()
		}
	}
}

// CallContracts implements verify.ChainReader.
func (r *Reader) CallContracts(ctx context.Context, id uint64, calls []verify.ContractCall) error {
	if len(calls) == 0 {
		return nil
	}
	b, start, err := r.enqueue(id, calls)
	if err != nil {
		return err
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if b.err != nil {
		return b.err
	}
	for i := range calls {
		calls[i].Result, calls[i].Err = b.calls[start+i].Result, b.calls[start+i].Err
	}
	return nil
}

// enqueue adds calls to the chain's open batch (starting one, and its
// timer, if none is open) and returns the batch and the calls' offset in it.
func (r *Reader) enqueue(id uint64, calls []verify.ContractCall) (*batch, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := r.chains[id]
	if ch == nil || len(ch.eps) == 0 {
		return nil, 0, fmt.Errorf("%s: %w", NetworkName(id), verify.ErrNoChainEndpoint)
	}
	b := ch.open
	if b == nil {
		b = &batch{done: make(chan struct{})}
		ch.open = b
		time.AfterFunc(r.Window, func() { r.flush(ch, b) })
	}
	start := len(b.calls)
	for _, c := range calls {
		b.calls = append(b.calls, verify.ContractCall{To: c.To, Data: c.Data})
	}
	if len(b.calls) >= r.MaxBatch {
		ch.open = nil
		go r.flush(ch, b)
	}
	return b, start, nil
}

// flush closes batch b to new calls and sends it, once.
func (r *Reader) flush(ch *chain, b *batch) {
	r.mu.Lock()
	if ch.open == b {
		ch.open = nil
	}
	eps := ch.eps
	r.mu.Unlock()
	b.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), r.Timeout)
		defer cancel()
		b.err = r.run(ctx, ch.id, eps, b.calls)
		close(b.done)
	})
}

// answer is one endpoint's reply to one distinct call.
type answer struct {
	data     []byte
	reverted bool
}

// run sends the distinct calls of a batch to every endpoint and fills the
// calls from their (agreeing) answers. A disagreement is retried once: two
// honest endpoints can straddle a new block.
func (r *Reader) run(ctx context.Context, id uint64, eps []*endpoint, calls []verify.ContractCall) error {
	keys, distinct := dedupe(calls)
	var answers [][]answer
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		answers, err = askAll(ctx, id, eps, distinct)
		if err != nil {
			return err
		}
		if err = agree(eps, answers); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	for i := range calls {
		a := answers[0][keys[i]]
		calls[i].Result = a.data
		if a.reverted {
			calls[i].Err = ErrReverted
		}
	}
	return nil
}

func dedupe(calls []verify.ContractCall) (keys []int, distinct []verify.ContractCall) {
	seen := map[string]int{}
	keys = make([]int, len(calls))
	for i, c := range calls {
		k := string(c.To[:]) + string(c.Data)
		j, ok := seen[k]
		if !ok {
			j = len(distinct)
			seen[k] = j
			distinct = append(distinct, c)
		}
		keys[i] = j
	}
	return keys, distinct
}

func askAll(ctx context.Context, id uint64, eps []*endpoint, calls []verify.ContractCall) ([][]answer, error) {
	answers := make([][]answer, len(eps))
	g, gctx := errgroup.WithContext(ctx)
	for i, e := range eps {
		g.Go(func() error {
			a, err := e.ask(gctx, id, calls)
			answers[i] = a
			return err
		})
	}
	return answers, g.Wait()
}

func agree(eps []*endpoint, answers [][]answer) error {
	for i := 1; i < len(answers); i++ {
		for j := range answers[0] {
			a, b := answers[0][j], answers[i][j]
			if a.reverted != b.reverted || !bytes.Equal(a.data, b.data) {
				return fmt.Errorf("%w: endpoints %s and %s give different answers", verify.ErrChainUnreachable, eps[0].label, eps[i].label)
			}
		}
	}
	return nil
}

// callArg is eth_call's transaction object. The call data is sent as both
// "input" (current name) and "data" (older nodes); geth accepts both when
// equal.
type callArg struct {
	To    common.Address `json:"to"`
	Input hexutil.Bytes  `json:"input"`
	Data  hexutil.Bytes  `json:"data"`
}

// ask sends one JSON-RPC batch: eth_chainId first (until confirmed), then
// one eth_call per call at the latest block.
func (e *endpoint) ask(ctx context.Context, id uint64, calls []verify.ContractCall) ([]answer, error) {
	unreachable := func(f string, a ...any) error {
		return fmt.Errorf("%w: %s at %s: %s", verify.ErrChainUnreachable, NetworkName(id), e.label, fmt.Sprintf(f, a...))
	}
	var elems []rpc.BatchElem
	var gotID hexutil.Uint64
	checkID := !e.idKnown.Load()
	if checkID {
		elems = append(elems, rpc.BatchElem{Method: "eth_chainId", Result: &gotID})
	}
	out := make([]hexutil.Bytes, len(calls))
	for i, c := range calls {
		elems = append(elems, rpc.BatchElem{Method: "eth_call", Args: []any{callArg{To: c.To, Input: c.Data, Data: c.Data}, "latest"}, Result: &out[i]})
	}
	if err := e.client.BatchCallContext(ctx, elems); err != nil {
		return nil, unreachable("%v", err)
	}
	if checkID {
		if elems[0].Error != nil {
			return nil, unreachable("eth_chainId: %v", elems[0].Error)
		}
		if uint64(gotID) != id {
			return nil, unreachable("the endpoint serves chain %d, not %d", uint64(gotID), id)
		}
		e.idKnown.Store(true)
		elems = elems[1:]
	}
	ans := make([]answer, len(calls))
	for i, el := range elems {
		switch {
		case el.Error == nil:
			ans[i] = answer{data: out[i]}
		case isRevert(el.Error):
			ans[i] = answer{reverted: true}
		default:
			return nil, unreachable("eth_call: %v", el.Error)
		}
	}
	return ans, nil
}

// isRevert tells a call the EVM reverted (an answer about the chain's
// state) from an endpoint error (rate limit, bad request: no answer).
func isRevert(err error) bool {
	var re rpc.Error
	if errors.As(err, &re) && re.ErrorCode() == 3 {
		return true
	}
	return strings.Contains(err.Error(), "execution reverted") || strings.Contains(err.Error(), "revert")
}

// redact drops credentials, query and path from an endpoint URL for
// messages (API keys often sit in the path or query).
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "the configured endpoint"
	}
	return u.Scheme + "://" + u.Host
}
