package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/trustlist"
)

func trustCheckCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "verify every object of a trust store again and compare its verified index with the result",
		UsageText: "accord trust check --dir DATA [--json]",
		Description: "accord verify opens a trust store through its verified index, which records what was accepted\n" +
			"and where; it verifies the lists it uses, not the whole store (spec/trustlist.md §5.2). This command\n" +
			"is the whole check: every stored object is verified again, in order, under the store's policy, and\n" +
			"the index must match the result (its binding to the log and policy, each anchor, every lookup key).\n" +
			"Exit status 0 if it matches, 1 if it does not (then run `accord trust repair --dir DATA`), 2 if the\n" +
			"store cannot be read. Stop the node that uses DATA first.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Required: true, Usage: "trust store directory (a node's --data)"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
		},
		Action: trustCheck,
	}
}

func trustCheck(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("trust check takes no arguments (got %q)", c.Args().First())
	}
	dir := c.String("dir")
	rep, err := trustlist.CheckIndex(dir)
	if err != nil {
		return storeErr(dir, err)
	}
	if c.Bool("json") {
		if err := json.NewEncoder(c.App.Writer).Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.App.Writer, "verified every stored object again: %d anchors admitted, %d records skipped\n", rep.Anchors, rep.Skipped)
		if rep.Problem == "" {
			fmt.Fprintf(c.App.Writer, "index matches: %d lookup keys\n", rep.Keys)
		} else {
			fmt.Fprintf(c.App.Writer, "INDEX DOES NOT MATCH: %s\nrun `accord trust repair --dir %s` to rebuild the store and its index\n", rep.Problem, dir)
		}
	}
	if rep.Problem != "" {
		return silentExit(exitNo)
	}
	return nil
}
