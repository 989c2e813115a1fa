package hcert

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"

	"github.com/veraison/go-cose"
)

// appendHead appends the CBOR head of an item of major type major and
// length (or value) n.
func appendHead(dst []byte, major byte, n int) []byte {
	switch {
	case n < 24:
		return append(dst, major<<5|byte(n))
	case n <= 0xff:
		return append(dst, major<<5|24, byte(n))
	case n <= 0xffff:
		return append(dst, major<<5|25, byte(n>>8), byte(n))
	default:
		return append(dst, major<<5|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// appendSigStructure appends the ToBeSigned bytes of a COSE_Sign1 with no
// external AAD (RFC 9052 §4.4): ["Signature1", protected, h”, payload].
func appendSigStructure(dst, protected, payload []byte) []byte {
	dst = append(dst, 0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1')
	dst = appendHead(dst, 2, len(protected))
	dst = append(dst, protected...)
	dst = append(dst, 0x40)
	dst = appendHead(dst, 2, len(payload))
	return append(dst, payload...)
}

// keyFor checks that alg fits cert's public key and returns the go-cose
// algorithm and the expected signature length (0: any).
func keyFor(alg int64, cert *x509.Certificate) (cose.Algorithm, int, error) {
	pub := cert.PublicKey
	mismatch := func(want string) error {
		return fmt.Errorf("alg %s needs %s, but the DSC has %s", AlgName(alg), want, describeKey(pub))
	}
	switch alg {
	case AlgES256, AlgES384:
		k, ok := pub.(*ecdsa.PublicKey)
		curve, n := elliptic.P256(), 64
		if alg == AlgES384 {
			curve, n = elliptic.P384(), 96
		}
		if !ok || k.Curve != curve {
			return 0, 0, mismatch("an ECDSA " + curve.Params().Name + " key")
		}
		return cose.Algorithm(alg), n, nil
	case AlgPS256:
		if _, ok := pub.(*rsa.PublicKey); !ok {
			return 0, 0, mismatch("an RSA key")
		}
		return cose.AlgorithmPS256, 0, nil
	case AlgEdDSA:
		if _, ok := pub.(ed25519.PublicKey); !ok {
			return 0, 0, mismatch("an Ed25519 key")
		}
		return cose.AlgorithmEdDSA, ed25519.SignatureSize, nil
	}
	return 0, 0, fmt.Errorf("algorithm %s is not supported (ES256, PS256, ES384 and EdDSA are)", AlgName(alg))
}

func describeKey(pub any) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "an ECDSA " + k.Curve.Params().Name + " key"
	case *rsa.PublicKey:
		return fmt.Sprintf("an RSA-%d key", k.N.BitLen())
	case ed25519.PublicKey:
		return "an Ed25519 key"
	}
	return fmt.Sprintf("a %T key", pub)
}

// checkSignature verifies d's signature with cert's key.
func checkSignature(d *Decoded, cert *x509.Certificate, sc *scratch) error {
	if !d.HasAlg {
		if d.AlgText != "" {
			return fmt.Errorf("algorithm %q is not supported (ES256, PS256, ES384 and EdDSA are)", d.AlgText)
		}
		return fmt.Errorf("the COSE headers carry no alg")
	}
	alg, n, err := keyFor(d.Alg, cert)
	if err != nil {
		return err
	}
	if n != 0 && len(d.Signature) != n {
		hint := ""
		if len(d.Signature) > 0 && d.Signature[0] == 0x30 {
			hint = " (it looks like DER; COSE needs raw r‖s)"
		}
		return fmt.Errorf("%s signature is %d bytes, must be %d%s", AlgName(d.Alg), len(d.Signature), n, hint)
	}
	v, err := cose.NewVerifier(alg, cert.PublicKey)
	if err != nil {
		return fmt.Errorf("DSC key unusable for %s: %v", AlgName(d.Alg), err)
	}
	sc.tbs = appendSigStructure(sc.tbs[:0], d.Protected, d.Payload)
	if err := v.Verify(sc.tbs, d.Signature); err != nil {
		return fmt.Errorf("%s signature does not verify with this DSC", AlgName(d.Alg))
	}
	return nil
}
