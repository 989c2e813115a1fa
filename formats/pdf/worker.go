package pdf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// Bounded parsing (spec/pdf.md §Bounded parsing).
//
// The PDF library can loop forever or grow without bound on hostile input,
// and a goroutine cannot be stopped from outside. So a program that calls
// WorkerMain parses every untrusted PDF in a worker process: a re-execution
// of its own binary (os.Executable) marked by the environment variable
// ACCORD_PDF_WORKER, with a hard memory ceiling (RLIMIT_DATA, set by the
// worker on itself before it reads any input, and a Go soft limit below
// it) and a deadline kept by the parent, which kills the worker when it
// passes and starts a fresh one for the next document. The worker does
// the whole verification; it asks the parent for trust-list matches over
// its pipes (it holds no trust material of its own) and sends back the
// result. An app that embeds package verify without calling WorkerMain
// verifies PDFs in its own process, bounded only by the structural
// pre-check (guard.go) and ctx between signatures.

const (
	workerEnv    = "ACCORD_PDF_WORKER"
	workerMemEnv = "ACCORD_PDF_WORKER_MEMORY"
	// Operators may change the default bounds of a program that calls
	// WorkerMain: a Go duration, and MiB.
	timeoutEnv = "ACCORD_PDF_TIMEOUT"
	memoryEnv  = "ACCORD_PDF_MEMORY_MIB"
)

// Isolation sets the bounds of worker processes. Zero fields take the
// defaults.
type Isolation struct {
	// Timeout is the most time one document may take (default 20 s).
	Timeout time.Duration
	// Memory is the ceiling on a worker's data memory in bytes (default
	// 1 GiB; at least 256 MiB).
	Memory int64
	// Workers is the most worker processes alive at once (default
	// GOMAXPROCS); more documents wait their turn.
	Workers int
}

// Default bounds of a worker.
const (
	DefaultTimeout = 20 * time.Second
	DefaultMemory  = 1 << 30
	minMemory      = 256 << 20
)

var (
	poolMu sync.Mutex
	pool   *workerPool
)

// WorkerMain makes this program parse untrusted PDFs in bounded worker
// processes. Call it first thing in main (and in TestMain of tests that
// run the program's commands), before anything else reads os.Args or
// stdin:
//
//	func main() {
//		pdf.WorkerMain()
//		...
//	}
//
// When the process was started as a worker, WorkerMain serves
// verifications on stdin/stdout and exits; it never returns. Otherwise it
// enables isolation with the default bounds (see SetIsolation), or those in
// $ACCORD_PDF_TIMEOUT (a Go duration) and $ACCORD_PDF_MEMORY_MIB, and
// returns.
func WorkerMain() {
	if os.Getenv(workerEnv) == "1" {
		os.Exit(serveWorker(os.Stdin, os.Stdout))
	}
	exe, err := os.Executable()
	if err != nil {
		return // verification stays in process, bounded by the pre-check only
	}
	iso := Isolation{}
	if d, err := time.ParseDuration(os.Getenv(timeoutEnv)); err == nil {
		iso.Timeout = d
	}
	if n, err := strconv.ParseInt(os.Getenv(memoryEnv), 10, 64); err == nil {
		iso.Memory = n << 20
	}
	SetIsolation(iso)
	poolMu.Lock()
	pool.exe = exe
	poolMu.Unlock()
}

// SetIsolation changes the bounds of worker processes for documents
// verified from now on. It has effect only after WorkerMain.
func SetIsolation(iso Isolation) {
	if iso.Timeout <= 0 {
		iso.Timeout = DefaultTimeout
	}
	if iso.Memory <= 0 {
		iso.Memory = DefaultMemory
	}
	iso.Memory = max(iso.Memory, minMemory)
	if iso.Workers <= 0 {
		iso.Workers = runtime.GOMAXPROCS(0)
	}
	poolMu.Lock()
	defer poolMu.Unlock()
	exe := ""
	if pool != nil {
		exe = pool.exe
		pool.close()
	}
	pool = newWorkerPool(exe, iso)
}

// Isolated reports whether PDFs are parsed in worker processes.
func Isolated() bool {
	poolMu.Lock()
	defer poolMu.Unlock()
	return pool != nil && pool.exe != ""
}

func activePool() *workerPool {
	poolMu.Lock()
	defer poolMu.Unlock()
	if pool == nil || pool.exe == "" {
		return nil
	}
	return pool
}

