package main

import (
	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/clibase"
)

// Flags that several commands take are defined once, in internal/clibase
// (shared with accord-node); these are their names here. Each call returns
// a new flag: urfave/cli records per-run state in a flag, so commands do not
// share one value.

// dirFlag is the required --dir: the anchor directory or trust store the
// command works in, described by usage.
func dirFlag(usage string) *cli.StringFlag { return clibase.DirFlag(usage) }

// anchorDirFlag is --dir for commands that work in an anchor directory.
func anchorDirFlag() *cli.StringFlag { return dirFlag("anchor directory") }

// trustDirFlag is --dir for commands that work on a trust store.
func trustDirFlag() *cli.StringFlag { return dirFlag("trust store directory") }

// trustFlag is --trust ($ACCORD_TRUST): a trust store to read, described by
// usage.
func trustFlag(usage string) *cli.StringFlag {
	return &cli.StringFlag{Name: "trust", Usage: usage, EnvVars: []string{"ACCORD_TRUST"}}
}

// jsonFlag is --json: machine-readable output, described by usage.
func jsonFlag(usage string) *cli.BoolFlag { return clibase.JSONFlag(usage) }

// machineJSON is the usage of most commands' --json.
const machineJSON = "machine-readable output"
