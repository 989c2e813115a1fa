package p2p

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/cputime"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
)

// BenchmarkPropagation measures the time from submitting a list on one node
// to every node holding it, over real loopback TCP connections.
// Run: go test -run X -bench Propagation -benchtime 20x ./p2p
func BenchmarkPropagation(b *testing.B) {
	for _, k := range []int{25, 50, 100} {
		b.Run(fmt.Sprintf("nodes=%d", k), func(b *testing.B) {
			a := trustlisttest.NewAnchor(b, "NL")
			nodes := make([]*Node, k)
			for i := range nodes {
				cfg := testConfig(b.TempDir())
				nodes[i] = startNode(b, cfg)
				pinAll(b, nodes[i], a)
			}
			// Each node dials its predecessor and two random earlier nodes.
			for i := 1; i < k; i++ {
				link(b, nodes[i], nodes[i-1])
				for j := 0; j < 2 && i > 1; j++ {
					link(b, nodes[i], nodes[rand.IntN(i-1)])
				}
			}
			// Every node in some mesh; with 100 nodes GossipSub prunes
			// oversubscribed meshes, so "4 grafts each" may never hold.
			waitMeshN(b, 1, nodes...)
			e := entry(b, "DSC")
			lists := make([]*trustlist.List, b.N)
			for i := range lists {
				lists[i] = a.SignList(b, time.Time{}, 24*time.Hour, e)
			}
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if d := submit(b, nodes[rand.IntN(k)], lists[i].Raw()); d.Outcome != trustlist.Accepted {
					b.Fatalf("%+v", d)
				}
				seq := lists[i].Seq
				waitFor(b, 30*time.Second, "propagation", func() bool { return allHold(nodes, "NL", seq) })
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
			b.ReportMetric(float64(lat[(len(lat)*99)/100].Milliseconds()), "p99-ms")
		})
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkCatchUp measures how long a fresh node takes to sync every list
// from a peer holding ACCORD_BENCH_ANCHORS (200) anchors × ACCORD_BENCH_ENTRIES
// (1,000) X.509 entries: over loopback TCP with a store that fsyncs each
// commit, and over mocknet (in memory, 50 ms links, unlimited bandwidth) with
// the simulation's no-fsync store. catchup-cpu-s is the process's CPU time
// during the catch-up (the serving peer's part included), until the fresh node
// holds every list; index-and-close-cpu-s what closing the node then costs
// (writing the store's verified index, if the sync round has not yet: the
// round defers it to its end, trustlist.Store.DeferIndex); floor-cpu-s, measured
// in the same run, is the signature checks of the lists (a SHA-256 over each
// list and one P-256 verify each). BenchmarkNodeMemory measures such a node's
// memory. Run: go test -run X -bench CatchUp -benchtime 1x ./p2p
func BenchmarkCatchUp(b *testing.B) {
	nAnchors, nEntries := envInt("ACCORD_BENCH_ANCHORS", 200), envInt("ACCORD_BENCH_ENTRIES", 1000)
	entries := make([]*trustlist.Entry, nEntries)
	for i := range entries {
		entries[i] = entry(b, fmt.Sprintf("DSC %d", i))
	}
	codes := countryCodes(nAnchors)
	if nAnchors > len(codes) {
		b.Fatalf("at most %d anchors (one per country code)", len(codes))
	}
	anchors := make([]*trustlisttest.Anchor, nAnchors)
	var lists [][]byte
	bytesTotal := 0
	for i := range anchors {
		anchors[i] = trustlisttest.NewAnchor(b, codes[i])
		lists = append(lists, anchors[i].SignList(b, time.Time{}, 24*time.Hour, entries...).Raw())
		bytesTotal += len(lists[i])
	}
	b.Logf("source holds %d anchors × %d entries, %.1f MB of signed lists", nAnchors, nEntries, float64(bytesTotal)/1e6)
	floor := trustlisttest.SignatureFloor(b, lists)
	for _, tr := range []string{"tcp", "mocknet"} {
		b.Run("transport="+tr, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				src, fresh := catchUpPair(b, tr, anchors, lists)
				b.StartTimer()
				start, cpu := time.Now(), cputime.Now()
				link(b, fresh, src)
				waitFor(b, 5*time.Minute, "catch-up", func() bool {
					for _, a := range anchors {
						if !holds(fresh, a.Country, 1) {
							return false
						}
					}
					return true
				})
				b.ReportMetric(time.Since(start).Seconds(), "catchup-s")
				b.ReportMetric((cputime.Now() - cpu).Seconds(), "catchup-cpu-s")
				// The store's verified index is written when the sync
				// round ends, or at the latest when the node closes.
				cpu = cputime.Now()
				fresh.Close()
				b.ReportMetric((cputime.Now() - cpu).Seconds(), "index-and-close-cpu-s")
				b.StopTimer()
				src.Close()
				b.StartTimer()
			}
			b.ReportMetric(floor.Seconds(), "floor-cpu-s")
		})
	}
}

