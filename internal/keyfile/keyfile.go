// Package keyfile reads and writes private key files: readable by their
// owner only, and never overwritten. Losing an anchor or signer key cannot be
// undone, and a key others can read is no longer private.
package keyfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrPermissions is wrapped by the error for a private key file that group
// or others may read or write.
var ErrPermissions = errors.New("private key file is readable by others")

// CheckMode refuses a private key file that group or others may read or
// write, with an *fs.PathError that names the file and wraps ErrPermissions.
func CheckMode(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if m := st.Mode().Perm(); m&0o077 != 0 {
		return &fs.PathError{Op: "key file", Path: path,
			Err: fmt.Errorf("%w: mode %#o, and private keys must be readable by their owner only", ErrPermissions, m)}
	}
	return nil
}

// Read returns the content of a private key file, refusing one with loose
// permissions (see CheckMode).
func Read(path string) ([]byte, error) {
	if err := CheckMode(path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// Create writes data to a new file with mode 0600 and syncs it. It refuses
// to overwrite an existing file.
func Create(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
