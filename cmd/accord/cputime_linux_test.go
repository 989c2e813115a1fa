package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// cpuNow is the CPU time this process has used, all threads.
func cpuNow() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}
