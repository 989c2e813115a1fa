package trustlist_test

import (
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// TestReloaderSeesNewLists: an app holding a Reloader on a store sees lists
// imported after it started, both when the store is closed between imports
// (`accord trust import`) and while a writer holds it open (a running node,
// read through its mirror files); an unchanged store is not reloaded.
func TestReloaderSeesNewLists(t *testing.T) {
	dir := t.TempDir()
	a := tt.NewAnchor(t, "NL")
	cert, _ := tt.Cert(t, tt.CertOptions{CommonName: "NL DSC", Country: "NL"})
	e := tt.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "NL DSC"))
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	tt.Must(st.Pin(a.Descriptor.Raw()))
	st.Close()

	r := tt.Must(trustlist.NewReloader(dir, 0))
	q := trustlist.Query{KID: e.KID}
	if len(r.Find(q)) != 0 {
		t.Fatal("found an entry no list holds yet")
	}
	if again, err := r.Reload(); again || err != nil {
		t.Errorf("unchanged store reloaded: %v %v", again, err)
	}
	first := r.Set()

	// A list imported by another process with the store closed.
	l1 := a.SignList(t, time.Now().Add(-time.Hour), 24*time.Hour, e)
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	if d := tt.Must(st.Import(l1.Raw(), time.Now())); d.Outcome != trustlist.Accepted {
		t.Fatal(d)
	}
	st.Close()
	if m := r.Find(q); len(m) != 1 || m[0].Seq != 1 {
		t.Fatalf("after import: %v", m)
	}
	if r.Set() == first {
		t.Error("the set was not replaced")
	}

	// A writer (a node) holds the store open and accepts seq 2 revoking the key.
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	e2 := *e
	e2.Status, e2.RevokedAt, e2.Reason = trustlist.StatusRevoked, time.Now().Add(-time.Minute).Truncate(time.Second), "key compromise"
	l2 := a.SignList(t, time.Now().Add(-time.Minute), 24*time.Hour, &e2)
	if d := tt.Must(st.Import(l2.Raw(), time.Now())); d.Outcome != trustlist.Accepted {
		t.Fatal(d)
	}
	m := r.Find(q)
	if len(m) != 1 || m[0].Seq != 2 || m[0].Entry.Status != trustlist.StatusRevoked {
		t.Fatalf("while a writer holds the store: %+v", m)
	}
	if r.Err() != nil {
		t.Error(r.Err())
	}
}

// TestReloaderInterval: within the interval Find does not look at the store.
func TestReloaderInterval(t *testing.T) {
	dir := t.TempDir()
	a := tt.NewAnchor(t, "NL")
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	tt.Must(st.Pin(a.Descriptor.Raw()))
	st.Close()
	r := tt.Must(trustlist.NewReloader(dir, time.Hour))
	before := r.Set()
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	tt.Must(st.Import(a.SignList(t, time.Now().Add(-time.Hour), 24*time.Hour).Raw(), time.Now()))
	st.Close()
	r.Find(trustlist.Query{Country: "NL"})
	if r.Set() != before {
		t.Error("reloaded within the interval")
	}
	if did, err := r.Reload(); !did || err != nil {
		t.Errorf("explicit Reload: %v %v", did, err)
	}
}
