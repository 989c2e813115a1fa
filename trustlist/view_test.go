package trustlist_test

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// viewStore builds a store of three anchors (NL with a CA and eth entries
// and a second list, DE with revocations and a rule set, FR with no list)
// and returns its directory and the kids worth looking up.
func viewStore(t *testing.T) (string, map[string][]byte) { return viewStoreMode(t, viewOneByOne) }

// How viewStoreMode commits its objects.
const (
	viewOneByOne      = "one commit each"
	viewBatched       = "batched" // ImportAll: a list superseded in its own batch
	viewDeferred      = "deferred index, released"
	viewDeferredClose = "deferred index, written by Close"
)

func viewStoreMode(t *testing.T, mode string) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	switch mode {
	case viewDeferred:
		release := st.DeferIndex()
		defer func() {
			if err := release(); err != nil {
				t.Fatal(err)
			}
		}()
	case viewDeferredClose:
		st.DeferIndex()
	}
	importAll := func(raws ...[]byte) {
		t.Helper()
		if mode == viewBatched {
			ds, err := st.ImportAll(raws, now)
			for _, d := range ds {
				if err != nil || d.Err() != nil {
					t.Fatal(d, err)
				}
			}
			return
		}
		for _, raw := range raws {
			if d, err := st.Import(raw, now); err != nil || d.Err() != nil {
				t.Fatal(d, err)
			}
		}
	}
	kids := map[string][]byte{}

	dNL, kNL := anchorKeys(t, "NL", 3, 2)
	tt.Must(st.Pin(dNL.Raw()))
	ca, _ := tt.Cert(t, tt.CertOptions{CommonName: "NL CSCA", Country: "NL", IsCA: true})
	caEntry := tt.Must(trustlist.NewX509Entry(ca.Raw, true, []trustlist.DocType{trustlist.DocHCert, trustlist.DocPDF}, "NL CSCA"))
	eth := bigEntries(t, "NL", 5)
	l1 := signList(t, "NL", 1, 1, nil, kNL[:2], now.Add(-time.Hour), time.Hour*48, eth[:2]...)
	l2 := signList(t, "NL", 1, 2, l1.Hash(), kNL[:2], now.Add(-time.Minute), time.Hour*48, append(eth, caEntry)...)
	importAll(l1.Raw(), l2.Raw())
	kids["nl-eth"], kids["nl-ca"], kids["nl-ca-thumb"] = eth[3].Data, caEntry.KID, caEntry.Thumbprint

	dDE, kDE := anchorKeys(t, "DE", 1, 1)
	tt.Must(st.Pin(dDE.Raw()))
	deEth := bigEntries(t, "DE", 3)
	deEth = append(deEth, eth[0]) // the same key listed by two anchors
	kids["shared"] = eth[0].Data
	b := trustlist.NewRevocationBatch(trustlist.HashUCI, nil, now.Add(time.Hour), "sold", hashes(4, 7))
	r1 := revDelta(t, hdr("DE", 1, 1), nil, kDE, nil, b)
	importAll(signList(t, "DE", 1, 1, nil, kDE, now.Add(-time.Minute), time.Hour, deEth...).Raw(), r1.Raw(),
		ruleSet(t, hdr("DE", 1, 1), kDE, `{"Identifier":"VR-DE-0001","Type":"Acceptance","Country":"DE","Version":"1.0.0","Logic":{"===":[1,1]}}`))
	dFR, _ := anchorKeys(t, "FR", 1, 1)
	tt.Must(st.Pin(dFR.Raw()))
	return dir, kids
}

func viewQueries(kids map[string][]byte) []trustlist.Query {
	return []trustlist.Query{
		{KID: kids["nl-eth"]},
		{Address: kids["nl-eth"], Use: trustlist.DocOA},
		{Address: kids["shared"]},
		{Address: kids["shared"], Country: "DE"},
		{KID: kids["nl-ca"]},
		{Thumbprint: kids["nl-ca-thumb"]},
		{Country: "NL", Kind: trustlist.EntryX509, CA: new(true)},
		{Use: trustlist.DocPDF, Kind: trustlist.EntryX509, CA: new(true)},
		{Kind: trustlist.EntryEth},
		{Country: "FR"},
		{Country: "XX"},
		{KID: []byte("no such kid")},
		{Address: kids["nl-eth"], ActiveAt: now.Add(time.Hour)},
		{Country: "DE", Use: trustlist.DocHCert, Kind: trustlist.EntryX509, CA: new(true)}, // a country that lists no CA (the CA marker)
		{Country: "DE"}, // after the same country's CA lookup: the View's cache keeps them apart
		{Country: "NL", Kind: trustlist.EntryX509},
	}
}