// Frames on the worker pipes: one kind byte, a 4-byte big-endian length,
// the payload.
const (
	frameRequest = 'V' // parent → worker: workRequest (JSON)
	frameData    = 'D' // parent → worker: the PDF bytes
	frameFind    = 'F' // worker → parent: trustCall (JSON)
	frameMatches = 'M' // parent → worker: the call's answer (JSON)
	frameResult  = 'R' // worker → parent: workResult (JSON)

	maxFrame = 128 << 20
)

type workRequest struct {
	At          time.Time
	Offline     bool
	Arrival     *verify.ArrivalOptions
	HasVerifier bool
	Options     verify.Options
	// What the parent's trusted material answers besides Find.
	Revocations, Rules bool
	// Strict is the parent's SetStrict.
	Strict bool
}

// trustCall is a question a worker asks about the parent's trusted
// material: one of the methods of verify.TrustedMaterial,
// verify.RevocationSource and verify.RuleSource.
type trustCall struct {
	Method  string
	Query   trustlist.Query             `json:",omitzero"`
	Country string                      `json:",omitempty"`
	KID     []byte                      `json:",omitempty"`
	At      time.Time                   `json:",omitzero"`
	Queries []trustlist.RevocationQuery `json:",omitempty"`
}

type workResult struct {
	Result    *verify.Result
	Err       string
	Malformed bool
}

func writeFrame(w *bufio.Writer, kind byte, payload []byte) error {
	var h [5]byte
	h[0] = kind
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	if _, err := w.Write(payload); err != nil {
		return err
	}
	return w.Flush()
}

func readFrame(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes is too large", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return 0, nil, err
	}
	return h[0], b, nil
}

// serveWorker is the worker's loop: one verification at a time.
func serveWorker(stdin io.Reader, stdout io.Writer) int {
	limitOwnMemory()
	in := bufio.NewReader(stdin)
	out := bufio.NewWriter(stdout)
	for {
		kind, hdr, err := readFrame(in)
		if err != nil {
			return 0 // the parent went away
		}
		if kind != frameRequest {
			return 3
		}
		var req workRequest
		if err := json.Unmarshal(hdr, &req); err != nil {
			return 3
		}
		kind, doc, err := readFrame(in)
		if err != nil || kind != frameData {
			return 3
		}
		strict.Store(req.Strict)
		proxy := &trustProxy{in: in, out: out}
		env := &verify.Env{Trust: proxy.material(req.Revocations, req.Rules), At: req.At, Offline: req.Offline, Arrival: req.Arrival}
		if req.HasVerifier {
			o := req.Options
			o.At = req.At
			env.Verifier = verify.New(env.Trust, o)
		}
		res, verr := verifyInProcess(context.Background(), doc, env)
		wr := workResult{Result: res}
		if verr != nil {
			wr.Err, wr.Malformed = verr.Error(), errors.Is(verr, verify.ErrMalformed)
		}
		b, err := json.Marshal(wr)
		if err != nil || proxy.err != nil {
			return 3
		}
		if err := writeFrame(out, frameResult, b); err != nil {
			return 0
		}
	}
}

func limitOwnMemory() {
	n, err := strconv.ParseInt(os.Getenv(workerMemEnv), 10, 64)
	if err != nil || n <= 0 {
		n = DefaultMemory
	}
	debug.SetMemoryLimit(n / 2)
	setDataLimit(n)
}

// trustProxy answers questions about trusted material in a worker by
// asking the parent.
type trustProxy struct {
	mu  sync.Mutex
	in  io.Reader
	out *bufio.Writer
	err error
}

// call asks the parent and decodes its answer into out.
func (p *trustProxy) call(c trustCall, out any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return
	}
	b, err := json.Marshal(c)
	if err == nil {
		err = writeFrame(p.out, frameFind, b)
	}
	if err == nil {
		var kind byte
		kind, b, err = readFrame(p.in)
		if err == nil && kind != frameMatches {
			err = fmt.Errorf("unexpected frame %q", kind)
		}
		if err == nil {
			err = json.Unmarshal(b, out)
		}
	}
	p.err = err
}

func (p *trustProxy) Find(q trustlist.Query) []trustlist.Match {
	var ms []trustlist.Match
	p.call(trustCall{Method: "Find", Query: q}, &ms)
	return ms
}

func (p *trustProxy) revoked(country string, kid []byte, at time.Time, qs ...trustlist.RevocationQuery) *trustlist.Revocation {
	var r *trustlist.Revocation
	p.call(trustCall{Method: "Revoked", Country: country, KID: kid, At: at, Queries: qs}, &r)
	return r
}

