package gdhcn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

type fixture struct {
	doc    []byte
	signer *pki.Certificate
	kid    string
}

func mkCert(t testing.TB, subj pkix.Name, ca bool, pub *ecdsa.PublicKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) *x509.Certificate {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: subj, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: ca, BasicConstraintsValid: true}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// build makes a GDHCN document in the shape of the specification: one DSC
// with its CSCA in x5c, signed by a WHO-like signer with a detached JWS.
func build(t testing.TB, der bool) fixture {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := mkCert(t, pkix.Name{Country: []string{"XK"}, CommonName: "XK CSCA"}, true, &caKey.PublicKey, nil, caKey)
	dscKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dsc := mkCert(t, pkix.Name{Country: []string{"XK"}, CommonName: "XK DSC"}, false, &dscKey.PublicKey, ca, caKey)
	whoKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	who := mkCert(t, pkix.Name{CommonName: "WHO trust list signer"}, false, &whoKey.PublicKey, nil, whoKey)
	sum := sha256.Sum256(dsc.Raw)
	kid := base64.StdEncoding.EncodeToString(sum[:8])
	raw, _ := dscKey.PublicKey.Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	id := "did:web:tng-cdn.who.int:v2:trustlist:DCC:XXK:DSC"
	doc := map[string]json.RawMessage{}
	put := func(k string, v any) { doc[k], _ = json.Marshal(v) }
	put("@context", []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"})
	put("id", id)
	put("controller", "did:web:tng-cdn.who.int:v2:trustlist:DCC:XXK")
	put("verificationMethod", []any{
		map[string]any{"id": id + "#" + kid, "type": "JsonWebKey2020", "controller": "did:web:tng-cdn.who.int:v2:trustlist:DCC:XXK",
			"publicKeyJwk": map[string]any{"kty": "EC", "crv": "P-256", "x": b64(append([]byte{0}, raw[1:33]...)), "y": b64(raw[33:]), "kid": kid,
				"x5c": []string{base64.StdEncoding.EncodeToString(dsc.Raw), base64.StdEncoding.EncodeToString(ca.Raw)}}},
		"did:web:tng-cdn.who.int:v2:trustlist:DCC:XXK:DSC#other",
	})
	header := b64([]byte(`{"b64":false,"crit":["b64"],"alg":"ES256"}`))
	payload, err := Canonical(doc)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256(append([]byte(header+"."), payload...))
	var sig []byte
	if der {
		sig, _ = ecdsa.SignASN1(rand.Reader, whoKey, d[:])
	} else {
		r, s, _ := ecdsa.Sign(rand.Reader, whoKey, d[:])
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
	put("proof", map[string]any{"type": "JsonWebSignature2020", "created": "2024-11-10T12:00:21Z", "nonce": "n", "proofPurpose": "assertionMethod",
		"verificationMethod": "did:web:raw.githubusercontent.com:WorldHealthOrganization:tng-participants-dev:main:WHO:signing:DID",
		"jws":                header + ".." + b64(sig)})
	out, _ := json.MarshalIndent(doc, "", "  ")
	signer, _ := pki.Parse(who.Raw)
	return fixture{doc: out, signer: signer, kid: kid}
}

func TestGDHCNDocument(t *testing.T) {
	for _, der := range []bool{false, true} {
		f := build(t, der)
		src, err := Parse(f.doc, listimport.Options{Roots: []*pki.Certificate{f.signer}})
		if err != nil {
			t.Fatal(err)
		}
		if src.Signature != trustlist.SourceVerified {
			t.Fatalf("DER %v: %s (%s)", der, src.Signature, src.SignatureDetail)
		}
		if len(src.Items) != 2 || src.Items[0].Refused != nil || src.Items[0].Country != "XK" || src.Items[1].Refused == nil {
			t.Fatalf("items: %+v", src.Items)
		}
		if !src.Items[0].Entry.Allows(trustlist.DocHCert) || src.Issued.IsZero() {
			t.Fatal("entry or date")
		}
		// Without the signer as root the proof is not checked; a changed
		// document fails it.
		if src, _ := Parse(f.doc, listimport.Options{}); src.Signature != trustlist.SourceUnverified {
			t.Fatal("no root, yet verified")
		}
		altered := strings.Replace(string(f.doc), "XXK:DSC\"", "XXK:SCA\"", 1)
		if src, _ := Parse([]byte(altered), listimport.Options{Roots: []*pki.Certificate{f.signer}}); src.Signature != trustlist.SourceUnverified {
			t.Fatalf("altered document: %s", src.Signature)
		}
		wrongKid := strings.Replace(string(f.doc), `"kid": "`+f.kid, `"kid": "AAAAAAAAAAA=`, 1)
		if src, _ := Parse([]byte(wrongKid), listimport.Options{}); src.Items[0].Refused == nil || !strings.Contains(src.Items[0].Refused.Error(), "kid") {
			t.Fatalf("wrong kid: %v", src.Items[0].Refused)
		}
	}
	if _, err := Parse([]byte(`{"id":"x"}`), listimport.Options{}); err == nil {
		t.Fatal("a non-DID document parsed")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(build(f, false).doc)
	f.Add([]byte(`{"id":"did:web:x","verificationMethod":["did:web:x#a"],"proof":{"jws":"e30..AA"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Parse(b, listimport.Options{})
	})
}
