package trustlist_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// chainStore makes a store in dir with a pinned NL anchor and n lists.
func chainStore(t testing.TB, dir string, n int) (*trustlist.Store, *tt.Anchor, []*trustlist.List) {
	t.Helper()
	a := tt.NewAnchor(t, "NL")
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	tt.Must(st.Pin(a.Descriptor.Raw()))
	var ls []*trustlist.List
	for i := 0; i < n; i++ {
		l := a.SignList(t, time.Time{}, 24*time.Hour, ethEntry(t, byte(i), "A"))
		if d, err := st.Import(l.Raw(), now); err != nil || d.Outcome != trustlist.Accepted {
			t.Fatal(d, err)
		}
		ls = append(ls, l)
	}
	return st, a, ls
}

func headSeq(s *trustlist.Set, cc string) uint64 {
	if h := s.Head(cc); h != nil {
		return h.Seq
	}
	return 0
}

// TestStoreWriteFailureRollsBack: a failed durable write leaves the
// in-memory set exactly as the disk, is reported, and the same object
// succeeds once writes work again.
func TestStoreWriteFailureRollsBack(t *testing.T) {
	dir := t.TempDir()
	var fail atomic.Bool
	a := tt.NewAnchor(t, "NL")
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{WriteFault: func() error {
		if fail.Load() {
			return syscall.ENOSPC
		}
		return nil
	}}))
	tt.Must(st.Pin(a.Descriptor.Raw()))
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, ethEntry(t, 1, "A"))
	l2 := a.SignList(t, time.Time{}, 24*time.Hour, ethEntry(t, 2, "B"))
	tt.Must(st.Import(l1.Raw(), now))

	fail.Store(true)
	for try := 0; try < 2; try++ { // a retry is decided afresh, never "duplicate"
		_, err := st.Import(l2.Raw(), now)
		if !errors.Is(err, trustlist.ErrStoreWrite) || !trustlist.IsNoSpace(err) {
			t.Fatalf("try %d: import on a full disk: %v", try, err)
		}
		if got := headSeq(st.Set(), "NL"); got != 1 {
			t.Fatalf("try %d: memory ran ahead of disk: head seq %d, disk holds 1", try, got)
		}
	}
	h := st.Health()
	if h.OK || h.WriteErrors != 2 || !h.NoSpace || h.LastError == "" {
		t.Fatalf("health after failures: %+v", h)
	}
	// A pin that cannot be written is not kept either.
	b := tt.NewAnchor(t, "SG")
	if _, err := st.Pin(b.Descriptor.Raw()); !errors.Is(err, trustlist.ErrStoreWrite) {
		t.Fatalf("pin on a full disk: %v", err)
	}
	if st.Set().Descriptor("SG") != nil {
		t.Fatal("failed pin is in memory")
	}
	fail.Store(false)
	if d, err := st.Import(l2.Raw(), now); err != nil || d.Outcome != trustlist.Accepted {
		t.Fatalf("after space returns: %v %v", d, err)
	}
	if h := st.Health(); !h.OK || h.WriteErrors != 3 {
		t.Fatalf("health after recovery: %+v", h)
	}
	st.Close()
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	if got := headSeq(st.Set(), "NL"); got != 2 {
		t.Fatalf("after restart head seq %d, want 2", got)
	}
}

// TestStoreFullDisk fills a real tmpfs (as root) and checks the same
// promises as TestStoreWriteFailureRollsBack on a real ENOSPC.
func TestStoreFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skip: mounting a small tmpfs needs root; TestStoreWriteFailureRollsBack covers the injected failure")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("skip: cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	dir := filepath.Join(mnt, "store")
	a := tt.NewAnchor(t, "NL")
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	tt.Must(st.Pin(a.Descriptor.Raw()))
	big := func(salt byte) *trustlist.List {
		var es []*trustlist.Entry
		for i := 0; i < 1500; i++ {
			addr := make([]byte, 20)
			addr[0], addr[1], addr[2] = salt, byte(i>>8), byte(i)
			es = append(es, tt.Must(trustlist.NewEthEntry(addr, []trustlist.DocType{trustlist.DocOA}, fmt.Sprintf("issuer %d %d", salt, i), "", now.Add(-time.Hour), now.Add(24*time.Hour))))
		}
		return a.SignList(t, time.Time{}, 24*time.Hour, es...)
	}
	l1, l2 := big(1), big(2)
	tt.Must(st.Import(l1.Raw(), now))
	// Fill what is left.
	filler := filepath.Join(mnt, "filler")
	f := tt.Must(os.Create(filler))
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	_, err := st.Import(l2.Raw(), now)
	if !errors.Is(err, trustlist.ErrStoreWrite) || !trustlist.IsNoSpace(err) {
		t.Fatalf("import on a full tmpfs: %v", err)
	}
	if got := headSeq(st.Set(), "NL"); got != 1 {
		t.Fatalf("memory ran ahead of disk: head seq %d", got)
	}
	if h := st.Health(); h.OK || !h.NoSpace {
		t.Fatalf("health on a full disk: %+v", h)
	}
	os.Remove(filler)
	if d, err := st.Import(l2.Raw(), now); err != nil || d.Outcome != trustlist.Accepted {
		t.Fatalf("after space returns: %v %v", d, err)
	}
	st.Close()
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	if got := headSeq(st.Set(), "NL"); got != 2 {
		t.Fatalf("after restart head seq %d, want 2", got)
	}
}