func (p *trustProxy) revocationSummary(country string) *trustlist.RevocationInfo {
	var r *trustlist.RevocationInfo
	p.call(trustCall{Method: "RevocationSummary", Country: country}, &r)
	return r
}

func (p *trustProxy) ruleSet(country string) *trustlist.RuleSet {
	var r *trustlist.RuleSet
	p.call(trustCall{Method: "RuleSet", Country: country}, &r)
	return r
}

func (p *trustProxy) valueSets(country string) *trustlist.ValueSets {
	var r *trustlist.ValueSets
	p.call(trustCall{Method: "ValueSets", Country: country}, &r)
	return r
}

// The proxy offers exactly the interfaces the parent's material has, so
// that a check such as document_not_revoked skips in the worker when it
// would skip in the parent.
type (
	findOnly struct{ p *trustProxy }
	withRev  struct{ findOnly }
	withRule struct{ findOnly }
	withBoth struct{ withRev }
)

func (f findOnly) Find(q trustlist.Query) []trustlist.Match { return f.p.Find(q) }
func (w withRev) Revoked(country string, kid []byte, at time.Time, qs ...trustlist.RevocationQuery) *trustlist.Revocation {
	return w.p.revoked(country, kid, at, qs...)
}
func (w withRev) RevocationSummary(country string) *trustlist.RevocationInfo {
	return w.p.revocationSummary(country)
}
func (w withRule) RuleSet(country string) *trustlist.RuleSet     { return w.p.ruleSet(country) }
func (w withRule) ValueSets(country string) *trustlist.ValueSets { return w.p.valueSets(country) }
func (w withBoth) RuleSet(country string) *trustlist.RuleSet     { return w.p.ruleSet(country) }
func (w withBoth) ValueSets(country string) *trustlist.ValueSets { return w.p.valueSets(country) }

func (p *trustProxy) material(revocations, rules bool) verify.TrustedMaterial {
	f := findOnly{p}
	switch {
	case revocations && rules:
		return withBoth{withRev{f}}
	case revocations:
		return withRev{f}
	case rules:
		return withRule{f}
	}
	return f
}

// answer answers a worker's question from the parent's trusted material.
func answer(trust verify.TrustedMaterial, c trustCall) (any, error) {
	rev, _ := trust.(verify.RevocationSource)
	rules, _ := trust.(verify.RuleSource)
	switch {
	case c.Method == "Find" && trust != nil:
		return trust.Find(c.Query), nil
	case c.Method == "Revoked" && rev != nil:
		return rev.Revoked(c.Country, c.KID, c.At, c.Queries...), nil
	case c.Method == "RevocationSummary" && rev != nil:
		return rev.RevocationSummary(c.Country), nil
	case c.Method == "RuleSet" && rules != nil:
		return rules.RuleSet(c.Country), nil
	case c.Method == "ValueSets" && rules != nil:
		return rules.ValueSets(c.Country), nil
	case c.Method == "Find":
		return []trustlist.Match{}, nil
	}
	return nil, fmt.Errorf("the worker asked %q, which the trusted material does not answer", c.Method)
}

// workerPool runs verifications in at most iso.Workers processes.
type workerPool struct {
	exe  string
	iso  Isolation
	sem  chan struct{}
	mu   sync.Mutex
	idle []*worker
}

func newWorkerPool(exe string, iso Isolation) *workerPool {
	return &workerPool{exe: exe, iso: iso, sem: make(chan struct{}, iso.Workers)}
}

func (p *workerPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.idle {
		w.kill()
	}
	p.idle = nil
}

type worker struct {
	cmd    *exec.Cmd
	stdin  *bufio.Writer
	pipe   io.WriteCloser
	stdout *bufio.Reader
	stderr *tailBuffer
	done   chan struct{} // closed when the process has exited
}

func (p *workerPool) start() (*worker, error) {
	cmd := exec.Command(p.exe, "__accord-pdf-worker")
	cmd.Env = append(os.Environ(), workerEnv+"=1", workerMemEnv+"="+strconv.FormatInt(p.iso.Memory, 10), "GOMAXPROCS=1")
	setWorkerAttrs(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, stdin: bufio.NewWriter(stdin), pipe: stdin, stdout: bufio.NewReader(stdout), stderr: &tailBuffer{max: 4096}, done: make(chan struct{})}
	cmd.Stderr = w.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(w.done) }()
	return w, nil
}

func (w *worker) kill() {
	_ = w.cmd.Process.Kill()
	_ = w.pipe.Close()
	<-w.done
}

