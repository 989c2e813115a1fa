// Command testreport reads `go test -json` events on stdin and prints what
// `go test` prints without -v (each package's result line, and the output of
// failing tests and of build failures), then, at the end, every skipped test
// with the reason it gave, and a closing count. ./test.sh pipes the tests
// through it; it never changes their exit status.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	if err := report(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "testreport: %v\n", err)
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

type skip struct{ pkg, test, reason string }

type key struct{ pkg, test string }

// report copies the relevant output to w as it arrives and ends with the
// skipped tests and the counts.
func report(r io.Reader, w io.Writer) error {
	var (
		buf                    = map[key][]string{}
		skips                  []skip
		passed, failed, nSkips int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Fprintf(w, "%s\n", line) // not an event (e.g. a go vet message): pass it on
			continue
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Test == "" && e.Action == "output":
			if strings.TrimSpace(e.Output) != "PASS" {
				fmt.Fprint(w, e.Output)
			}
		case e.Action == "output":
			buf[k] = append(buf[k], e.Output)
		case e.Action == "pass" && e.Test != "":
			passed++
			delete(buf, k)
		case e.Action == "fail" && e.Test != "":
			failed++
			for _, o := range buf[k] {
				fmt.Fprint(w, o)
			}
			delete(buf, k)
		case e.Action == "skip" && e.Test != "":
			nSkips++
			skips = append(skips, skip{pkg: e.Package, test: e.Test, reason: skipReason(buf[k])})
			delete(buf, k)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	sort.Slice(skips, func(i, j int) bool {
		if skips[i].pkg != skips[j].pkg {
			return skips[i].pkg < skips[j].pkg
		}
		return skips[i].test < skips[j].test
	})
	if len(skips) == 0 {
		fmt.Fprintf(w, "\nNo test was skipped.\n")
	} else {
		fmt.Fprintf(w, "\n%d skipped (test: reason):\n", len(skips))
		for _, s := range skips {
			fmt.Fprintf(w, "  %s %s: %s\n", s.pkg, s.test, s.reason)
		}
	}
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", passed, failed, nSkips)
	return nil
}

// skipReason is what a skipped test printed, without the framing lines.
func skipReason(out []string) string {
	var parts []string
	for _, o := range out {
		t := strings.TrimSpace(o)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		// "file_test.go:12: reason" → "reason (file_test.go:12)"
		if i := strings.Index(t, ".go:"); i > 0 && !strings.Contains(t[:i], " ") {
			if j := strings.Index(t[i+4:], ": "); j >= 0 {
				t = t[i+4+j+2:] + " (" + t[:i+4+j] + ")"
			}
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " / ")
}
