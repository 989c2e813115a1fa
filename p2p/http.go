package p2p

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// ListInfo is one row of GET /v1/lists.
type ListInfo struct {
	Country           string    `json:"country"`
	Anchor            string    `json:"anchor"`
	DescriptorVersion uint64    `json:"descriptor_version"`
	Seq               uint64    `json:"seq"`
	Hash              string    `json:"hash"`
	Entries           int       `json:"entries"`
	IssuedAt          time.Time `json:"issued_at"`
	NextUpdate        time.Time `json:"next_update"`
	Fresh             bool      `json:"fresh"`
	History           int       `json:"history"`
	Equivocated       bool      `json:"equivocated"`
}

// SubmitResponse is the body of POST /v1/lists and /v1/pins.
type SubmitResponse struct {
	Kind     string `json:"kind,omitempty"`
	Country  string `json:"country,omitempty"`
	Number   uint64 `json:"number,omitempty"`
	Hash     string `json:"hash,omitempty"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Evidence bool   `json:"evidence,omitempty"` // the object revealed an equivocation; evidence was published
}

// PeerInfo is one row of GET /v1/peers.
type PeerInfo struct {
	ID    string   `json:"id"`
	Addrs []string `json:"addrs"`
	Score float64  `json:"score"`
	// Mesh lists the gossip topics in which this node has grafted the peer.
	Mesh []string `json:"mesh"`
}

// Status is the body of GET /v1/status and /healthz.
type Status struct {
	// Status is ok, degraded (no peers, or stale lists) or failing (the
	// store cannot take writes; /healthz then answers 503); Reasons says why
	// it is not ok.
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"`
	// Stale names the anchors whose head list is past next_update.
	Stale []string `json:"stale,omitempty"`
	// Store is the trust store's write health.
	Store   trustlist.StoreHealth `json:"store"`
	PeerID  string                `json:"peer_id"`
	Addrs   []string              `json:"addrs"`
	Peers   int                   `json:"peers"`
	Anchors int                   `json:"anchors"`
	Lists   int                   `json:"lists"`
}

// maxVerifyBody bounds POST /v1/verify bodies.
const maxVerifyBody = 32 << 20

