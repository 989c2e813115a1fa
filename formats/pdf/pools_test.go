package pdf

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/internal/pdfsign"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// Issue 10 item 10: CA entries only anchor chains, signer entries only
// sign, revoked entries are in no pool (the signer roots nor the TSA roots).
func TestEntryRolesAndRevokedPools(t *testing.T) {
	year := 365 * 24 * time.Hour

	t.Run("a CA entry does not sign", func(t *testing.T) {
		ca, caKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL Document CA", IsCA: true, UnknownExtKeyUsage: ekuDocSigning})
		doc := signer{cert: ca, key: caKey}.sign(t, pdftest.Document(pdftest.Options{}), "signed by the CA key itself")
		r, err := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, ca, true, "NL Document CA")), doc)
		if err != nil {
			t.Fatal(err)
		}
		if r.Valid {
			t.Fatalf("a CA entry was accepted as the document signer\n%s", dump(t, r))
		}
		want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, "CA entries only anchor chains")
	})

	t.Run("a signer entry anchors no chain", func(t *testing.T) {
		// A listed signer certificate that happens to be CA-capable issues
		// a certificate: the issued one is not trusted.
		boss, bossKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Listed signer", IsCA: true, UnknownExtKeyUsage: ekuDocSigning})
		leaf, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Issued by a signer", UnknownExtKeyUsage: ekuDocSigning, Parent: boss, ParentKey: bossKey})
		doc := signer{cert: leaf, key: key, chain: []*x509.Certificate{boss}}.sign(t, pdftest.Document(pdftest.Options{}), "r")
		r, _ := run(t, trustlisttest.TrustOne(t, "NL", pdfEntry(t, boss, false, "Listed signer")), doc)
		if r.Valid {
			t.Fatalf("a signer entry anchored a chain\n%s", dump(t, r))
		}
		want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, "not in any trust list")
	})

	// A TSA listed for both pdf and tsa, and a CA revoked an hour ago.
	tsaC, tsaKey := tsaCert(t, "NL TSA", true, nil, nil)
	tsaBoth := trustlisttest.Must(trustlist.NewX509Entry(tsaC.Raw, false, []trustlist.DocType{trustlist.DocTSA, trustlist.DocPDF}, "NL TSA"))
	ca, caKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL Document CA", IsCA: true})
	leaf, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Port of Rotterdam", UnknownExtKeyUsage: ekuDocSigning, Parent: ca, ParentKey: caKey})
	stamped := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	doc, err := pdfsign.Sign(pdftest.Document(pdftest.Options{}), pdfsign.Options{Key: key, Cert: leaf, Chain: []*x509.Certificate{ca},
		TSA: tsa{signer: tsaC, key: tsaKey, bag: []*x509.Certificate{tsaC}, at: stamped}.serve(t)})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("control: an active CA and TSA", func(t *testing.T) {
		a := trustlisttest.NewAnchor(t, "NL")
		a.SignList(t, time.Time{}, year, pdfEntry(t, ca, true, "NL Document CA"), tsaBoth)
		r, _ := run(t, trustlisttest.Set(t, a), doc)
		if !r.Valid {
			t.Fatalf("want valid\n%s", dump(t, r))
		}
		want(t, r, 0, CheckTimestamp, verify.Pass, "")
	})

	t.Run("a revoked CA anchors nothing, even with a trusted time before its revocation", func(t *testing.T) {
		a := trustlisttest.NewAnchor(t, "NL")
		a.SignList(t, time.Time{}, year, revoke(pdfEntry(t, ca, true, "NL Document CA"), time.Now().Add(-time.Hour)), tsaBoth)
		r, _ := run(t, trustlisttest.Set(t, a), doc)
		if r.Valid {
			t.Fatalf("a revoked CA anchored a chain\n%s", dump(t, r))
		}
		want(t, r, 0, CheckTimestamp, verify.Pass, "")
		want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, "a revoked CA anchors no chain")
	})

	t.Run("a revoked TSA is in no timestamp pool", func(t *testing.T) {
		a := trustlisttest.NewAnchor(t, "NL")
		revSigner := revoke(pdfEntry(t, leaf, false, "Port of Rotterdam"), time.Now().Add(-time.Hour))
		a.SignList(t, time.Time{}, year, revSigner, revoke(tsaBoth, time.Now().Add(-time.Minute)))
		r, _ := run(t, trustlisttest.Set(t, a), doc)
		if r.Valid {
			t.Fatalf("a revoked TSA gave a trusted time\n%s", dump(t, r))
		}
		want(t, r, 0, CheckTimestamp, verify.Skip, "revoked")
		want(t, r, 0, verify.CheckNotRevoked, verify.Fail, "")
	})
}
