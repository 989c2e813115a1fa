package hcert_test

import (
	"testing"

	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
)

type trustlistEntry struct{ d *dsc }

// bulkSet lists every DSC in one NL trust list.
func bulkSet(t testing.TB, es []*trustlistEntry) *trustlist.Set {
	var entries []*trustlist.Entry
	for _, e := range es {
		x, err := trustlist.NewX509Entry(e.d.cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "")
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, x)
	}
	return trustlisttest.TrustOne(t, "NL", entries...)
}
