package main

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestNodeProgramBuildReused: `accord node|demo` from a checkout builds
// accord-node once and reuses it while the build's inputs are unchanged;
// a changed source, a changed embedded file, another Go version or a
// missing program builds again, and a test or testdata file does not. A
// stand-in go command counts the builds.
func TestNodeProgramBuildReused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in go command is a shell script")
	}
	tmp := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(tmp, "cache"))
	t.Setenv("HOME", tmp) // os.UserCacheDir on macOS
	builds := filepath.Join(tmp, "builds")
	t.Setenv("FAKE_GO_BUILDS", builds)
	t.Setenv("FAKE_GOVERSION", "go1.26.8")
	gocmd := filepath.Join(tmp, "go")
	write(t, gocmd, `#!/bin/sh
case "$1" in
env) echo "$FAKE_GOVERSION"; echo linux; echo amd64 ;;
build) echo build >> "$FAKE_GO_BUILDS"; mkdir -p "$(dirname "$3")"; echo program > "$3" ;;
*) exit 2 ;;
esac
`)
	if err := os.Chmod(gocmd, 0o755); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(tmp, "src")
	write(t, filepath.Join(root, "go.mod"), "module github.com/accord-network/accord\n")
	write(t, filepath.Join(root, "cmd", "accord-node", "main.go"), "package main\n\nfunc main() {}\n")
	write(t, filepath.Join(root, "p2p", "web", "templates", "page.html"), "<p>one</p>\n")

	var prog string
	wantBuilds := func(step string, n int) {
		t.Helper()
		p, err := buildNodeProgram(io.Discard, gocmd, root)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if prog != "" && p != prog {
			t.Fatalf("%s: program moved from %s to %s", step, prog, p)
		}
		prog = p
		b, _ := os.ReadFile(builds)
		if got := strings.Count(string(b), "build"); got != n {
			t.Fatalf("%s: %d builds so far, want %d", step, got, n)
		}
	}
	wantBuilds("first run", 1)
	wantBuilds("unchanged", 1)
	write(t, filepath.Join(root, "cmd", "accord-node", "main_test.go"), "package main\n")
	write(t, filepath.Join(root, "cmd", "accord-node", "testdata", "x.txt"), "x\n")
	write(t, filepath.Join(root, ".git", "HEAD"), "ref\n")
	wantBuilds("a test, testdata and .git added", 1)
	write(t, filepath.Join(root, "cmd", "accord-node", "main.go"), "package main\n\nfunc main() { println() }\n")
	wantBuilds("source changed", 2)
	wantBuilds("unchanged again", 2)
	write(t, filepath.Join(root, "p2p", "web", "templates", "page.html"), "<p>two</p>\n")
	wantBuilds("embedded file changed", 3)
	t.Setenv("FAKE_GOVERSION", "go1.27.0")
	wantBuilds("another Go", 4)
	if err := os.Remove(prog); err != nil {
		t.Fatal(err)
	}
	wantBuilds("program removed", 5)
	wantBuilds("unchanged at last", 5)
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
