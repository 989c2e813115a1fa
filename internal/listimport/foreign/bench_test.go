package foreign

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/listimport/dccg"
	"github.com/accord-network/accord/internal/listimport/etsitl"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// BenchmarkAcceptLOTL accepts the real LOTL 248 (XAdES check, pointers)
// beside its floor, a SHA-256 of the same bytes.
func BenchmarkAcceptLOTL(b *testing.B) {
	raw := read(b, "lotl/eu-lotl-248.xml")
	h := NewHeld()
	if err := h.PinSource(Pin{Format: etsitl.Format, Roots: roots(b, "certs/oj-2019/*.pem")}); err != nil {
		b.Fatal(err)
	}
	b.Run("accept", func(b *testing.B) {
		for b.Loop() {
			h.lists = map[string]*List{}
			if _, _, err := h.Accept(etsitl.Format, raw, Options{Now: when}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-sha256", func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(raw)
		}
	})
}

// BenchmarkAcceptGateway accepts the real DE-mirrored EU DCC gateway list
// (832 items, each a CMS signature) under a pin of Spain's upload
// certificate, beside its floor: verifying every item's CMS signature with
// the certificate it carries, and SHA-256 of the file.
func BenchmarkAcceptGateway(b *testing.B) {
	items := gatewayItems(b)
	raw := gatewayList(b, items)
	h := NewHeld().withPin(b, uploadCert(b, items, "ES"))
	var st time.Time
	for _, it := range items {
		if t := signingTime(b, it); t.After(st) {
			st = t
		}
	}
	o := Options{Now: st.Add(time.Hour)}
	b.Run("accept", func(b *testing.B) {
		for b.Loop() {
			h.lists = map[string]*List{}
			if _, _, err := h.Accept(dccg.Format, raw, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	type sig struct {
		si   *pki.SignerInfo
		sd   *pki.SignedData
		der  []byte
		cert *pki.Certificate
	}
	var sigs []sig
	for _, it := range items {
		s, _ := base64.StdEncoding.DecodeString(it["signature"].(string))
		der, _ := base64.StdEncoding.DecodeString(it["rawData"].(string))
		sd, err := pki.ParseSignedData(s)
		if err != nil || len(sd.Certificates) == 0 {
			continue
		}
		c, err := sd.SignerInfos[0].FindSigner(sd.Certificates)
		if err != nil {
			continue
		}
		sigs = append(sigs, sig{&sd.SignerInfos[0], sd, der, c})
	}
	b.Run(fmt.Sprintf("floor-%d-cms-verifies", len(sigs)), func(b *testing.B) {
		for b.Loop() {
			for _, s := range sigs {
				_ = s.si.Verify(s.sd.ContentType, s.der, s.cert)
			}
		}
	})
	b.Run("floor-sha256", func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(raw)
		}
	})
}

// FuzzAcceptObject feeds arbitrary envelopes to a holder pinned for the
// gateway list: never a panic; a list is returned exactly when there is no
// error. Seeds: the envelope of one real Spanish item (each exec verifies its
// CMS signature), and a lying one.
func FuzzAcceptObject(f *testing.F) {
	items := gatewayItems(f)
	var es []map[string]any
	for _, it := range items {
		if it["country"] == "ES" && len(es) < 1 {
			es = append(es, it)
		}
	}
	root := uploadCert(f, items, "ES")
	h := NewHeld().withPin(f, root)
	l, _, err := h.Accept(dccg.Format, gatewayList(f, es), Options{Now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		f.Fatal(err)
	}
	obj, _ := l.Object()
	f.Add(obj.Raw())
	lying, _ := trustlist.NewForeignObject(trustlist.ForeignObject{Format: dccg.Format, Territory: "EU", Seq: l.Seq + 1, IssuedAt: l.Issued, Data: l.Raw})
	f.Add(lying.Raw())
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := trustlist.ParseForeignObject(raw)
		if err != nil {
			return
		}
		h := NewHeld().withPin(t, root)
		l, _, err := h.AcceptObject(o, Options{Now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if (err == nil) != (l != nil) {
			t.Fatalf("err %v with list %v", err, l != nil)
		}
	})
}
