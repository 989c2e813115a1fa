package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// cliCommand runs this test binary as the accord CLI in a separate process;
// its node program is this test binary as accord-node (on $PATH, put there
// by testscript.Main).
func cliCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ACCORD_AS_CLI=1")
	if p, err := exec.LookPath(nodeProgramName); err == nil {
		cmd.Env = append(cmd.Env, nodeProgramEnv+"="+p)
	}
	return cmd
}

// TestStoreSurvivesKill kills `accord trust import` with SIGKILL at random
// points and checks that the store always reopens, holds a contiguous
// prefix of the chain, and finishes the import when run again.
func TestStoreSurvivesKill(t *testing.T) {
	const n = 300
	dir := t.TempDir()
	a := tt.NewAnchor(t, "NL")
	var files []string
	for i := 0; i < n; i++ {
		l := a.SignList(t, time.Now().Add(-time.Hour), 24*time.Hour)
		p := filepath.Join(dir, fmt.Sprintf("l%03d.cose", i+1))
		if err := os.WriteFile(p, l.Raw(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	trust := filepath.Join(dir, "trust")
	st := tt.Must(trustlist.OpenStore(trust, trustlist.StoreOptions{}))
	tt.Must(st.Pin(a.Descriptor.Raw()))
	st.Close()

	killedMidway := 0
	for round := 0; round < 6; round++ {
		cmd := cliCommand(append([]string{"trust", "import", "--dir", trust}, files...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+rand.IntN(200)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		st, err := trustlist.OpenStore(trust, trustlist.StoreOptions{})
		if err != nil {
			t.Fatalf("round %d: store does not reopen after SIGKILL: %v", round, err)
		}
		set := st.Set()
		lists := set.Lists("NL")
		for i, l := range lists {
			if l.Seq != uint64(i+1) {
				t.Fatalf("round %d: held lists are not a contiguous chain: position %d has seq %d", round, i, l.Seq)
			}
		}
		if h := set.Head("NL"); h != nil && h.Seq != uint64(len(lists)) {
			t.Fatalf("round %d: head %d with %d lists", round, h.Seq, len(lists))
		}
		if st.Skipped != 0 {
			t.Fatalf("round %d: %d stored records no longer verify", round, st.Skipped)
		}
		if len(lists) > 0 && len(lists) < n {
			killedMidway++
		}
		st.Close()
		// A reader (as `accord verify` does) sees the same.
		if ro, err := trustlist.LoadDir(trust); err != nil || len(ro.Lists("NL")) != len(lists) {
			t.Fatalf("round %d: read-only view differs: %v", round, err)
		}
	}
	t.Logf("%d of 6 kills landed mid-import", killedMidway)
	// Finishing the import afterwards reaches the end of the chain.
	out, err := cliCommand(append([]string{"trust", "import", "--dir", trust}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("final import: %v\n%s", err, out)
	}
	st = tt.Must(trustlist.OpenStore(trust, trustlist.StoreOptions{}))
	defer st.Close()
	if h := st.Set().Head("NL"); h == nil || h.Seq != n {
		t.Fatalf("after a clean import the head is %v", h)
	}
}
