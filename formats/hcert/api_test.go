package hcert_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestVerifyingAPIOnly pins issue 18 for this package: it imports no
// issuing code, and exports only what a verifying app needs (the format,
// its names and bounds, decoding-step errors, the claims type). Its tests
// are external (package hcert_test): those compiled into the package
// (export_test.go) import no issuing code either.
func TestVerifyingAPIOnly(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var exported []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			// The tests that are part of the package (package hcert, not
			// hcert_test) must not bring the issuer into it either.
			af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); af.Name.Name == "hcert" && strings.Contains(p, "/issue/") {
					t.Errorf("%s is compiled into the package under test and imports the issuing package %s", f, p)
				}
			}
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(p, "/issue/") {
				t.Errorf("%s imports the issuing package %s", f, p)
			}
		}
		for _, d := range af.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					exported = append(exported, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							exported = append(exported, s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								exported = append(exported, n.Name)
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(exported)
	want := "CheckIssuerChain Claims Format MaxDecompressed MaxText Name Prefix Step StepBase45 StepCOSE StepCWT StepDCC StepError StepOf StepPrefix StepZlib"
	if got := strings.Join(exported, " "); got != want {
		t.Errorf("exported names changed:\n got %s\nwant %s", got, want)
	}
}
