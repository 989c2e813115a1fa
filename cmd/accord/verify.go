package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/sync/errgroup"

	"github.com/accord-network/accord/formats/pdf"
	"github.com/accord-network/accord/internal/checkneed"
	"github.com/accord-network/accord/internal/clibase"
	"github.com/accord-network/accord/verify"
)

// verifyCommand is `accord verify`: verify documents against trust lists.
func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "verify documents (HC1 health certificates, QR images, e-BLs, signed PDFs) against trust lists",
		UsageText: "accord verify --trust TRUST [--at TIME] [--offline] [--json] [--verbose] INPUT...\n" +
			"accord verify --node http://127.0.0.1:8080 INPUT...\n\n" +
			"INPUT is a file, - for stdin, a literal HC1:... string, or a folder (every file in it and its\n" +
			"subfolders, on all cores; --no-recurse for the folder itself only).",
		Description: "Each document gets one of five verdicts:\n" +
			"  VALID                        every check passed\n" +
			"  NOT VALID                    the document was read and a check failed (forged, altered, expired, revoked, untrusted)\n" +
			"  COULD NOT READ — scan again  the input could not be read or decoded; nothing is known about the document\n" +
			"  CANNOT CHECK                 no check failed, but one the document needs asks a service this verifier could\n" +
			"                               not use (a chain without --eth-rpc, a status list not fetched); neither valid nor forged\n" +
			"  NOT CHECKED                  the verification could not be carried out (the node could not be reached)\n" +
			"and the checks behind it: decoded, signature, issuer_trusted, key_valid_at_signing, key_usage,\n" +
			"not_revoked, list_fresh, not_expired, schema, ...\n" +
			"A check that cannot be made is reported as skip with the reason; it never counts as a pass.\n\n" +
			"One input prints every check; many inputs print one line each, a progress bar on a terminal,\n" +
			"and a closing block naming each document that needs attention (--verbose: every check of each).\n" +
			"Folders: hidden files are left out; named pipes and other non-regular files are skipped with a note;\n" +
			"files that cannot be read are reported and the rest are verified.\n\n" +
			"Works offline from any trust store, including a node's data directory while the node runs.\n" +
			"--at takes ISO 8601: 2021-07-02T07:38:27Z, +02:00 or +0000 offsets, a time without offset (UTC), a date.\n" +
			"Exit status: 0 all valid, 1 any not valid or cannot check, 2 any input could not be read or checked (or bad usage).\n\n" +
			"Example:\n  accord verify --trust ~/.accord/trust cert.png bl.json permit.pdf",
		Flags: []cli.Flag{
			trustFlag("trust store directory (see `accord trust init`, or a node's --data dir)"),
			&cli.StringFlag{Name: "node", Usage: "verify through a node's HTTP API instead of a local trust store"},
			&cli.StringFlag{Name: "at", Usage: "verification time, ISO 8601 (default now; no offset means UTC)"},
			&cli.BoolFlag{Name: "offline", Usage: "accept stale lists (past next_update) with a warning: you cannot fetch newer ones"},
			jsonFlag("print each result as JSON (one object per line for many inputs)"),
			&cli.IntFlag{Name: "workers", Usage: "parallel verifications for many inputs (default: all cores)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the verdict line per input"},
			&cli.BoolFlag{Name: "strict", Usage: "PDFs: refuse any change after the last signature, even an allowed one (validation data, a document timestamp, an annotation)"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print every check of every input, also for many inputs"},
			&cli.BoolFlag{Name: "no-recurse", Usage: "verify only the files directly in a folder, not its subfolders"},
			&cli.StringFlag{Name: "arrival", Usage: "country of arrival (e.g. NL): also judge health certificates against its entry rules"},
			&cli.StringFlag{Name: "region", Usage: "with --arrival: the region whose rules apply"},
			&cli.StringFlag{Name: "lang", Value: "en", Usage: "with --arrival: language of the rule descriptions"},
			ethRPCFlag(),
			clibase.StatusOnlineFlag(),
		},
		Action: verifyAction,
	}
}

