package p2p

import (
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The node's HTTP access rules (spec/network.md §7.1) all live in this file:
//
//   - every request: the Host header must name this node (DNS rebinding), and
//     a non-safe request must not come from another origin (CSRF);
//   - every POST to /v1/: a Content-Type that a browser cannot send without a
//     CORS preflight (which the node never grants);
//   - operator endpoints: Authorization: Bearer <DATA/operator.token>;
//   - POST /v1/lists, POST /v1/verify and the page's POST /verify: per-client
//     request and byte budgets (operator requests are exempt).

// access is the class of an API route.
type access int

const (
	public   access = iota // anyone may call it; it changes nothing a node trusts
	operator               // changes or reveals the node's operation: needs the operator token
)

// bodyKind says which Content-Types a POST route takes.
type bodyKind int

const (
	bodyObject   bodyKind = iota // a signed Accord object: application/cose or application/cbor
	bodyDocument                 // a document to verify: any type a browser cannot send cross-origin unpreflighted
)

// HTTPLimit is a per-client budget: a token bucket of requests and one of
// body bytes. A client is a remote IP address (IPv6: its /64).
type HTTPLimit struct {
	Rate       float64 // requests per second
	Burst      int     // requests at once
	BytesRate  float64 // body bytes per second
	BytesBurst int     // body bytes at once; at least the route's body limit
}

// Default per-client budgets, sized for real use: an anchor publishes a list
// or two a day, an officer's scanner verifies about one document a second,
// and a batch client a few hundred a minute.
var (
	DefaultSubmitLimit = HTTPLimit{Rate: 2, Burst: 30, BytesRate: 1 << 20, BytesBurst: 16 << 20}
	DefaultVerifyLimit = HTTPLimit{Rate: 20, Burst: 100, BytesRate: 16 << 20, BytesBurst: 64 << 20}
)

// maxTrackedClients bounds the per-client limiter table.
const maxTrackedClients = 16384

// guard applies the rules that hold for every request: the Host header and
// the cross-origin check.
func (n *Node) guard(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused: the node accepts POSTs only from its own pages and from non-browser clients")
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !n.allowedHost(r.Host) {
			writeError(w, http.StatusMisdirectedRequest, "Host %q is not an address of this node; start the node with --http-host NAME to serve it under that name", r.Host)
			return
		}
		cop.Handler(h).ServeHTTP(w, r)
	})
}

// allowedHost reports whether a Host header names this node: an IP literal
// (a browser sends one only when the user typed that address, so it cannot be
// a rebound DNS name), "localhost", or a name configured in Config.HTTPHosts.
// The port is not compared: the listener already fixed it, and a reverse
// proxy may present another.
func (n *Node) allowedHost(host string) bool {
	if host == "" {
		return false
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.ToLower(strings.Trim(name, "[]")), ".")
	if net.ParseIP(name) != nil || name == "localhost" {
		return true
	}
	for _, h := range n.cfg.HTTPHosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), name) {
			return true
		}
	}
	return false
}

