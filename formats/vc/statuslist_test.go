package vc

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/accord-network/accord/internal/httpfetch"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// encodeList returns an encodedList of nbits with the given bits set
// (index 0 = most significant bit of the first byte), GZIP'd and base64url,
// with the multibase "u" when multibase.
func encodeList(t testing.TB, nbits int, multibase bool, set ...int) string {
	t.Helper()
	bits := make([]byte, nbits/8)
	for _, i := range set {
		bits[i/8] |= 0x80 >> (i % 8)
	}
	return gzipB64(t, bits, multibase)
}

func gzipB64(t testing.TB, raw []byte, multibase bool) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	s := base64.RawURLEncoding.EncodeToString(b.Bytes())
	if multibase {
		s = "u" + s
	}
	return s
}

// listServer serves status list credentials by path; it counts requests.
type listServer struct {
	*httptest.Server
	mu    sync.Mutex
	lists map[string][]byte
	hits  map[string]int
}

func newListServer(t testing.TB) *listServer {
	s := &listServer{lists: map[string][]byte{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		body, ok := s.lists[r.URL.Path]
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		switch {
		case r.URL.Path == "/huge":
			// No Content-Length: the limit must hold while reading.
			w.Header().Set("Content-Type", "application/json")
			w.(http.Flusher).Flush()
			chunk := bytes.Repeat([]byte(" "), 64<<10)
			for range (MaxStatusListCredential / len(chunk)) + 2 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case !ok:
			http.NotFound(w, r)
		default:
			w.Header().Set("Content-Type", "application/vc+ld+json")
			w.Write(body)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *listServer) put(path string, body []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists[path] = body
	return s.URL + path
}

// listDoc is an unsigned status list credential.
func listDoc(kind, issuer, url, purpose, encoded string, validUntil time.Time) map[string]any {
	if kind == Status2021 {
		return map[string]any{
			"@context":          []any{ContextV1, "https://w3id.org/vc/status-list/2021/v1", "https://w3id.org/security/data-integrity/v2"},
			"id":                url,
			"type":              []any{"VerifiableCredential", "StatusList2021Credential"},
			"issuer":            issuer,
			"issuanceDate":      "2026-01-01T00:00:00Z",
			"expirationDate":    validUntil.UTC().Format(time.RFC3339),
			"credentialSubject": map[string]any{"id": url + "#list", "type": "StatusList2021", "statusPurpose": purpose, "encodedList": encoded},
		}
	}
	return map[string]any{
		"@context":          []any{ContextV2},
		"id":                url,
		"type":              []any{"VerifiableCredential", "BitstringStatusListCredential"},
		"issuer":            issuer,
		"validFrom":         "2026-01-01T00:00:00Z",
		"validUntil":        validUntil.UTC().Format(time.RFC3339),
		"credentialSubject": map[string]any{"id": url + "#list", "type": "BitstringStatusList", "statusPurpose": purpose, "encodedList": encoded},
	}
}

// statusCredential is a credential of issuer whose status is bit index of
// the list at url.
func statusCredential(kind, issuer, url, purpose string, index int) map[string]any {
	entry := map[string]any{"id": fmt.Sprintf("%s#%d", url, index), "type": kind, "statusPurpose": purpose,
		"statusListIndex": fmt.Sprint(index), "statusListCredential": url}
	if kind == Status2021 {
		return map[string]any{
			"@context":          []any{ContextV1, "https://w3id.org/vc/status-list/2021/v1", "https://w3id.org/security/data-integrity/v2"},
			"type":              []any{"VerifiableCredential"},
			"issuer":            issuer,
			"issuanceDate":      "2026-01-01T00:00:00Z",
			"credentialSubject": map[string]any{"id": "did:example:holder"},
			"credentialStatus":  entry,
		}
	}
	d := testCredential(issuer)
	d["credentialStatus"] = entry
	return d
}

type statusFixture struct {
	t      testing.TB
	srv    *listServer
	is     didKeyIssuer
	trust  *trustlist.Set
	verify *verify.Verifier
	fetch  *httpfetch.Fetcher
}

func newStatusFixture(t testing.TB) *statusFixture {
	is := newDIDKeyIssuer(t)
	f := &statusFixture{t: t, srv: newListServer(t), is: is, fetch: httpfetch.New(httpfetch.Options{AllowLoopback: true, Timeout: 5 * time.Second})}
	f.trust = trustlisttest.TrustOne(t, "SG", is.entry(t, is.vm, &is.key.PublicKey, trustlist.DocVC))
	f.verify = verify.New(f.trust, verify.Options{Fetcher: f.fetch})
	return f
}

// list signs and serves a status list of the fixture's issuer.
func (f *statusFixture) list(path, kind, purpose, encoded string, validUntil time.Time) string {
	url := f.srv.URL + path
	return f.srv.put(path, signBase(f.t, listDoc(kind, f.is.did, url, purpose, encoded, validUntil), f.is.key, f.is.vm))
}

func (f *statusFixture) check(cred []byte) *verify.Result {
	f.t.Helper()
	r, err := f.verify.Verify(f.t.Context(), cred)
	if err != nil {
		f.t.Fatalf("verify: %v", err)
	}
	return r
}

var inAYear = time.Now().AddDate(1, 0, 0)

// TestStatusListOnline pins the outcomes of a status list fetched online:
// the entry's bit of an authentic, current list decides; anything else is
// not valid or cannot check, never valid.
func TestStatusListOnline(t *testing.T) {
	f := newStatusFixture(t)
	bits := MinStatusListBits
	for _, kind := range []string{StatusBitstring, Status2021} {
		mb := kind == StatusBitstring
		rev := f.list("/"+kind+"/rev", kind, "revocation", encodeList(t, bits, mb, 7, 94567), inAYear)
		sus := f.list("/"+kind+"/sus", kind, "suspension", encodeList(t, bits, mb, 3), inAYear)
		for _, tc := range []struct {
			name    string
			url     string
			purpose string
			index   int
			valid   bool
			status  verify.Status
			detail  string
		}{
			{"not revoked", rev, "revocation", 8, true, verify.Pass, "not revoked: bit 8 of status list"},
			{"revoked (first byte)", rev, "revocation", 7, false, verify.Fail, "revoked: bit 7"},
			{"revoked (deep)", rev, "revocation", 94567, false, verify.Fail, "revoked: bit 94567"},
			{"last bit", rev, "revocation", bits - 1, true, verify.Pass, "is 0"},
			{"suspended", sus, "suspension", 3, false, verify.Fail, "suspended: bit 3"},
			{"not suspended", sus, "suspension", 4, true, verify.Pass, "not suspended"},
			{"purpose mismatch", sus, "revocation", 4, false, verify.Error, "is for suspension, but the credential's entry is for revocation"},
			{"index out of range", rev, "revocation", bits, false, verify.Error, "beyond the list's 131072 bits"},
		} {
			r := f.check(signBase(t, statusCredential(kind, f.is.did, tc.url, tc.purpose, tc.index), f.is.key, f.is.vm))
			c := r.Check(CheckStatus)
			if r.Valid != tc.valid || c == nil || c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) {
				t.Errorf("%s %s: valid %v, %s %+v; want valid %v, %s containing %q", kind, tc.name, r.Valid, CheckStatus, c, tc.valid, tc.status, tc.detail)
			}
			if tc.valid && r.Verdict() != verify.VerdictValid {
				t.Errorf("%s %s: outcome %s", kind, tc.name, r.Verdict())
			}
		}
	}
}

// TestStatusListRefused pins what happens with a list that cannot be
// trusted or used: each is named, and none makes the credential valid.
func TestStatusListRefused(t *testing.T) {
	f := newStatusFixture(t)
	good := encodeList(t, MinStatusListBits, true)

	// Another issuer, listed for vc too, signs a list for our credential.
	other := newDIDKeyIssuer(t)
	f.trust = trustlisttest.TrustOne(t, "SG", f.is.entry(t, f.is.vm, &f.is.key.PublicKey, trustlist.DocVC), other.entry(t, other.vm, &other.key.PublicKey, trustlist.DocVC))
	f.verify = verify.New(f.trust, verify.Options{Fetcher: f.fetch})
	wrongIssuer := f.srv.put("/other", signBase(t, listDoc(StatusBitstring, other.did, f.srv.URL+"/other", "revocation", good, inAYear), other.key, other.vm))

	// A list altered after signing: the revoked bit cleared.
	revoked := signBase(t, listDoc(StatusBitstring, f.is.did, f.srv.URL+"/tampered", "revocation", encodeList(t, MinStatusListBits, true, 5), inAYear), f.is.key, f.is.vm)
	tampered := f.srv.put("/tampered", bytes.Replace(revoked, []byte(encodeList(t, MinStatusListBits, true, 5)), []byte(good), 1))
	if bytes.Equal(revoked, f.srv.lists["/tampered"]) {
		t.Fatal("tampering did not change the list")
	}

	// 32 MiB of zeros GZIP to 32 KiB: a compression bomb.
	bomb := f.list("/bomb", StatusBitstring, "revocation", gzipB64(t, make([]byte, 32<<20), true), inAYear)
	short := f.list("/short", StatusBitstring, "revocation", encodeList(t, 1024, true), inAYear)
	expired := f.list("/expired", StatusBitstring, "revocation", good, time.Now().Add(-time.Hour))
	notGzip := f.list("/notgzip", StatusBitstring, "revocation", "u"+base64.RawURLEncoding.EncodeToString(make([]byte, 20000)), inAYear)

	// A list signed with a did:web key that no anchor lists, for a did:web
	// credential whose own key is listed.
	web := "did:web:carrier.example"
	f.trust = trustlisttest.TrustOne(t, "SG", f.is.entry(t, f.is.vm, &f.is.key.PublicKey, trustlist.DocVC), other.entry(t, other.vm, &other.key.PublicKey, trustlist.DocVC), f.is.entry(t, web+"#keys-1", &f.is.key.PublicKey, trustlist.DocVC))
	f.verify = verify.New(f.trust, verify.Options{Fetcher: f.fetch})
	webUnlisted := f.srv.put("/web", signBase(t, listDoc(StatusBitstring, web, f.srv.URL+"/web", "revocation", good, inAYear), other.key, web+"#keys-2"))
	webListed := f.srv.put("/web-ok", signBase(t, listDoc(StatusBitstring, web, f.srv.URL+"/web-ok", "revocation", good, inAYear), f.is.key, web+"#keys-1"))

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name   string
		issuer string
		vm     string
		url    string
		status verify.Status
		detail string
	}{
		{"wrong issuer", "", "", wrongIssuer, verify.Fail, "not by the credential's issuer"},
		{"tampered list", "", "", tampered, verify.Fail, "proof does not hold"},
		{"zip bomb", "", "", bomb, verify.Error, "compression bomb"},
		{"oversized", "", "", f.srv.URL + "/huge", verify.Error, "more than 4194304 bytes"},
		{"too short", "", "", short, verify.Error, "fewer than the 131072"},
		{"not gzip", "", "", notGzip, verify.Error, "not GZIP"},
		{"expired list", "", "", expired, verify.Skip, "outdated list"},
		{"not found", "", "", f.srv.URL + "/missing", verify.Skip, "404"},
		{"unreachable", "", "", closed.URL + "/list", verify.Skip, "could not be fetched"},
		{"did:web list key unlisted", web, web + "#keys-1", webUnlisted, verify.Fail, "is not the issuer's: issuer_trusted"},
	} {
		issuer, vm := f.is.did, f.is.vm
		if tc.issuer != "" {
			issuer, vm = tc.issuer, tc.vm
		}
		r := f.check(signBase(t, statusCredential(StatusBitstring, issuer, tc.url, "revocation", 9), f.is.key, vm))
		c := r.Check(CheckStatus)
		if r.Valid || c == nil || c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) {
			t.Errorf("%s: valid %v, %s %+v; want %s containing %q", tc.name, r.Valid, CheckStatus, c, tc.status, tc.detail)
			continue
		}
		if want := tc.status == verify.Skip; (r.Verdict() == verify.VerdictCannotCheck) != want {
			t.Errorf("%s: outcome %s, cannot check %q", tc.name, r.Verdict(), r.CannotCheck)
		}
	}
	// The did:web issuer's own listed key signs its list: valid.
	if r := f.check(signBase(t, statusCredential(StatusBitstring, web, webListed, "revocation", 9), f.is.key, web+"#keys-1")); !r.Valid {
		t.Errorf("did:web list signed with the listed key: %s %+v", r.Verdict(), r.FirstFailure())
	}
}

