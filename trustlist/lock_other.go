//go:build !unix

package trustlist

// lockFile is a no-op where flock is not available; bbolt's own lock still
// guards the rebuilt store once it is opened.
func lockFile(string) (func(), error) { return func() {}, nil }