// route wraps an API handler with its access class and, for POSTs, the body
// rules and the client's budget (nil: none).
func (n *Node) route(a access, body bodyKind, lim *clientLimits, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cred := n.operatorCredential(r)
		switch {
		case cred == bearerWrong:
			unauthorized(w, "the Authorization header does not carry this node's operator token (DATA/"+OperatorTokenFile+")")
			return
		case a == operator && cred != bearerValid:
			unauthorized(w, "operator endpoint: send Authorization: Bearer <token>, the token being the contents of the node's DATA/"+OperatorTokenFile)
			return
		}
		if r.Method == http.MethodPost {
			if msg := checkContentType(r.Header.Get("Content-Type"), body); msg != "" {
				writeError(w, http.StatusUnsupportedMediaType, "%s", msg)
				return
			}
			if lim != nil && cred != bearerValid && !lim.admit(w, r) {
				return
			}
		}
		h(w, r)
	}
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="accord-node"`)
	writeError(w, http.StatusUnauthorized, "%s", msg)
}

// checkContentType returns why a POST body's Content-Type is refused, or "".
func checkContentType(ct string, body bodyKind) string {
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		mt = ""
	}
	switch body {
	case bodyObject:
		if mt == "application/cose" || mt == "application/cbor" {
			return ""
		}
		return "POST a signed object with Content-Type: application/cose (or application/cbor); got " + strconv.Quote(ct)
	default:
		switch mt {
		case "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
			// The CORS-safelisted types: any web page can send them.
			return "POST a document with Content-Type: application/octet-stream (or its own type, e.g. application/pdf); " +
				strconv.Quote(ct) + " is a type any web page may send, so it is refused"
		}
		return ""
	}
}

// clientLimits holds one token-bucket pair per client for one kind of route.
type clientLimits struct {
	lim     HTTPLimit
	mu      sync.Mutex
	clients map[string]*clientBucket
}

type clientBucket struct {
	reqs, bytes *rate.Limiter
	seen        time.Time
}

func newClientLimits(l HTTPLimit) *clientLimits {
	return &clientLimits{lim: l, clients: map[string]*clientBucket{}}
}

// admit charges one request (and its declared body length) to the client's
// budget, answering 429 when it is spent. Bodies without a declared length
// are charged as they are read: the body reader fails once the byte budget
// runs out.
func (c *clientLimits) admit(w http.ResponseWriter, r *http.Request) bool {
	b := c.bucket(clientKey(r.RemoteAddr))
	now := time.Now()
	if !b.reqs.AllowN(now, 1) {
		tooMany(w, c.lim.Rate, "requests")
		return false
	}
	if r.ContentLength > 0 {
		if !b.bytes.AllowN(now, int(min(r.ContentLength, int64(c.lim.BytesBurst)+1))) {
			tooMany(w, c.lim.BytesRate, "body bytes")
			return false
		}
		return true
	}
	r.Body = &meteredBody{rc: r.Body, lim: b.bytes}
	return true
}

func tooMany(w http.ResponseWriter, perSecond float64, what string) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusTooManyRequests, "this client's budget of %g %s per second is spent; retry later", perSecond, what)
}

func (c *clientLimits) bucket(key string) *clientBucket {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if b := c.clients[key]; b != nil {
		b.seen = now
		return b
	}
	if len(c.clients) >= maxTrackedClients {
		c.evict(now)
	}
	b := &clientBucket{reqs: rate.NewLimiter(rate.Limit(c.lim.Rate), c.lim.Burst),
		bytes: rate.NewLimiter(rate.Limit(c.lim.BytesRate), c.lim.BytesBurst), seen: now}
	c.clients[key] = b
	return b
}

// evict drops clients idle long enough for their buckets to have refilled,
// and if that frees nothing, an arbitrary half (a fresh bucket is full, so
// eviction never lowers anyone's budget below a newcomer's).
func (c *clientLimits) evict(now time.Time) {
	idle := time.Duration(float64(c.lim.Burst)/max(c.lim.Rate, 1e-9)*float64(time.Second)) + time.Second
	for k, b := range c.clients {
		if now.Sub(b.seen) > idle {
			delete(c.clients, k)
		}
	}
	for k := range c.clients {
		if len(c.clients) < maxTrackedClients/2 {
			break
		}
		delete(c.clients, k)
	}
}

// clientKey is the remote IP address; an IPv6 client is its /64, the
// smallest block a host usually gets.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// meteredBody charges body bytes to a byte budget as they are read.
type meteredBody struct {
	rc  io.ReadCloser
	lim *rate.Limiter
}

// errBudgetSpent is the body read error when a client's byte budget is spent.
var errBudgetSpent = errors.New("this client's byte budget is spent; retry later")

func (m *meteredBody) Read(p []byte) (int, error) {
	k, err := m.rc.Read(p)
	if k > 0 && !m.lim.AllowN(time.Now(), k) {
		return k, errBudgetSpent
	}
	return k, err
}

func (m *meteredBody) Close() error { return m.rc.Close() }
