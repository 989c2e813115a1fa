package hcert

import (
	"time"

	"golang.org/x/sys/unix"
)

// cpuNow is the CPU time the process has used (all threads, so the
// garbage collector's work counts too).
func cpuNow() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}
