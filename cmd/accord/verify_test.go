package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures/world"
	"github.com/accord-network/accord/internal/clibase"
	"github.com/accord-network/accord/p2p"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// verifyWorld is a real node on loopback holding NL, SG and KE lists, and a
// folder with documents of every kind of outcome.
type verifyWorld struct {
	url, dir, trust string
	close           func()
}

func newVerifyWorld(t *testing.T) *verifyWorld {
	t.Helper()
	is := tt.Must(world.NewIssuers())
	entries := tt.Must(is.Entries())
	ctx := context.Background()
	data := t.TempDir()
	node, err := p2p.New(ctx, p2p.Config{DataDir: data, Listen: p2p.DefaultListen})
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range []string{"NL", "SG", "KE"} {
		a := tt.NewAnchor(t, cc)
		l := a.SignList(t, time.Now().Add(-time.Hour), 24*time.Hour, entries[cc]...)
		if _, err := node.Pin(ctx, a.Descriptor.Raw()); err != nil {
			t.Fatal(err)
		}
		if d, err := node.Submit(ctx, l.Raw()); err != nil || d.Outcome != trustlist.Accepted {
			t.Fatalf("submit %s: %v %v", cc, d, err)
		}
	}
	srv := httptest.NewServer(node.Handler())
	docs := tt.Must(is.Issue())
	dir := t.TempDir()
	for name, b := range map[string][]byte{
		"a-hc1.txt": docs.HC1, "b-qr.png": docs.QR, "c-bl.json": docs.EBL, "d-origin.pdf": docs.PDF,
		"e-hc1-tampered.txt": docs.HC1Tampered, "f-bl-tampered.json": docs.EBLTampered,
		"g-empty.txt": nil, "h-garbage.bin": []byte("\x00\x01 not a document"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &verifyWorld{url: srv.URL, dir: dir, trust: data, close: func() { srv.Close(); node.Close() }}
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(append([]string{"accord"}, args...), &o, &e)
	return code, o.String(), e.String()
}

// TestVerifyThroughNode pins issue 17 item 1: `accord verify --node` never
// panics, whatever the node answers (400 for an empty file, 413 for a file
// over its limit, a result for the rest), verifies a folder in parallel and
// ends with the same closing block as local verification; a node that is down
// is one clear error.
func TestVerifyThroughNode(t *testing.T) {
	w := newVerifyWorld(t)
	defer w.close()
	// Over the node's 32 MB body limit but under the CLI's 64 MB input limit.
	big := bytes.Repeat([]byte("HC1:"), 9<<20)
	if err := os.WriteFile(filepath.Join(w.dir, "i-huge.txt"), big, 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI("verify", "--node", w.url, "--workers", "4", w.dir)
	t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	if code != exitBadInput {
		t.Errorf("exit status %d, want %d (unreadable inputs)", code, exitBadInput)
	}
	for _, want := range []string{
		`(?m)^VALID  hcert  .*a-hc1\.txt$`,
		`(?m)^VALID  hcert  .*b-qr\.png$`,
		`(?m)^VALID  oa  .*c-bl\.json$`,
		`(?m)^VALID  pdf  .*d-origin\.pdf$`,
		`(?m)^NOT VALID  hcert  .*e-hc1-tampered\.txt  — signature`,
		`(?m)^NOT VALID  oa  .*f-bl-tampered\.json  — `,
		`(?m)^COULD NOT READ — scan again  .*g-empty\.txt  — the file is empty$`,
		`(?m)^COULD NOT READ — scan again  .*h-garbage\.bin  — `,
		`(?m)^COULD NOT READ — scan again  .*i-huge\.txt  — the node refused the file as too large \(413`,
		`(?m)^9 documents: 4 valid, 2 not valid, 3 could not read`,
		`(?m)^5 need attention:$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s", want)
		}
	}
	if strings.Contains(errOut, "panic") || strings.Contains(out, "goroutine") {
		t.Errorf("panic:\n%s", errOut)
	}

	// The same folder verified locally from the node's data directory gives
	// the same verdicts (the huge file is read locally: unreadable too).
	code, local, _ := runCLI("verify", "--trust", w.trust, w.dir)
	if code != exitBadInput || !strings.Contains(local, "9 documents: 4 valid, 2 not valid, 3 could not read") {
		t.Errorf("local run: exit %d\n%s", code, local)
	}

	// JSON through the node carries the outcome beside valid.
	_, js, _ := runCLI("verify", "--node", w.url, "--json", filepath.Join(w.dir, "g-empty.txt"), filepath.Join(w.dir, "e-hc1-tampered.txt"))
	if !strings.Contains(js, `"valid":false,"outcome":"unreadable"`) || !strings.Contains(js, `"valid":false,"outcome":"invalid"`) {
		t.Errorf("JSON through node:\n%s", js)
	}

	// A node that is down: one clear line, exit 2, no document is reported verified.
	w.close()
	code, out, errOut = runCLI("verify", "--node", w.url, w.dir)
	if code != exitBadInput || !strings.Contains(errOut, "cannot reach node") || strings.Contains(out, "VALID") {
		t.Errorf("node down: exit %d stdout %q stderr %q", code, out, errOut)
	}
}

// TestVerifyNodeGoesAwayMidRun: a node that stops answering during a run
// leaves the remaining documents NOT CHECKED (exit 2), named at the end.
func TestVerifyNodeGoesAwayMidRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	vc, err := clibase.NewVerifyClient(context.Background(), srv.URL, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close() // the node goes away after answering /healthz
	res := vc.Verify(context.Background(), "doc.txt", []byte("HC1:X"))
	if res.Verdict() != verify.VerdictNotChecked || !strings.Contains(res.Error, "did not answer") {
		t.Fatalf("verdict %s error %q", res.Verdict(), res.Error)
	}
	var out bytes.Buffer
	r := &verifyRun{inputs: []input{{name: "doc.txt", data: []byte("HC1:X")}, {name: "doc2.txt", data: []byte("HC1:Y")}},
		check: func(ctx context.Context, name string, data []byte) *verify.Result { return vc.Verify(ctx, name, data) },
		out:   &out, many: true}
	if code := r.Run(context.Background()); code != exitBadInput {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(out.String(), "NOT CHECKED (try again):\n    doc.txt  — node "+srv.URL+" did not answer") {
		t.Errorf("closing block:\n%s", out.String())
	}
}

// TestVerifyProgressOnTerminal pins issue 17 item 4's progress bar: on a
// terminal it goes to stderr only, is cleared before each result line and
// drawn again after it (so it stays the last line instead of flickering
// between results), and stdout carries exactly one line per document.
func TestVerifyProgressOnTerminal(t *testing.T) {
	set := tt.Must(trustlist.LoadDir(t.TempDir()))
	v := verify.New(set, verify.Options{})
	var ins []input
	for i := range 50 {
		ins = append(ins, input{name: "doc" + string(rune('A'+i%26)), data: []byte("HC1:6BFOXN%TS3DH0YOJ58S")})
	}
	var out, bar bytes.Buffer
	r := &verifyRun{inputs: ins, out: &out, progress: &bar, many: true, workers: 4,
		check: func(ctx context.Context, _ string, data []byte) *verify.Result {
			res, _ := v.Verify(ctx, data)
			return res
		}}
	r.Run(context.Background())
	lines := strings.Split(strings.TrimSpace(strings.SplitN(out.String(), "\n\n", 2)[0]), "\n")
	if len(lines) != 50 {
		t.Errorf("%d result lines, want 50", len(lines))
	}
	if strings.ContainsAny(out.String(), "\r\x1b") {
		t.Errorf("progress bar leaked into stdout")
	}
	if !strings.Contains(bar.String(), "verifying") || !strings.Contains(bar.String(), "(49/50)") {
		t.Errorf("progress output: %q", bar.String())
	}
	// Cleared once per document (the bar writes \r plus spaces to clear).
	if n := strings.Count(bar.String(), "\r"); n < 50 {
		t.Errorf("bar redrawn %d times for 50 documents", n)
	}
}

func TestParseISOTime(t *testing.T) {
	want := time.Date(2021, 7, 2, 7, 38, 27, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		note string
	}{
		{"2021-07-02T07:38:27Z", want, ""},
		{"2021-07-02T09:38:27+02:00", want, ""},
		{"2021-07-02T07:38:27+0000", want, ""},
		{"2021-07-02T09:38:27+02", want, ""},
		{"2021-07-02 07:38:27Z", want, ""},
		{"2021-07-02t07:38:27z", want, ""},
		{"2021-07-02T07:38:27.250Z", want.Add(250 * time.Millisecond), ""},
		{"20210702T073827Z", want, ""},
		{"2021-07-02T07:38:27", want, "no UTC offset"},
		{"2021-07-02T07:38", want.Add(-27 * time.Second), "no UTC offset"},
		{"2021-07-02", time.Date(2021, 7, 2, 0, 0, 0, 0, time.UTC), "is a date"},
	} {
		got, note, err := parseISOTime("--at", tc.in)
		if err != nil || !got.Equal(tc.want) || (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
			t.Errorf("%s: %v %q %v, want %v %q", tc.in, got, note, err, tc.want, tc.note)
		}
	}
	for _, bad := range []string{"", "yesterday", "2021-13-02", "02/07/2021", "2021-07-02T25:00:00Z"} {
		if _, _, err := parseISOTime("--at", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// BenchmarkFolderRun measures the folder pipeline (read each file from disk,
// detect, verify, print one line, closing block) on 200 valid HC1 files,
// per document, beside BenchmarkFloorES256 (one raw ECDSA P-256 verify, the
// floor of an HC1 verification) run in the same invocation.
func BenchmarkFolderRun(b *testing.B) {
	is := tt.Must(world.NewIssuers())
	entries := tt.Must(is.Entries())
	docs := tt.Must(is.Issue())
	a := tt.NewAnchor(b, "NL")
	a.SignList(b, time.Now().Add(-time.Hour), 24*time.Hour, entries["NL"]...)
	set := tt.Set(b, a)
	dir := b.TempDir()
	var ins []input
	for i := range 200 {
		p := filepath.Join(dir, fmt.Sprintf("%03d.txt", i))
		if err := os.WriteFile(p, docs.HC1, 0o644); err != nil {
			b.Fatal(err)
		}
		ins = append(ins, input{name: p, path: p})
	}
	v := verify.New(set, verify.Options{})
	check := func(ctx context.Context, _ string, data []byte) *verify.Result {
		res, _ := v.Verify(ctx, data)
		return res
	}
	b.ResetTimer()
	for range b.N {
		r := &verifyRun{inputs: ins, check: check, out: io.Discard, many: true}
		if code := r.Run(context.Background()); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ins)), "ns/doc")
}

// BenchmarkFloorES256 is one raw ECDSA P-256 signature verification.
func BenchmarkFloorES256(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h := sha256.Sum256([]byte("floor"))
	sig, _ := ecdsa.SignASN1(rand.Reader, k, h[:])
	b.ResetTimer()
	for range b.N {
		if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
			b.Fatal("verify")
		}
	}
}

// TestVerifyBesideNode pins what `accord verify --trust DATA` does while a
// node holds DATA (spec/trustlist.md §5.2, readers beside a writer): the
// index inside the locked store.db is not read; every stored object is
// verified again from objects/, with the same verdicts, and a note names the
// fast way, the node's own URL from DATA/node.url.
func TestVerifyBesideNode(t *testing.T) {
	w := newVerifyWorld(t)
	defer w.close()
	if err := os.WriteFile(filepath.Join(w.trust, clibase.NodeURLFile), []byte(w.url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI("verify", "--trust", w.trust, filepath.Join(w.dir, "a-hc1.txt"))
	if code != exitOK || !strings.HasPrefix(out, "VALID") {
		t.Fatalf("a valid HC1 beside a running node: exit %d\n%s%s", code, out, errOut)
	}
	want := "is held by a running node, so its index cannot be read; verifying every stored object instead (slower: verify through that node with `accord verify --node " + w.url + "`)"
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr %q, want the note %q", errOut, want)
	}
	code, out, _ = runCLI("verify", "--trust", w.trust, filepath.Join(w.dir, "e-hc1-tampered.txt"))
	if code != exitNo || !strings.HasPrefix(out, "NOT VALID") {
		t.Errorf("a tampered HC1 beside a running node: exit %d\n%s", code, out)
	}
	// Without node.url the note still says what to do.
	if err := os.Remove(filepath.Join(w.trust, clibase.NodeURLFile)); err != nil {
		t.Fatal(err)
	}
	if _, _, errOut = runCLI("verify", "--trust", w.trust, filepath.Join(w.dir, "a-hc1.txt")); !strings.Contains(errOut, "`accord verify --node URL`, or stop it") {
		t.Errorf("stderr without node.url: %q", errOut)
	}
}