// apiMux returns the node's HTTP API routes, each wrapped with its access
// class (httpguard.go). Handler adds the web page at "/" and the rules that
// hold for every request; it is the only way the API is served.
func (n *Node) apiMux() *http.ServeMux {
	mux := http.NewServeMux()
	get := func(pattern string, a access, h http.HandlerFunc) {
		mux.HandleFunc("GET "+pattern, n.route(a, 0, nil, h))
	}
	post := func(pattern string, a access, body bodyKind, lim *clientLimits, h http.HandlerFunc) {
		mux.HandleFunc("POST "+pattern, n.route(a, body, lim, h))
	}
	get("/v1/anchors", public, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(n.Set().Anchors()))
	})
	get("/v1/lists", public, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, n.Lists())
	})
	get("/v1/lists/{country}", public, func(w http.ResponseWriter, r *http.Request) {
		cc := strings.ToUpper(r.PathValue("country"))
		l := n.Set().Head(cc)
		if l == nil {
			writeError(w, http.StatusNotFound, "no list held for %q", cc)
			return
		}
		writeCOSE(w, l.Raw())
	})
	get("/v1/publications/{country}", public, n.handlePublications) // publications.go
	get("/v1/foreign", public, n.handleForeign)                     // foreign.go
	post("/v1/foreign", operator, bodyDocument, nil, n.handleImportForeign)
	get("/v1/lists/{country}/{seq}", public, func(w http.ResponseWriter, r *http.Request) {
		cc := strings.ToUpper(r.PathValue("country"))
		seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "seq %q is not a number", r.PathValue("seq"))
			return
		}
		raw := n.Set().ListRaw(cc, seq) // not ListAt: that builds the list's entries
		if raw == nil {
			writeError(w, http.StatusNotFound, "no list %s seq %d held", cc, seq)
			return
		}
		writeCOSE(w, raw)
	})
	post("/v1/lists", public, bodyObject, n.submitLimits, func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r, int64(n.cfg.MaxObjectSize))
		if !ok {
			return
		}
		d, err := n.Submit(r.Context(), body)
		if err != nil && isStoreError(err) {
			code, resp := storeErrorResponse("", err)
			writeJSON(w, code, resp)
			return
		}
		if err != nil && d == nil {
			writeError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		resp := decisionResponse(d)
		switch {
		case d.Changed():
			writeJSON(w, http.StatusAccepted, resp)
		case d.Outcome == trustlist.Duplicate:
			writeJSON(w, http.StatusOK, resp)
		case d.Reason == trustlist.ReasonMalformed:
			writeJSON(w, http.StatusBadRequest, resp)
		default:
			writeJSON(w, http.StatusUnprocessableEntity, resp)
		}
	})
	post("/v1/pins", operator, bodyObject, nil, func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r, int64(n.cfg.MaxObjectSize))
		if !ok {
			return
		}
		opts, err := pinOptions(r)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, SubmitResponse{Kind: string(trustlist.KindDescriptor), Outcome: string(trustlist.Rejected),
				Reason: string(trustlist.ReasonHashMismatch), Detail: err.Error()})
			return
		}
		d, err := n.PinWith(r.Context(), body, opts)
		if err != nil && isStoreError(err) {
			code, resp := storeErrorResponse(string(trustlist.KindDescriptor), err)
			writeJSON(w, code, resp)
			return
		}
		if err != nil {
			code := http.StatusUnprocessableEntity
			reason := trustlist.ReasonOf(err)
			if reason == trustlist.ReasonMalformed || reason == "" {
				code = http.StatusBadRequest
			}
			writeJSON(w, code, SubmitResponse{Kind: string(trustlist.KindDescriptor), Outcome: string(trustlist.Rejected),
				Reason: string(reason), Detail: err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, SubmitResponse{Kind: string(trustlist.KindDescriptor), Country: d.Country,
			Number: d.Version, Hash: hex.EncodeToString(d.Hash()), Outcome: "pinned"})
	})
	post("/v1/verify", public, bodyDocument, n.verifyLimits, func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r, maxVerifyBody)
		if !ok {
			return
		}
		opts := verify.Options{Offline: r.URL.Query().Get("offline") == "1"}
		if at := r.URL.Query().Get("at"); at != "" {
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				writeError(w, http.StatusBadRequest, "at=%q is not an RFC 3339 time", at)
				return
			}
			opts.At = t
		}
		if cc := strings.ToUpper(r.URL.Query().Get("arrival")); cc != "" {
			if !trustlist.ValidCountry(cc) {
				writeError(w, http.StatusBadRequest, "arrival=%q is not an ISO 3166-1 alpha-2 country code", cc)
				return
			}
			opts.Arrival = &verify.ArrivalOptions{Country: cc, Region: strings.ToUpper(r.URL.Query().Get("region")), Lang: r.URL.Query().Get("lang")}
		}
		res, err := n.Verify(r.Context(), body, opts)
		code := http.StatusOK
		if err != nil {
			code = http.StatusBadRequest
		}
		writeJSON(w, code, res)
	})
	get("/v1/peers", operator, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, n.Peers())
	})
	get("/v1/status", public, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, n.Status()) })
	get("/healthz", public, func(w http.ResponseWriter, r *http.Request) {
		st := n.Status()
		writeJSON(w, healthCode(st.Status), st)
	})
	metrics := promhttp.HandlerFor(n.metrics.reg, promhttp.HandlerOpts{})
	get("/metrics", public, metrics.ServeHTTP)
	return mux
}

