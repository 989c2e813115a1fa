package nodecli

import (
	"context"
	"testing"
	"time"
)

// waitFor is how the demo waits for gossip: on a condition, ending at the
// deadline or when the context ends, never on a fixed sleep.
func TestWaitFor(t *testing.T) {
	calls := 0
	took, ok := waitFor(context.Background(), time.Minute, func() bool { calls++; return calls == 3 })
	if !ok || calls != 3 || took > 10*time.Second {
		t.Fatalf("a condition met on the third check: ok=%v after %d checks, %s", ok, calls, took)
	}

	if _, ok := waitFor(context.Background(), 50*time.Millisecond, func() bool { return false }); ok {
		t.Fatal("a condition never met reported ok at the deadline")
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	if _, ok := waitFor(ctx, time.Hour, func() bool { return false }); ok {
		t.Fatal("a cancelled wait reported ok")
	}
	if time.Since(start) > 30*time.Second {
		t.Fatal("a cancelled wait did not end with its context")
	}
}
