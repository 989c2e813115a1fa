package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/brainpool"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

const fixtures = "../../../shared/fixtures"

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, rel))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared fixtures absent (%s): skipping real-data test", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The brainpool constants here (from OpenSSL's explicit encodings) must
// describe the same curves as the implementation: the generator lies on
// y² = x³ + ax + b, and p, n and G agree with the implementation's.
func TestBrainpoolConstants(t *testing.T) {
	for _, nc := range curves() {
		if !nc.onCurve(nc.gx, nc.gy) {
			t.Errorf("%s: generator not on the curve", nc.name)
		}
		p := nc.curve().Params()
		if p.P.Cmp(nc.p) != 0 || p.N.Cmp(nc.n) != 0 || p.Gx.Cmp(nc.gx) != 0 || p.Gy.Cmp(nc.gy) != 0 {
			t.Errorf("%s: constants differ from the implementation's", nc.name)
		}
		if nc.name[0] == 'b' && new(big.Int).Sub(nc.p, nc.a).Cmp(big.NewInt(3)) == 0 {
			t.Errorf("%s: a = -3 would mean the wrong curve", nc.name)
		}
	}
}

func TestBrainpoolSignVerify(t *testing.T) {
	for _, c := range []elliptic.Curve{brainpool.P256r1(), brainpool.P384r1(), brainpool.P512r1()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte("accord brainpool")
		d := sha256.Sum256(msg)
		sig, err := ecdsa.SignASN1(rand.Reader, k, d[:])
		if err != nil {
			t.Fatal(err)
		}
		// The key goes through this package's point decoding, as a certificate's would.
		nc := curveByName(t, CurveName(c))
		raw := append([]byte{4}, append(k.X.FillBytes(make([]byte, nc.byteLen())), k.Y.FillBytes(make([]byte, nc.byteLen()))...)...)
		pub, err := nc.publicKey(raw)
		if err != nil {
			t.Fatal(err)
		}
		alg := SignatureAlgorithm{Key: KeyECDSA, Hash: crypto.SHA256}
		if err := VerifySignature(pub, alg, 0, msg, sig); err != nil {
			t.Errorf("%s: %v", CurveName(c), err)
		}
		if err := VerifySignature(pub, alg, 0, []byte("accord brainpooL"), sig); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: altered message: %v", CurveName(c), err)
		}
		raw[len(raw)-1] ^= 1
		if _, err := nc.publicKey(raw); err == nil {
			t.Errorf("%s: a point off the curve was accepted", CurveName(c))
		}
	}
}

func curveByName(t *testing.T, name string) *namedCurve {
	for _, nc := range curves() {
		if nc.name == name {
			return nc
		}
	}
	t.Fatalf("no curve %q", name)
	return nil
}

// Germany's CSCA: brainpoolP512r1 given by explicit parameters, ECDSA-SHA512,
// refused by crypto/x509.
func TestGermanCSCA(t *testing.T) {
	der := readFixture(t, "icao-masterlist/icao-ml-tools/csca-germany_05-2019_self_signed.cer")
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Log("crypto/x509 now accepts this certificate")
	}
	c, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.Curve != "brainpoolP512r1" || !c.ExplicitCurve || c.SignatureAlgorithm.Hash != crypto.SHA512 || !c.IsCA {
		t.Fatalf("curve %s explicit %v alg %v CA %v", c.Curve, c.ExplicitCurve, c.SignatureAlgorithm, c.IsCA)
	}
	if c.Subject.CommonName != "csca-germany" || c.SerialNumber.Int64() != 0x44d || c.NotAfter.Year() != 2033 {
		t.Fatalf("subject %s serial %v notAfter %v", c.Subject, c.SerialNumber, c.NotAfter)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Fatalf("self-signature: %v", err)
	}
	bad := append([]byte(nil), der...)
	i := len(c.Raw) - len(c.Signature) - 200 // inside the TBS
	bad[i] ^= 0x01
	if bc, err := Parse(bad); err == nil {
		if err := bc.CheckSignatureFrom(c); err == nil {
			t.Fatal("an altered certificate verified")
		}
	}
	xc := c.X509()
	if xc.Subject.CommonName != "csca-germany" || xc.PublicKey == nil {
		t.Fatal("X509() lost fields")
	}
}

