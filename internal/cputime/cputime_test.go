//go:build unix

package cputime

import (
	"crypto/sha256"
	"testing"
)

// TestNowAdvances: work done by this process shows as CPU time.
func TestNowAdvances(t *testing.T) {
	start := Now()
	if start <= 0 {
		t.Fatalf("Now() = %v, want a positive CPU time", start)
	}
	var sum [32]byte
	for i := 0; Now()-start < 5e6 && i < 1e8; i++ { // 5 ms of CPU
		sum = sha256.Sum256(sum[:])
	}
	if Now() <= start {
		t.Fatalf("CPU time did not advance over the work")
	}
}
