package anchor

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/keyfile"
	"github.com/accord-network/accord/trustlist"
)

func eth(t *testing.T, b byte, uses ...trustlist.DocType) *trustlist.Entry {
	t.Helper()
	if len(uses) == 0 {
		uses = []trustlist.DocType{trustlist.DocOA}
	}
	now := time.Now()
	e, err := trustlist.NewEthEntry(bytes.Repeat([]byte{b}, 20), uses, "Carrier", "", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestRevocationIsSticky pins issue 10 item 11 in the library: adding a
// revoked entry again fails with ErrRevoked, changing uses needs replace,
// Reinstate is the way back, and Changes reports each against the last list.
func TestRevocationIsSticky(t *testing.T) {
	w, err := Init(t.TempDir(), "NL", "Netherlands", 1, 1, trustlist.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(eth(t, 1), eth(t, 2)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Sign(time.Hour, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Revoke("0x0101010101010101010101010101010101010101", "key compromise", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(eth(t, 1)); !errors.Is(err, ErrRevoked) {
		t.Fatalf("re-adding a revoked entry: %v", err)
	}
	if err := w.Add(eth(t, 2, trustlist.DocOA, trustlist.DocPDF)); !errors.Is(err, ErrChanged) {
		t.Fatalf("changing uses without replace: %v", err)
	}
	if err := w.AddWith(true, eth(t, 2, trustlist.DocOA, trustlist.DocPDF)); err != nil {
		t.Fatal(err)
	}
	_, ch, err := w.Changes()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range ch {
		got[c.What]++
	}
	if got[Revoked] != 1 || got[Changed] != 1 || len(ch) != 2 {
		t.Fatalf("changes: %+v", ch)
	}
	if _, _, err := w.Sign(time.Hour, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Reinstate("0x0202020202020202020202020202020202020202", "x"); !errors.Is(err, ErrNotRevoked) {
		t.Fatalf("reinstating an active entry: %v", err)
	}
	if _, err := w.Reinstate("0x0101010101010101010101010101010101010101", ""); err == nil {
		t.Fatal("reinstating without a reason")
	}
	if _, err := w.Reinstate("0x0101010101010101010101010101010101010101", "revoked by mistake"); err != nil {
		t.Fatal(err)
	}
	// The reason survives reopening the workspace, and is reported.
	w2, err := Open(w.Dir)
	if err != nil {
		t.Fatal(err)
	}
	_, ch, err = w2.Changes()
	if err != nil || len(ch) != 1 || ch[0].What != Reinstated || !bytes.Contains([]byte(ch[0].Detail), []byte("revoked by mistake")) {
		t.Fatalf("changes after reinstate: %+v %v", ch, err)
	}
}

// Anchor keys are written owner-only, read back as the descriptor's keys,
// never overwritten, and refused once others may read them.
func TestKeyFiles(t *testing.T) {
	w, err := Init(t.TempDir()+"/nl", "NL", "NL", 2, 2, trustlist.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	d, err := w.Descriptor()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := w.Keys()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys: %d, %v", len(keys), err)
	}
	for _, k := range keys {
		if d.Key(k.Public().KID()) == nil {
			t.Fatalf("key %x read back is not in the descriptor", k.Public().KID())
		}
	}
	path := filepath.Join(w.Dir, w.Meta.KeyFiles[0])
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if err := writeKeyFile(path, keys[1]); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("overwriting a key file: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Keys(); !errors.Is(err, keyfile.ErrPermissions) {
		t.Fatalf("a key others can read: %v, want keyfile.ErrPermissions", err)
	}
}
