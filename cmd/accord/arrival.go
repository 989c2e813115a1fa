package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/verify"
)

// arrivalOptions reads verify's --arrival, --region and --lang.
func arrivalOptions(c *cli.Context) *verify.ArrivalOptions {
	cc := strings.ToUpper(strings.TrimSpace(c.String("arrival")))
	if cc == "" {
		return nil
	}
	return &verify.ArrivalOptions{Country: cc, Region: strings.ToUpper(c.String("region")), Lang: c.String("lang")}
}

var ruleMarks = map[string]string{"passed": "✓", "failed": "✗", "open": "?"}

// printArrival prints the entry verdict beside the signature verdict and,
// unless quiet, each rule's outcome.
func printArrival(w io.Writer, r *verify.Result, indent string, quiet bool) {
	a := r.Arrival
	if a == nil {
		return
	}
	fmt.Fprintf(w, "%s%s\n", indent, a.Verdict)
	if quiet {
		return
	}
	for _, ro := range a.Rules {
		fmt.Fprintf(w, "%s  %s %-12s %s v%s: %s", indent, ruleMarks[string(ro.Outcome)], ro.Outcome, ro.Identifier, ro.Version, ro.Description)
		if ro.Detail != "" {
			fmt.Fprintf(w, " (%s)", ro.Detail)
		}
		fmt.Fprintln(w)
	}
}
