package main

import (
	"fmt"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/clibase"
	"github.com/accord-network/accord/trustlist"
)

// storeErr turns a trust store error into one line that says what to do.
func storeErr(dir string, err error) error { return clibase.StoreErr(dir, err) }

func trustRepairCommand() *cli.Command {
	return &cli.Command{
		Name:      "repair",
		Usage:     "rebuild a damaged, emptied or outdated trust store from its verified objects/ files",
		UsageText: "accord trust repair --dir DATA",
		Description: "Every object of the old store.db (as far as it can be read) and of objects/ is verified again,\n" +
			"in dependency order, under the store's policy; what verifies becomes the new store. The old\n" +
			"store.db and objects/ are kept beside it: store.db.damaged-TIME when store.db could not be read,\n" +
			"else store.db.before-repair-TIME (a healthy store is rebuilt the same; nothing is lost), and\n" +
			"objects.before-repair-TIME. Stop the node that uses DATA first.",
		Flags:  []cli.Flag{dirFlag("trust store directory (a node's --data)")},
		Action: trustRepair,
	}
}

// trustRepair rebuilds a trust store from its verified objects.
func trustRepair(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("trust repair takes no arguments (got %q)", c.Args().First())
	}
	dir := c.String("dir")
	rep, err := trustlist.RepairStore(dir)
	if err != nil {
		return storeErr(dir, err)
	}
	printRepair(c, dir, rep)
	return nil
}

func printRepair(c *cli.Context, dir string, rep *trustlist.RepairReport) {
	w := c.App.Writer
	if rep.StoreError != "" {
		fmt.Fprintf(w, "old store.db unreadable: %s\n", rep.StoreError)
	}
	fmt.Fprintf(w, "read %d records from store.db and %d files from objects/\n", rep.FromStore, rep.FromMirror)
	fmt.Fprintf(w, "recovered %d records, all verified again\n", rep.Recovered)
	if rep.Skipped > 0 {
		var rs []string
		for r, n := range rep.Reasons {
			rs = append(rs, fmt.Sprintf("%s: %d", r, n))
		}
		sort.Strings(rs)
		fmt.Fprintf(w, "skipped %d records that do not verify %v\n", rep.Skipped, rs)
	}
	for _, a := range rep.Anchors {
		if a.Seq > 0 {
			fmt.Fprintf(w, "  %s descriptor v%d, list seq %d (%d versions held)\n", a.Country, a.Version, a.Seq, a.History)
		} else {
			fmt.Fprintf(w, "  %s descriptor v%d, no list\n", a.Country, a.Version)
		}
	}
	if rep.Backup != "" {
		fmt.Fprintf(w, "old store.db kept as %s\n", rep.Backup)
	}
	if rep.OldObjects != "" {
		fmt.Fprintf(w, "old objects/ kept as %s\n", rep.OldObjects)
	}
	fmt.Fprintf(w, "trust store %s repaired\n", dir)
}