// TestViewAnswersAsTheReplay: every lookup through the index gives exactly
// what a full replay of the store gives, rules and revocations included.
// It holds for an index written by every kind of commit: one object per
// commit, batches (a list superseded within its own batch), and commits
// that leave the index behind (Store.DeferIndex) until released or closed.
func TestViewAnswersAsTheReplay(t *testing.T) {
	for _, mode := range []string{viewOneByOne, viewBatched, viewDeferred, viewDeferredClose} {
		t.Run(mode, func(t *testing.T) { testViewAnswersAsTheReplay(t, mode) })
	}
}

func testViewAnswersAsTheReplay(t *testing.T, mode string) {
	dir, kids := viewStoreMode(t, mode)
	if c, err := trustlist.CheckIndex(dir); err != nil || c.Problem != "" || c.Keys == 0 {
		t.Fatalf("CheckIndex: %+v, %v", c, err)
	}
	set := tt.Must(trustlist.LoadDir(dir))
	v := tt.Must(trustlist.OpenView(dir))
	defer v.Close()
	if v.NumAnchors() != 3 {
		t.Fatalf("view holds %d anchors, want 3", v.NumAnchors())
	}
	// Twice, the second time in reverse order: the View answers a lookup it
	// made before from its cache, which must give the same answer.
	qs := viewQueries(kids)
	for pass := range 2 {
		for j := range qs {
			i := j
			if pass == 1 {
				i = len(qs) - 1 - j
			}
			q := qs[i]
			want, got := set.Find(q), v.Find(q)
			if len(want) == 0 && i < 9 {
				t.Fatalf("query %d finds nothing in the replay: a test that cannot fail", i)
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("pass %d query %d %+v: view found %d matches, replay %d", pass, i, q, len(got), len(want))
			}
		}
	}
	hs := hashes(4, 7)
	q := trustlist.RevocationQuery{Type: trustlist.HashUCI, Hash: hs[2]}
	if got, want := v.Revoked("DE", nil, now, q), set.Revoked("DE", nil, now, q); want == nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Revoked: view %+v, replay %+v", got, want)
	}
	if got, want := v.RevocationSummary("DE"), set.RevocationSummary("DE"); want == nil || !reflect.DeepEqual(got, want) {
		t.Errorf("RevocationSummary: view %+v, replay %+v", got, want)
	}
	if v.RuleSet("DE") == nil || string(v.RuleSet("DE").Raw()) != string(set.RuleSet("DE").Raw()) || v.RuleSet("NL") != nil {
		t.Error("RuleSet through the view differs from the replay")
	}
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestViewStaleIndexRefused: an index that does not match the log or the
// policy it was built from is never used; a writer's open rebuilds it.
func TestViewStaleIndexRefused(t *testing.T) {
	cases := map[string]func(t *testing.T, dir string){
		"policy changed": func(t *testing.T, dir string) {
			if err := trustlist.WritePolicy(dir, trustlist.Policy{EndorsementThreshold: 2, MaxClockSkew: time.Minute}); err != nil {
				t.Fatal(err)
			}
		},
		"log appended without the index": func(t *testing.T, dir string) {
			withDB(t, dir, func(tx *bolt.Tx) error {
				lg := tx.Bucket([]byte("log"))
				k, v := lg.Cursor().Last()
				n := binary.BigEndian.Uint64(k) + 1
				var nk [8]byte
				binary.BigEndian.PutUint64(nk[:], n)
				return lg.Put(nk[:], append([]byte(nil), v...))
			})
		},
		"index deleted": func(t *testing.T, dir string) {
			withDB(t, dir, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("index")) })
		},
		"mirror ahead of the log": func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "objects", "000000009999-obj-000000000000.cose"), []byte{0xa0}, 0o644); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			dir, kids := viewStore(t)
			spoil(t, dir)
			if v, err := trustlist.OpenView(dir); !errors.Is(err, trustlist.ErrIndexStale) {
				if v != nil {
					v.Close()
				}
				t.Fatalf("OpenView of a spoiled index: %v, want ErrIndexStale", err)
			}
			if name == "mirror ahead of the log" {
				return // the full replay refuses it (ErrStoreBehind: store_fault_test)
			}
			st, err := trustlist.OpenStore(dir, trustlist.StoreOptions{})
			if err != nil {
				t.Fatal(err)
			}
			set := st.Set()
			want := set.Find(trustlist.Query{Address: kids["shared"]})
			st.Close()
			v, err := trustlist.OpenView(dir)
			if err != nil {
				t.Fatalf("a writer's open did not rebuild the index: %v", err)
			}
			defer v.Close()
			if got := v.Find(trustlist.Query{Address: kids["shared"]}); !reflect.DeepEqual(got, want) {
				t.Fatalf("rebuilt index finds %d, the store %d", len(got), len(want))
			}
		})
	}
}

