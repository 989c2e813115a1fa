//go:build !unix

package main

import "errors"

// errNoExec: this platform cannot replace the process image.
var errNoExec = errors.New("exec not supported")

// execProgram is not available here: the node program runs as a child.
func execProgram(string, []string) error { return errNoExec }
