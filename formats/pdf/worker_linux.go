package pdf

import (
	"os/exec"
	"syscall"
)

// setDataLimit sets the worker's own hard ceiling on data memory
// (RLIMIT_DATA counts the heap and private anonymous mappings, not the
// address space the Go runtime merely reserves).
func setDataLimit(n int64) {
	lim := &syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
	_ = syscall.Setrlimit(syscall.RLIMIT_DATA, lim)
}

// setWorkerAttrs makes the kernel kill a worker whose parent dies.
func setWorkerAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