// Lists returns the rows of GET /v1/lists.
func (n *Node) Lists() []ListInfo {
	now := n.cfg.Now()
	out := []ListInfo{}
	for _, a := range n.Set().Anchors() {
		if a.Seq == 0 {
			continue
		}
		out = append(out, ListInfo{Country: a.Country, Anchor: a.Name, DescriptorVersion: a.Version, Seq: a.Seq,
			Hash: hex.EncodeToString(a.ListHash), Entries: a.Entries, IssuedAt: a.IssuedAt, NextUpdate: a.NextUpdate,
			Fresh: now.Before(a.NextUpdate), History: a.History, Equivocated: a.Equivocated})
	}
	return out
}

// Peers returns the connected peers with their scores.
func (n *Node) Peers() []PeerInfo {
	scores := n.PeerScores()
	out := []PeerInfo{}
	for _, p := range n.host.Network().Peers() {
		pi := PeerInfo{ID: p.String(), Score: scores[p], Addrs: []string{}, Mesh: []string{}}
		for _, topic := range []string{TopicLists, TopicAnchors, TopicEvidence} {
			for _, q := range n.mesh.peers(topic) {
				if q == p {
					pi.Mesh = append(pi.Mesh, topic)
				}
			}
		}
		for _, c := range n.host.Network().ConnsToPeer(p) {
			pi.Addrs = append(pi.Addrs, c.RemoteMultiaddr().String())
		}
		out = append(out, pi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Status returns the node's health summary.
func (n *Node) Status() Status {
	anchors := n.Set().Anchors()
	lists := 0
	for _, a := range anchors {
		if a.Seq > 0 {
			lists++
		}
	}
	state, reasons, sh := n.health()
	st := Status{Status: state, Reasons: reasons, Store: sh, PeerID: n.host.ID().String(), Addrs: n.Addrs(), Peers: len(n.host.Network().Peers()),
		Anchors: len(anchors), Lists: lists}
	if st.Stale = staleLists(anchors, n.cfg.Now()); len(st.Stale) > 0 {
		if st.Status == HealthOK {
			st.Status = HealthDegraded
		}
		st.Reasons = append(st.Reasons, fmt.Sprintf("stale lists (past next_update; online verification against them fails): %s", strings.Join(st.Stale, ", ")))
	}
	return st
}

// staleLists names the anchors whose head list is past its next_update:
// online verification against them fails until a new list arrives.
func staleLists(anchors []trustlist.AnchorInfo, now time.Time) []string {
	var out []string
	for _, a := range anchors {
		if a.Seq > 0 && !now.Before(a.NextUpdate) {
			out = append(out, a.Country)
		}
	}
	return out
}

func decisionResponse(d *trustlist.Decision) SubmitResponse {
	return SubmitResponse{Kind: string(d.Kind), Country: d.Country, Number: d.Number, Hash: hex.EncodeToString(d.Hash),
		Outcome: string(d.Outcome), Reason: string(d.Reason), Detail: d.Detail, Evidence: d.Evidence != nil}
}

func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.Is(err, errBudgetSpent) {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests, "%v", err)
		} else if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "body exceeds the %d byte limit", max)
		} else {
			writeError(w, http.StatusBadRequest, "read body: %v", err)
		}
		return nil, false
	}
	if len(b) == 0 {
		writeError(w, http.StatusBadRequest, "empty body")
		return nil, false
	}
	return b, true
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func writeCOSE(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/cose")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// pinOptions reads POST /v1/pins's query: expect_hash=HEX (the descriptor's
// SHA-256, as the anchor gave it out of band) and replace=1 (replace the
// anchor outright; needs expect_hash).
func pinOptions(r *http.Request) (trustlist.PinOptions, error) {
	var o trustlist.PinOptions
	q := r.URL.Query()
	if h := q.Get("expect_hash"); h != "" {
		b, err := trustlist.ParseHash(h)
		if err != nil {
			return o, fmt.Errorf("expect_hash: %w", err)
		}
		o.ExpectHash = b
	}
	switch q.Get("replace") {
	case "", "0", "false":
	case "1", "true":
		o.Replace = true
	default:
		return o, fmt.Errorf("replace must be 1 or 0, not %q", q.Get("replace"))
	}
	return o, nil
}