// TestStatusListOffline: without a fetcher (the default) the list is not
// fetched and the credential cannot be checked; the server is not asked.
func TestStatusListOffline(t *testing.T) {
	f := newStatusFixture(t)
	url := f.list("/l", StatusBitstring, "revocation", encodeList(t, MinStatusListBits, true), inAYear)
	cred := signBase(t, statusCredential(StatusBitstring, f.is.did, url, "revocation", 1), f.is.key, f.is.vm)
	r, err := verify.New(f.trust, verify.Options{}).Verify(t.Context(), cred)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict() != verify.VerdictCannotCheck || !strings.Contains(r.CannotCheck, "cannot be checked offline: the credential's revocation status is in status list "+url) {
		t.Errorf("offline: %s %q", r.Verdict(), r.CannotCheck)
	}
	if f.srv.hits["/l"] != 0 {
		t.Errorf("an offline verifier fetched the list")
	}
	// Purposes other than revocation and suspension are not judged.
	for _, mod := range []func(map[string]any){
		func(e map[string]any) { e["statusPurpose"] = "refresh" },
		func(e map[string]any) { e["statusPurpose"] = "message" },
	} {
		d := statusCredential(StatusBitstring, f.is.did, url, "revocation", 1)
		mod(d["credentialStatus"].(map[string]any))
		if r := f.check(signBase(t, d, f.is.key, f.is.vm)); r.Verdict() != verify.VerdictCannotCheck {
			t.Errorf("unsupported entry %v: %s", d["credentialStatus"], r.Verdict())
		}
	}
	// An unreadable entry is an error, not a skip.
	d := statusCredential(StatusBitstring, f.is.did, url, "revocation", 1)
	d["credentialStatus"].(map[string]any)["statusListIndex"] = "-1"
	if r := f.check(signBase(t, d, f.is.key, f.is.vm)); r.Check(CheckStatus).Status != verify.Error {
		t.Errorf("negative index: %+v", r.Check(CheckStatus))
	}
}