// TestStoreEmptiedIsRefusedAndRepaired: an emptied or deleted store.db with
// the objects/ mirror present is refused, and RepairStore rebuilds it.
func TestStoreEmptiedIsRefusedAndRepaired(t *testing.T) {
	for _, how := range []string{"emptied", "deleted"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			st, _, _ := chainStore(t, dir, 5)
			st.Close()
			db := filepath.Join(dir, "store.db")
			if how == "emptied" {
				os.Truncate(db, 0)
			} else {
				os.Remove(db)
			}
			if _, err := trustlist.OpenStore(dir, trustlist.StoreOptions{}); !errors.Is(err, trustlist.ErrStoreBehind) {
				t.Fatalf("open: %v", err)
			}
			if _, err := trustlist.LoadDir(dir); !errors.Is(err, trustlist.ErrStoreBehind) {
				t.Fatalf("load: %v", err)
			}
			rep, err := trustlist.RepairStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Recovered != 6 || rep.Skipped != 0 || len(rep.Anchors) != 1 || rep.Anchors[0].Seq != 5 {
				t.Fatalf("repair: %+v", rep)
			}
			st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
			defer st.Close()
			if got := headSeq(st.Set(), "NL"); got != 5 || st.Skipped != 0 {
				t.Fatalf("after repair head %d skipped %d", got, st.Skipped)
			}
		})
	}
}

// TestStoreBehindBackupRefused: an old copy of store.db put back under a
// newer mirror is refused.
func TestStoreBehindBackupRefused(t *testing.T) {
	dir := t.TempDir()
	st, a, _ := chainStore(t, dir, 3)
	st.Close()
	old := tt.Must(os.ReadFile(filepath.Join(dir, "store.db")))
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	for i := 0; i < 3; i++ {
		tt.Must(st.Import(a.SignList(t, time.Time{}, 24*time.Hour).Raw(), now))
	}
	st.Close()
	os.WriteFile(filepath.Join(dir, "store.db"), old, 0o600)
	_, err := trustlist.OpenStore(dir, trustlist.StoreOptions{})
	if !errors.Is(err, trustlist.ErrStoreBehind) {
		t.Fatalf("open: %v", err)
	}
	t.Log(err)
	rep := tt.Must(trustlist.RepairStore(dir))
	if rep.Anchors[0].Seq != 6 || rep.FromStore != 4 {
		t.Fatalf("repair: %+v", rep)
	}
}

// TestStoreDamageNeverPanics garbles store.db in many ways: opening and
// reading never panic, and never yield a store behind what was acknowledged
// without saying so; RepairStore always restores the whole chain.
func TestStoreDamageNeverPanics(t *testing.T) {
	base := t.TempDir()
	st, _, _ := chainStore(t, base, 20)
	st.Close()
	clean := tt.Must(os.ReadFile(filepath.Join(base, "store.db")))
	objs := tt.Must(os.ReadDir(filepath.Join(base, "objects")))
	rng := rand.New(rand.NewPCG(11, 12))
	const page = 4096
	outcomes := map[string]int{}
	for round := 0; round < 24; round++ {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "objects"), 0o700)
		for _, e := range objs {
			os.WriteFile(filepath.Join(dir, "objects", e.Name()), tt.Must(os.ReadFile(filepath.Join(base, "objects", e.Name()))), 0o644)
		}
		b := append([]byte(nil), clean...)
		switch round % 4 {
		case 0: // garble one whole data page
			p := 2 + rng.IntN(len(b)/page-2)
			for i := p * page; i < (p+1)*page; i++ {
				b[i] = byte(rng.Uint32())
			}
		case 1: // flip a few bytes anywhere past the meta pages
			for i := 0; i < 8; i++ {
				b[2*page+rng.IntN(len(b)-2*page)] ^= byte(1 + rng.IntN(255))
			}
		case 2: // garble the meta pages
			for i := 0; i < 64; i++ {
				b[rng.IntN(2*page)] ^= 0xff
			}
		case 3: // truncate
			b = b[:page*(2+rng.IntN(len(b)/page-2))]
		}
		os.WriteFile(filepath.Join(dir, "store.db"), b, 0o600)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("round %d: panic: %v", round, r)
				}
			}()
			if s, err := trustlist.LoadDir(dir); err == nil && headSeq(s, "NL") != 20 {
				t.Fatalf("round %d: load silently at seq %d", round, headSeq(s, "NL"))
			}
			st, err := trustlist.OpenStore(dir, trustlist.StoreOptions{})
			switch {
			case err == nil:
				got := headSeq(st.Set(), "NL")
				st.Close()
				if got != 20 {
					t.Fatalf("round %d: opened silently at seq %d", round, got)
				}
				outcomes["harmless"]++
				return
			case errors.Is(err, trustlist.ErrStoreDamaged):
				outcomes["damaged"]++
			case errors.Is(err, trustlist.ErrStoreBehind):
				outcomes["behind"]++
			default:
				t.Fatalf("round %d: unexpected error: %v", round, err)
			}
			rep, err := trustlist.RepairStore(dir)
			if err != nil {
				t.Fatalf("round %d: repair: %v", round, err)
			}
			st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
			got := headSeq(st.Set(), "NL")
			st.Close()
			if got != 20 {
				t.Fatalf("round %d: after repair seq %d (%+v)", round, got, rep)
			}
		}()
	}
	t.Logf("outcomes: %v", outcomes)
}

