//go:build !linux

package pdf

import "os/exec"

// setDataLimit: off Linux the worker's memory is bounded by the Go soft
// limit only (debug.SetMemoryLimit), and the deadline.
func setDataLimit(int64) {}

func setWorkerAttrs(*exec.Cmd) {}