func (p *workerPool) get(ctx context.Context) (*worker, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return w, nil
	}
	p.mu.Unlock()
	w, err := p.start()
	if err != nil {
		<-p.sem
		return nil, err
	}
	return w, nil
}

func (p *workerPool) put(w *worker, ok bool) {
	if ok {
		p.mu.Lock()
		p.idle = append(p.idle, w)
		p.mu.Unlock()
	} else {
		w.kill()
	}
	<-p.sem
}

// errWorker is a worker that failed or was stopped.
type errWorker struct{ msg string }

func (e *errWorker) Error() string { return e.msg }

// verify runs one verification in a worker, under the deadline.
func (p *workerPool) verify(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	w, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, p.iso.Timeout)
	defer cancel()
	type answer struct {
		wr  workResult
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		wr, err := w.exchange(in, env)
		ch <- answer{wr, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			p.put(w, false)
			return nil, &errWorker{w.failure(a.err, p.iso)}
		}
		p.put(w, true)
		var err error
		if a.wr.Err != "" {
			err = &remoteError{msg: a.wr.Err, malformed: a.wr.Malformed}
		}
		return a.wr.Result, err
	case <-ctx.Done():
		p.put(w, false)
		<-ch
		if err := parent.Err(); err != nil {
			return nil, err
		}
		return nil, &errWorker{fmt.Sprintf("parsing did not finish within %s, so the parser was stopped", p.iso.Timeout)}
	}
}

// exchange sends one document to the worker, answers its trust-list
// questions and reads its result.
func (w *worker) exchange(in []byte, env *verify.Env) (workResult, error) {
	req := workRequest{At: env.At, Offline: env.Offline, Arrival: env.Arrival, Strict: strict.Load()}
	_, req.Revocations = env.Trust.(verify.RevocationSource)
	_, req.Rules = env.Trust.(verify.RuleSource)
	if env.Verifier != nil {
		req.HasVerifier, req.Options = true, env.Verifier.Options()
		// A blockchain reader stays in the parent: a document inside a PDF
		// whose issuance is on chain cannot be checked in a worker.
		req.Options.Chains = nil
	}
	b, err := json.Marshal(req)
	if err != nil {
		return workResult{}, err
	}
	if err := writeFrame(w.stdin, frameRequest, b); err != nil {
		return workResult{}, err
	}
	if err := writeFrame(w.stdin, frameData, in); err != nil {
		return workResult{}, err
	}
	for {
		kind, b, err := readFrame(w.stdout)
		if err != nil {
			return workResult{}, err
		}
		switch kind {
		case frameFind:
			var c trustCall
			if err := json.Unmarshal(b, &c); err != nil {
				return workResult{}, err
			}
			a, err := answer(env.Trust, c)
			if err != nil {
				return workResult{}, err
			}
			if b, err = json.Marshal(a); err != nil {
				return workResult{}, err
			}
			if err := writeFrame(w.stdin, frameMatches, b); err != nil {
				return workResult{}, err
			}
		case frameResult:
			var wr workResult
			if err := json.Unmarshal(b, &wr); err != nil {
				return workResult{}, err
			}
			if wr.Result == nil {
				return workResult{}, errors.New("the worker sent no result")
			}
			return wr, nil
		default:
			return workResult{}, fmt.Errorf("unexpected frame %q from the worker", kind)
		}
	}
}

// failure explains why a worker failed, from its exit and its stderr.
func (w *worker) failure(err error, iso Isolation) string {
	_ = w.pipe.Close()
	<-w.done
	tail := w.stderr.String()
	switch {
	case strings.Contains(tail, "out of memory") || strings.Contains(tail, "cannot allocate memory"):
		return fmt.Sprintf("parsing exceeded the %d MiB memory ceiling, so the parser was stopped", iso.Memory>>20)
	case tail != "":
		lines := strings.Split(strings.TrimSpace(tail), "\n")
		return fmt.Sprintf("the parser process failed (%s)", strings.TrimSpace(lines[0]))
	default:
		return fmt.Sprintf("the parser process failed (%v)", err)
	}
}

// remoteError is an error a worker reported.
type remoteError struct {
	msg       string
	malformed bool
}

func (e *remoteError) Error() string { return e.msg }

func (e *remoteError) Unwrap() error {
	if e.malformed {
		return verify.ErrMalformed
	}
	return nil
}

// tailBuffer keeps the first bytes written to it, up to max (a Go fatal
// error's first line says what happened).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - t.b.Len(); room > 0 {
		t.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}
