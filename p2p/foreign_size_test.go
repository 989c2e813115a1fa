package p2p

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/listimport/dccg"
	"github.com/accord-network/accord/internal/listimport/foreign"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// padJSON returns the JSON object file grown to n bytes with white space
// before its closing brace: the same list, the same signed items.
func padJSON(t *testing.T, file []byte, n int) []byte {
	t.Helper()
	body := bytes.TrimRight(file, " \n")
	if len(body) > n || body[len(body)-1] != '}' {
		t.Fatalf("cannot pad a %d byte file to %d", len(file), n)
	}
	out := make([]byte, 0, n)
	out = append(out, body[:len(body)-1]...)
	out = append(out, bytes.Repeat([]byte{' '}, n-len(body))...)
	return append(out, '}')
}

// The foreign list bound sits above the general object bound, so the real
// gateway list (3.9 MiB) has room to grow: a file of exactly maxForeignFile
// bytes is imported and, too large for gossip, reaches a peer by sync; one
// byte more is refused. An envelope of exactly MaxForeignObjectSize is
// accepted, one byte more refused before it is decoded.
func TestForeignListSizeBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("16 MiB lists verified three times")
	}
	g := loadGateway(t)
	now := g.newest.Add(24 * time.Hour)
	clock := func() time.Time { return now }
	pin := foreign.Pin{Format: dccg.Format, Roots: []*pki.Certificate{g.es}}
	full := g.list(t, nil)
	cfgs := []Config{testConfig(t.TempDir()), testConfig(t.TempDir()), testConfig(t.TempDir())}
	nodes := make([]*Node, len(cfgs))
	for i := range cfgs {
		cfgs[i].Now = clock
		nodes[i] = startNode(t, cfgs[i])
		if err := nodes[i].PinSource(pin); err != nil {
			t.Fatal(err)
		}
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	if maxForeignFile <= a.cfg.MaxObjectSize {
		t.Fatalf("foreign file bound %d is not above the object bound %d", maxForeignFile, a.cfg.MaxObjectSize)
	}

	ctx := context.Background()
	if _, err := a.ImportForeignFile(ctx, dccg.Format, padJSON(t, full, maxForeignFile+1)); !errors.Is(err, trustlist.ErrMalformed) || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("file of maxForeignFile+1 bytes: %v", err)
	}
	l, err := a.ImportForeignFile(ctx, dccg.Format, padJSON(t, full, maxForeignFile))
	if err != nil {
		t.Fatalf("file of maxForeignFile bytes: %v", err)
	}
	obj, err := l.Object()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(obj.Raw()); n <= a.cfg.MaxObjectSize || n > MaxForeignObjectSize {
		t.Fatalf("envelope of %d bytes: want above %d (sync only) and at most %d", n, a.cfg.MaxObjectSize, MaxForeignObjectSize)
	}
	start := time.Now()
	link(t, b, a) // the connect-time sync round fetches it
	waitFor(t, 60*time.Second, "B to fetch the 16 MiB list by sync", func() bool {
		h := foreignHeld(b, l.Key())
		return h != nil && h.ID == l.ID
	})
	t.Logf("sync: B holds the %d byte envelope %s after linking", len(obj.Raw()), time.Since(start).Round(time.Millisecond))

	// The envelope bound, to the byte, on a third node.
	overhead := len(obj.Raw()) - maxForeignFile
	exact, err := trustlist.NewForeignObject(trustlist.ForeignObject{Format: l.Format, Territory: l.Territory, Seq: l.Seq,
		IssuedAt: l.Issued, NextUpdate: l.NextUpdate, Data: padJSON(t, full, MaxForeignObjectSize-overhead)})
	if err != nil {
		t.Fatal(err)
	}
	if len(exact.Raw()) != MaxForeignObjectSize {
		t.Fatalf("envelope of %d bytes, want %d", len(exact.Raw()), MaxForeignObjectSize)
	}
	over := append(bytes.Clone(exact.Raw()), 0)
	if _, err := c.importForeign(over, ""); !errors.Is(err, trustlist.ErrMalformed) || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("envelope of MaxForeignObjectSize+1 bytes: %v", err)
	}
	if _, err := c.importForeign(exact.Raw(), ""); err != nil {
		t.Fatalf("envelope of MaxForeignObjectSize bytes: %v", err)
	}
}
