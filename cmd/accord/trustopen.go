package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/clibase"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// openTrust opens a trust store for verifying. It reads the store through
// its verified index (trustlist.View: the cost does not grow with the
// store); when the store has no index matching its log (written by an older
// accord, or its policy changed) or a node holds it, it replays the whole
// store instead, which verifies every object. The returned function releases
// the store and reports an index that turned out damaged.
func openTrust(c *cli.Context, dir string) (verify.TrustedMaterial, func(), error) {
	v, err := trustlist.OpenView(dir)
	if err == nil {
		if err := installForeign(c, dir, v.Foreign()); err != nil {
			v.Close()
			return nil, nil, err
		}
		warnEmpty(c, dir, v.NumAnchors())
		return v, func() {
			if err := v.Err(); err != nil {
				fmt.Fprintf(c.App.ErrWriter, "accord: warning: %v: the documents it vouches for were not trusted; run `accord trust repair --dir %s`\n", err, dir)
			}
			v.Close()
		}, nil
	}
	switch {
	case errors.Is(err, trustlist.ErrIndexStale):
		fmt.Fprintf(c.App.ErrWriter, "accord: note: %v; verifying every stored object instead (slower: any `accord trust import` or `accord trust repair --dir %s` writes the index)\n", err, dir)
	case errors.Is(err, trustlist.ErrStoreBusy):
		fmt.Fprintf(c.App.ErrWriter, "accord: note: %s is held by a running node, so its index cannot be read; verifying every stored object instead (slower: %s)\n", dir, busyHint(dir))
	default:
		return nil, nil, storeErr(dir, err)
	}
	set, err := trustlist.LoadDir(dir)
	if err != nil {
		return nil, nil, storeErr(dir, err)
	}
	if err := installForeign(c, dir, set); err != nil {
		return nil, nil, err
	}
	warnEmpty(c, dir, len(set.Anchors()))
	return set, func() {}, nil
}

func warnEmpty(c *cli.Context, dir string, anchors int) {
	if anchors == 0 {
		fmt.Fprintf(c.App.ErrWriter, "accord: warning: trust store %s holds no anchors; every document will fail issuer_trusted\n", dir)
	}
}

// busyHint says how to verify fast while a node holds the store: through
// that node (its URL is in DIR/node.url once it serves HTTP). The store's
// index is not read without the lock: the node reuses freed pages of
// store.db while it writes, so an unlocked reader could see a torn index
// (spec/verify.md §3.1).
func busyHint(dir string) string {
	if u, ok := clibase.RecordedNodeURL(dir); ok {
		return "verify through that node with `accord verify --node " + u + "`"
	}
	return "verify through that node with `accord verify --node URL`, or stop it"
}
