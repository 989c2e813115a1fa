package verify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/accord-network/accord/trustlist"
)

// TrustedMaterial answers "which listed issuer keys match this?". A
// *trustlist.Set implements it; so can a node client or a test fixture.
type TrustedMaterial interface {
	Find(q trustlist.Query) []trustlist.Match
}

// DefaultMaxInput is the input size limit when Options.MaxInput is zero.
const DefaultMaxInput = 64 << 20

// Options are a verifier's settings.
type Options struct {
	// At is the verification time; zero means time.Now at each Verify.
	At time.Time
	// Offline accepts stale lists (past next_update) with a warning instead
	// of failing: the caller knows it cannot fetch newer ones.
	Offline bool
	// MaxInput bounds the bytes read from one input (DefaultMaxInput if 0).
	MaxInput int64
	// Formats, if set, restricts detection to these format names.
	Formats []string
	// Arrival, if set, also judges health certificates against a country
	// of arrival's business rules (see ApplyArrival).
	Arrival *ArrivalOptions
	// Chains, if set, is consulted for issuance recorded on a blockchain;
	// nil means no chain is reachable (such documents cannot be checked).
	Chains ChainReader
	// Fetcher, if set, lets checks that need an online document fetch it
	// (W3C status lists); nil keeps the verifier offline.
	Fetcher Fetcher
}

// Env is what a Format sees: the trusted material and the options, with the
// verification time fixed for this call.
type Env struct {
	Trust   TrustedMaterial
	At      time.Time
	Offline bool
	// Verifier lets a format verify embedded documents (a QR code in a PDF).
	Verifier *Verifier
	// Arrival is Options.Arrival.
	Arrival *ArrivalOptions
	// Chains answers contract calls; nil when none is configured.
	Chains ChainReader
	// Fetcher is Options.Fetcher: nil when the verifier stays offline.
	Fetcher Fetcher
}

// Verifier verifies documents against trusted material. It is safe for
// concurrent use.
type Verifier struct {
	trust TrustedMaterial
	opts  Options
}

// New returns a Verifier.
func New(trust TrustedMaterial, opts Options) *Verifier {
	if opts.MaxInput <= 0 {
		opts.MaxInput = DefaultMaxInput
	}
	return &Verifier{trust: trust, opts: opts}
}

// Options returns the verifier's options.
func (v *Verifier) Options() Options { return v.opts }

func (v *Verifier) env() *Env {
	at := v.opts.At
	if at.IsZero() {
		at = time.Now().UTC()
	}
	return &Env{Trust: v.trust, At: at, Offline: v.opts.Offline, Verifier: v, Arrival: v.opts.Arrival, Chains: v.opts.Chains, Fetcher: v.opts.Fetcher}
}

// Verify detects the format of in and verifies it. The error is non-nil only
// when in cannot be read or decoded (it wraps ErrMalformed); a document that
// decodes but fails a check returns a Result with Valid false and a nil error.
func (v *Verifier) Verify(ctx context.Context, in []byte) (*Result, error) {
	env := v.env()
	if int64(len(in)) > v.opts.MaxInput {
		err := fmt.Errorf("%w: input of %d bytes exceeds the %d byte limit", ErrMalformed, len(in), v.opts.MaxInput)
		return errorResult("", env.At, err), err
	}
	f, err := v.detect(in)
	if err != nil {
		return errorResult("", env.At, err), err
	}
	return v.run(ctx, f, in, env)
}

// VerifyAs verifies in as the named format, skipping detection.
func (v *Verifier) VerifyAs(ctx context.Context, format string, in []byte) (*Result, error) {
	env := v.env()
	f, ok := Lookup(format)
	if !ok {
		err := fmt.Errorf("unknown format %q", format)
		return errorResult(format, env.At, err), err
	}
	return v.run(ctx, f, in, env)
}

func (v *Verifier) detect(in []byte) (Format, error) {
	if len(v.opts.Formats) == 0 {
		return Detect(in)
	}
	for _, n := range v.opts.Formats {
		if f, ok := Lookup(n); ok && f.Detect(in) {
			return f, nil
		}
	}
	return nil, ErrUnknownFormat
}

func (v *Verifier) run(ctx context.Context, f Format, in []byte, env *Env) (res *Result, err error) {
	defer func() {
		// A parser bug must never take down a node or the CLI: report it as
		// malformed input instead.
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s decoder failed on this input (%v)", ErrMalformed, f.Name(), p)
			res = errorResult(f.Name(), env.At, err)
		}
	}()
	if err := ctx.Err(); err != nil {
		res := NotChecked("", env.At, err)
		res.Format = f.Name()
		return res, err
	}
	res, err = f.Verify(ctx, in, env)
	if res == nil {
		res = errorResult(f.Name(), env.At, err)
	}
	if res.Format == "" {
		res.Format = f.Name()
	}
	res.At = env.At
	if err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	res.Finish()
	env.NoArrivalRules(res)
	return res, err
}

func errorResult(format string, at time.Time, err error) *Result {
	r := &Result{Format: format, At: at, Error: err.Error()}
	r.Add(CheckDecoded, Error, "%s", err.Error())
	return r.Finish()
}

// VerifyReader reads at most Options.MaxInput bytes from r and verifies them.
func (v *Verifier) VerifyReader(ctx context.Context, r io.Reader) (*Result, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, v.opts.MaxInput+1))
	if err != nil {
		err = fmt.Errorf("%w: read: %v", ErrMalformed, err)
		return errorResult("", v.env().At, err), err
	}
	if n > v.opts.MaxInput {
		err := fmt.Errorf("%w: input exceeds the %d byte limit", ErrMalformed, v.opts.MaxInput)
		return errorResult("", v.env().At, err), err
	}
	return v.Verify(ctx, buf.Bytes())
}

// Job is one input for VerifyAll.
type Job struct {
	Name string
	Data []byte
}

// Outcome is the result of one Job.
type Outcome struct {
	Index  int
	Name   string
	Result *Result
	Err    error
}

// VerifyAll verifies jobs on workers goroutines (runtime.NumCPU() if <= 0)
// and calls done for each outcome as it completes, from a single goroutine.
// It returns when all jobs are done or ctx is cancelled.
func (v *Verifier) VerifyAll(ctx context.Context, jobs []Job, workers int, done func(Outcome)) {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	in := make(chan int)
	out := make(chan Outcome)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range in {
				res, err := v.Verify(ctx, jobs[i].Data)
				res.Input = jobs[i].Name
				out <- Outcome{Index: i, Name: jobs[i].Name, Result: res, Err: err}
			}
		}()
	}
	go func() {
		defer close(in)
		for i := range jobs {
			select {
			case in <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	for o := range out {
		if done != nil {
			done(o)
		}
	}
}
