//go:build !linux

package main

import "time"

var cpuStart = time.Now()

// cpuNow falls back to wall time where process CPU time is not read.
func cpuNow() time.Duration { return time.Since(cpuStart) }