// TestStatusListFetchedOnce: a folder of credentials naming one list
// fetches it once and prepares it once.
func TestStatusListFetchedOnce(t *testing.T) {
	f := newStatusFixture(t)
	url := f.list("/shared", StatusBitstring, "revocation", encodeList(t, MinStatusListBits, true, 11), inAYear)
	creds := make([][]byte, 24)
	for i := range creds {
		creds[i] = signBase(t, statusCredential(StatusBitstring, f.is.did, url, "revocation", 10+i%2), f.is.key, f.is.vm)
	}
	var g errgroup.Group
	g.SetLimit(8)
	results := make([]*verify.Result, len(creds))
	for i, c := range creds {
		g.Go(func() error {
			r, err := f.verify.Verify(context.Background(), c)
			results[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if want := i%2 == 0; r.Valid != want {
			t.Errorf("credential %d (bit %d): valid %v; %+v", i, 10+i%2, r.Valid, r.Check(CheckStatus))
		}
	}
	if n := f.srv.hits["/shared"]; n != 1 || f.fetch.Fetches() != 1 {
		t.Errorf("the list was fetched %d times (fetcher: %d), want once", n, f.fetch.Fetches())
	}
}

func TestStatusBitOrder(t *testing.T) {
	bits := []byte{0x80, 0x01}
	for i, want := range []bool{true, false, false, false, false, false, false, false, false, false, false, false, false, false, false, true} {
		if got, err := statusBit(bits, uint64(i)); err != nil || got != want {
			t.Errorf("bit %d: %v %v, want %v", i, got, err, want)
		}
	}
	if _, err := statusBit(bits, 16); err == nil {
		t.Error("bit 16 of 16 read")
	}
}

// FuzzStatusList: any encodedList decodes within the bounds or gives an
// error, never a panic or more than MaxStatusListBits.
func FuzzStatusList(f *testing.F) {
	f.Add(encodeList(f, MinStatusListBits, true, 0, 7, 94567), true, uint64(94567))
	f.Add(encodeList(f, MinStatusListBits, false, 3), false, uint64(3))
	f.Add(encodeList(f, 1024, true), true, uint64(0))
	f.Add(encodeList(f, 2*MinStatusListBits, true, 200000), true, uint64(1<<40))
	f.Add("u", true, uint64(0))
	f.Add("H4sIAAAAAAAA", false, uint64(0))
	f.Fuzz(func(t *testing.T, enc string, multibase bool, index uint64) {
		bits, err := decodeStatusList(enc, multibase)
		if err != nil {
			return
		}
		if n := len(bits) * 8; n < MinStatusListBits || n > MaxStatusListBits {
			t.Fatalf("decoded %d bits, outside [%d, %d]", n, MinStatusListBits, MaxStatusListBits)
		}
		if _, err := statusBit(bits, index); (err == nil) != (index < uint64(len(bits))*8) {
			t.Fatalf("index %d of %d bits: %v", index, len(bits)*8, err)
		}
	})
}
