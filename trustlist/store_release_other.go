//go:build !linux

package trustlist

import bolt "go.etcd.io/bbolt"

// releaseMappedPages is a no-op where the Linux advice is not available:
// the pages opening the store read stay resident until memory pressure.
func releaseMappedPages(db *bolt.DB, path string) {}

// releaseMapped is a no-op where the Linux advice is not available.
func releaseMapped(db *bolt.DB, size int64) {}
