package pki

import (
	"crypto/sha256"
	"encoding/asn1"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// signedAttrs builds the content of a signedAttrs SET from (oid, value DER) pairs.
func signedAttrs(t *testing.T, attrs ...any) cryptobyte.String {
	t.Helper()
	var b cryptobyte.Builder
	for i := 0; i < len(attrs); i += 2 {
		oid, val := attrs[i].(asn1.ObjectIdentifier), attrs[i+1].([]byte)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(val) })
		})
	}
	return cryptobyte.String(b.BytesOrPanic())
}

func derOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSignedAttrsRepetition pins the repetition rule: content-type,
// message-digest, signing-time and the ESS signing-certificate attributes
// may appear once (RFC 5652 §11, RFC 5035); other attributes may repeat, as
// TeleSec's signer repeats a vendor attribute (DSS accepts that file).
func TestSignedAttrsRepetition(t *testing.T) {
	d := sha256.Sum256([]byte("x"))
	ct, md := derOf(t, oidData()), derOf(t, d[:])
	vendor := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 22883, 1}
	ok := signedAttrs(t, oidContentType, ct, oidMessageDigest, md, vendor, derOf(t, 1), vendor, derOf(t, 2))
	var si SignerInfo
	if err := si.parseSignedAttrs(ok); err != nil {
		t.Fatalf("a repeated vendor attribute was refused: %v", err)
	}
	st := derOf(t, asn1.RawValue{Tag: asn1.TagUTCTime, Bytes: []byte("260101000000Z")})
	for name, attrs := range map[string]cryptobyte.String{
		"content-type":    signedAttrs(t, oidContentType, ct, oidContentType, ct, oidMessageDigest, md),
		"message-digest":  signedAttrs(t, oidContentType, ct, oidMessageDigest, md, oidMessageDigest, md),
		"signing-time":    signedAttrs(t, oidContentType, ct, oidMessageDigest, md, oidSigningTime, st, oidSigningTime, st),
		"signing-cert-v2": signedAttrs(t, oidContentType, ct, oidMessageDigest, md, oidSigningCertV2, derOf(t, 1), oidSigningCertV2, derOf(t, 1)),
	} {
		var si SignerInfo
		if err := si.parseSignedAttrs(attrs); err == nil || !strings.Contains(err.Error(), "appears twice") {
			t.Errorf("%s twice: got %v, want an \"appears twice\" error", name, err)
		}
	}
}

func oidData() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1} }
