package clibase

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/accord-network/accord/trustlist"
)

// ReadBounded reads r to its end, or fails once it holds more than limit
// bytes.
func ReadBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("input larger than %d bytes", limit)
	}
	return b, nil
}

// ReadInput reads a signed object from path ("-" is stdin), bounded by the
// largest object a trust store admits.
func ReadInput(path string) ([]byte, error) {
	var f *os.File
	if path == "-" {
		f = os.Stdin
	} else {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, InputErr("%v", err)
		}
		defer f.Close()
	}
	b, err := ReadBounded(f, trustlist.MaxObjectSize*4)
	if err != nil {
		return nil, InputErr("%s: %v", path, err)
	}
	return b, nil
}

// StoreErr turns a trust store error into one line that says what to do.
func StoreErr(dir string, err error) error {
	switch {
	case errors.Is(err, trustlist.ErrStoreBusy):
		return UsageErr("%v (a running node holds it: pin through the node with `accord node pin`, read it with `accord verify --trust %s`, which works alongside a running node, or stop the node)", err, dir)
	case errors.Is(err, trustlist.ErrStoreDamaged), errors.Is(err, trustlist.ErrStoreBehind):
		return InputErr("%v; run `accord trust repair --dir %s` to rebuild it from the verified objects/ files", err, dir)
	case errors.Is(err, trustlist.ErrStoreWrite):
		return fmt.Errorf("%w; nothing was kept: free disk space (or fix the disk) and run the same command again", err)
	case errors.Is(err, os.ErrNotExist):
		return InputErr("%v (create a trust store with `accord trust init --dir %s`)", err, dir)
	}
	return err
}
