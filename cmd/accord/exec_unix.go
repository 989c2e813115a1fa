//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"
)

// errNoExec: this platform cannot replace the process image.
var errNoExec = errors.New("exec not supported")

// execProgram replaces this process with prog run with args (prog is
// argv[0]); it returns only on failure.
func execProgram(prog string, args []string) error {
	return syscall.Exec(prog, append([]string{prog}, args...), os.Environ())
}
