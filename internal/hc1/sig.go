package hc1

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
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

// AppendSigStructure appends the ToBeSigned bytes of a COSE_Sign1 with no
// external AAD (RFC 9052 §4.4): ["Signature1", protected, h”, payload].
func AppendSigStructure(dst, protected, payload []byte) []byte {
	dst = append(dst, 0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1')
	dst = appendHead(dst, 2, len(protected))
	dst = append(dst, protected...)
	dst = append(dst, 0x40)
	dst = appendHead(dst, 2, len(payload))
	return append(dst, payload...)
}

// keyFor checks that alg fits the public key and returns the expected
// signature length (0: any).
func keyFor(alg int64, pub crypto.PublicKey) (int, error) {
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
			return 0, mismatch("an ECDSA " + curve.Params().Name + " key")
		}
		return n, nil
	case AlgPS256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return 0, mismatch("an RSA key")
		}
		if k.N.BitLen() < 2048 {
			return 0, fmt.Errorf("DSC key unusable for PS256: an RSA key of %d bits (at least 2048 are required)", k.N.BitLen())
		}
		return 0, nil
	case AlgEdDSA:
		if _, ok := pub.(ed25519.PublicKey); !ok {
			return 0, mismatch("an Ed25519 key")
		}
		return ed25519.SignatureSize, nil
	}
	return 0, fmt.Errorf("algorithm %s is not supported (ES256, PS256, ES384 and EdDSA are)", AlgName(alg))
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

// errBadSignature is the verdict of a signature that does not verify.
var errBadSignature = errors.New("signature does not verify")

// VerifySignature verifies d's signature over its Sig_structure with pub,
// using sc's buffers. The signature algorithms are those of RFC 9053 and
// RFC 8230 as the EU DCC uses them: ES256 and ES384 (raw r‖s), PS256 (salt
// length = hash length, RSA of at least 2048 bits) and EdDSA (Ed25519).
func (d *Decoded) VerifySignature(pub crypto.PublicKey, sc *Scratch) error {
	if !d.HasAlg {
		if d.AlgText != "" {
			return fmt.Errorf("algorithm %q is not supported (ES256, PS256, ES384 and EdDSA are)", d.AlgText)
		}
		return fmt.Errorf("the COSE headers carry no alg")
	}
	n, err := keyFor(d.Alg, pub)
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
	sc.tbs = AppendSigStructure(sc.tbs[:0], d.Protected, d.Payload)
	ok := false
	switch d.Alg {
	case AlgES256:
		h := sha256.Sum256(sc.tbs)
		sc.der = appendECDSADER(sc.der[:0], d.Signature)
		ok = ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), h[:], sc.der)
	case AlgES384:
		h := sha512.Sum384(sc.tbs)
		sc.der = appendECDSADER(sc.der[:0], d.Signature)
		ok = ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), h[:], sc.der)
	case AlgPS256:
		h := sha256.Sum256(sc.tbs)
		ok = rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, h[:], d.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	case AlgEdDSA:
		ok = ed25519.Verify(pub.(ed25519.PublicKey), sc.tbs, d.Signature)
	}
	if !ok {
		return fmt.Errorf("%s %w with this DSC", AlgName(d.Alg), errBadSignature)
	}
	return nil
}

// appendECDSADER appends the ASN.1 DER form (SEQUENCE of two INTEGERs) of
// a raw r‖s ECDSA signature of even length.
func appendECDSADER(dst, rs []byte) []byte {
	half := len(rs) / 2
	r, s := derInt(rs[:half]), derInt(rs[half:])
	lr, ls := len(r)+boolInt(len(r) == 0 || r[0]&0x80 != 0), len(s)+boolInt(len(s) == 0 || s[0]&0x80 != 0)
	body := 2 + lr + 2 + ls
	dst = append(dst, 0x30)
	if body >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(body))
	dst = appendDERInt(dst, r, lr)
	return appendDERInt(dst, s, ls)
}

// derInt strips the leading zero bytes of a big-endian unsigned integer.
func derInt(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func appendDERInt(dst, v []byte, l int) []byte {
	dst = append(dst, 0x02, byte(l))
	if l > len(v) {
		dst = append(dst, 0)
	}
	return append(dst, v...)
}