// catchUpPair starts a source node holding lists (its store written without
// fsync: setup, not measured) and a fresh node pinning the same anchors, on
// loopback TCP or on a mocknet (then the fresh node's store does not fsync
// either, as in the simulation).
func catchUpPair(b *testing.B, transport string, anchors []*trustlisttest.Anchor, lists [][]byte) (src, fresh *Node) {
	b.Helper()
	srcCfg, freshCfg := testConfig(b.TempDir()), testConfig(b.TempDir())
	srcCfg.StoreOptions.NoSync = true
	if transport == "mocknet" {
		mn := mocknet.New()
		b.Cleanup(func() { mn.Close() })
		mn.SetLinkDefaults(mocknet.LinkOptions{Latency: 50 * time.Millisecond})
		for _, c := range []*Config{&srcCfg, &freshCfg} {
			h, err := mn.GenPeer()
			if err != nil {
				b.Fatal(err)
			}
			c.Host, c.Listen = h, nil
		}
		if err := mn.LinkAll(); err != nil {
			b.Fatal(err)
		}
		freshCfg.StoreOptions.NoSync = true
	}
	src, fresh = startNode(b, srcCfg), startNode(b, freshCfg)
	pinAll(b, src, anchors...)
	pinAll(b, fresh, anchors...)
	for i := 0; i < len(lists); i += 16 {
		ds, err := src.Store().ImportAll(lists[i:min(i+16, len(lists))], time.Now())
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range ds {
			if d.Outcome != trustlist.Accepted {
				b.Fatalf("%+v", d)
			}
		}
	}
	return src, fresh
}

// rssMB reads the process's resident set size from /proc (Linux).
func rssMB() float64 { return procStatusMB("VmRSS:") }

// BenchmarkNodeMemory measures the memory of a node process holding
// ACCORD_BENCH_ANCHORS (200) anchors × ACCORD_BENCH_ENTRIES (1,000) X.509
// entries: the store is built here, then a fresh process (this test binary,
// running TestNodeMemoryChild) starts a node on it and reports its peak and
// current RSS once it is up. The floor is the same process on an empty store.
// Run: go test -run X -bench NodeMemory -benchtime 1x ./p2p
// (ACCORD_MEMORY_STORE=DIR keeps the store there for the next run;
// ACCORD_MEMORY_HEAPPROFILE=FILE writes the node's heap profile.)
func BenchmarkNodeMemory(b *testing.B) {
	nAnchors, nEntries := envInt("ACCORD_BENCH_ANCHORS", 200), envInt("ACCORD_BENCH_ENTRIES", 1000)
	full, empty := os.Getenv("ACCORD_MEMORY_STORE"), b.TempDir() // a kept store is built once and reused
	if full == "" {
		full = b.TempDir()
	}
	if _, err := os.Stat(full + "/store.db"); err != nil {
		listBytes := buildStore(b, full, nAnchors, nEntries)
		b.Logf("store holds %d anchors × %d entries, %.1f MB of signed lists", nAnchors, nEntries, float64(listBytes)/1e6)
	}
	b.ResetTimer()
	for range b.N {
		peak, rss, anchors := nodeMemory(b, full)
		if anchors != nAnchors {
			b.Fatalf("the node holds %d anchors, want %d", anchors, nAnchors)
		}
		peak0, rss0, _ := nodeMemory(b, empty)
		b.ReportMetric(peak, "peak-rss-MB")
		b.ReportMetric(rss, "rss-MB")
		b.ReportMetric(peak0, "empty-node-peak-rss-MB")
		b.ReportMetric(rss0, "empty-node-rss-MB")
	}
}

