package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportNamesSkips runs `go test -json` on a small module with a
// passing, a failing and two skipping tests (one a subtest) and checks the
// report: go test's own result lines, the failing test's output, and at the
// end every skipped test with its reason and the counts.
func TestReportNamesSkips(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIP: no go command on PATH")
	}
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.22\n")
	write("m_test.go", `package m

import "testing"

func TestPass(t *testing.T) {}
func TestFail(t *testing.T) { t.Log("the detail of a failure"); t.Fail() }
func TestSkip(t *testing.T) { t.Skip("SKIP: no Chromium at /usr/bin/chromium") }
func TestSub(t *testing.T) {
	t.Run("inner", func(t *testing.T) { t.Skipf("needs %s", "pdfsig") })
}
`)
	cmd := exec.Command("go", "test", "-json", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	js, err := cmd.Output()
	if err == nil {
		t.Fatal("go test passed with a failing test")
	}
	var out bytes.Buffer
	if err := report(bytes.NewReader(js), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log(got)
	for _, want := range []string{
		"the detail of a failure",
		"FAIL\texample.com/m",
		"2 skipped (test: reason):",
		"  example.com/m TestSkip: SKIP: no Chromium at /usr/bin/chromium (m_test.go:7)",
		"  example.com/m TestSub/inner: needs pdfsig (m_test.go:9)",
		"tests: 2 passed, 1 failed, 2 skipped",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
