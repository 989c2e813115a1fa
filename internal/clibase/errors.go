// Package clibase is what the two accord programs share: the exit statuses
// and error kinds of the command line, the flags several commands take, input
// reading and the client of a node's POST /v1/verify.
//
// The `accord` program (cmd/accord) verifies, keeps trust stores and signs
// lists; it does not link libp2p, so that verifying one document starts in a
// few milliseconds. The commands that run a libp2p host (`accord node`,
// `accord demo`) live in the accord-node program (cmd/accord-node,
// internal/nodecli), which `accord` runs for them.
package clibase

import "fmt"

// Exit statuses, the same for every command of both programs.
const (
	ExitOK       = 0 // success; every document valid
	ExitNo       = 1 // a verification or acceptance said no
	ExitBadInput = 2 // bad usage, or input that cannot be read or decoded
)

// ExitError is a one-line message with an exit status. It keeps the errors
// its message was made from, so that callers can still recognise them.
type ExitError struct {
	msg    string
	code   int
	causes []error
}

func (e *ExitError) Error() string { return e.msg }

// ExitCode is the process exit status for this error.
func (e *ExitError) ExitCode() int { return e.code }

// Unwrap returns the errors among the message's arguments.
func (e *ExitError) Unwrap() []error { return e.causes }

// Exit is an error with exit status code and a message formatted as by
// fmt.Sprintf.
func Exit(code int, format string, args ...any) error {
	e := &ExitError{msg: fmt.Sprintf(format, args...), code: code}
	for _, a := range args {
		if err, ok := a.(error); ok {
			e.causes = append(e.causes, err)
		}
	}
	return e
}

// UsageErr is bad usage: exit status 2.
func UsageErr(format string, args ...any) error { return Exit(ExitBadInput, format, args...) }

// InputErr is input that cannot be read or decoded: exit status 2.
func InputErr(format string, args ...any) error { return Exit(ExitBadInput, format, args...) }

// NoErr is a verification or acceptance that said no: exit status 1.
func NoErr(format string, args ...any) error { return Exit(ExitNo, format, args...) }