// buildStore writes a store in dir holding nAnchors anchors, each with one
// list of nEntries X.509 entries, and returns the bytes of the lists.
func buildStore(tb testing.TB, dir string, nAnchors, nEntries int) int {
	tb.Helper()
	entries := make([]*trustlist.Entry, nEntries)
	for i := range entries {
		entries[i] = entry(tb, fmt.Sprintf("DSC %d", i))
	}
	st, err := trustlist.OpenStore(dir, trustlist.StoreOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	total := 0
	codes := countryCodes(nAnchors)
	for i := 0; i < nAnchors; i += 16 {
		var raws [][]byte
		for _, cc := range codes[i:min(i+16, nAnchors)] {
			a := trustlisttest.NewAnchor(tb, cc)
			if _, err := st.Pin(a.Descriptor.Raw()); err != nil {
				tb.Fatal(err)
			}
			raws = append(raws, a.SignList(tb, time.Time{}, 24*time.Hour, entries...).Raw())
			total += len(raws[len(raws)-1])
		}
		ds, err := st.ImportAll(raws, time.Now())
		if err != nil {
			tb.Fatal(err)
		}
		for _, d := range ds {
			if d.Outcome != trustlist.Accepted {
				tb.Fatalf("%+v", d)
			}
		}
	}
	return total
}

// countryCodes returns n distinct valid country codes.
func countryCodes(n int) []string {
	var codes []string
	for a := 'A'; a <= 'Z' && len(codes) < n; a++ {
		for c := 'A'; c <= 'Z' && len(codes) < n; c++ {
			if cc := string(a) + string(c); trustlist.ValidCountry(cc) {
				codes = append(codes, cc)
			}
		}
	}
	return codes
}

// nodeMemory runs a node on dir in a fresh process and returns its peak
// and current RSS (MB) once up, and the anchors it holds.
func nodeMemory(tb testing.TB, dir string) (peakMB, rssMB float64, anchors int) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNodeMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), "ACCORD_MEMORY_CHILD_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("child node: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "of which anonymous") {
			tb.Log(strings.TrimSpace(line))
		}
	}
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "node memory:"); i >= 0 {
			if _, err := fmt.Sscanf(line[i:], "node memory: peak %f MB, rss %f MB, anchors %d", &peakMB, &rssMB, &anchors); err == nil {
				return peakMB, rssMB, anchors
			}
		}
	}
	tb.Fatalf("child node reported no memory:\n%s", out)
	return 0, 0, 0
}

// TestNodeMemoryChild is the node process of BenchmarkNodeMemory: it
// starts a node on ACCORD_MEMORY_CHILD_DIR, lets it run for 2 s and prints
// its peak and current RSS. Run as an ordinary test (no such variable), it
// starts a node on an empty store and checks that the figures the benchmark
// reads can be read at all.
func TestNodeMemoryChild(t *testing.T) {
	dir, settle := os.Getenv("ACCORD_MEMORY_CHILD_DIR"), 2*time.Second
	if dir == "" {
		dir, settle = t.TempDir(), 0
	}
	n := startNode(t, testConfig(dir))
	time.Sleep(settle)
	if runtime.GOOS == "linux" && (procStatusMB("VmHWM:") <= 0 || procStatusMB("VmRSS:") <= 0) {
		t.Fatal("no VmHWM/VmRSS in /proc/self/status: BenchmarkNodeMemory would report nothing")
	}
	t.Logf("node memory: peak %.1f MB, rss %.1f MB, anchors %d", procStatusMB("VmHWM:"), procStatusMB("VmRSS:"), len(n.Set().Anchors()))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("of which anonymous %.1f MB, file-backed (the store's mmap) %.1f MB; Go heap in use %.1f MB",
		procStatusMB("RssAnon:"), procStatusMB("RssFile:"), float64(ms.HeapInuse)/(1<<20))
	if f := os.Getenv("ACCORD_MEMORY_HEAPPROFILE"); f != "" {
		w, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := pprof.WriteHeapProfile(w); err != nil {
			t.Fatal(err)
		}
	}
}

// procStatusMB reads a kB field of /proc/self/status (Linux) in MB.
func procStatusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			if f := strings.Fields(line); len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
