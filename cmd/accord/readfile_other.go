//go:build !unix

package main

import "os"

// readFileBounded reads at most limit bytes of the file at path.
func readFileBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, limit)
}