// checkFunc verifies one input's bytes. A nil error with an unreadable or
// not-checked result is normal; the function never returns a nil result.
type checkFunc func(ctx context.Context, name string, data []byte) *verify.Result

func verifyAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("verify needs an INPUT: a file, -, an HC1:... string or a folder (see `accord verify --help`)")
	}
	if (c.String("trust") == "") == (c.String("node") == "") {
		return usageErr("verify needs exactly one of --trust DIR (verify locally) or --node URL (ask a node)")
	}
	opts := verify.Options{Offline: c.Bool("offline"), Arrival: arrivalOptions(c)}
	pdf.SetStrict(c.Bool("strict"))
	if s := c.String("at"); s != "" {
		t, note, err := parseISOTime("--at", s)
		if err != nil {
			return usageErr("%v", err)
		}
		if note != "" {
			fmt.Fprintf(c.App.ErrWriter, "accord: note: %s\n", note)
		}
		opts.At = t
	}
	if chains, err := chainReader(c); err != nil {
		return err
	} else if chains != nil {
		defer chains.Close()
		opts.Chains = chains
	}
	if c.Bool(clibase.StatusOnlineFlagName) && c.String("node") != "" {
		return usageErr("--status-online applies to verifying here; a node fetches status lists when it runs with `accord node run --status-online`")
	}
	if f := clibase.StatusFetcher(c, 0); f != nil {
		opts.Fetcher = f
	}
	var check checkFunc
	if node := c.String("node"); node != "" {
		nc, err := clibase.NewVerifyClient(c.Context, node, opts)
		if err != nil {
			return err
		}
		check = nc.Verify
	} else {
		trust, done, err := openTrust(c, c.String("trust"))
		if err != nil {
			return err
		}
		defer done()
		v := verify.New(trust, opts)
		check = func(ctx context.Context, name string, data []byte) *verify.Result {
			res, _ := v.Verify(ctx, data)
			return res
		}
	}
	col := collectInputs(c.Args().Slice(), !c.Bool("no-recurse"))
	for _, n := range col.notes {
		fmt.Fprintf(c.App.ErrWriter, "accord: note: %s\n", n)
	}
	if len(col.inputs) == 0 {
		return inputErr("no input files found in %s", strings.Join(c.Args().Slice(), " "))
	}
	run := &verifyRun{
		inputs:  col.inputs,
		skipped: len(col.notes),
		check:   check,
		workers: c.Int("workers"),
		out:     c.App.Writer,
		json:    c.Bool("json"),
		quiet:   c.Bool("quiet"),
		verbose: c.Bool("verbose"),
		many:    len(col.inputs) > 1 || col.fromFolder,
	}
	if run.many && !run.json && isTerminal(os.Stderr) {
		run.progress = os.Stderr
	}
	if worst := run.Run(c.Context); worst != exitOK {
		return silentExit(worst)
	}
	return nil
}

// input is one document to verify: bytes already read (stdin, a literal
// HC1 string) or a path read when its turn comes, so a folder of thousands
// is never all in memory.
type input struct {
	name string
	data []byte
	path string
	err  error // the input could not be read at all (reported, not fatal)
}

type collected struct {
	inputs     []input
	notes      []string // skipped entries, one sentence each
	fromFolder bool
}

// collectInputs turns the command line into inputs: "-" is stdin, a literal
// HC1:... string is itself, a folder is walked (recursively unless recurse
// is false; hidden entries left out; non-regular files skipped with a note),
// anything else is a file. Nothing here is fatal: an input that cannot be
// read becomes an input with err, reported with the results.
func collectInputs(args []string, recurse bool) collected {
	var col collected
	for _, a := range args {
		if a == "-" {
			b, err := readBounded(os.Stdin, verify.DefaultMaxInput)
			col.inputs = append(col.inputs, input{name: "stdin", data: b, err: err})
			continue
		}
		st, err := os.Stat(a)
		switch {
		case err != nil && strings.HasPrefix(strings.TrimSpace(a), "HC1:"):
			col.inputs = append(col.inputs, input{name: "argument", data: []byte(strings.TrimSpace(a))})
		case err != nil:
			col.inputs = append(col.inputs, input{name: a, err: describeOpenErr(a, err)})
		case st.IsDir():
			col.fromFolder = true
			col.walk(a, recurse)
		default:
			// A file named on the command line is read whatever its type:
			// `accord verify <(zbarimg ...)` passes a pipe on purpose.
			col.inputs = append(col.inputs, input{name: a, path: a})
		}
	}
	return col
}

