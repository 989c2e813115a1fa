package verify

import (
	"context"
	"errors"
)

// Fetcher retrieves a document a check needs from the network, when the
// verifier is allowed to go online: a W3C credential's status list
// (spec/openattestation.md §11.7). A verifier without one (Options.Fetcher
// nil, the default) stays offline and reports such checks as cannot check.
//
// Implementations enforce the transport bounds (HTTPS only, a timeout, at
// most max bytes) and may cache answers for a while, so that many documents
// naming one URL fetch it once.
type Fetcher interface {
	// Fetch returns the body served at url, at most max bytes. Errors wrap
	// ErrFetch (the document could not be retrieved: refused URL,
	// unreachable server, HTTP error, timeout) or ErrFetchTooLarge.
	Fetch(ctx context.Context, url string, max int64) ([]byte, error)
}

// ErrFetch is wrapped by a Fetcher's errors when a document could not be
// retrieved.
var ErrFetch = errors.New("could not be fetched")

// ErrFetchTooLarge is wrapped by a Fetcher's errors when the server sent
// more than the caller's limit.
var ErrFetchTooLarge = errors.New("response exceeds the size limit")
