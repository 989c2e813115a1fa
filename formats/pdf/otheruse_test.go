package pdf

import (
	"crypto/x509"
	"testing"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// TestCAListedForAnotherUse pins issue 17 item 7: a PDF signed under a CA
// that the anchor lists for hcert only fails issuer_trusted with the real
// cause (listed for hcert, not for pdf), not "not listed".
func TestCAListedForAnotherUse(t *testing.T) {
	root, rootKey := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL CSCA", IsCA: true})
	leaf, key := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "NL signer", Parent: root, ParentKey: rootKey,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}})
	doc := signer{cert: leaf, key: key}.sign(t, pdftest.Document(pdftest.Options{}), "r")
	e, err := trustlist.NewX509Entry(root.Raw, true, []trustlist.DocType{trustlist.DocHCert}, "NL CSCA")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := run(t, trustlisttest.TrustOne(t, "NL", e), doc)
	if r.Valid {
		t.Fatal("valid under a CA listed for hcert only")
	}
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, `chains to the CA "NL CSCA", which NL lists for hcert only, not for pdf`)
	want(t, r, 0, CheckCertificate, verify.Skip, "no trusted path for pdf")

	// Unrelated CA listed for hcert: still plainly "not in any trust list".
	other, _ := trustlisttest.Cert(t, trustlisttest.CertOptions{CommonName: "Other CSCA", IsCA: true})
	e2, _ := trustlist.NewX509Entry(other.Raw, true, []trustlist.DocType{trustlist.DocHCert}, "Other CSCA")
	r, _ = run(t, trustlisttest.TrustOne(t, "NL", e2), doc)
	want(t, r, 0, verify.CheckIssuerTrusted, verify.Fail, "is not in any trust list for pdf")
}