func (col *collected) walk(root string, recurse bool) {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// A folder that cannot be listed: report it, go on with the rest.
			col.inputs = append(col.inputs, input{name: p, err: describeOpenErr(p, err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		hidden := p != root && strings.HasPrefix(d.Name(), ".")
		if d.IsDir() {
			if p != root && (hidden || !recurse) {
				return fs.SkipDir
			}
			return nil
		}
		if hidden {
			return nil
		}
		mode := d.Type()
		if mode&fs.ModeSymlink != 0 {
			st, err := os.Stat(p)
			switch {
			case err != nil:
				col.inputs = append(col.inputs, input{name: p, err: describeOpenErr(p, err)})
				return nil
			case st.IsDir():
				col.notes = append(col.notes, fmt.Sprintf("skipped %s: a link to a folder (links to folders are not followed; name the folder itself)", p))
				return nil
			}
			mode = st.Mode().Type()
		}
		if !mode.IsRegular() {
			col.notes = append(col.notes, fmt.Sprintf("skipped %s: not a regular file (%s)", p, fileKind(mode)))
			return nil
		}
		col.inputs = append(col.inputs, input{name: p, path: p})
		return nil
	})
	if err != nil {
		col.inputs = append(col.inputs, input{name: root, err: err})
	}
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "type " + m.String()
}

// describeOpenErr says in plain words why a path cannot be read.
func describeOpenErr(p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		if fi, lerr := os.Lstat(p); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			return fmt.Errorf("a link to %s, which does not exist", target)
		}
		return errors.New("no such file or folder")
	}
	if errors.Is(err, fs.ErrPermission) {
		return errors.New("permission denied")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// read returns the input's bytes, reading its file now if it has one.
func (in input) read() ([]byte, error) {
	if in.err != nil || in.path == "" {
		return in.data, in.err
	}
	b, err := readFileBounded(in.path, verify.DefaultMaxInput)
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Op == "open" {
		return nil, describeOpenErr(in.path, err)
	}
	return b, err
}

// verifyRun verifies inputs in parallel and prints the results in input
// order: full detail for one input, one line each for many, then a closing
// block naming every document that needs attention.
type verifyRun struct {
	inputs   []input
	skipped  int
	check    checkFunc
	workers  int
	out      io.Writer
	progress io.Writer // a terminal for the progress bar, or nil
	json     bool
	quiet    bool
	verbose  bool
	many     bool
	// refusedEntry counts documents the arrival country's rules refused
	// (--arrival): exit status 1 even when every signature is valid.
	refusedEntry int
}

// attention is a document that was not valid, for the closing block.
type attention struct {
	name, reason string
	verdict      verify.Verdict
	need         string // cannot check: what it needs (checkneed.Need.Group)
}

// Run verifies everything and returns the exit status.
func (r *verifyRun) Run(ctx context.Context) int {
	workers := r.workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	results := make([]*verify.Result, len(r.inputs))
	// Inputs go to the workers in batches: a goroutine per document would
	// grow a fresh stack through the whole verification every time, a cost
	// of its own per document in a folder of thousands. A worker reports
	// each batch when it is done with it ([lo, hi) on done), not each
	// document: the printing goroutine is then woken once a batch.
	batch := max(1, min(64, len(r.inputs)/(4*workers)))
	if r.progress != nil || !r.many {
		batch = 1 // a terminal shows each result as it comes
	}
	done := make(chan [2]int, len(r.inputs)/batch+1)
	go func() {
		var g errgroup.Group
		g.SetLimit(workers)
		for lo := 0; lo < len(r.inputs); lo += batch {
			hi := min(lo+batch, len(r.inputs))
			g.Go(func() error {
				for i := lo; i < hi; i++ {
					results[i] = r.verifyInput(ctx, r.inputs[i])
				}
				done <- [2]int{lo, hi}
				return nil
			})
		}
		_ = g.Wait()
		close(done)
	}()
	// Output is buffered and written when the printing goroutine has
	// nothing more to print for now (a write a document would be a system
	// call each on the one goroutine that prints for every worker).
	out := bufio.NewWriterSize(r.out, 64<<10)
	defer out.Flush()
	w := r.out
	r.out = out
	defer func() { r.out = w }()

	var bar *progressbar.ProgressBar
	if r.progress != nil {
		bar = progressbar.NewOptions(len(r.inputs), progressbar.OptionSetWriter(r.progress),
			progressbar.OptionSetDescription("verifying"), progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())
	}
	start := time.Now()
	counts := map[verify.Verdict]int{}
	var need []attention
	ready := make([]bool, len(r.inputs))
	next := 0
	for span := range done {
		for i := span[0]; i < span[1]; i++ {
			ready[i] = true
		}
		for next < len(r.inputs) && ready[next] {
			res := results[next]
			results[next] = nil // keep only what the closing block needs
			v := res.Verdict()
			counts[v]++
			if res.Arrival != nil && !res.Arrival.Accepted {
				r.refusedEntry++
				if v == verify.VerdictValid {
					need = append(need, attention{name: res.Input, reason: res.Arrival.Verdict, verdict: verdictEntryRefused})
				}
			}
			if v != verify.VerdictValid {
				need = append(need, attention{name: res.Input, reason: reason(res), verdict: v, need: checkneed.Of(res).Group})
			}
			if bar != nil {
				// The bar is the last line of the terminal: clear it, print
				// the result line, draw it again one step further.
				_ = bar.Clear()
			}
			r.print(res)
			if bar != nil {
				_ = out.Flush() // before the bar is drawn again
				_ = bar.Add(1)
			}
			next++
		}
		if len(done) == 0 {
			_ = out.Flush() // nothing more to print until a worker is done
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if r.many && !r.json {
		r.closingBlock(counts, need, time.Since(start))
	}
	worst := exitOK
	if counts[verify.VerdictInvalid] > 0 || counts[verify.VerdictCannotCheck] > 0 || r.refusedEntry > 0 {
		worst = exitNo
	}
	if counts[verify.VerdictUnreadable] > 0 || counts[verify.VerdictNotChecked] > 0 {
		worst = exitBadInput
	}
	return worst
}

func (r *verifyRun) verifyInput(ctx context.Context, in input) *verify.Result {
	data, err := in.read()
	var res *verify.Result
	switch {
	case err != nil:
		res = verify.Unreadable(in.name, time.Now().UTC(), err)
	case len(data) == 0:
		res = verify.Unreadable(in.name, time.Now().UTC(), errors.New("the file is empty"))
	default:
		res = r.check(ctx, in.name, data)
	}
	res.Input = in.name
	return res
}

func (r *verifyRun) print(res *verify.Result) {
	if r.json {
		b, err := json.Marshal(res)
		if err != nil {
			b, _ = json.Marshal(verify.Unreadable(res.Input, res.At, err))
		}
		fmt.Fprintf(r.out, "%s\n", b)
		return
	}
	if r.many && !r.verbose {
		line := verdictLine(res, "")
		if a := res.Arrival; a != nil {
			line += "  [" + a.Verdict + "]"
		}
		fmt.Fprintln(r.out, line)
		return
	}
	printResult(r.out, res, "", r.quiet)
}

func (r *verifyRun) closingBlock(counts map[verify.Verdict]int, need []attention, took time.Duration) {
	w := r.out
	total := len(r.inputs)
	parts := []string{fmt.Sprintf("%d valid", counts[verify.VerdictValid])}
	for _, v := range []verify.Verdict{verify.VerdictInvalid, verify.VerdictCannotCheck, verify.VerdictUnreadable, verify.VerdictNotChecked} {
		if counts[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[v], strings.ToLower(verdictGroup(v))))
		}
	}
	fmt.Fprintf(w, "\n%s: %s (%.0f documents/s)\n", plural(total, "document"), strings.Join(parts, ", "), float64(total)/max(took.Seconds(), 1e-6))
	if r.skipped > 0 {
		fmt.Fprintf(w, "%s skipped: not regular files (see the notes on stderr)\n", plural(r.skipped, "entry"))
	}
	if len(need) == 0 {
		return
	}
	fmt.Fprintf(w, "%d need attention:\n", len(need))
	for _, v := range []verify.Verdict{verify.VerdictInvalid, verdictEntryRefused, verify.VerdictCannotCheck, verify.VerdictUnreadable, verify.VerdictNotChecked} {
		first := true
		for _, a := range need {
			if a.verdict != v {
				continue
			}
			if first {
				fmt.Fprintf(w, "  %s%s:\n", verdictGroup(v), groupNeed(need, v))
				first = false
			}
			fmt.Fprintf(w, "    %s  — %s\n", a.name, a.reason)
		}
	}
}

// verdictEntryRefused groups, in the closing block, valid documents that the
// arrival country's rules refuse (--arrival).
const verdictEntryRefused verify.Verdict = "entry_refused"

// verdictGroup heads a group of the closing block.
func verdictGroup(v verify.Verdict) string {
	switch v {
	case verdictEntryRefused:
		return "VALID BUT ENTRY REFUSED (--arrival rules)"
	case verify.VerdictInvalid:
		return "NOT VALID"
	case verify.VerdictUnreadable:
		return "COULD NOT READ (scan or copy again)"
	case verify.VerdictNotChecked:
		return "NOT CHECKED (try again)"
	case verify.VerdictCannotCheck:
		return "CANNOT CHECK"
	}
	return "VALID"
}

// reason is the one-line why of a result that is not valid.
func reason(r *verify.Result) string {
	if r.Verdict() == verify.VerdictValid {
		return ""
	}
	if f := r.FirstFailure(); f != nil {
		if f.Name == verify.CheckDecoded {
			return f.Detail
		}
		return f.Name + ": " + f.Detail
	}
	if r.Error != "" {
		return r.Error
	}
	if r.CannotCheck != "" {
		return r.CannotCheck + " (" + checkneed.Of(r).Hint + ")"
	}
	if c := r.Check(verify.CheckSignature); c != nil && c.Status == verify.Skip {
		return "signature not checked: " + c.Detail
	}
	return "no check established the signature"
}

// verdictLine is a result in one line: verdict, format, input, reason.
func verdictLine(r *verify.Result, indent string) string {
	line := indent + r.Verdict().Headline()
	if r.Format != "" {
		line += "  " + r.Format
	} else if r.Verdict() != verify.VerdictUnreadable && r.Verdict() != verify.VerdictNotChecked {
		line += "  unknown"
	}
	if r.Input != "" {
		line += "  " + r.Input
	}
	if why := reason(r); why != "" {
		line += "  — " + why
	}
	return line
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

var marks = map[verify.Status]string{verify.Pass: "✓", verify.Fail: "✗", verify.Skip: "–", verify.Error: "!"}

// printResult prints a result with every check; quiet prints only the
// verdict line.
func printResult(w io.Writer, r *verify.Result, indent string, quiet bool) {
	fmt.Fprintln(w, verdictLine(r, indent))
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

// groupNeed says what every cannot-check document of the closing block
// needs, when they all need the same; else each line says it.
func groupNeed(need []attention, v verify.Verdict) string {
	if v != verify.VerdictCannotCheck {
		return ""
	}
	common := ""
	for _, a := range need {
		switch {
		case a.verdict != v:
		case common == "":
			common = a.need
		case common != a.need:
			return " (each says what it needs)"
		}
	}
	if common == "" {
		return ""
	}
	return " (" + common + ")"
}
