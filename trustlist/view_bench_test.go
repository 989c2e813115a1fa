package trustlist_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// benchStore writes a store of anchors × perAnchor entries (eth entries, or
// x509 certificates when x509 is set) into dir, through Store.ImportAll as
// `accord trust import` does, and returns a kid listed by the last anchor.
func benchStore(b *testing.B, dir string, anchors, perAnchor int, x509 bool) []byte {
	st := tt.Must(trustlist.OpenStore(dir, trustlist.StoreOptions{}))
	defer st.Close()
	var raws [][]byte
	var kid []byte
	for _, cc := range countries(anchors) {
		d, keys := anchorKeys(b, cc, 1, 1)
		tt.Must(st.Pin(d.Raw()))
		var entries []*trustlist.Entry
		if x509 {
			for i := 0; i < perAnchor; i++ {
				c, _ := tt.Cert(b, tt.CertOptions{CommonName: fmt.Sprintf("%s CA %d", cc, i), Country: cc, IsCA: true})
				entries = append(entries, tt.Must(trustlist.NewX509Entry(c.Raw, true, []trustlist.DocType{trustlist.DocPDF}, "")))
			}
		} else {
			entries = bigEntries(b, cc, perAnchor)
		}
		l := signList(b, cc, 1, 1, nil, keys, now.Add(-time.Minute), 24*time.Hour, entries...)
		raws = append(raws, l.Raw())
		kid = l.Entries[len(l.Entries)/2].KID
	}
	ds, err := st.ImportAll(raws, now)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range ds {
		if d.Err() != nil {
			b.Fatal(d.Err())
		}
	}
	return kid
}

// BenchmarkVerifyStartup measures what `accord verify` pays for its trust
// store before it verifies one document: open the store and look up the one
// key the document names. "view" opens it through the verified index;
// "replay" is the full replay (LoadDir) it did before, kept for `accord
// trust check`-like work and as the baseline. The floor, in the same run, is
// one P-256 signature verification (the least a verification costs).
func BenchmarkVerifyStartup(b *testing.B) {
	type size struct {
		name              string
		anchors, perEntry int
		x509              bool
	}
	sizes := []size{{"1key", 1, 1, false}, {"200x1000", 200, 1000, false}, {"x509-1000", 1, 1000, true}, {"x509-5000", 1, 5000, true}}
	dirs := map[string]string{}
	kids := map[string][]byte{}
	root := b.TempDir()
	for _, s := range sizes {
		dirs[s.name] = filepath.Join(root, s.name)
		kids[s.name] = benchStore(b, dirs[s.name], s.anchors, s.perEntry, s.x509)
	}
	for _, s := range sizes {
		b.Run("view/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				v, err := trustlist.OpenView(dirs[s.name])
				if err != nil {
					b.Fatal(err)
				}
				if m := v.Find(trustlist.Query{KID: kids[s.name]}); len(m) != 1 {
					b.Fatalf("%d matches", len(m))
				}
				v.Close()
			}
		})
	}
	for _, s := range sizes {
		b.Run("replay/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				set, err := trustlist.LoadDir(dirs[s.name])
				if err != nil {
					b.Fatal(err)
				}
				if m := set.Find(trustlist.Query{KID: kids[s.name]}); len(m) != 1 {
					b.Fatalf("%d matches", len(m))
				}
			}
		})
	}
	b.Run("floor/p256-verify", func(b *testing.B) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		h := sha256.Sum256([]byte("document"))
		sig, _ := ecdsa.SignASN1(rand.Reader, k, h[:])
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
				b.Fatal("verify")
			}
		}
	})
}
