package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/accord-network/accord/formats/pdf"
	"github.com/accord-network/accord/internal/nodecli"
	"github.com/accord-network/accord/p2p"
)

func TestMain(m *testing.M) {
	pdf.WorkerMain() // serve as a PDF worker when started as one; else parse PDFs in workers, as main does
	// Tests that need the real CLI as a separate process re-run this binary
	// (and as accord-node, run by that CLI, a copy of it named so).
	if os.Getenv("ACCORD_AS_CLI") == "1" && filepath.Base(os.Args[0]) != nodeProgramName {
		os.Exit(run(os.Args, os.Stdout, os.Stderr))
	}
	// accord runs accord-node for `accord node` and `accord demo`: the test
	// binary is both, found beside itself in the scripts' $PATH directory.
	testscript.Main(m, map[string]func(){
		"accord":      func() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) },
		"accord-node": func() { os.Exit(nodecli.Main(os.Args, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI behaviour pinned down in testdata/*.txt.
func TestScripts(t *testing.T) {
	shared, _ := filepath.Abs("../../../shared/fixtures")
	fixturesDir, _ := filepath.Abs("../../fixtures")
	testscript.Run(t, testscript.Params{Dir: "testdata", RequireExplicitExec: true, Cmds: scriptCmds,
		// $FIXTURES: the module's own fixtures folder (fixtures/), for the
		// files the scripts share with other packages' tests.
		Setup: func(env *testscript.Env) error {
			env.Setenv("SHARED", shared)
			env.Setenv("FIXTURES", fixturesDir)
			return nil
		},
		// [shared]: the real-data fixtures in ../shared/fixtures ($SHARED) are present.
		Condition: func(cond string) (bool, error) {
			if cond != "shared" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			_, err := os.Stat(shared)
			return err == nil, nil
		}})
}

// scriptCmds are extra testscript commands:
//
//	flipbyte FILE NEEDLE   flip the low bit of the first byte of NEEDLE in FILE (tamper test)
//	exitcode N CMD ARGS... run accord with ARGS and require exit status N
//	firstword VAR FILE     set $VAR to the first word of FILE (e.g. what sha256sum printed)
//	waitnode DATA VAR      wait (up to 60 s) until the node on DATA serves HTTP; set VAR to its URL
//	tokenabsent DATA       the last command's stdout and stderr do not contain DATA's operator token
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"tokenabsent": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: tokenabsent DATA")
		}
		tok, err := p2p.ReadOperatorToken(ts.MkAbs(args[0]))
		ts.Check(err)
		for _, stream := range []string{"stdout", "stderr"} {
			if strings.Contains(ts.ReadFile(stream), tok) {
				ts.Fatalf("the operator token appears in %s", stream)
			}
		}
	},
	"firstword": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: firstword VAR FILE")
		}
		f := strings.Fields(ts.ReadFile(args[1]))
		if len(f) == 0 {
			ts.Fatalf("%s is empty", args[1])
		}
		ts.Setenv(args[0], f[0])
	},
	"waitnode": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: waitnode DATA VAR")
		}
		path := filepath.Join(ts.MkAbs(args[0]), nodecli.NodeURLFile)
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			b, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			u := strings.TrimSpace(string(b))
			if resp, err := http.Get(u + "/healthz"); err == nil {
				resp.Body.Close()
				ts.Setenv(args[1], u)
				return
			}
		}
		ts.Fatalf("no node serving on %s after 60 s", args[0])
	},

	// nodelisten URL VAR: VAR is the TCP listen multiaddr (without /p2p/)
	// of the node serving URL, as its GET /v1/status reports it. A script
	// that needs a port a node holds starts the node on tcp/0 and asks it:
	// a port picked free beforehand can be taken by another process before
	// the node binds it.
	"nodelisten": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: nodelisten URL VAR")
		}
		resp, err := http.Get(args[0] + "/v1/status")
		ts.Check(err)
		var st p2p.Status
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		ts.Check(err)
		for _, a := range st.Addrs {
			if strings.Contains(a, "/tcp/") {
				ts.Setenv(args[1], strings.SplitN(a, "/p2p/", 2)[0])
				return
			}
		}
		ts.Fatalf("node %s reports no TCP listen address: %v", args[0], st.Addrs)
	},

	// padfile OUT IN N: OUT is IN followed by N newlines (a large but still
	// well-signed XML list: whitespace after the root is outside the signature).
	"padfile": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 {
			ts.Fatalf("usage: padfile OUT IN N")
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		in, err := os.ReadFile(ts.MkAbs(args[1]))
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), append(in, bytes.Repeat([]byte{'\n'}, n)...), 0o644))
	},
	"flipbyte": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: flipbyte FILE NEEDLE")
		}
		path := ts.MkAbs(args[0])
		b, err := os.ReadFile(path)
		ts.Check(err)
		i := bytes.Index(b, []byte(args[1]))
		if i < 0 {
			ts.Fatalf("%q not found in %s", args[1], args[0])
		}
		b[i] ^= 1
		ts.Check(os.WriteFile(path, b, 0o644))
	},
	"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 2 {
			ts.Fatalf("usage: exitcode N accord ARGS...")
		}
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		err = ts.Exec(args[1], args[2:]...)
		got := 0
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				ts.Fatalf("%v", err)
			}
			got = ee.ExitCode()
		}
		if got != want {
			ts.Fatalf("exit status %d, want %d", got, want)
		}
	},
}
