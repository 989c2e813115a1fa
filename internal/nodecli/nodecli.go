// Package nodecli is the accord-node program: the commands that run a
// libp2p host (`accord node run`, `accord demo`) and the node's client
// commands (`accord node publish|pin|status`). The accord program runs it for
// those commands, so that accord itself does not link libp2p (see the
// package doc of internal/clibase).
package nodecli

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/clibase"
)

// Main runs the accord-node program with args (args[0] is the program) and
// returns its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	return clibase.Run(newApp(stdout, stderr), args, stderr)
}

// newApp is the node program's CLI. It is named accord: its commands are
// accord's, and its messages name them as users type them.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "accord",
		Usage: "the accord node program: run a node, talk to one, run the demo",
		Description: "accord-node runs the accord commands that need libp2p; `accord node ...` and `accord demo`\n" +
			"run it for you. Exit status: 0 success, 1 a verification said no, 2 bad usage or unreadable input.",
		Commands:       Commands(),
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {}, // Run prints errors itself, once
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageErr("%v (see `accord %s --help`)", err, c.Command.FullName())
		},
	}
}

// Commands is the node program's command tree, built afresh on each call:
// `accord demo` and `accord node`.
func Commands() []*cli.Command { return []*cli.Command{demoCommand(), nodeCommand()} }

// The names the moved command code uses for what internal/clibase shares.

func usageErr(format string, args ...any) error { return clibase.UsageErr(format, args...) }
func inputErr(format string, args ...any) error { return clibase.InputErr(format, args...) }
func noErr(format string, args ...any) error    { return clibase.NoErr(format, args...) }

func readBounded(r io.Reader, limit int64) ([]byte, error) { return clibase.ReadBounded(r, limit) }
func readInput(path string) ([]byte, error)                { return clibase.ReadInput(path) }
func storeErr(dir string, err error) error                 { return clibase.StoreErr(dir, err) }

var (
	optionalDirFlag = clibase.OptionalDirFlag
	dataFlag        = clibase.DataFlag
	jsonFlag        = clibase.JSONFlag
	ethRPCFlag      = clibase.EthRPCFlag
	chainReader     = clibase.ChainReader
	newVerifyClient = clibase.NewVerifyClient
)
