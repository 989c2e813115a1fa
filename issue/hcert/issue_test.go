package hcert_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/hcert"
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

const dcc = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika","gnt":"ERIKA"},"dob":"1964-08-12",
"v":[{"tg":"840539006","vp":"1119349007","mp":"EU/1/20/1528","ma":"ORG-100030215","dn":2,"sd":2,"dt":"2021-05-29","co":"NL","is":"Ministry of Health","ci":"URN:UVCI:01:NL:42#B"}]}`

// TestIssueVerifyRevoke issues a DCC, verifies it with formats/hcert
// against a list naming its DSC, and computes its revocation hashes.
func TestIssueVerifyRevoke(t *testing.T) {
	cert, key := tt.Cert(t, tt.CertOptions{CommonName: "NL DSC", Country: "NL"})
	now := time.Now()
	exp := now.Add(24 * time.Hour).Truncate(time.Second)
	s, err := hcertissue.Issue([]byte(dcc), hcertissue.IssueOptions{Signer: key, Cert: cert, IssuedAt: now, Expires: exp})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, hcert.Prefix) {
		t.Fatalf("not an HC1 string: %.20s", s)
	}
	e := tt.Must(trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, ""))
	r, err := hcert.Format{}.Verify(context.Background(), []byte(s), &verify.Env{Trust: tt.TrustOne(t, "NL", e), At: now})
	if err != nil {
		t.Fatal(err)
	}
	if r.Finish(); !r.Valid {
		t.Fatalf("issued DCC does not verify: %+v", r.FirstFailure())
	}
	rv, err := hcertissue.RevocationOf([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rv.KID, hcertissue.KID(cert)) || !rv.Expires.Equal(exp) {
		t.Errorf("revocation kid %x expires %v, want %x %v", rv.KID, rv.Expires, hcertissue.KID(cert), exp)
	}
	types := map[string]bool{}
	for _, h := range rv.Hashes {
		types[string(h.Type)] = true
	}
	for _, want := range []trustlist.HashType{trustlist.HashSignature, trustlist.HashUCI, trustlist.HashCountryCodeUCI} {
		if !types[string(want)] {
			t.Errorf("no %s hash among %v", want, rv.Hashes)
		}
	}
	if _, err := hcertissue.RevocationOf([]byte("HC1:not base45!")); err == nil {
		t.Error("RevocationOf accepted garbage")
	}
}

// TestIssueRefuses checks the issuing preconditions.
func TestIssueRefuses(t *testing.T) {
	cert, key := tt.Cert(t, tt.CertOptions{CommonName: "NL DSC", Country: "NL"})
	_, other := tt.Cert(t, tt.CertOptions{CommonName: "other", Country: "NL"})
	now := time.Now()
	for name, c := range map[string]struct {
		json string
		o    hcertissue.IssueOptions
	}{
		"no key":        {dcc, hcertissue.IssueOptions{Cert: cert, Expires: now.Add(time.Hour)}},
		"wrong key":     {dcc, hcertissue.IssueOptions{Signer: other, Cert: cert, Expires: now.Add(time.Hour)}},
		"no expiry":     {dcc, hcertissue.IssueOptions{Signer: key, Cert: cert}},
		"not an object": {`[1]`, hcertissue.IssueOptions{Signer: key, Cert: cert, Expires: now.Add(time.Hour)}},
		"not JSON":      {`{`, hcertissue.IssueOptions{Signer: key, Cert: cert, Expires: now.Add(time.Hour)}},
	} {
		if _, err := hcertissue.Issue([]byte(c.json), c.o); err == nil {
			t.Errorf("%s: issued", name)
		}
	}
}
