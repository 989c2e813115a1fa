package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/trustlist"
)

// trustInit creates a trust store. On an existing store it changes nothing
// unless --change-policy says to, and then says what changed: a lower or
// higher endorsement threshold can admit or drop anchors.
func trustInit(c *cli.Context) error {
	dir := c.String("dir")
	k := c.Int("endorsements")
	if k < 0 {
		return usageErr("--endorsements must be 0 or more")
	}
	if _, err := os.Stat(filepath.Join(dir, "store.db")); err == nil {
		return trustChangePolicy(c, dir, k)
	}
	if c.Bool("change-policy") {
		return usageErr("--change-policy changes an existing store, and %s holds none: leave it out to create one", dir)
	}
	p := trustlist.DefaultPolicy()
	p.EndorsementThreshold = k
	st, err := trustlist.OpenStore(dir, trustlist.StoreOptions{Policy: &p})
	if err != nil {
		return storeErr(dir, err)
	}
	defer st.Close()
	fmt.Fprintf(c.App.Writer, "trust store ready in %s (endorsement threshold %d)\nNext: `accord trust pin --dir %s DESCRIPTOR` for each anchor you trust.\n",
		st.Dir(), p.EndorsementThreshold, st.Dir())
	return nil
}

func trustChangePolicy(c *cli.Context, dir string, k int) error {
	st, err := trustlist.OpenStore(dir, trustlist.StoreOptions{})
	if err != nil {
		return storeErr(dir, err)
	}
	before := st.Set().Anchors()
	old := st.Set().Policy()
	st.Close()
	if !c.Bool("change-policy") {
		return usageErr("%s already holds a trust store (%s, endorsement threshold %d); nothing was changed.\n"+
			"To change its policy: `accord trust init --dir %s --endorsements K --change-policy`", dir, plural(len(before), "anchor"), old.EndorsementThreshold, dir)
	}
	if !c.IsSet("endorsements") {
		return usageErr("--change-policy needs the new --endorsements K (now %d)", old.EndorsementThreshold)
	}
	p := old
	p.EndorsementThreshold = k
	st, err = trustlist.OpenStore(dir, trustlist.StoreOptions{Policy: &p})
	if err != nil {
		return storeErr(dir, err)
	}
	defer st.Close()
	after := map[string]bool{}
	for _, a := range st.Set().Anchors() {
		after[a.Country] = true
	}
	fmt.Fprintf(c.App.Writer, "changed the endorsement threshold of %s from %d to %d\n", dir, old.EndorsementThreshold, k)
	for _, a := range before {
		if !after[a.Country] {
			fmt.Fprintf(c.App.Writer, "  %s (%s) is no longer admitted: it was endorsed by %v\n", a.Country, a.Name, a.AdmittedBy)
		}
	}
	return nil
}
