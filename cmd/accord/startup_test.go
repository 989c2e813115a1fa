package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAccordDoesNotLinkLibp2p pins issue 16 item 1: the accord program (every
// `accord verify`) does not link libp2p, so none of its packages is
// initialised or mapped when verifying; the commands that run a node live in
// accord-node. go list resolves the program's dependencies as `go build`
// does (test files excluded: this test binary is also accord-node).
func TestAccordDoesNotLinkLibp2p(t *testing.T) {
	const mod = "github.com/accord-network/accord/"
	for _, d := range accordDeps(t) {
		if strings.HasPrefix(d, "github.com/libp2p/") || d == mod+"p2p" || d == mod+"internal/nodecli" {
			t.Errorf("cmd/accord links %s", d)
		}
	}
	// The node program is where libp2p lives: the check above would see it.
	out, err := exec.Command("go", "list", "-deps", mod+"cmd/accord-node").CombinedOutput()
	if err != nil {
		t.Fatalf("go list cmd/accord-node: %v %s", err, out)
	}
	if !strings.Contains(string(out), "github.com/libp2p/go-libp2p\n") {
		t.Error("cmd/accord-node does not link libp2p: the node commands are not where this test expects them")
	}
}

// TestAccordDoesNotLinkJSONSchema pins issue 16 item 1: the accord program
// does not link the general JSON Schema validator, whose package
// initialisation compiles its meta-schemas (about 24 ms and 1.7 MB in every
// process, more than the rest of verify's start-up). The DCC schema and
// DCC rule schema are checked by compiled trees held to that library by
// their packages' tests (formats/dccschema, certlogic).
func TestAccordDoesNotLinkJSONSchema(t *testing.T) {
	for _, d := range accordDeps(t) {
		if strings.HasPrefix(d, "github.com/santhosh-tekuri/jsonschema") {
			t.Errorf("cmd/accord links %s", d)
		}
	}
	// The tests of formats/dccschema still use it: the check above would see it.
	out, err := exec.Command("go", "list", "-test", "-deps", "github.com/accord-network/accord/formats/dccschema").CombinedOutput()
	if err != nil {
		t.Fatalf("go list formats/dccschema: %v %s", err, out)
	}
	if !strings.Contains(string(out), "github.com/santhosh-tekuri/jsonschema/v6\n") {
		t.Error("formats/dccschema's tests do not link jsonschema: the reference is not where this test expects it")
	}
}

// accordDeps lists the packages the accord program links, as `go build`
// resolves them (test files excluded: this test binary is also accord-node).
// It skips the test when go list cannot run.
func accordDeps(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "github.com/accord-network/accord/cmd/accord").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v %s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list printed %d packages: the check is broken:\n%s", len(deps), out)
	}
	return deps
}
