// Package atomicfile writes files so that a reader sees either the old
// content or the new, never a part: the data goes to a temporary file in the
// same directory, which is then renamed over the target.
//
// It is the one place Accord's packages write such files (anchor
// directories, trust store policy and mirror, foreign lists, node state).
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile writes data to path with mode perm via a synced temporary file
// and a rename, and then syncs the directory, so that after a crash path
// holds either its old content or data, never a part. The temporary file is
// removed on failure.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

// WriteFileNoSync is WriteFile without the syncs: readers still never see a
// partly written file, but after a crash path may hold the old content, the
// new, or nothing. It is for copies that can be rebuilt.
func WriteFileNoSync(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm os.FileMode, durable bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename there is nothing to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if durable {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if durable {
		syncDir(dir)
	}
	return nil
}

// syncDir makes a rename in dir durable where the file system allows it.
// Some file systems refuse to sync a directory; the rename is then as
// durable as they make it, and the write still succeeded.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
