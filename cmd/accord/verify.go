package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

func init() {
	register(&cli.Command{
		Name:  "verify",
		Usage: "verify documents (HC1 health certificates, QR images, e-BLs, signed PDFs) against trust lists",
		UsageText: "accord verify --trust TRUST [--at RFC3339] [--offline] [--json] INPUT...\n" +
			"accord verify --node http://127.0.0.1:8080 INPUT...\n\n" +
			"INPUT is a file, - for stdin, a literal HC1:... string, or a directory (every file in it, on all cores).",
		Description: "Each document gets a verdict and the checks behind it: decoded, signature, issuer_trusted,\n" +
			"key_valid_at_signing, key_usage, not_revoked, list_fresh, not_expired, schema, ...\n" +
			"A check that cannot be made is reported as skip with the reason; it never counts as a pass.\n\n" +
			"Works offline from any trust store, including a node's data directory while the node runs.\n" +
			"Exit status: 0 all valid, 1 any invalid, 2 an input could not be read or decoded.\n\n" +
			"Example:\n  accord verify --trust ~/.accord/trust cert.png bl.json permit.pdf",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "trust", Usage: "trust store directory (see `accord trust init`, or a node's --data dir)", EnvVars: []string{"ACCORD_TRUST"}},
			&cli.StringFlag{Name: "node", Usage: "verify through a node's HTTP API instead of a local trust store"},
			&cli.TimestampFlag{Name: "at", Layout: time.RFC3339, Usage: "verification time (RFC 3339; default now)"},
			&cli.BoolFlag{Name: "offline", Usage: "accept stale lists (past next_update) with a warning: you cannot fetch newer ones"},
			&cli.BoolFlag{Name: "json", Usage: "print each result as JSON (one object per line for many inputs)"},
			&cli.IntFlag{Name: "workers", Usage: "parallel workers for many inputs (default: all cores)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the verdict line per input"},
			&cli.StringFlag{Name: "arrival", Usage: "country of arrival (e.g. NL): also judge health certificates against its entry rules"},
			&cli.StringFlag{Name: "region", Usage: "with --arrival: the region whose rules apply"},
			&cli.StringFlag{Name: "lang", Value: "en", Usage: "with --arrival: language of the rule descriptions"},
		},
		Action: verifyAction,
	})
}

func verifyAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("verify needs an INPUT: a file, -, an HC1:... string or a directory (see `accord verify --help`)")
	}
	if (c.String("trust") == "") == (c.String("node") == "") {
		return usageErr("verify needs exactly one of --trust DIR (verify locally) or --node URL (ask a node)")
	}
	jobs, err := collectInputs(c.Args().Slice())
	if err != nil {
		return err
	}
	opts := verify.Options{Offline: c.Bool("offline")}
	if t := c.Timestamp("at"); t != nil {
		opts.At = t.UTC()
	}
	opts.Arrival = arrivalOptions(c)
	var verifyOne func(ctx context.Context, j verify.Job) (*verify.Result, error)
	var v *verify.Verifier
	if node := c.String("node"); node != "" {
		verifyOne = func(ctx context.Context, j verify.Job) (*verify.Result, error) {
			return verifyViaNode(ctx, node, j, opts)
		}
	} else {
		set, err := trustlist.LoadDir(c.String("trust"))
		if err != nil {
			return storeErr(c.String("trust"), err)
		}
		if len(set.Anchors()) == 0 {
			fmt.Fprintf(c.App.ErrWriter, "accord: warning: trust store %s holds no anchors; every document will fail issuer_trusted\n", c.String("trust"))
		}
		v = verify.New(set, opts)
	}
	out := newPrinter(c)
	worst := exitOK
	record := func(name string, res *verify.Result, err error) {
		res.Input = name
		out.print(res)
		switch {
		case err != nil && (errors.Is(err, verify.ErrMalformed) || errors.Is(err, trustlist.ErrMalformed)):
			worst = max(worst, exitBadInput)
		case err != nil || !res.Valid || (res.Arrival != nil && !res.Arrival.Accepted):
			worst = max(worst, exitNo)
		}
	}
	ctx := c.Context
	if verifyOne != nil || len(jobs) == 1 {
		for _, j := range jobs {
			var res *verify.Result
			var err error
			if verifyOne != nil {
				res, err = verifyOne(ctx, j)
			} else {
				res, err = v.Verify(ctx, j.Data)
			}
			record(j.Name, res, err)
		}
	} else {
		var bar *progressbar.ProgressBar
		if isTerminal(os.Stderr) && !c.Bool("json") {
			bar = progressbar.NewOptions(len(jobs), progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription("verifying"),
				progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		}
		valid := 0
		start := time.Now()
		v.VerifyAll(ctx, jobs, c.Int("workers"), func(o verify.Outcome) {
			if bar != nil {
				bar.Add(1)
			}
			if o.Result.Valid {
				valid++
			}
			record(o.Name, o.Result, o.Err)
		})
		if !c.Bool("json") {
			fmt.Fprintf(c.App.Writer, "\n%d documents: %d valid, %d not valid (%.0f docs/s)\n", len(jobs), valid, len(jobs)-valid,
				float64(len(jobs))/time.Since(start).Seconds())
		}
	}
	if worst != exitOK {
		return silentExit(worst)
	}
	return nil
}

