package pdf

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/internal/pdfsign"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

func claim(t *testing.T, r *verify.Result, part int, key string) any {
	t.Helper()
	if part >= len(r.Parts) {
		t.Fatalf("no part %d", part)
	}
	c, _ := r.Parts[part].Claims.(map[string]any)
	return c[key]
}

// TestIndications pins the ETSI EN 319 102-1 indication, sub-indication and
// PAdES level of each kind of signature.
func TestIndications(t *testing.T) {
	year := 365 * 24 * time.Hour
	s := newSigner(t, "Issuer")
	plain := s.sign(t, pdftest.Document(pdftest.Options{}), "r")
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, s.cert, false, "Issuer"))

	tsaC, tsaKey := tsaCert(t, "NL TSA", true, nil, nil)
	url := tsa{signer: tsaC, key: tsaKey, bag: []*x509.Certificate{tsaC}, at: time.Now().Add(-time.Hour)}.serve(t)
	stamped := stampedDoc(t, s, url)
	withDocTS, err := pdfsign.Sign(plain, pdfsign.Options{DocumentTimestamp: true, TSA: url})
	if err != nil {
		t.Fatal(err)
	}
	a := trustlisttest.NewAnchor(t, "NL")
	a.SignList(t, time.Time{}, year, pdfEntry(t, s.cert, false, "Issuer"), tsaEntry(t, tsaC, false, "NL TSA"))
	withTSA := trustlisttest.Set(t, a)

	tampered := bytes.Replace(plain, []byte("Page 1 of 1"), []byte("Page 1 of 2"), 1)
	stranger := newSigner(t, "Stranger").sign(t, pdftest.Document(pdftest.Options{}), "r")

	for _, tc := range []struct {
		name            string
		doc             []byte
		trust           verify.TrustedMaterial
		ind, sub, level string
	}{
		{"valid, no timestamp", plain, set, TotalPassed, "", "PAdES-BASELINE-B-B"},
		{"valid, trusted timestamp", stamped, withTSA, TotalPassed, "", "PAdES-BASELINE-B-T"},
		{"covered by a trusted document timestamp", withDocTS, withTSA, TotalPassed, "", "PAdES-BASELINE-B-T"},
		{"altered after signing", tampered, set, TotalFailed, "HASH_FAILURE", ""},
		{"signer not listed", stranger, set, Indeterminate, "NO_CERTIFICATE_CHAIN_FOUND", "PAdES-BASELINE-B-B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := run(t, tc.trust, tc.doc)
			if got := claim(t, r, 0, ClaimIndication); got != tc.ind {
				t.Fatalf("indication %v, want %s\n%s", got, tc.ind, dump(t, r))
			}
			if got, _ := claim(t, r, 0, ClaimSubIndication).(string); got != tc.sub {
				t.Fatalf("sub-indication %q, want %q\n%s", got, tc.sub, dump(t, r))
			}
			if got, _ := claim(t, r, 0, ClaimPAdESLevel).(string); got != tc.level {
				t.Fatalf("level %q, want %q\n%s", got, tc.level, dump(t, r))
			}
		})
	}
}
