// Package pkitest makes the certificate authorities, certificates, OCSP
// responses and CRLs that tests of revocation checking need, with Go's own
// encoders (crypto/x509, golang.org/x/crypto/ocsp): real keys and real
// signatures, so that a parser under test is checked against an
// independent writer. It imports none of Accord's packages, so the tests of
// internal/pki itself can use it.
package pkitest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// CA is a test certificate authority: a self-signed P-256 certificate whose
// key usage allows signing certificates and CRLs, and its key.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// NewCA makes a CA named subject, valid from 48 hours ago for a year.
func NewCA(t testing.TB, subject pkix.Name) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: subject,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	return &CA{Cert: create(t, tmpl, tmpl, key, key), Key: key}
}

// Issue makes an end-entity certificate (digitalSignature key usage, the
// extended key usages eku) for the common name cn with the given serial,
// valid from 48 hours ago for two days, signed by the CA.
func (ca *CA) Issue(t testing.TB, cn string, serial int64, eku ...x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		BasicConstraintsValid: true, ExtKeyUsage: eku, KeyUsage: x509.KeyUsageDigitalSignature}
	return create(t, tmpl, ca.Cert, key, ca.Key), key
}

// OCSP makes an OCSP response from tmpl (status, serial number and times)
// about a certificate the CA issued. A nil responder means the CA signs it
// itself; otherwise responder signs it with key and is carried in the
// response, as a delegated responder's certificate is.
func (ca *CA) OCSP(t testing.TB, tmpl ocsp.Response, responder *x509.Certificate, key crypto.Signer) []byte {
	t.Helper()
	if responder == nil {
		responder, key = ca.Cert, ca.Key
	} else {
		tmpl.Certificate = responder
	}
	b, err := ocsp.CreateResponse(ca.Cert, responder, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CRL makes the CA's CRL number 1, valid from thisUpdate to nextUpdate,
// listing revoked.
func (ca *CA) CRL(t testing.TB, thisUpdate, nextUpdate time.Time, revoked ...x509.RevocationListEntry) []byte {
	t.Helper()
	b, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: thisUpdate, NextUpdate: nextUpdate,
		RevokedCertificateEntries: revoked}, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func create(t testing.TB, tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
