package hcert_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/accord-network/accord/formats/base45"
	"github.com/accord-network/accord/formats/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

const vaccJSON = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika","gnt":"ERIKA"},"dob":"1964-08-12",
"v":[{"tg":"840539006","vp":"1119349007","mp":"EU/1/20/1528","ma":"ORG-100030215","dn":2,"sd":2,"dt":"2021-05-29","co":"NL","is":"Ministry of Health Welfare and Sport","ci":"URN:UVCI:01:NL:PlA8UWS60Z4RZXVALl6GAZ"}]}`

const testJSON = `{"ver":"1.3.0","nam":{"fn":"Musterfrau","fnt":"MUSTERFRAU","gn":"Erika","gnt":"ERIKA"},"dob":"1964-08-12",
"t":[{"tg":"840539006","tt":"LP6464-4","nm":"Roche LightCycler qPCR","sc":"2021-05-29T10:00:00Z","tr":"260415000","tc":"Test centre","co":"NL","is":"Ministry of Health Welfare and Sport","ci":"URN:UVCI:01:NL:TEST0001"}]}`

var (
	now   = time.Now().UTC().Truncate(time.Second)
	oidT  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1}
	oidV  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2}
	oidV0 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 2}
)

// dsc is a document signer: key, certificate and a trust set listing it.
type dsc struct {
	key  crypto.Signer
	cert *x509.Certificate
	set  *trustlist.Set
}

// newCert makes a certificate for pub signed by parent (self-signed if nil).
func newCert(t testing.TB, pub crypto.PublicKey, priv crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer, ca bool, ekus []asn1.ObjectIdentifier, nb, na time.Time) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "Test DSC", Country: []string{"NL"}},
		NotBefore: nb, NotAfter: na, UnknownExtKeyUsage: ekus, KeyUsage: x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: ca}
	if ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.Subject.CommonName = "Test CSCA"
	}
	if parent == nil {
		parent, parentKey = tmpl, priv
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "ES256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "PS256":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "EdDSA":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil || k == nil {
		t.Fatalf("key %s: %v", kind, err)
	}
	return k
}

func newDSC(t testing.TB, kind string, ekus ...asn1.ObjectIdentifier) *dsc {
	t.Helper()
	k := newKey(t, kind)
	c := newCert(t, k.Public(), k, nil, nil, false, ekus, now.Add(-24*time.Hour), now.Add(365*24*time.Hour))
	e, err := trustlist.NewX509Entry(c.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "")
	if err != nil {
		t.Fatal(err)
	}
	return &dsc{key: k, cert: c, set: trustlisttest.TrustOne(t, "NL", e)}
}

func (d *dsc) issue(t testing.TB, payload string) string {
	t.Helper()
	s, err := Issue([]byte(payload), IssueOptions{Signer: d.key, Cert: d.cert, IssuedAt: now.Add(-time.Hour), Expires: now.Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t testing.TB, trust verify.TrustedMaterial, in []byte) (*verify.Result, error) {
	t.Helper()
	r, err := hcert.Format{}.Verify(context.Background(), in, &verify.Env{Trust: trust, At: now})
	if r != nil {
		r.Finish()
	}
	return r, err
}

func status(r *verify.Result, name string) verify.Status {
	if c := r.Check(name); c != nil {
		return c.Status
	}
	return ""
}

func mustValid(t *testing.T, r *verify.Result, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !r.Valid {
		t.Fatalf("not valid: %+v", r.Checks)
	}
}

func TestRoundTripAllAlgorithms(t *testing.T) {
	for _, alg := range []string{"ES256", "PS256", "ES384", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			d := newDSC(t, alg)
			hc1doc := d.issue(t, vaccJSON)
			if !strings.HasPrefix(hc1doc, "HC1:") || !(hcert.Format{}).Detect([]byte(hc1doc)) {
				t.Fatalf("bad HC1 %q", hc1doc[:10])
			}
			r, err := run(t, d.set, []byte(hc1doc))
			mustValid(t, r, err)
			if !strings.Contains(r.Check(verify.CheckSignature).Detail, alg) {
				t.Errorf("signature detail: %s", r.Check(verify.CheckSignature).Detail)
			}
			fields := map[string]string{}
			for _, f := range r.Summary {
				fields[f.Label] = f.Value
			}
			if fields["Name"] != "Erika Musterfrau" || fields["Date of birth"] != "1964-08-12" || fields["Issuer country (claimed, iss)"] != "NL" ||
				!strings.HasPrefix(fields["Certificate type"], "vaccination (dose 2 of 2)") || fields["Certificate id"] == "" {
				t.Errorf("summary %v", fields)
			}
			if r.Issuer == nil || r.Issuer.Country != "NL" {
				t.Errorf("issuer %+v", r.Issuer)
			}
			// Raw COSE bytes verify too.
			cose, err := Sign([]byte(vaccJSON), IssueOptions{Signer: d.key, Cert: d.cert, Expires: now.Add(time.Hour), IssuedAt: now.Add(-time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if !(hcert.Format{}).Detect(cose) {
				t.Fatal("raw COSE not detected")
			}
			r, err = run(t, d.set, cose)
			mustValid(t, r, err)
		})
	}
}

// coseParts builds COSE_Sign1 messages with arbitrary headers, for the
// cases real issuers get wrong.
type coseParts struct {
	prot, unprot map[any]any
	payload      []byte
	sig          []byte // if nil, signed with key
	key          crypto.Signer
	hash         crypto.Hash // for ECDSA signing (default SHA-256)
	der          bool        // ECDSA: emit a DER signature instead of r‖s
	tags         []uint64    // outermost first; nil means [18]
	untagged     bool
}

func cwtPayload(t testing.TB, iat, exp any, dccJSON string) []byte {
	t.Helper()
	dcc, err := jsonToCBORValue([]byte(dccJSON))
	if err != nil {
		t.Fatal(err)
	}
	claims := map[any]any{1: "NL", -260: map[any]any{1: dcc}}
	if iat != nil {
		claims[6] = iat
	}
	if exp != nil {
		claims[4] = exp
	}
	b, err := encMode.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (p coseParts) build(t testing.TB) []byte {
	t.Helper()
	var protBytes []byte
	if len(p.prot) > 0 {
		var err error
		if protBytes, err = encMode.Marshal(p.prot); err != nil {
			t.Fatal(err)
		}
	}
	if p.unprot == nil {
		p.unprot = map[any]any{}
	}
	sig := p.sig
	if sig == nil {
		tbs := appendSigStructure(nil, protBytes, p.payload)
		switch k := p.key.(type) {
		case *ecdsa.PrivateKey:
			var h []byte
			if p.hash == crypto.SHA384 {
				s := sha512.Sum384(tbs)
				h = s[:]
			} else {
				s := sha256.Sum256(tbs)
				h = s[:]
			}
			if p.der {
				sig, _ = ecdsa.SignASN1(rand.Reader, k, h)
			} else {
				r, s, _ := ecdsa.Sign(rand.Reader, k, h)
				n := (k.Curve.Params().BitSize + 7) / 8
				sig = make([]byte, 2*n)
				r.FillBytes(sig[:n])
				s.FillBytes(sig[n:])
			}
		case *rsa.PrivateKey:
			h := sha256.Sum256(tbs)
			sig, _ = rsa.SignPSS(rand.Reader, k, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		case ed25519.PrivateKey:
			sig = ed25519.Sign(k, tbs)
		}
	}
	arr := []any{protBytes, p.unprot, p.payload, sig}
	if protBytes == nil {
		arr[0] = []byte{}
	}
	b, err := encMode.Marshal(arr)
	if err != nil {
		t.Fatal(err)
	}
	tags := p.tags
	if tags == nil && !p.untagged {
		tags = []uint64{18}
	}
	for i := len(tags) - 1; i >= 0; i-- {
		b, err = encMode.Marshal(cbor.RawTag{Number: tags[i], Content: b})
		if err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func hc1doc(cose []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(cose)
	zw.Close()
	return []byte(hcert.Prefix + base45.Encode(buf.Bytes()))
}

func TestGeneratedFixtures(t *testing.T) {
	es := newDSC(t, "ES256")
	ps := newDSC(t, "PS256")
	kid := KID(es.cert)
	good := cwtPayload(t, now.Add(-time.Hour).Unix(), now.Add(time.Hour).Unix(), vaccJSON)
	base := func() coseParts {
		return coseParts{prot: map[any]any{1: AlgES256, 4: kid}, payload: good, key: es.key}
	}
	type want struct {
		valid   bool
		step    hcert.Step // decode failure step, if any
		checks  map[string]verify.Status
		contain string // substring of the first failure or decode error
	}
	for _, c := range []struct {
		name  string
		parts func() coseParts
		trust verify.TrustedMaterial
		raw   []byte // overrides parts
		want  want
	}{
		{name: "valid ES256", parts: base, want: want{valid: true}},
		{name: "tag 61 around tag 18", parts: func() coseParts { p := base(); p.tags = []uint64{61, 18}; return p }, want: want{valid: true}},
		{name: "untagged", parts: func() coseParts { p := base(); p.untagged = true; return p }, want: want{valid: true}},
		{name: "tag 61 alone", parts: func() coseParts { p := base(); p.tags = []uint64{61}; return p }, want: want{step: hcert.StepCOSE, contain: "tags [61]"}},
		{name: "tag 98 (COSE_Sign)", parts: func() coseParts { p := base(); p.tags = []uint64{98}; return p }, want: want{step: hcert.StepCOSE, contain: "tags [98]"}},
		{name: "tag 18 around tag 61", parts: func() coseParts { p := base(); p.tags = []uint64{18, 61}; return p }, want: want{step: hcert.StepCOSE}},
		{name: "oversized signature (300 bytes)", parts: func() coseParts { p := base(); p.sig = bytes.Repeat([]byte{0x42}, 300); return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "300 bytes, must be 64"}},
		{name: "DER ECDSA signature", parts: func() coseParts { p := base(); p.der = true; return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "looks like DER"}},
		{name: "empty signature", parts: func() coseParts { p := base(); p.sig = []byte{}; return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "0 bytes"}},
		{name: "bit flip in signature", parts: func() coseParts {
			p := base()
			p2 := p
			p2.sig = nil
			b := p2.build(t)
			sig := bytes.Clone(b[len(b)-64:])
			sig[10] ^= 1
			p.sig = sig
			return p
		}, want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "does not verify"}},
		{name: "kid of 0 bytes", parts: func() coseParts { p := base(); p.prot[4] = []byte{}; return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Skip, verify.CheckIssuerTrusted: verify.Fail}, contain: "0 bytes"}},
		{name: "kid of 3 bytes", parts: func() coseParts { p := base(); p.prot[4] = kid[:3]; return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Skip, verify.CheckIssuerTrusted: verify.Fail}, contain: "3 bytes"}},
		{name: "kid of 16 bytes", parts: func() coseParts { p := base(); p.prot[4] = append(bytes.Clone(kid), kid...); return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Skip, verify.CheckIssuerTrusted: verify.Fail}, contain: "16 bytes"}},
		{name: "kid of 64 bytes", parts: func() coseParts { p := base(); p.prot[4] = bytes.Repeat(kid, 8); return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Skip, verify.CheckIssuerTrusted: verify.Fail}, contain: "64 bytes"}},
		{name: "kid not a byte string", parts: func() coseParts { p := base(); p.prot[4] = "kid"; return p }, want: want{step: hcert.StepCOSE, contain: "kid is a text string"}},
		{name: "no kid anywhere", parts: func() coseParts { p := base(); delete(p.prot, 4); return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "no kid"}},
		{name: "kid only in unprotected header", parts: func() coseParts { p := base(); delete(p.prot, 4); p.unprot = map[any]any{4: kid}; return p }, want: want{valid: true}},
		{name: "protected kid wins over a wrong unprotected kid", parts: func() coseParts { p := base(); p.unprot = map[any]any{4: []byte("12345678")}; return p }, want: want{valid: true}},
		{name: "wrong protected kid, right unprotected kid", parts: func() coseParts {
			p := base()
			p.prot[4] = []byte("12345678")
			p.unprot = map[any]any{4: kid}
			return p
		},
			want: want{checks: map[string]verify.Status{verify.CheckIssuerTrusted: verify.Fail}}},
		{name: "alg only in unprotected header", parts: func() coseParts { p := base(); delete(p.prot, 1); p.unprot = map[any]any{1: AlgES256}; return p }, want: want{valid: true}},
		{name: "unknown alg -999", parts: func() coseParts { p := base(); p.prot[1] = -999; return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "alg -999 is not supported"}},
		{name: "text alg", parts: func() coseParts { p := base(); p.prot[1] = "ES256"; return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "not supported"}},
		{name: "no alg", parts: func() coseParts { p := base(); delete(p.prot, 1); return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "no alg"}},
		{name: "PS256 header on an EC key", parts: func() coseParts { p := base(); p.prot[1] = AlgPS256; return p },
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "needs an RSA key"}},
		{name: "ES256 header on an RSA key", parts: func() coseParts {
			return coseParts{prot: map[any]any{1: AlgES256, 4: KID(ps.cert)}, payload: good, key: ps.key}
		}, trust: ps.set, want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Fail}, contain: "needs an ECDSA P-256 key, but the DSC has an RSA-2048 key"}},
		{name: "valid PS256", parts: func() coseParts {
			return coseParts{prot: map[any]any{1: AlgPS256, 4: KID(ps.cert)}, payload: good, key: ps.key}
		}, trust: ps.set, want: want{valid: true}},
		{name: "float iat and exp", parts: func() coseParts {
			p := base()
			p.payload = cwtPayload(t, float64(now.Add(-time.Hour).Unix())+0.5, float64(now.Add(time.Hour).Unix())+0.25, vaccJSON)
			return p
		}, want: want{valid: true}},
		{name: "expired", parts: func() coseParts {
			p := base()
			p.payload = cwtPayload(t, now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix(), vaccJSON)
			return p
		}, want: want{checks: map[string]verify.Status{verify.CheckNotExpired: verify.Fail, verify.CheckSignature: verify.Pass}, contain: "expired at"}},
		{name: "iat in the future", parts: func() coseParts {
			p := base()
			p.payload = cwtPayload(t, now.Add(time.Hour).Unix(), now.Add(2*time.Hour).Unix(), vaccJSON)
			return p
		}, want: want{checks: map[string]verify.Status{verify.CheckNotExpired: verify.Fail}, contain: "after the verification time"}},
		{name: "no exp", parts: func() coseParts { p := base(); p.payload = cwtPayload(t, now.Unix()-10, nil, vaccJSON); return p },
			want: want{checks: map[string]verify.Status{verify.CheckNotExpired: verify.Fail}, contain: "no exp"}},
		{name: "exp is text", parts: func() coseParts { p := base(); p.payload = cwtPayload(t, now.Unix(), "tomorrow", vaccJSON); return p },
			want: want{step: hcert.StepCWT, contain: "not a number"}},
		{name: "payload not a map", parts: func() coseParts { p := base(); p.payload = []byte{0x01}; return p }, want: want{step: hcert.StepCWT}},
		{name: "no hcert claim", parts: func() coseParts { p := base(); p.payload, _ = encMode.Marshal(map[int]any{1: "NL"}); return p }, want: want{step: hcert.StepCWT, contain: "-260"}},
		{name: "schema violation", parts: func() coseParts {
			p := base()
			p.payload = cwtPayload(t, now.Unix()-10, now.Unix()+3600, strings.Replace(vaccJSON, `"dn":2`, `"dn":"two"`, 1))
			return p
		}, want: want{checks: map[string]verify.Status{verify.CheckSchema: verify.Fail, verify.CheckSignature: verify.Pass}, contain: "/v/0/dn"}},
		{name: "key not listed", parts: base, trust: ps.set,
			want: want{checks: map[string]verify.Status{verify.CheckSignature: verify.Skip, verify.CheckIssuerTrusted: verify.Fail}, contain: "not listed"}},
		{name: "HC2 prefix", raw: []byte("HC2:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH"), want: want{step: hcert.StepPrefix, contain: `"HC2:" is not supported`}},
		{name: "HL0 prefix", raw: []byte("HL0:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH"), want: want{step: hcert.StepPrefix, contain: `"HL0:"`}},
		{name: "HC1 text longer than any QR code", raw: append([]byte("HC1:"), bytes.Repeat([]byte("NCF"), hcert.MaxText/3+1)...), want: want{step: hcert.StepBase45, contain: "more than any DCC"}},
		{name: "bad base45", raw: []byte("HC1:NCF~~~"), want: want{step: hcert.StepBase45, contain: "not in the base45 alphabet"}},
		{name: "zlib stream truncated", raw: func() []byte {
			h := hc1doc(base().build(t))
			b, _ := base45.Decode(string(h[4:]))
			return []byte(hcert.Prefix + base45.Encode(b[:len(b)/2]))
		}(), want: want{step: hcert.StepZlib}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.raw
			if in == nil {
				in = hc1doc(c.parts().build(t))
			}
			trust := c.trust
			if trust == nil {
				trust = es.set
			}
			r, err := run(t, trust, in)
			if c.want.step != "" {
				if err == nil || hcert.StepOf(err) != c.want.step || !errors.Is(err, verify.ErrMalformed) {
					t.Fatalf("want a %s decode error wrapping ErrMalformed, got %v", c.want.step, err)
				}
				if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), c.want.contain) {
					t.Fatalf("error %q should be one line containing %q", err, c.want.contain)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected decode error: %v", err)
			}
			if r.Valid != c.want.valid {
				t.Fatalf("valid = %v, want %v: %+v", r.Valid, c.want.valid, r.Checks)
			}
			for name, st := range c.want.checks {
				if got := status(r, name); got != st {
					t.Errorf("%s = %s, want %s (%+v)", name, got, st, r.Check(name))
				}
			}
			if c.want.contain != "" {
				all := ""
				for _, ch := range r.Checks {
					all += ch.Detail + "\n"
				}
				all += strings.Join(r.Warnings, "\n")
				if !strings.Contains(all, c.want.contain) {
					t.Errorf("no check or warning mentions %q:\n%s", c.want.contain, all)
				}
			}
		})
	}
}

func TestZlibBomb(t *testing.T) {
	// 256 MiB of zeros deflate to about 250 KiB: a QR-sized input that
	// would take a quarter gigabyte if inflated without a bound.
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zero := make([]byte, 1<<20)
	for i := 0; i < 256; i++ {
		zw.Write(zero)
	}
	zw.Close()
	in := []byte(hcert.Prefix + base45.Encode(buf.Bytes()))
	t.Logf("bomb: %d bytes of HC1 inflating to 256 MiB", len(in))
	var before, after runtimeMem
	before.read()
	_, err := run(t, nil, in)
	after.read()
	if hcert.StepOf(err) != hcert.StepZlib || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("want a zlib bound error, got %v", err)
	}
	if grew := after.total - before.total; grew > 64<<20 {
		t.Errorf("allocated %d MiB decoding a bomb", grew>>20)
	}
}

func TestUncompressedAccepted(t *testing.T) {
	d := newDSC(t, "ES256")
	s, err := Issue([]byte(testJSON), IssueOptions{Signer: d.key, Cert: d.cert, Expires: now.Add(time.Hour), IssuedAt: now.Add(-time.Minute), Uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := run(t, d.set, []byte(s))
	mustValid(t, r, err)
	if !strings.Contains(r.Check(verify.CheckDecoded).Detail, "uncompressed") {
		t.Errorf("decoded detail: %s", r.Check(verify.CheckDecoded).Detail)
	}
}

func TestKeyUsage(t *testing.T) {
	for _, c := range []struct {
		name    string
		ekus    []asn1.ObjectIdentifier
		payload string
		want    verify.Status
	}{
		{"no EKU: all allowed", nil, testJSON, verify.Pass},
		{"test OID, test DCC", []asn1.ObjectIdentifier{oidT}, testJSON, verify.Pass},
		{"test OID, vaccination DCC", []asn1.ObjectIdentifier{oidT}, vaccJSON, verify.Fail},
		{"vaccination OID, vaccination DCC", []asn1.ObjectIdentifier{oidV}, vaccJSON, verify.Pass},
		{"vaccination OID (.0. variant), test DCC", []asn1.ObjectIdentifier{oidV0}, testJSON, verify.Fail},
		{"vaccination OID (.0. variant), vaccination DCC", []asn1.ObjectIdentifier{oidV0}, vaccJSON, verify.Pass},
		{"unrelated EKU only: all allowed", []asn1.ObjectIdentifier{{2, 23, 136, 1, 1, 14, 2}}, vaccJSON, verify.Pass},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newDSC(t, "ES256", c.ekus...)
			r, err := run(t, d.set, []byte(d.issue(t, c.payload)))
			if err != nil {
				t.Fatal(err)
			}
			if got := status(r, verify.CheckKeyUsage); got != c.want {
				t.Fatalf("key_usage %s, want %s: %s", got, c.want, r.Check(verify.CheckKeyUsage).Detail)
			}
			if r.Valid != (c.want == verify.Pass) {
				t.Fatalf("valid %v", r.Valid)
			}
		})
	}
}

func TestRevokedAndExpiredDSC(t *testing.T) {
	k := newKey(t, "ES256")
	cert := newCert(t, k.Public(), k, nil, nil, false, nil, now.Add(-48*time.Hour), now.Add(365*24*time.Hour))
	e, _ := trustlist.NewX509Entry(cert.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "")
	a := trustlisttest.NewAnchor(t, "NL")
	a.SignList(t, time.Time{}, 24*time.Hour, e)
	rev := *e
	rev.Status, rev.RevokedAt, rev.Reason = trustlist.StatusRevoked, now.Add(-30*time.Minute), "key compromise"
	a.SignList(t, now.Add(-10*time.Minute), 24*time.Hour, &rev)
	set := trustlisttest.Set(t, a)
	d := &dsc{key: k, cert: cert}
	r, err := run(t, set, []byte(d.issue(t, vaccJSON)))
	if err != nil {
		t.Fatal(err)
	}
	if status(r, verify.CheckNotRevoked) != verify.Fail || r.Valid || !strings.Contains(r.Check(verify.CheckNotRevoked).Detail, "key compromise") {
		t.Fatalf("revoked DSC: %+v", r.Checks)
	}

	// A DSC whose certificate has expired at the verification time.
	k2 := newKey(t, "ES256")
	old := newCert(t, k2.Public(), k2, nil, nil, false, nil, now.Add(-48*time.Hour), now.Add(-time.Hour))
	e2, _ := trustlist.NewX509Entry(old.Raw, false, []trustlist.DocType{trustlist.DocHCert}, "")
	set2 := trustlisttest.TrustOne(t, "NL", e2)
	s, err := Issue([]byte(vaccJSON), IssueOptions{Signer: k2, Cert: old, IssuedAt: now.Add(-2 * time.Hour), Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	r, err = run(t, set2, []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if status(r, verify.CheckNotExpired) != verify.Fail || !strings.Contains(r.Check(verify.CheckNotExpired).Detail, "the DSC expired") {
		t.Fatalf("expired DSC: %+v", r.Check(verify.CheckNotExpired))
	}
	// The iat lies inside the DSC's validity, but it is only the signer's
	// claim: an expired key cannot vouch for it (spec/verify.md §Issuer checks).
	if c := r.Check(verify.CheckKeyValidAtSigning); c.Status != verify.Fail || !strings.Contains(c.Detail, "no longer covers the verification time") {
		t.Fatalf("a claimed iat inside an expired DSC's validity: %+v", c)
	}
}

func TestCSCAChain(t *testing.T) {
	caKey := newKey(t, "ES256")
	ca := newCert(t, caKey.Public(), caKey, nil, nil, true, nil, now.Add(-48*time.Hour), now.Add(5*365*24*time.Hour))
	k := newKey(t, "ES256")
	chained := newCert(t, k.Public(), k, ca, caKey, false, nil, now.Add(-24*time.Hour), now.Add(365*24*time.Hour))
	k2 := newKey(t, "ES256")
	loose := newCert(t, k2.Public(), k2, nil, nil, false, nil, now.Add(-24*time.Hour), now.Add(365*24*time.Hour))
	entry := func(c *x509.Certificate, isCA bool) *trustlist.Entry {
		e, err := trustlist.NewX509Entry(c.Raw, isCA, []trustlist.DocType{trustlist.DocHCert}, "")
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	set := trustlisttest.TrustOne(t, "NL", entry(ca, true), entry(chained, false), entry(loose, false))
	r, err := run(t, set, []byte((&dsc{key: k, cert: chained}).issue(t, vaccJSON)))
	mustValid(t, r, err)
	if status(r, hcert.CheckIssuerChain) != verify.Pass {
		t.Fatalf("chain: %+v", r.Check(hcert.CheckIssuerChain))
	}
	r, err = run(t, set, []byte((&dsc{key: k2, cert: loose}).issue(t, vaccJSON)))
	if err != nil {
		t.Fatal(err)
	}
	if status(r, hcert.CheckIssuerChain) != verify.Fail || r.Valid {
		t.Fatalf("a DSC outside the CSCA must fail: %+v", r.Check(hcert.CheckIssuerChain))
	}
	// A CSCA's kid is not a document signer.
	caDoc := coseParts{prot: map[any]any{1: AlgES256, 4: KID(ca)}, payload: cwtPayload(t, now.Unix()-5, now.Unix()+60, vaccJSON), key: caKey}
	r, err = run(t, set, hc1doc(caDoc.build(t)))
	if err != nil {
		t.Fatal(err)
	}
	if status(r, verify.CheckIssuerTrusted) != verify.Fail || !strings.Contains(r.Check(verify.CheckIssuerTrusted).Detail, "CA") {
		t.Fatalf("CSCA-signed document: %+v", r.Check(verify.CheckIssuerTrusted))
	}
}

func TestDetect(t *testing.T) {
	f := hcert.Format{}
	for _, in := range []string{"HC1:NCF", "  HC1:NCF\n", "HC2:NCFOXN", "HL0:NCF", "\xd2\x84\x43\xa1", "\xd8\x3d\xd2\x84", "\x84\x43\xa1\x01"} {
		if !f.Detect([]byte(in)) {
			t.Errorf("Detect(%q) = false", in)
		}
	}
	for _, in := range []string{"", "HC1", "%PDF-1.7", "{\"a\":1}", "URN:UVCI:01:NL", "hello world, not a certificate", "\x89PNG\r\n\x1a\n"} {
		if f.Detect([]byte(in)) {
			t.Errorf("Detect(%q) = true", in)
		}
	}
	// A bare base45 payload (prefix lost) is detected, then refused clearly.
	d := newDSC(t, "ES256")
	bare := d.issue(t, vaccJSON)[4:]
	if !f.Detect([]byte(bare)) {
		t.Fatal("bare base45 not detected")
	}
	_, err := run(t, d.set, []byte(bare))
	if hcert.StepOf(err) != hcert.StepPrefix || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("bare base45: %v", err)
	}
}

func TestVerifierIntegration(t *testing.T) {
	d := newDSC(t, "ES256")
	v := verify.New(d.set, verify.Options{At: now})
	r, err := v.Verify(context.Background(), []byte(d.issue(t, vaccJSON)))
	mustValid(t, r, err)
	if r.Format != hcert.Name {
		t.Fatalf("format %q", r.Format)
	}
}

func TestIssueRefuses(t *testing.T) {
	d := newDSC(t, "ES256")
	other := newKey(t, "ES256")
	for name, c := range map[string]struct {
		json string
		o    IssueOptions
	}{
		"key of another cert": {vaccJSON, IssueOptions{Signer: other, Cert: d.cert, Expires: now.Add(time.Hour)}},
		"no expiry":           {vaccJSON, IssueOptions{Signer: d.key, Cert: d.cert}},
		"not JSON":            {"{", IssueOptions{Signer: d.key, Cert: d.cert, Expires: now.Add(time.Hour)}},
		"array":               {"[1]", IssueOptions{Signer: d.key, Cert: d.cert, Expires: now.Add(time.Hour)}},
	} {
		if _, err := Issue([]byte(c.json), c.o); err == nil {
			t.Errorf("%s: Issue succeeded", name)
		}
	}
}

func TestVerifyAllConcurrent(t *testing.T) {
	es, ps := newDSC(t, "ES256"), newDSC(t, "PS256")
	set := bulkSet(t, []*trustlistEntry{{d: es}, {d: ps}})
	docs := [][]byte{[]byte(es.issue(t, vaccJSON)), []byte(ps.issue(t, testJSON)), []byte("HC1:NCF~"), []byte("HC2:NCFOXN%TS3")}
	var jobs []verify.Job
	for i := 0; i < 200; i++ {
		jobs = append(jobs, verify.Job{Data: docs[i%len(docs)]})
	}
	valid, malformed := 0, 0
	verify.New(set, verify.Options{At: now}).VerifyAll(context.Background(), jobs, 4, func(o verify.Outcome) {
		switch {
		case o.Err != nil && errors.Is(o.Err, verify.ErrMalformed):
			malformed++
		case o.Err == nil && o.Result.Valid:
			valid++
		}
	})
	if valid != 100 || malformed != 100 {
		t.Fatalf("valid %d, malformed %d; want 100 each", valid, malformed)
	}
}
