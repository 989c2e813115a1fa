package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/urfave/cli/v2"
)

// The commands that run a libp2p host live in a second program, accord-node
// (cmd/accord-node, internal/nodecli), so that this one does not link
// libp2p: Go initialises every linked package before main, and libp2p's
// packages and their text would be paid by every `accord verify` (spec/verify.md
// §"Two programs"). `accord node ...` and `accord demo ...` run accord-node with
// the same arguments, streams and exit status.

// nodeProgramName is the file name of the node program.
const nodeProgramName = "accord-node"

// nodeProgramEnv names the node program explicitly (packagers, tests).
const nodeProgramEnv = "ACCORD_NODE_PROGRAM"

// nodeCommand is `accord node`, run by accord-node.
func nodeCommand() *cli.Command {
	return forwardCommand("node", "run a node that gossips trust lists peer to peer and serves the HTTP API; publish to, pin in and ask a running node")
}

// demoCommand is `accord demo`, run by accord-node.
func demoCommand() *cli.Command {
	return forwardCommand("demo", "run a three-country network on this machine: anchors publish lists, nodes gossip them, documents are verified")
}

// forwardCommand is a command whose arguments, --help included, go to the
// node program unparsed.
func forwardCommand(name, usage string) *cli.Command {
	return &cli.Command{
		Name:            name,
		Usage:           usage,
		UsageText:       "accord " + name + " ... (see `accord " + name + " --help`)",
		Description:     "Runs in the accord-node program (it links libp2p; accord itself does not). See `accord " + name + " --help`.",
		SkipFlagParsing: true,
		HideHelp:        true,
		Action:          runNodeProgram,
	}
}

// runNodeProgram runs the node program with this command's name and
// arguments: on Unix this process becomes it (execve), elsewhere (or when
// the output is not the process's own, as in tests) it runs as a child that
// gets the streams and SIGINT/SIGTERM, and this command ends with its exit
// status.
func runNodeProgram(c *cli.Context) error {
	prog, err := findNodeProgram(c.App.ErrWriter)
	if err != nil {
		return err
	}
	args := append([]string{c.Command.Name}, c.Args().Slice()...)
	if c.App.Writer == os.Stdout && c.App.ErrWriter == os.Stderr {
		// Become the node program (same process, signals and exit status);
		// where the platform cannot, run it as a child below.
		if err := execProgram(prog, args); err != nil && !errors.Is(err, errNoExec) {
			return fmt.Errorf("run %s: %w", prog, err)
		}
	}
	cmd := exec.Command(prog, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, c.App.Writer, c.App.ErrWriter
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", prog, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s) // it stops as it would on its own terminal
		case err := <-done:
			var ee *exec.ExitError
			switch {
			case err == nil:
				return nil
			case errors.As(err, &ee) && ee.ExitCode() >= 0:
				return silentExit(ee.ExitCode())
			}
			return fmt.Errorf("%s: %w", prog, err)
		}
	}
}

// findNodeProgram finds accord-node: $ACCORD_NODE_PROGRAM; else beside this
// executable (installed together: `go install ./cmd/...`); else, for a
// development build (`go run ./cmd/accord`, `go build` in a checkout) whose
// source tree is still there and a go command is at hand, built from that
// same tree into the user's cache (Go's build cache makes it quick after the
// first time); else on $PATH.
func findNodeProgram(log io.Writer) (string, error) {
	if p := os.Getenv(nodeProgramEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", usageErr("$%s: %v", nodeProgramEnv, err)
		}
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), nodeProgramName+exeSuffix())
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	if root := sourceTree(); root != "" {
		if gocmd, err := exec.LookPath("go"); err == nil {
			return buildNodeProgram(log, gocmd, root)
		}
	}
	if p, err := exec.LookPath(nodeProgramName); err == nil {
		return p, nil
	}
	return "", usageErr("this command runs in the %s program, which is not installed beside %s nor on $PATH: "+
		"install both with `go install github.com/accord-network/accord/cmd/...` (or set $%s to its path)",
		nodeProgramName, executableName(), nodeProgramEnv)
}

// sourceTree is the module directory this binary was built from, when it
// was built from a checkout that is still there (not with -trimpath), or "".
func sourceTree() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(file))) // .../cmd/accord/nodeprog.go
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.HasPrefix(mod, []byte("module github.com/accord-network/accord\n")) {
		return ""
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", nodeProgramName)); err != nil {
		return ""
	}
	return root
}

// buildNodeProgram builds cmd/accord-node from the source tree root into
// the user's cache directory and returns its path. go build relinks only
// when a source changed.
func buildNodeProgram(log io.Writer, gocmd, root string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256([]byte(root))
	out := filepath.Join(cache, "accord", hex.EncodeToString(sum[:8]), nodeProgramName+exeSuffix())
	if _, err := os.Stat(out); err != nil {
		fmt.Fprintf(log, "accord: building %s (the node program) from %s, once\n", nodeProgramName, root)
	}
	build := exec.Command(gocmd, "build", "-o", out, "./cmd/"+nodeProgramName)
	build.Dir = root
	build.Stdout, build.Stderr = log, log
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build %s from %s: %w (or install it: `go install github.com/accord-network/accord/cmd/...`)", nodeProgramName, root, err)
	}
	return out, nil
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

func executableName() string {
	if exe, err := os.Executable(); err == nil {
		return exe
	}
	return "accord"
}