// The five real master lists: every SignerInfo verifies against its signer
// (the two UN lists only through the absent-NULL DigestInfo tolerance), every
// signer chains to its CSCA, and the CSCAs inside parse, crypto/x509-refused
// ones included.
func TestMasterLists(t *testing.T) {
	lists := []struct{ file, csca string }{
		{"icao-ml-tools/20210315_DEMasterList.ml", ""},
		{"icao-ml-tools/ICAO_ML_Jan2021.ml", "icao-ml-tools/ICAO-csca.der"},
		{"icao-ml-tools/NL_MASTERLIST_20191217.mls", ""},
		{"ddcc-validator/ICAOMLJune2022.ml", "icao-ml-tools/ICAO-csca.der"},
		{"ddcc-validator/ICAOHealthML27May2022.ml", ""},
	}
	algs := map[string]int{}
	for _, l := range lists {
		sd, err := ParseSignedData(readFixture(t, "icao-masterlist/"+l.file))
		if err != nil {
			t.Fatalf("%s: %v", l.file, err)
		}
		si := sd.SignerInfos[0]
		signer, err := si.FindSigner(sd.Certificates)
		if err != nil {
			t.Fatalf("%s: %v", l.file, err)
		}
		if err := si.Verify(sd.ContentType, sd.Content, signer); err != nil {
			t.Errorf("%s: signer info: %v", l.file, err)
		}
		altered := append([]byte(nil), sd.Content...)
		altered[len(altered)/2] ^= 1
		if err := si.Verify(sd.ContentType, altered, signer); err == nil {
			t.Errorf("%s: altered content verified", l.file)
		}
		certs := mlCerts(t, sd.Content)
		var refusedByX509, selfSigned int
		parents := append([][]byte{}, sd.Certificates...)
		if l.csca != "" {
			parents = append(parents, readFixture(t, "icao-masterlist/"+l.csca))
		}
		parents = append(parents, certs...)
		chained := false
		for _, p := range parents {
			pc, err := Parse(p)
			if err == nil && signer.CheckSignatureFrom(pc) == nil {
				chained = true
			}
		}
		if !chained {
			t.Errorf("%s: the master-list signer chains to no CSCA given", l.file)
		}
		var failed int
		parsed := map[string][]*Certificate{}
		for _, der := range certs {
			if c, err := Parse(der); err == nil {
				parsed[string(c.RawSubject)] = append(parsed[string(c.RawSubject)], c)
			}
		}
		for _, der := range certs {
			c, err := Parse(der)
			if err != nil {
				failed++
				t.Logf("%s: %v", l.file, err)
				continue
			}
			if !c.CryptoX509Accepts() {
				refusedByX509++
			}
			algs[c.SignatureAlgorithm.String()+"/"+string(c.KeyType)+" "+c.Curve]++
			if string(c.RawIssuer) == string(c.RawSubject) {
				// Self-issued: self-signed, or a link certificate signed by
				// the same CSCA's previous key. One of them must verify.
				var err error
				for _, p := range parsed[string(c.RawIssuer)] {
					if err = c.CheckSignatureFrom(p); err == nil {
						break
					}
				}
				if err != nil {
					failed++
					t.Logf("%s: self-issued %s: %v", l.file, c.Subject, err)
				}
				selfSigned++
			}
		}
		t.Logf("%s: %d CSCAs, %d refused by crypto/x509, %d self-signed verified, %d failed", l.file, len(certs), refusedByX509, selfSigned, failed)
		if failed > len(certs)/50 {
			t.Errorf("%s: %d of %d certificates failed", l.file, failed, len(certs))
		}
	}
	t.Logf("algorithms: %v", algs)
	for _, want := range []string{"RSASSA-PSS-SHA-256/RSA ", "ECDSA-SHA-256/ECDSA brainpoolP256r1", "RSA-PKCS1v15-SHA-1/RSA "} {
		if algs[want] == 0 {
			t.Errorf("no %q certificate verified in the real lists", want)
		}
	}
}

func mlCerts(t *testing.T, content []byte) [][]byte {
	s := cryptobyte.String(content)
	var seq, set cryptobyte.String
	var v int64
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(&v) || !seq.ReadASN1(&set, cbasn1.SET) {
		t.Fatal("malformed CscaMasterList")
	}
	var out [][]byte
	for !set.Empty() {
		var c cryptobyte.String
		if !set.ReadASN1Element(&c, cbasn1.SEQUENCE) {
			t.Fatal("malformed certificate in the list")
		}
		out = append(out, c)
	}
	return out
}

// DSCs from the DE gateway list: all parse, including those with negative
// serial numbers that crypto/x509 refuses; each kid is SHA-256(DER)[:8].
func TestDCCGatewayCertificates(t *testing.T) {
	var list struct {
		Certificates []struct {
			Kid, RawData string
		}
	}
	if err := json.Unmarshal(readFixture(t, "dcc-trustlists/trustlist_de.json"), &list); err != nil {
		t.Fatal(err)
	}
	var negative, refused int
	for _, it := range list.Certificates {
		der, _ := base64.StdEncoding.DecodeString(it.RawData)
		c, err := Parse(der)
		if err != nil {
			t.Errorf("%s: %v", it.Kid, err)
			continue
		}
		if c.SerialNumber.Sign() < 0 {
			negative++
		}
		if !c.CryptoX509Accepts() {
			refused++
			if c.X509().SerialNumber.Cmp(c.SerialNumber) != 0 {
				t.Error("X509() serial differs")
			}
		}
		sum := sha256.Sum256(der)
		if base64.StdEncoding.EncodeToString(sum[:8]) != it.Kid {
			t.Errorf("kid %s is not SHA-256(DER)[:8]", it.Kid)
		}
	}
	t.Logf("%d DSCs, %d with a negative serial, %d refused by crypto/x509", len(list.Certificates), negative, refused)
	if negative == 0 {
		t.Error("expected DSCs with negative serial numbers in the real list")
	}
}