// collectInputs reads every INPUT: files, "-", directories (non-recursive,
// hidden files skipped) and literal HC1 strings.
func collectInputs(args []string) ([]verify.Job, error) {
	var jobs []verify.Job
	for _, a := range args {
		if a == "-" {
			b, err := readBounded(os.Stdin, verify.DefaultMaxInput)
			if err != nil {
				return nil, inputErr("stdin: %v", err)
			}
			jobs = append(jobs, verify.Job{Name: "stdin", Data: b})
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			if strings.HasPrefix(strings.TrimSpace(a), "HC1:") {
				jobs = append(jobs, verify.Job{Name: "argument", Data: []byte(strings.TrimSpace(a))})
				continue
			}
			return nil, inputErr("%v", err)
		}
		if st.IsDir() {
			ents, err := os.ReadDir(a)
			if err != nil {
				return nil, inputErr("%v", err)
			}
			for _, e := range ents {
				if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
					continue
				}
				p := filepath.Join(a, e.Name())
				b, err := readFileBounded(p)
				if err != nil {
					return nil, err
				}
				jobs = append(jobs, verify.Job{Name: p, Data: b})
			}
			continue
		}
		b, err := readFileBounded(a)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, verify.Job{Name: a, Data: b})
	}
	if len(jobs) == 0 {
		return nil, inputErr("no input files found")
	}
	return jobs, nil
}

func readFileBounded(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, inputErr("%v", err)
	}
	defer f.Close()
	b, err := readBounded(f, verify.DefaultMaxInput)
	if err != nil {
		return nil, inputErr("%s: %v", p, err)
	}
	return b, nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// verifyViaNode posts the document to a node's POST /v1/verify.
func verifyViaNode(ctx context.Context, node string, j verify.Job, opts verify.Options) (*verify.Result, error) {
	u := strings.TrimRight(node, "/") + "/v1/verify"
	q := []string{}
	if !opts.At.IsZero() {
		q = append(q, "at="+opts.At.Format(time.RFC3339))
	}
	if opts.Offline {
		q = append(q, "offline=1")
	}
	q = append(q, arrivalQuery(opts.Arrival)...)
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(j.Data))
	if err != nil {
		return nil, usageErr("--node: %v", err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return nil, inputErr("cannot reach node %s: %v (is `accord node run` listening there? or verify offline with --trust DIR)", node, err)
	}
	defer resp.Body.Close()
	body, err := readBounded(resp.Body, 16<<20)
	if err != nil {
		return nil, inputErr("node %s: %v", node, err)
	}
	var res verify.Result
	if err := json.Unmarshal(body, &res); err != nil || len(res.Checks) == 0 {
		return nil, inputErr("node %s answered %s: %s", node, resp.Status, strings.TrimSpace(string(body)))
	}
	if res.Error != "" {
		return &res, fmt.Errorf("%w: %s", verify.ErrMalformed, res.Error)
	}
	return &res, nil
}

type printer struct {
	w     io.Writer
	json  bool
	quiet bool
}

func newPrinter(c *cli.Context) *printer {
	return &printer{w: c.App.Writer, json: c.Bool("json"), quiet: c.Bool("quiet")}
}

func (p *printer) print(r *verify.Result) {
	if p.json {
		b, _ := json.Marshal(r)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	printResult(p.w, r, "", p.quiet)
}

var marks = map[verify.Status]string{verify.Pass: "✓", verify.Fail: "✗", verify.Skip: "–", verify.Error: "!"}

func printResult(w io.Writer, r *verify.Result, indent string, quiet bool) {
	verdict := "VALID"
	if !r.Valid {
		verdict = "NOT VALID"
	}
	format := r.Format
	if format == "" {
		format = "unknown"
	}
	line := fmt.Sprintf("%s%s  %s", indent, verdict, format)
	if r.Input != "" {
		line += "  " + r.Input
	}
	if !r.Valid {
		if f := r.FirstFailure(); f != nil {
			line += fmt.Sprintf("  — %s: %s", f.Name, f.Detail)
		} else if r.Error == "" {
			line += "  — no check established the signature"
		}
	}
	fmt.Fprintln(w, line)
	printArrival(w, r, indent, quiet)
	if quiet {
		return
	}
	if r.Issuer != nil {
		fmt.Fprintf(w, "%s  issuer   %s, %s (anchor: %s, kid %s, list seq %d)\n", indent, r.Issuer.Name, r.Issuer.Country, r.Issuer.Anchor, r.Issuer.KID, r.Issuer.Seq)
	}
	for _, f := range r.Summary {
		fmt.Fprintf(w, "%s  %-8s %s\n", indent, f.Label, f.Value)
	}
	for _, ch := range r.Checks {
		detail := ch.Detail
		if ch.Fragment != "" {
			detail += " [" + ch.Fragment + "]"
		}
		fmt.Fprintf(w, "%s  %s %-22s %s\n", indent, marks[ch.Status], ch.Name, detail)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "%s  warning: %s\n", indent, wn)
	}
	for i, part := range r.Parts {
		fmt.Fprintf(w, "%s  part %d:\n", indent, i+1)
		printResult(w, part, indent+"    ", false)
	}
}