// TestStoreSkippedIsReported: a stored record that no longer verifies is
// counted at open, by OpenStore and LoadDirReport.
func TestStoreSkippedIsReported(t *testing.T) {
	dir := t.TempDir()
	st, _, _ := chainStore(t, dir, 2)
	st.Close()
	db := tt.Must(bolt.Open(filepath.Join(dir, "store.db"), 0o600, nil))
	err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("log"))
		n, _ := b.NextSequence()
		k := make([]byte, 8)
		k[7] = byte(n)
		return b.Put(k, append([]byte{'o'}, []byte("not a signed object")...))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	st = tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	if st.Skipped != 1 || st.Health().Skipped != 1 || headSeq(st.Set(), "NL") != 2 {
		t.Fatalf("skipped %d, health %+v", st.Skipped, st.Health())
	}
	st.Close()
	_, rep, err := trustlist.LoadDirReport(dir)
	if err != nil || rep.Skipped != 1 {
		t.Fatalf("load: %+v %v", rep, err)
	}
}

// TestStoreRepairRefusesBusy: a store held by a writer is not rebuilt under it.
func TestStoreRepairRefusesBusy(t *testing.T) {
	dir := t.TempDir()
	st, _, _ := chainStore(t, dir, 1)
	defer st.Close()
	if _, err := trustlist.RepairStore(dir); !errors.Is(err, trustlist.ErrStoreBusy) {
		t.Fatalf("repair of a held store: %v", err)
	}
}

// TestSetFieldsKnownToRollback fails when Set gains a field, so that
// Store's rollback (which swaps Set's state) is reviewed with it.
func TestSetFieldsKnownToRollback(t *testing.T) {
	if n := reflect.TypeOf(trustlist.Set{}).NumField(); n != 10 {
		t.Fatalf("trustlist.Set has %d fields; update Store.rollbackLocked (store.go) and this count", n)
	}
}

// FuzzLoadStoreDB feeds arbitrary bytes as store.db: reading it must give a
// state or an error (ErrStoreDamaged, ErrStoreBehind), never a panic or a
// memory fault.
func FuzzLoadStoreDB(f *testing.F) {
	base := f.TempDir()
	st, _, _ := chainStore(f, base, 3)
	st.Close()
	clean := tt.Must(os.ReadFile(filepath.Join(base, "store.db")))
	f.Add(clean)
	f.Add(clean[:len(clean)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "store.db"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := trustlist.LoadDir(dir)
		if err != nil && !errors.Is(err, trustlist.ErrStoreDamaged) && !errors.Is(err, trustlist.ErrStoreBehind) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}

// FuzzOpenViewStoreDB feeds arbitrary bytes as store.db to OpenView and a
// lookup, with no walked stamp (the reader must walk the file): a view, or
// an error (ErrStoreDamaged, ErrIndexStale), never a panic or a fault.
func FuzzOpenViewStoreDB(f *testing.F) {
	base := f.TempDir()
	st, _, _ := chainStore(f, base, 3)
	st.Close()
	clean := tt.Must(os.ReadFile(filepath.Join(base, "store.db")))
	f.Add(clean)
	f.Add(clean[:len(clean)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "store.db"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		v, err := trustlist.OpenView(dir)
		if err != nil {
			if !errors.Is(err, trustlist.ErrStoreDamaged) && !errors.Is(err, trustlist.ErrIndexStale) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		defer v.Close()
		v.Find(trustlist.Query{Country: "NL"})
		v.Find(trustlist.Query{KID: []byte("12345678")})
		v.Revoked("NL", nil, time.Time{})
	})
}
