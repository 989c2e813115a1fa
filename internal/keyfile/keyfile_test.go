package keyfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestCreateReadAndPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.cose")
	key := []byte("private key bytes")
	if err := Create(path, key); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if err := Create(path, []byte("another key")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("overwriting a key file: %v, want fs.ErrExist", err)
	}
	if got, err := Read(path); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("read back %q, %v", got, err)
	}
	for _, mode := range []fs.FileMode{0o640, 0o604, 0o620} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Read(path)
		var pe *fs.PathError
		if !errors.Is(err, ErrPermissions) || !errors.As(err, &pe) || pe.Path != path {
			t.Fatalf("mode %#o: %v, want a PathError naming %s that wraps ErrPermissions", mode, err, path)
		}
	}
	if err := CheckMode(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a missing file: %v, want fs.ErrNotExist", err)
	}
}
