package httpfetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-network/accord/verify"
)

func TestFetchPolicy(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("list"))
		case "/big":
			w.Write([]byte(strings.Repeat("x", 100)))
		case "/slow":
			time.Sleep(2 * time.Second)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/away":
			http.Redirect(w, r, "http://example.com/list", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("tls")) }))
	defer tls.Close()

	open := New(Options{AllowLoopback: true, Timeout: 500 * time.Millisecond})
	strict := New(Options{Timeout: 500 * time.Millisecond})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    *Fetcher
		url  string
		max  int64
		want string // body, or an error fragment
		err  error
	}{
		{"loopback for tests", open, srv.URL + "/ok", 10, "list", nil},
		{"http refused", strict, srv.URL + "/ok", 10, "not https", verify.ErrFetch},
		{"loopback refused over https", strict, tls.URL + "/ok", 10, "not a public address", verify.ErrFetch},
		{"plain http elsewhere", open, "http://example.com/list", 10, "not https", verify.ErrFetch},
		{"credentials in URL", open, "https://user:pw@example.com/list", 10, "credentials", verify.ErrFetch},
		{"other scheme", open, "file:///etc/passwd", 10, "names no host", verify.ErrFetch},
		{"too large", open, srv.URL + "/big", 10, "more than 10 bytes", verify.ErrFetchTooLarge},
		{"not found", open, srv.URL + "/nope", 10, "404", verify.ErrFetch},
		{"timeout", open, srv.URL + "/slow", 10, "no answer within 500ms", verify.ErrFetch},
		{"redirect loop", open, srv.URL + "/loop", 10, "redirects", verify.ErrFetch},
		{"redirect to http", open, srv.URL + "/away", 10, "not https", verify.ErrFetch},
	} {
		b, err := tc.f.Fetch(ctx, tc.url, tc.max)
		switch {
		case tc.err == nil && (err != nil || string(b) != tc.want):
			t.Errorf("%s: %q %v, want %q", tc.name, b, err, tc.want)
		case tc.err != nil && (!errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %q %v, want %v containing %q", tc.name, b, err, tc.err, tc.want)
		}
	}
}

func TestFetchOnce(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte("list"))
	}))
	defer srv.Close()
	f := New(Options{AllowLoopback: true})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b, err := f.Fetch(context.Background(), srv.URL+"/l", 100); err != nil || string(b) != "list" {
				t.Errorf("fetch: %q %v", b, err)
			}
		}()
	}
	wg.Wait()
	if hits.Load() != 1 || f.Fetches() != 1 {
		t.Errorf("%d requests for 20 concurrent fetches of one URL, want 1", hits.Load())
	}
	// A short MaxAge refetches once it has passed.
	g := New(Options{AllowLoopback: true, MaxAge: time.Millisecond})
	g.Fetch(context.Background(), srv.URL+"/l", 100)
	time.Sleep(5 * time.Millisecond)
	g.Fetch(context.Background(), srv.URL+"/l", 100)
	if g.Fetches() != 2 {
		t.Errorf("MaxAge: %d fetches, want 2", g.Fetches())
	}
}

func TestDialPolicy(t *testing.T) {
	f := New(Options{})
	for addr, ok := range map[string]bool{
		"93.184.215.14:443": true, "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443": true,
		"127.0.0.1:443": false, "10.1.2.3:443": false, "192.168.0.1:443": false, "169.254.169.254:80": false,
		"[::1]:443": false, "[fe80::1]:443": false, "100.64.0.1:443": false, "0.0.0.0:443": false,
		"[::ffff:127.0.0.1]:443": false, "[64:ff9b::a00:1]:443": false, "[64:ff9b::5db8:d70e]:443": true,
	} {
		if err := f.checkDial("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("%s: %v, want allowed %v", addr, err, ok)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("https://status.example/lists/3?key=SECRET#x"); got != "https://status.example/lists/3" {
		t.Errorf("Redact: %q", got)
	}
}
