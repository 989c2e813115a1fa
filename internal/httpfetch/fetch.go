// Package httpfetch fetches the online documents a verification may need
// (W3C status list credentials, spec/openattestation.md §11.7) when the
// verifier is allowed to go online: HTTPS only, public addresses only, a
// timeout, a size limit, and every URL fetched once per cache lifetime
// however many documents name it.
package httpfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/accord-network/accord/verify"
)

// Defaults.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultMaxCached = 64 << 20
	maxURL           = 2048
	maxRedirects     = 3
	// errorAge is how long a failed fetch is remembered when MaxAge is set
	// (a long-running node): an outage is not hammered, nor held for long.
	errorAge = 30 * time.Second
)

// Options configure a Fetcher.
type Options struct {
	// Timeout bounds one fetch, connection to last byte (DefaultTimeout if 0).
	Timeout time.Duration
	// MaxAge is how long a fetched document is reused. Zero reuses it for
	// the Fetcher's life: right for one CLI run, where every credential
	// naming a list must see the same list.
	MaxAge time.Duration
	// MaxCached bounds the bytes kept (DefaultMaxCached if 0).
	MaxCached int64
	// AllowLoopback admits http:// and loopback addresses (127.0.0.1, ::1):
	// for tests against a local server only. Otherwise only https:// to
	// public addresses is fetched.
	AllowLoopback bool
}

// Fetcher implements verify.Fetcher over HTTP. It is safe for concurrent
// use; concurrent requests for one URL share one fetch.
type Fetcher struct {
	opts   Options
	client *http.Client

	mu      sync.Mutex
	entries map[string]*entry
	cached  int64
	fetches int
}

type entry struct {
	done chan struct{}
	body []byte
	err  error
	at   time.Time
}

// New returns a Fetcher.
func New(opts Options) *Fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxCached <= 0 {
		opts.MaxCached = DefaultMaxCached
	}
	f := &Fetcher{opts: opts, entries: map[string]*entry{}}
	dialer := &net.Dialer{Timeout: opts.Timeout, Control: f.checkDial}
	f.client = &http.Client{
		Timeout: opts.Timeout,
		Transport: &http.Transport{
			// No proxy: the address dialled is the one the policy judges.
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   opts.Timeout,
			ResponseHeaderTimeout: opts.Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			return f.checkURL(req.URL)
		},
	}
	return f
}

var _ verify.Fetcher = (*Fetcher)(nil)

// Fetches returns how many requests went to the network (cache misses).
func (f *Fetcher) Fetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

// Fetch implements verify.Fetcher.
func (f *Fetcher) Fetch(ctx context.Context, raw string, max int64) ([]byte, error) {
	e, owner := f.lookup(raw)
	if owner {
		e.body, e.err = f.get(ctx, raw, max)
		e.at = time.Now()
		f.store(raw, e)
		close(e.done)
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %s: %v", verify.ErrFetch, Redact(raw), ctx.Err())
	}
	if e.err != nil {
		return nil, e.err
	}
	if int64(len(e.body)) > max {
		return nil, fmt.Errorf("%w: %s sent more than %d bytes", verify.ErrFetchTooLarge, Redact(raw), max)
	}
	return e.body, nil
}

// lookup returns the entry for url, and whether the caller must fill it.
func (f *Fetcher) lookup(raw string) (*entry, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.entries[raw]; ok {
		select {
		case <-e.done:
			if !f.expired(e) {
				return e, false
			}
			f.cached -= int64(len(e.body))
			delete(f.entries, raw)
		default:
			return e, false // being fetched: wait for it
		}
	}
	e := &entry{done: make(chan struct{})}
	f.entries[raw] = e
	f.fetches++
	return e, true
}

func (f *Fetcher) expired(e *entry) bool {
	switch {
	case f.opts.MaxAge <= 0:
		return false
	case e.err != nil:
		return time.Since(e.at) > min(errorAge, f.opts.MaxAge)
	}
	return time.Since(e.at) > f.opts.MaxAge
}

// store accounts for a finished entry, dropping every other finished entry
// when the cache would exceed its bound.
func (f *Fetcher) store(raw string, e *entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := int64(len(e.body))
	if f.cached+n > f.opts.MaxCached {
		for k, o := range f.entries {
			if o != e && o.body != nil {
				f.cached -= int64(len(o.body))
				delete(f.entries, k)
			}
		}
	}
	f.cached += n
}

// get fetches url once, within the bounds. The fetch is not tied to the
// first caller's cancellation: others may be waiting for it.
func (f *Fetcher) get(ctx context.Context, raw string, max int64) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || len(raw) > maxURL {
		return nil, fmt.Errorf("%w: %q is not a URL", verify.ErrFetch, clip(raw))
	}
	if err := f.checkURL(u); err != nil {
		return nil, fmt.Errorf("%w: %v", verify.ErrFetch, err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", verify.ErrFetch, Redact(raw), err)
	}
	req.Header.Set("Accept", "application/vc+ld+json, application/ld+json, application/json;q=0.9")
	resp, err := f.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
			err = fmt.Errorf("no answer within %s", f.opts.Timeout)
		}
		return nil, fmt.Errorf("%w: %s: %v", verify.ErrFetch, Redact(raw), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", verify.ErrFetch, Redact(raw), resp.Status)
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: %s announces %d bytes, more than %d bytes", verify.ErrFetchTooLarge, Redact(raw), resp.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: reading the answer: %v", verify.ErrFetch, Redact(raw), err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%w: %s sent more than %d bytes", verify.ErrFetchTooLarge, Redact(raw), max)
	}
	return body, nil
}

// checkURL is the URL policy: https, a host, no credentials; http only to a
// loopback host when AllowLoopback is set.
func (f *Fetcher) checkURL(u *url.URL) error {
	if u.User != nil {
		return fmt.Errorf("%s carries credentials in the URL: refused", Redact(u.String()))
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q names no host", clip(u.String()))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if f.opts.AllowLoopback && isLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s is not https: status lists are fetched over HTTPS only", Redact(u.String()))
	}
	return fmt.Errorf("%s: scheme %q is not https", Redact(u.String()), u.Scheme)
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// checkDial refuses connections to addresses that are not public (loopback,
// private, link-local, multicast, unspecified), judged on the address
// actually dialled, after DNS: a credential must not make a verifier, least
// of all a node, reach into the network it sits in.
func (f *Fetcher) checkDial(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dialling %q: not an IP address", address)
	}
	a = a.Unmap()
	if f.opts.AllowLoopback && a.IsLoopback() {
		return nil
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsMulticast() ||
		a.IsUnspecified() || a.IsInterfaceLocalMulticast() || isSharedOrReserved(a) {
		return fmt.Errorf("%s is not a public address: refused", a)
	}
	return nil
}

var reserved = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4
// address in their last 4 bytes, which is judged instead.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func isSharedOrReserved(a netip.Addr) bool {
	if nat64.Contains(a) {
		b := a.As16()
		v4 := netip.AddrFrom4([4]byte(b[12:]))
		return !v4.IsGlobalUnicast() || v4.IsPrivate() || v4.IsLoopback() || isSharedOrReserved(v4)
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Redact names a URL by scheme, host and path only: a query may carry a key.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return clip(raw)
	}
	return clip(u.Scheme + "://" + u.Host + u.EscapedPath())
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
