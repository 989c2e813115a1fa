//go:build !unix

package pdf

import "time"

// processCPU is not measured on this platform: the cpu metrics are left out.
func processCPU() time.Duration { return 0 }