// TestViewDamagedObjectNotTrusted: a log record that no longer has the hash
// the index recorded, or an index record naming another list, yields no
// entries from that anchor and an ErrStoreDamaged from Err; the others stay.
func TestViewDamagedObjectNotTrusted(t *testing.T) {
	dir, kids := viewStore(t)
	var nlHead uint64
	withDB(t, dir, func(tx *bolt.Tx) error {
		// The NL head list is the log record with the most bytes that
		// holds the CA certificate; flip a byte in its signature area.
		lg := tx.Bucket([]byte("log"))
		var best []byte
		lg.ForEach(func(k, v []byte) error {
			if len(v) > len(best) {
				best, nlHead = append([]byte(nil), v...), binary.BigEndian.Uint64(k)
			}
			return nil
		})
		best[len(best)-3] ^= 1
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], nlHead)
		return lg.Put(k[:], best)
	})
	v := tt.Must(trustlist.OpenView(dir))
	defer v.Close()
	if m := v.Find(trustlist.Query{KID: kids["nl-ca"]}); len(m) != 0 {
		t.Fatalf("damaged NL list still vouches for %d entries", len(m))
	}
	if !errors.Is(v.Err(), trustlist.ErrStoreDamaged) {
		t.Fatalf("Err = %v, want ErrStoreDamaged", v.Err())
	}
	if m := v.Find(trustlist.Query{Address: kids["shared"], Country: "DE"}); len(m) != 1 {
		t.Fatalf("undamaged DE finds %d", len(m))
	}
}

// TestViewAfterRepair: the store RepairStore writes carries an index.
func TestViewAfterRepair(t *testing.T) {
	dir, kids := viewStore(t)
	if err := os.Remove(filepath.Join(dir, "store.db")); err != nil {
		t.Fatal(err)
	}
	if _, err := trustlist.RepairStore(dir); err != nil {
		t.Fatal(err)
	}
	v := tt.Must(trustlist.OpenView(dir))
	defer v.Close()
	if m := v.Find(trustlist.Query{Address: kids["shared"]}); len(m) != 2 {
		t.Fatalf("repaired store's index finds %d, want 2", len(m))
	}
}

// TestViewFollowsRotationAndEquivocation: the index is rewritten with each
// commit that changes an anchor (a new head, evidence), never left behind.
func TestViewFollowsCommits(t *testing.T) {
	dir := t.TempDir()
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	d, keys := anchorKeys(t, "NL", 1, 1)
	tt.Must(st.Pin(d.Raw()))
	e := bigEntries(t, "NL", 3)
	l1 := signList(t, "NL", 1, 1, nil, keys, now.Add(-time.Hour), time.Hour*2, e[0], e[1])
	l2 := signList(t, "NL", 1, 2, l1.Hash(), keys, now.Add(-time.Minute), time.Hour*2, e[1], e[2])
	fork := signList(t, "NL", 1, 2, l1.Hash(), keys, now.Add(-time.Minute), time.Hour*2, e[0])
	find := func(kid []byte) []trustlist.Match {
		t.Helper()
		v, err := trustlist.OpenView(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		return v.Find(trustlist.Query{Address: kid})
	}
	for _, step := range []struct {
		raw   []byte
		kid   []byte
		found int
		equiv bool
	}{{l1.Raw(), e[0].Data, 1, false}, {l2.Raw(), e[0].Data, 0, false}, {l2.Raw(), e[2].Data, 1, false}, {fork.Raw(), e[2].Data, 1, true}} {
		if _, err := st.Import(step.raw, now); err != nil {
			t.Fatal(err)
		}
		st.Close() // a reader cannot open the store while a writer holds it
		m := find(step.kid)
		if len(m) != step.found || (len(m) > 0 && m[0].Equivocated != step.equiv) {
			t.Fatalf("after import: %d matches (%+v), want %d equivocated=%v", len(m), m, step.found, step.equiv)
		}
		st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	}
	st.Close()
}

func withDB(t *testing.T, dir string, f func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "store.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(f); err != nil {
		t.Fatal(err)
	}
}

