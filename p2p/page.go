package p2p

import (
	"context"
	"net/http"
	"time"

	"github.com/accord-network/accord/p2p/web"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// Verify checks a document against what the node holds and counts it in the
// node's metrics. It serves POST /v1/verify and the web page alike.
func (n *Node) Verify(ctx context.Context, in []byte, opts verify.Options) (*verify.Result, error) {
	start := time.Now()
	if opts.Chains == nil {
		opts.Chains = n.cfg.Chains
	}
	if opts.Fetcher == nil {
		opts.Fetcher = n.cfg.Fetcher
	}
	res, err := verify.New(n.Set(), opts).Verify(ctx, in)
	n.metrics.verifyTime.Observe(time.Since(start).Seconds())
	n.metrics.verifies.WithLabelValues(verifyOutcome(res)).Inc()
	return res, err
}

// verifyOutcome is the accord_verify_total label of a result: its verdict
// (spec/verify.md, Verdicts), except that an unreadable input keeps the
// series' older name "malformed". A document that cannot be checked here is
// counted apart from a not valid one: it is no sign of forgery.
func verifyOutcome(res *verify.Result) string {
	if res == nil {
		return "malformed"
	}
	if v := res.Verdict(); v != verify.VerdictUnreadable {
		return string(v)
	}
	return "malformed"
}

// Handler returns everything the node serves over HTTP: the API and the
// verifier web page at "/" (package web), under the access rules of
// spec/network.md §7.1 (httpguard.go).
func (n *Node) Handler() http.Handler {
	mux := n.apiMux()
	id := n.ID().String()
	if len(id) > 14 {
		id = id[:6] + "…" + id[len(id)-6:]
	}
	page := web.HandlerWith(pageBackend{n}, web.Options{Operator: n.cfg.OperatorName, Node: "node " + id})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The page's form posts (multipart, same origin) verify documents:
		// they share the API's verify budget.
		if r.Method == http.MethodPost && !n.verifyLimits.admit(w, r) {
			return
		}
		page.ServeHTTP(w, r)
	}))
	return n.guard(mux)
}

type pageBackend struct{ n *Node }

func (b pageBackend) Verify(ctx context.Context, in []byte, opts verify.Options) (*verify.Result, error) {
	return b.n.Verify(ctx, in, opts)
}

func (b pageBackend) Anchors() []trustlist.AnchorInfo { return b.n.Set().Anchors() }

// RuleCountries lists the anchors whose rule sets the node holds.
func (b pageBackend) RuleCountries() []string {
	set := b.n.Set()
	var out []string
	for _, a := range set.Anchors() {
		if set.RuleSet(a.Country) != nil {
			out = append(out, a.Country)
		}
	}
	return out
}
