// Package hcert issues EU Digital COVID Certificates: it signs a DCC given
// as JSON into a COSE_Sign1 CWT and encodes it as the HC1 string a QR code
// holds, and computes what an issuer publishes to revoke one. Verifying is
// formats/hcert's. Callers usually import it under another name:
//
//	hcertissue "github.com/accord-network/accord/issue/hcert"
package hcert

import (
	"bytes"
	"compress/zlib"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/veraison/go-cose"

	"github.com/accord-network/accord/formats/base45"
	"github.com/accord-network/accord/internal/hc1"
	"github.com/accord-network/accord/trustlist"
)

// IssueOptions say who signs a DCC and for how long it is valid.
type IssueOptions struct {
	// Signer is the DSC's private key: ECDSA P-256 (ES256), P-384 (ES384),
	// RSA (PS256) or Ed25519 (EdDSA).
	Signer crypto.Signer
	// Cert is the DSC. The kid is the first 8 bytes of its SHA-256.
	Cert *x509.Certificate
	// Issuer is the iss claim (the issuing country); default: the DSC's
	// subject country.
	Issuer string
	// IssuedAt (default now) and Expires (required) become iat and exp.
	IssuedAt, Expires time.Time
	// Uncompressed skips zlib (still valid HC1, but a larger QR code).
	Uncompressed bool
}

// KID returns the EU DCC key identifier of a DSC: the first 8 bytes of the
// SHA-256 of its DER encoding.
func KID(cert *x509.Certificate) []byte {
	sum := sha256.Sum256(cert.Raw)
	return sum[:8]
}

func algOf(pub crypto.PublicKey) (cose.Algorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return cose.AlgorithmES256, nil
		case elliptic.P384():
			return cose.AlgorithmES384, nil
		}
		return 0, fmt.Errorf("ECDSA curve %s is not allowed for DCCs (P-256 or P-384)", k.Curve.Params().Name)
	case *rsa.PublicKey:
		return cose.AlgorithmPS256, nil
	case ed25519.PublicKey:
		return cose.AlgorithmEdDSA, nil
	}
	return 0, fmt.Errorf("unsupported key type %T", pub)
}

// Sign returns a COSE_Sign1 (tag 18) CWT holding the DCC given as JSON.
func Sign(dccJSON []byte, o IssueOptions) ([]byte, error) {
	if o.Signer == nil || o.Cert == nil {
		return nil, errors.New("hcert: a signing key and its DSC certificate are required")
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pk, ok := o.Signer.Public().(equaler); !ok || !pk.Equal(o.Cert.PublicKey) {
		return nil, errors.New("hcert: the private key does not belong to the DSC certificate")
	}
	alg, err := algOf(o.Signer.Public())
	if err != nil {
		return nil, fmt.Errorf("hcert: %w", err)
	}
	dcc, err := hc1.DCCFromJSON(dccJSON)
	if err != nil {
		return nil, err
	}
	if _, ok := dcc.(map[string]any); !ok {
		return nil, errors.New("hcert: the DCC payload must be a JSON object")
	}
	iat := o.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	if o.Expires.IsZero() || !o.Expires.After(iat) {
		return nil, errors.New("hcert: an expiry after the issue time is required")
	}
	iss := o.Issuer
	if iss == "" && len(o.Cert.Subject.Country) > 0 {
		iss = o.Cert.Subject.Country[0]
	}
	claims := map[int]any{4: o.Expires.Unix(), 6: iat.Unix(), -260: map[int]any{1: dcc}}
	if iss != "" {
		claims[1] = iss
	}
	payload, err := hc1.EncMode.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("hcert: encoding CWT claims: %w", err)
	}
	signer, err := cose.NewSigner(alg, o.Signer)
	if err != nil {
		return nil, fmt.Errorf("hcert: %w", err)
	}
	msg := cose.NewSign1Message()
	msg.Headers.Protected.SetAlgorithm(alg)
	msg.Headers.Protected[cose.HeaderLabelKeyID] = KID(o.Cert)
	msg.Payload = payload
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		return nil, fmt.Errorf("hcert: signing: %w", err)
	}
	return msg.MarshalCBOR()
}

// Issue returns the HC1 string (what the QR code holds) of a DCC given as
// JSON.
func Issue(dccJSON []byte, o IssueOptions) (string, error) {
	coseBytes, err := Sign(dccJSON, o)
	if err != nil {
		return "", err
	}
	body := coseBytes
	if !o.Uncompressed {
		var buf bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
		zw.Write(coseBytes)
		if err := zw.Close(); err != nil {
			return "", fmt.Errorf("hcert: compressing: %w", err)
		}
		body = buf.Bytes()
	}
	return hc1.Prefix + base45.Encode(body), nil
}

// Revocation is what an issuer needs to revoke one DCC: its signer's kid,
// its expiry (a revocation entry can be dropped after it) and the hashes of
// the EU DCC revocation scheme (SIGNATURE, and UCI and COUNTRYCODEUCI for
// each entry).
type Revocation struct {
	KID     []byte
	Expires time.Time // zero when the CWT has no exp
	Hashes  []trustlist.RevocationQuery
}

// RevocationOf decodes an HC1 string or raw COSE_Sign1 (structure only: no
// signature or trust check) and returns its revocation hashes.
func RevocationOf(doc []byte) (*Revocation, error) {
	d, err := hc1.Decode(doc)
	if err != nil {
		return nil, err
	}
	return &Revocation{KID: d.KID, Expires: d.Expires, Hashes: hc1.RevocationQueries(d)}, nil
}