// TestCheckIndex: the full check finds an index that matches its log, and
// one whose keys were changed behind the header's back (which OpenView,
// checking only the header, would use).
func TestCheckIndex(t *testing.T) {
	dir, _ := viewStore(t)
	c, err := trustlist.CheckIndex(dir)
	if err != nil || c.Problem != "" || c.Anchors != 3 || c.Keys < 10 {
		t.Fatalf("CheckIndex of a sound store: %+v, %v", c, err)
	}
	withDB(t, dir, func(tx *bolt.Tx) error {
		kb := tx.Bucket([]byte("index")).Bucket([]byte("keys"))
		k, _ := kb.Cursor().First()
		return kb.Delete(append([]byte(nil), k...))
	})
	if c, err := trustlist.CheckIndex(dir); err != nil || c.Problem == "" {
		t.Fatalf("CheckIndex missed a deleted key: %+v, %v", c, err)
	}
	withDB(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("index")).Bucket([]byte("keys")).Put([]byte("a\x14aaaaaaaaaaaaaaaaaaaaNL"), []byte{})
	})
	if c, err := trustlist.CheckIndex(dir); err != nil || c.Problem == "" {
		t.Fatalf("CheckIndex missed a stray key: %+v, %v", c, err)
	}
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{})) // a writer's open does not compare keys...
	st.Close()
	tt.Must(trustlist.RepairStore(dir)) // ...repair rebuilds the index whole
	if c, err := trustlist.CheckIndex(dir); err != nil || c.Problem != "" {
		t.Fatalf("CheckIndex after repair: %+v, %v", c, err)
	}
}

// TestViewConcurrentLookups: a View is shared by the workers of a bulk
// verification; lookups that load anchors and decode entries race on
// nothing (run with -race).
func TestViewConcurrentLookups(t *testing.T) {
	dir, kids := viewStore(t)
	v := tt.Must(trustlist.OpenView(dir))
	defer v.Close()
	qs := viewQueries(kids)
	done := make(chan int)
	for w := 0; w < 8; w++ {
		go func(w int) {
			n := 0
			for i := range qs {
				n += len(v.Find(qs[(i+w)%len(qs)]))
				v.RevocationSummary("DE")
			}
			done <- n
		}(w)
	}
	first := <-done
	for w := 1; w < 8; w++ {
		if n := <-done; n != first {
			t.Fatalf("workers found %d and %d matches for the same queries", first, n)
		}
	}
}

// TestDeferIndexCrash: a process that dies while commits left the index
// behind (Store.DeferIndex) leaves a store whose log holds every
// acknowledged import and whose index is stale: no reader uses it, and the
// next writer's open rebuilds it to agree with the replay. (The crash is the
// store directory copied while the writer holds it: every commit is on disk,
// the deferred index write is not.)
func TestDeferIndexCrash(t *testing.T) {
	dir := t.TempDir()
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	d, keys := anchorKeys(t, "NL", 1, 1)
	tt.Must(st.Pin(d.Raw()))
	release := st.DeferIndex()
	eth := bigEntries(t, "NL", 3)
	l1 := signList(t, "NL", 1, 1, nil, keys, now.Add(-time.Hour), time.Hour*48, eth[:2]...)
	l2 := signList(t, "NL", 1, 2, l1.Hash(), keys, now.Add(-time.Minute), time.Hour*48, eth...)
	for _, l := range []*trustlist.List{l1, l2} {
		if d, err := st.Import(l.Raw(), now); err != nil || d.Err() != nil {
			t.Fatal(d, err)
		}
	}
	crashed := t.TempDir()
	if err := os.CopyFS(crashed, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := trustlist.CheckIndex(dir); err != nil || c.Problem != "" || c.Keys != 3 {
		t.Fatalf("after release: CheckIndex %+v, %v", c, err)
	}

	if v, err := trustlist.OpenView(crashed); !errors.Is(err, trustlist.ErrIndexStale) {
		if v != nil {
			v.Close()
		}
		t.Fatalf("OpenView of a store that died with its index behind: %v, want ErrIndexStale", err)
	}
	if h := tt.Must(trustlist.LoadDir(crashed)).Head("NL"); h == nil || h.Seq != 2 {
		t.Fatalf("the log lost an acknowledged import: head %+v", h)
	}
	tt.Must(trustlist.OpenStore(crashed, trustlist.StoreOptions{})).Close()
	if c, err := trustlist.CheckIndex(crashed); err != nil || c.Problem != "" || c.Keys != 3 {
		t.Fatalf("after the next writer's open: CheckIndex %+v, %v", c, err)
	}
	v := tt.Must(trustlist.OpenView(crashed))
	defer v.Close()
	if m := v.Find(trustlist.Query{Address: eth[2].Data}); len(m) != 1 || m[0].Seq != 2 {
		t.Fatalf("view after rebuild: %+v", m)
	}
}
