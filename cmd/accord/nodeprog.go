package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/atomicfile"
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
// first time, and a build whose sources are unchanged is reused after
// only a `go env`); else on $PATH.
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
// the user's cache directory and returns its path. It runs go build only
// when the build's inputs changed since the cached build (nodeBuildKey,
// recorded beside it): even with nothing to rebuild, go build would take
// seconds to find that out across libp2p's packages.
func buildNodeProgram(log io.Writer, gocmd, root string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256([]byte(root))
	out := filepath.Join(cache, "accord", hex.EncodeToString(sum[:8]), nodeProgramName+exeSuffix())
	stamp := out + ".key"
	key, keyErr := nodeBuildKey(gocmd, root)
	if keyErr == nil && nodeBuildFresh(out, stamp, key) {
		return out, nil
	}
	fmt.Fprintf(log, "accord: building %s (the node program) from %s; it is rebuilt only when its sources change\n", nodeProgramName, root)
	_ = os.Remove(stamp) // a build that fails half-way leaves no stamp of freshness
	build := exec.Command(gocmd, "build", "-o", out, "./cmd/"+nodeProgramName)
	build.Dir = root
	build.Stdout, build.Stderr = log, log
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build %s from %s: %w (or install it: `go install github.com/accord-network/accord/cmd/...`)", nodeProgramName, root, err)
	}
	if keyErr == nil {
		// Not recording the key only costs a go build next time.
		_ = atomicfile.WriteFileNoSync(stamp, []byte(key), 0o644)
	}
	return out, nil
}

// nodeBuildFresh reports whether the program at out was built from inputs
// with this key.
func nodeBuildFresh(out, stamp, key string) bool {
	st, err := os.Stat(out)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	b, err := os.ReadFile(stamp)
	return err == nil && string(b) == key
}

// nodeBuildKey hashes what a build of the node program from root depends
// on: the go command's version and build settings, and every file of the
// module tree a build may read (Go sources, go.mod, go.sum and embedded
// files; tests, testdata and hidden or _-prefixed entries, which go build
// ignores, are left out). Modules outside the tree are fixed by go.sum.
func nodeBuildKey(gocmd, root string) (string, error) {
	h := sha256.New()
	env, err := exec.Command(gocmd, "env", "GOVERSION", "GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED", "GOEXPERIMENT", "GOAMD64", "GOWORK", "CC").Output()
	if err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	fmt.Fprintf(h, "%s\n%s\x00", gocmd, env)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) || d.IsDir() && name == "testdata" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		n, err := io.Copy(h, f)
		fmt.Fprintf(h, "\x00%d\x00", n)
		return err
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
