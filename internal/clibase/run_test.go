package clibase

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/keyfile"
)

// The CLI's errors keep what they were made from, so Run can add the next
// step to a library error that only says what is wrong.
func TestExitErrorKeepsCauses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(path, []byte("key"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := InputErr("--key %s: %v", path, keyfile.CheckMode(path))
	var ce cli.ExitCoder
	if !errors.As(err, &ce) || ce.ExitCode() != ExitBadInput {
		t.Fatalf("exit status lost: %v", err)
	}
	if !errors.Is(err, keyfile.ErrPermissions) {
		t.Fatal("the cause is lost")
	}
	if got, want := nextStep(err), "; run `chmod 600 "+path+"`"; got != want {
		t.Fatalf("next step %q, want %q", got, want)
	}
	if got := nextStep(NoErr("%d of %d objects were not accepted", 1, 2)); got != "" {
		t.Fatalf("next step for an error without a known cause: %q", got)
	}
}

// Run maps an action's error to its exit status and one line on stderr.
func TestRunExitStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{{nil, ExitOK}, {NoErr("no"), ExitNo}, {UsageErr("bad"), ExitBadInput}, {errors.New("plain"), ExitBadInput}} {
		app := &cli.App{Name: "accord", ExitErrHandler: func(*cli.Context, error) {},
			Commands: []*cli.Command{{Name: "x", Action: func(*cli.Context) error { return tc.err }}}}
		var stderr bytes.Buffer
		if got := Run(app, []string{"accord", "x"}, &stderr); got != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.err, got, tc.code)
		}
		if tc.err != nil && !strings.HasPrefix(stderr.String(), "accord: "+tc.err.Error()) {
			t.Errorf("%v: stderr %q", tc.err, stderr.String())
		}
	}
}
