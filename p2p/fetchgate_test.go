package p2p

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// A round waiting for another round's download of the same anchor's lists
// goes on the moment that download ends, succeeded or failed, not when
// fetchWait runs out; only a download still running after fetchWait is
// overtaken (spec/network.md §4).
func TestFetchGateWakesWaiters(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold time.Duration // how long the first round downloads
		want time.Duration // when the second round may start its own
	}{
		{"download ends", 200 * time.Millisecond, 200 * time.Millisecond},
		{"download fails at once", 0, 0},
		{"download outlasts fetchWait", 2 * fetchWait, fetchWait},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var g fetchGate
				ctx := context.Background()
				release, err := g.acquire(ctx, "NL")
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				got := make(chan time.Duration, 1)
				go func() {
					rel, err := g.acquire(ctx, "NL")
					if err != nil {
						t.Error(err)
					}
					got <- time.Since(start)
					rel()
				}()
				synctest.Wait() // the second round is waiting
				time.Sleep(tc.hold)
				release() // the first download ends (or failed: the gate is the same)
				if d := <-got; d != tc.want {
					t.Fatalf("second round started after %v, want %v", d, tc.want)
				}
				// The gate is free again: a third round starts at once.
				rel, err := g.acquire(ctx, "NL")
				if err != nil {
					t.Fatal(err)
				}
				rel()
				if d := time.Since(start); d != max(tc.hold, tc.want) {
					t.Fatalf("third round started after %v", d)
				}
			})
		})
	}
}

// Two rounds of different anchors do not wait for each other; a round whose
// context ends while it waits gives up with the context's error.
func TestFetchGateKeysAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g fetchGate
		rel, err := g.acquire(context.Background(), "NL")
		if err != nil {
			t.Fatal(err)
		}
		defer rel()
		start := time.Now()
		rel2, err := g.acquire(context.Background(), "DE")
		if err != nil {
			t.Fatal(err)
		}
		rel2()
		if d := time.Since(start); d != 0 {
			t.Fatalf("another anchor's download waited %v", d)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := g.acquire(ctx, "NL"); err == nil {
			t.Fatal("acquire returned after its context ended")
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("cancelled wait ended after %v, want 1s", d)
		}
	})
}
