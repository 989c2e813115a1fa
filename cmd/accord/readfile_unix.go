//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"sync"

	"golang.org/x/sys/unix"
)

// readFileBounded reads at most limit bytes of the file at path with plain
// open, read and close system calls. os.Open would also register each file
// with the runtime's poller (two more system calls a file), which is a
// third of the cost per document when a folder of thousands of small HC1
// files is verified. The file is read whatever its type, as os.Open would
// (a pipe named on the command line blocks until written). It is read into
// a pooled buffer and returned as an exact-size copy: a fresh zeroed buffer
// a file would be most of what bulk verification allocates per document.
func readFileBounded(path string, limit int64) ([]byte, error) {
	fd, err := retryEINTR(func() (int, error) { return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0) })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	bp := readBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= maxPooledRead {
			*bp = buf[:0]
			readBufs.Put(bp)
		}
	}()
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := retryEINTR(func() (int, error) { return unix.Read(fd, buf[len(buf):cap(buf)]) })
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return bytes.Clone(buf), nil
		}
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("input larger than %d bytes", limit)
		}
	}
}

// readBufs holds the read buffers of readFileBounded; one larger than
// maxPooledRead (a large PDF) is left to the garbage collector.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledRead = 1 << 20

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != unix.EINTR {
			return n, err
		}
	}
}