// A chain made here: Ed25519 root, RSA-PSS intermediate with a salt length
// crypto/x509 has no constant for is built by hand below; SHA-1 is verified.
func TestGeneratedChains(t *testing.T) {
	rootKey, _, _ := ed25519.GenerateKey(rand.Reader)
	_ = rootKey
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ed root"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, edPub, edPriv)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "leaf"}, NotBefore: tmpl.NotBefore, NotAfter: tmpl.NotAfter,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafT, tmpl, &rsaKey.PublicKey, edPriv)
	if err != nil {
		t.Fatal(err)
	}
	root, err := Parse(rootDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := Parse(leafDER)
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.CheckSignatureFrom(root); err != nil {
		t.Fatal(err)
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping {
		t.Fatalf("EKU %v AKI %x", leaf.ExtKeyUsage, leaf.AuthorityKeyId)
	}
	if err := root.CheckSignatureFrom(leaf); err == nil {
		t.Fatal("a leaf was accepted as issuer")
	}
	// RSASSA-PSS with a 32-byte salt and SHA-1 PKCS#1 v1.5, both over the same bytes.
	msg := []byte("tbs")
	for _, c := range []struct {
		alg  SignatureAlgorithm
		sign func() ([]byte, error)
	}{
		{SignatureAlgorithm{Key: KeyRSA, Padding: PSS, Hash: crypto.SHA384, SaltLength: 17}, func() ([]byte, error) {
			d := sha512_384(msg)
			return rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA384, d, &rsa.PSSOptions{SaltLength: 17})
		}},
		{SignatureAlgorithm{Key: KeyRSA, Padding: PKCS1v15, Hash: crypto.SHA1}, func() ([]byte, error) {
			h := crypto.SHA1.New()
			h.Write(msg)
			return rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA1, h.Sum(nil))
		}},
	} {
		sig, err := c.sign()
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifySignature(&rsaKey.PublicKey, c.alg, 0, msg, sig); err != nil {
			t.Errorf("%s: %v", c.alg, err)
		}
		if err := VerifySignature(&rsaKey.PublicKey, c.alg, 0, []byte("tbS"), sig); err == nil {
			t.Errorf("%s: altered message verified", c.alg)
		}
	}
}

func sha512_384(b []byte) []byte {
	h := crypto.SHA384.New()
	h.Write(b)
	return h.Sum(nil)
}

func TestPSSParams(t *testing.T) {
	// sha256, mgf1(sha256), salt 32: the common RSASSA-PSS parameters.
	der := []byte{0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
		0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
		0xa2, 0x03, 0x02, 0x01, 0x20}
	a, err := ParseSignatureAlgorithm(oidRSAPSS, der)
	if err != nil || a.Hash != crypto.SHA256 || a.SaltLength != 32 {
		t.Fatalf("%v %v", a, err)
	}
	a, err = ParseSignatureAlgorithm(oidRSAPSS, []byte{0x30, 0x00}) // all defaults: SHA-1, salt 20
	if err != nil || a.Hash != crypto.SHA1 || a.SaltLength != 20 {
		t.Fatalf("%v %v", a, err)
	}
	if _, err := ParseSignatureAlgorithm(oidRSAPSS, der[:len(der)-1]); err == nil {
		t.Fatal("truncated parameters accepted")
	}
}

// TestNISTPointOffCurve pins that a NIST key whose point is not on its
// curve, or whose coordinate is out of range, is refused (the fast path
// through crypto/ecdsa keeps decodePoint's checks).
func TestNISTPointOffCurve(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		key, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePublicKeyInfo(spki); err != nil {
			t.Fatalf("%s: a valid key: %v", c.Params().Name, err)
		}
		bad := bytes.Clone(spki)
		bad[len(bad)-1] ^= 1 // y changed: off the curve
		if _, err := ParsePublicKeyInfo(bad); err == nil {
			t.Errorf("%s: a point off the curve was accepted", c.Params().Name)
		}
		l := (c.Params().BitSize + 7) / 8
		high := bytes.Clone(spki)
		for i := len(high) - 2*l; i < len(high)-l; i++ {
			high[i] = 0xff // x = 2^k - 1 >= p
		}
		if _, err := ParsePublicKeyInfo(high); err == nil {
			t.Errorf("%s: a coordinate out of range was accepted", c.Params().Name)
		}
	}
}
