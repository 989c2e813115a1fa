package clibase

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/keyfile"
	"github.com/accord-network/accord/trustlist"
)

// Run executes app with args (flags may follow positional arguments, see
// Interspersed) and maps its error to an exit status and one line on stderr:
// an error's own exit code, 1 when a trust list check said no, else 2.
func Run(app *cli.App, args []string, stderr io.Writer) int {
	err := app.Run(Interspersed(app, args))
	if err == nil {
		return ExitOK
	}
	code := ExitBadInput
	var ce cli.ExitCoder
	switch {
	case errors.As(err, &ce):
		code = ce.ExitCode()
	case trustlist.ReasonOf(err) != "" && trustlist.ReasonOf(err) != trustlist.ReasonMalformed:
		code = ExitNo
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(stderr, "accord: %s%s\n", msg, nextStep(err))
	}
	return code
}

// nextStep is what to type to fix an error the libraries report only as
// what is wrong, or "".
func nextStep(err error) string {
	var pe *fs.PathError
	if errors.Is(err, keyfile.ErrPermissions) && errors.As(err, &pe) {
		return fmt.Sprintf("; run `chmod 600 %s`", pe.Path)
	}
	return ""
}
