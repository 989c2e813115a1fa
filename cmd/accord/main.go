// Command accord publishes, gossips and verifies cross-border trust lists and
// the documents they vouch for. Run `accord --help` for the commands.
package main

import (
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/formats/pdf"
	"github.com/accord-network/accord/internal/clibase"
)

// Exit statuses, the same for every command.
const (
	exitOK       = clibase.ExitOK       // success; every document valid
	exitNo       = clibase.ExitNo       // a verification or acceptance said no
	exitBadInput = clibase.ExitBadInput // bad usage, or input that cannot be read or decoded
)

// commands is every top-level command, in the order help lists them
// (alphabetical). Each command is built by a function in its feature's file;
// its actions are named functions there.
func commands() []*cli.Command {
	return []*cli.Command{
		anchorCommand(),
		demoCommand(),
		issueCommand(),
		keygenCommand(),
		listCommand(),
		nodeCommand(),
		oaCommand(),
		revocationsCommand(),
		revokeCommand(),
		rulesCommand(),
		trustCommand(),
		verifyCommand(),
	}
}

// issueCommand is `accord issue`: test documents for fixtures and demos.
func issueCommand() *cli.Command {
	return &cli.Command{
		Name:        "issue",
		Usage:       "issue test documents (health certificates, e-BLs, signed PDFs) for fixtures and demos",
		Description: "Issuing is for fixtures, tests and demos: real issuers use their own systems.\nThe documents are real and signed with the key you give.",
		Subcommands: []*cli.Command{
			issueEBLCommand(),
			issueHCertCommand(),
			issuePDFCommand(),
		},
	}
}

// newApp builds the CLI writing to stdout and stderr.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "accord",
		Usage: "cross-border trust lists and document verification",
		Description: "Trust anchors (countries) publish signed lists of the keys that may issue documents;\n" +
			"nodes gossip them peer to peer; anyone verifies documents against them, online or offline.\n\n" +
			"Start with `accord demo`. Exit status: 0 success, 1 a verification said no, 2 bad usage or unreadable input.",
		Commands:       commands(),
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {}, // main prints errors itself, once
		OnUsageError:   onUsageError,
	}
}

// onUsageError turns a flag parsing error into bad usage that names the
// command's help.
func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageErr("%v (see `accord %s --help`)", err, c.Command.FullName())
}

func main() {
	pdf.WorkerMain() // untrusted PDFs are parsed in bounded worker processes (spec/pdf.md)
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run executes the CLI and maps errors to exit statuses and one-line messages.
func run(args []string, stdout, stderr io.Writer) int {
	return clibase.Run(newApp(stdout, stderr), args, stderr)
}

// usageErr is bad usage: exit status 2.
func usageErr(format string, args ...any) error { return clibase.UsageErr(format, args...) }

// inputErr is input that cannot be read or decoded: exit status 2.
func inputErr(format string, args ...any) error { return clibase.InputErr(format, args...) }

// noErr is a verification or acceptance that said no: exit status 1.
func noErr(format string, args ...any) error { return clibase.NoErr(format, args...) }

// silentExit ends with a status and no extra message (the output said it all).
func silentExit(code int) error { return cli.Exit("", code) }
