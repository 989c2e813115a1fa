package pdf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/pki"
)

// TestAlgorithmPolicyTable pins the dates of spec/pdf.md §Algorithm policy
// (DSS's default constraints: ETSI TS 119 312 V1.4.2, TS 102 176-1): an
// algorithm is acceptable before the start of its year, refused from it,
// and only warned about past an end date later than the table's revision.
func TestAlgorithmPolicyTable(t *testing.T) {
	d := func(y, m, dd int) time.Time { return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC) }
	rsaKey := func(bits int) crypto.PublicKey {
		return &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), uint(bits-1)), E: 65537}
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	const ok, warn, fail = "ok", "warn", "fail"
	outcome := func(v verdict) string {
		switch {
		case v.fail != "":
			return fail
		case v.warn != "":
			return warn
		}
		return ok
	}
	for _, c := range []struct {
		name string
		v    verdict
		want string
	}{
		{"SHA-1 in 2008", digestVerdict(crypto.SHA1, d(2008, 12, 31), ""), ok},
		{"SHA-1 in 2009", digestVerdict(crypto.SHA1, d(2009, 1, 1), ""), fail},
		{"MD5 in 2004", digestVerdict(crypto.MD5, d(2004, 6, 1), ""), ok},
		{"MD5 in 2005", digestVerdict(crypto.MD5, d(2005, 6, 1), ""), fail},
		{"SHA-224 in 2025", digestVerdict(crypto.SHA224, d(2025, 6, 1), ""), ok},
		{"SHA-224 in 2026 (forecast passed)", digestVerdict(crypto.SHA224, d(2026, 6, 1), ""), warn},
		{"SHA-256 in 2028", digestVerdict(crypto.SHA256, d(2028, 6, 1), ""), ok},
		{"SHA-256 in 2030", digestVerdict(crypto.SHA256, d(2030, 6, 1), ""), warn},
		{"RSA-1024 in 2008", keyVerdict(rsaKey(1024), d(2008, 6, 1), ""), ok},
		{"RSA-1024 in 2010", keyVerdict(rsaKey(1024), d(2010, 6, 1), ""), fail},
		{"RSA-1536 in 2015", keyVerdict(rsaKey(1536), d(2015, 6, 1), ""), ok},
		{"RSA-1536 in 2016", keyVerdict(rsaKey(1536), d(2016, 6, 1), ""), fail},
		{"RSA-2048 in 2025", keyVerdict(rsaKey(2048), d(2025, 6, 1), ""), ok},
		{"RSA-2048 in 2026 (forecast passed)", keyVerdict(rsaKey(2048), d(2026, 6, 1), ""), warn},
		{"RSA-3072 in 2028", keyVerdict(rsaKey(3072), d(2028, 6, 1), ""), ok},
		{"RSA-512", keyVerdict(rsaKey(512), d(2000, 1, 1), ""), fail},
		{"P-256 in 2028", keyVerdict(&p256.PublicKey, d(2028, 1, 1), ""), ok},
		{"P-224 in 2015", keyVerdict(&p224.PublicKey, d(2015, 1, 1), ""), ok},
		{"P-224 in 2017", keyVerdict(&p224.PublicKey, d(2017, 1, 1), ""), fail},
		{"Ed25519", keyVerdict(edPub, d(2026, 1, 1), ""), ok},
	} {
		if got := outcome(c.v); got != c.want {
			t.Errorf("%s: %s (%+v), want %s", c.name, got, c.v, c.want)
		}
	}
	if v := keyVerdict(rsaKey(2048), d(2026, 6, 1), "the trusted signing time"); !strings.Contains(v.warn, "ETSI TS 119 312") {
		t.Errorf("the warning does not name its source: %q", v.warn)
	}
}

// TestSHA1PathRule pins the rule for SHA-1 in the signer's path: a
// certificate issued before 2016 passes with a warning, a later one fails,
// and a self-signed root's own signature is not judged.
func TestSHA1PathRule(t *testing.T) {
	mk := func(cn string, notBefore time.Time, ca bool, alg x509.SignatureAlgorithm, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(notBefore.Unix()), Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notBefore.AddDate(20, 0, 0),
			BasicConstraintsValid: true, IsCA: ca, SignatureAlgorithm: alg}
		if ca {
			tmpl.KeyUsage = x509.KeyUsageCertSign
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Skipf("crypto/x509 cannot make a SHA-1 certificate here: %v", err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, key
	}
	root, rootKey := mk("Old Root", time.Date(2005, 1, 1, 0, 0, 0, 0, time.UTC), true, x509.ECDSAWithSHA1, nil, nil)
	for _, c := range []struct {
		issued time.Time
		want   string
	}{
		{time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC), "warn"},
		{time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), "fail"},
	} {
		leaf, _ := mk("Signer", c.issued, false, x509.ECDSAWithSHA1, root, rootKey)
		pl, _ := pki.Parse(leaf.Raw)
		pr, _ := pki.Parse(root.Raw)
		j := &sigJob{cms: &signatureCMS{signer: pl, certs: []*pki.Certificate{pl, pr}}, t: &trust{}}
		vs := j.pathVerdicts()
		if len(vs) != 1 {
			t.Fatalf("issued %s: %d verdicts (%+v), want one for the signer (the self-signed root is not judged)", c.issued, len(vs), vs)
		}
		got := "warn"
		if vs[0].fail != "" {
			got = "fail"
		}
		if got != c.want {
			t.Errorf("SHA-1 signer certificate issued %s: %s (%+v), want %s", c.issued, got, vs[0], c.want)
		}
	}
}
