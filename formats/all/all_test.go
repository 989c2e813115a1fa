package all_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/accord-network/accord/formats/all"
	"github.com/accord-network/accord/verify"
)

// TestEveryFormatRegistered: importing formats/all registers every format
// package under formats/ that verifies documents.
func TestEveryFormatRegistered(t *testing.T) {
	for _, name := range []string{"hcert", "qr", "oa", "pdf"} {
		if _, ok := verify.Lookup(name); !ok {
			t.Errorf("format %q is not registered by formats/all", name)
		}
	}
}

// TestAllImportsEveryFormatPackage: a new package under formats/ that calls
// verify.Register must be added to all.go.
func TestAllImportsEveryFormatPackage(t *testing.T) {
	src, err := os.ReadFile("all.go")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "all" {
			continue
		}
		files, _ := filepath.Glob(filepath.Join("..", d.Name(), "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("verify.Register(")) && !bytes.Contains(src, []byte(`"github.com/accord-network/accord/formats/`+d.Name()+`"`)) {
				t.Errorf("formats/%s registers a format but formats/all does not import it", d.Name())
			}
		}
	}
}
