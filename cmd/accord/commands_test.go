package main

import (
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/accord-network/accord/internal/nodecli"
	"github.com/urfave/cli/v2"
)

// The command tree is an explicit list: help shows each level in
// alphabetical order (as it did when commands registered themselves and the
// app sorted them), every command does something, and no flag value is
// shared between commands (urfave/cli keeps per-run state in a flag).
func TestCommandTree(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	for _, names := range [][]string{commandNames(app.Commands), commandNames(subcommands(t, app.Commands, "issue"))} {
		if !sort.StringsAreSorted(names) {
			t.Errorf("commands %v are not in alphabetical order", names)
		}
	}
	seen := map[cli.Flag]string{}
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := strings.TrimSpace(path + " " + c.Name)
			if c.Action == nil && len(c.Subcommands) == 0 {
				t.Errorf("%s has neither an action nor subcommands", p)
			}
			if c.Usage == "" {
				t.Errorf("%s has no usage line", p)
			}
			for _, f := range c.Flags {
				if reflect.ValueOf(f).Kind() != reflect.Pointer {
					continue
				}
				if other, ok := seen[f]; ok {
					t.Errorf("%s and %s share the flag value --%s", other, p, f.Names()[0])
				}
				seen[f] = p
			}
			walk(p, c.Subcommands)
		}
	}
	walk("", app.Commands)
	walk("(accord-node)", nodecli.Commands())
	if len(seen) == 0 {
		t.Fatal("no flags found: the walk is broken")
	}
	// Each run builds the tree afresh.
	if newApp(io.Discard, io.Discard).Commands[0] == app.Commands[0] {
		t.Error("two apps share a command value")
	}
}

func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Name)
	}
	return out
}

func subcommands(t *testing.T, cmds []*cli.Command, name string) []*cli.Command {
	t.Helper()
	for _, c := range cmds {
		if c.Name == name {
			return c.Subcommands
		}
	}
	t.Fatalf("no %s command", name)
	return nil
}
