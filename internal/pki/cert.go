// Package pki parses and verifies the X.509 certificates that government
// PKIs issue and crypto/x509 refuses: keys and signatures on the brainpool
// curves (RFC 5639), EC keys with explicit parameters equal to a named curve,
// negative or over-long serial numbers, RSASSA-PSS signatures with any
// parameters, and SHA-1 signatures (verified at the cryptographic level; the
// caller's policy decides whether a SHA-1 chain is acceptable).
//
// Certificates are parsed with golang.org/x/crypto/cryptobyte; when
// crypto/x509 also accepts the certificate, its parse is kept as well (see
// Certificate.X509) so code written for crypto/x509 keeps working.
package pki

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// MaxCertificateSize bounds the DER accepted by Parse.
const MaxCertificateSize = 256 << 10

// Certificate is a parsed X.509 v1–v3 certificate.
type Certificate struct {
	Raw                     []byte // the whole DER certificate
	RawTBSCertificate       []byte // the signed part
	RawSubject, RawIssuer   []byte
	RawSubjectPublicKeyInfo []byte

	Version      int // 1, 2 or 3
	SerialNumber *big.Int
	Subject      pkix.Name
	Issuer       pkix.Name
	NotBefore    time.Time
	NotAfter     time.Time

	// PublicKey is *rsa.PublicKey, *ecdsa.PublicKey (NIST or brainpool
	// curve) or ed25519.PublicKey.
	PublicKey crypto.PublicKey
	// KeyType and Curve describe PublicKey ("ECDSA", "brainpoolP256r1").
	KeyType KeyType
	Curve   string
	// ExplicitCurve is set when the key named its curve by explicit
	// parameters (which were found equal to Curve).
	ExplicitCurve bool

	SignatureAlgorithm SignatureAlgorithm
	Signature          []byte

	KeyUsage              x509.KeyUsage
	ExtKeyUsage           []x509.ExtKeyUsage
	UnknownExtKeyUsage    []asn1.ObjectIdentifier
	BasicConstraintsValid bool
	IsCA                  bool
	MaxPathLen            int // -1 when absent
	SubjectKeyId          []byte
	AuthorityKeyId        []byte
	Extensions            []pkix.Extension

	x509 *x509.Certificate
}

// Parse decodes one DER certificate. Trailing data is an error.
func Parse(der []byte) (*Certificate, error) {
	if len(der) > MaxCertificateSize {
		return nil, fmt.Errorf("certificate of %d bytes exceeds %d", len(der), MaxCertificateSize)
	}
	c := &Certificate{Raw: der, MaxPathLen: -1}
	if err := c.parse(der); err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if xc, err := x509.ParseCertificate(der); err == nil {
		c.x509 = xc
	}
	return c, nil
}

func (c *Certificate) parse(der []byte) error {
	input := cryptobyte.String(der)
	var cert, tbs cryptobyte.String
	if !input.ReadASN1(&cert, cbasn1.SEQUENCE) || !input.Empty() {
		return errors.New("not one DER SEQUENCE")
	}
	var rawTBS cryptobyte.String
	if !cert.ReadASN1Element(&rawTBS, cbasn1.SEQUENCE) {
		return errors.New("malformed tbsCertificate")
	}
	c.RawTBSCertificate = rawTBS
	if !rawTBS.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return errors.New("malformed tbsCertificate")
	}
	outerOID, outerParams, ok := parseAlgorithmIdentifier(&cert)
	if !ok {
		return errors.New("malformed signatureAlgorithm")
	}
	var sig asn1.BitString
	if !cert.ReadASN1BitString(&sig) || !cert.Empty() || sig.BitLength%8 != 0 {
		return errors.New("malformed signature")
	}
	c.Signature = sig.RightAlign()

	version := int64(0)
	if !tbs.ReadOptionalASN1Integer(&version, cbasn1.Tag(0).Constructed().ContextSpecific(), int64(0)) || version < 0 || version > 2 {
		return errors.New("malformed version")
	}
	c.Version = int(version) + 1
	c.SerialNumber = new(big.Int)
	if !tbs.ReadASN1Integer(c.SerialNumber) {
		return errors.New("malformed serial number")
	}
	innerOID, innerParams, ok := parseAlgorithmIdentifier(&tbs)
	if !ok {
		return errors.New("malformed tbsCertificate signature algorithm")
	}
	if !innerOID.Equal(outerOID) || !bytes.Equal(innerParams, outerParams) {
		return errors.New("signature algorithm in tbsCertificate differs from the outer one")
	}
	var err error
	if c.SignatureAlgorithm, err = ParseSignatureAlgorithm(outerOID, outerParams); err != nil {
		// Keep parsing: a certificate signed with an unknown algorithm can
		// still be a trust anchor whose own signature nobody checks.
		c.SignatureAlgorithm = SignatureAlgorithm{OID: outerOID}
	}
	var issuer, subject cryptobyte.String
	if !tbs.ReadASN1Element(&issuer, cbasn1.SEQUENCE) {
		return errors.New("malformed issuer")
	}
	c.RawIssuer = issuer
	var validity cryptobyte.String
	if !tbs.ReadASN1(&validity, cbasn1.SEQUENCE) {
		return errors.New("malformed validity")
	}
	if c.NotBefore, err = readTime(&validity); err != nil {
		return fmt.Errorf("notBefore: %w", err)
	}
	if c.NotAfter, err = readTime(&validity); err != nil {
		return fmt.Errorf("notAfter: %w", err)
	}
	if !validity.Empty() {
		return errors.New("malformed validity")
	}
	if !tbs.ReadASN1Element(&subject, cbasn1.SEQUENCE) {
		return errors.New("malformed subject")
	}
	c.RawSubject = subject
	c.Issuer, _ = parseName(c.RawIssuer) // names that encoding/asn1 cannot read stay empty; chains match raw bytes
	c.Subject, _ = parseName(c.RawSubject)
	var spki cryptobyte.String
	if !tbs.ReadASN1Element(&spki, cbasn1.SEQUENCE) {
		return errors.New("malformed subjectPublicKeyInfo")
	}
	c.RawSubjectPublicKeyInfo = spki
	k, err := ParsePublicKeyInfo(spki)
	if err != nil {
		return err
	}
	c.PublicKey, c.KeyType, c.Curve, c.ExplicitCurve = k.Key, k.Type, k.Curve, k.Explicit
	// issuerUniqueID [1] and subjectUniqueID [2] are skipped.
	for _, t := range []cbasn1.Tag{cbasn1.Tag(1).ContextSpecific(), cbasn1.Tag(2).ContextSpecific()} {
		if !tbs.SkipOptionalASN1(t) {
			return errors.New("malformed unique identifier")
		}
	}
	var exts cryptobyte.String
	var present bool
	if !tbs.ReadOptionalASN1(&exts, &present, cbasn1.Tag(3).Constructed().ContextSpecific()) {
		return errors.New("malformed extensions")
	}
	if !tbs.Empty() {
		return errors.New("trailing data in tbsCertificate")
	}
	if present {
		if err := c.parseExtensions(exts); err != nil {
			return err
		}
	}
	return nil
}

// readOptionalBool reads a BOOLEAN DEFAULT FALSE.
func readOptionalBool(s *cryptobyte.String, out *bool) bool {
	*out = false
	if !s.PeekASN1Tag(cbasn1.BOOLEAN) {
		return true
	}
	// BER booleans (any non-zero byte is TRUE) occur in real CSCAs; accept them.
	var v cryptobyte.String
	if !s.ReadASN1(&v, cbasn1.BOOLEAN) || len(v) != 1 {
		return false
	}
	*out = v[0] != 0
	return true
}

func readTime(s *cryptobyte.String) (time.Time, error) {
	var t time.Time
	switch {
	case s.PeekASN1Tag(cbasn1.UTCTime):
		if !s.ReadASN1UTCTime(&t) {
			return t, errors.New("malformed UTCTime")
		}
	case s.PeekASN1Tag(cbasn1.GeneralizedTime):
		if !s.ReadASN1GeneralizedTime(&t) {
			return t, errors.New("malformed GeneralizedTime")
		}
	default:
		return t, errors.New("not a time")
	}
	return t.UTC(), nil
}

func parseName(raw []byte) (pkix.Name, error) {
	var rdn pkix.RDNSequence
	var n pkix.Name
	rest, err := asn1.Unmarshal(raw, &rdn)
	if err != nil || len(rest) != 0 {
		return n, fmt.Errorf("malformed name: %v", err)
	}
	n.FillFromRDNSequence(&rdn)
	return n, nil
}

var (
	oidExtKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtSKI              = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtAKI              = asn1.ObjectIdentifier{2, 5, 29, 35}

	ekuOIDs = map[string]x509.ExtKeyUsage{
		"2.5.29.37.0":       x509.ExtKeyUsageAny,
		"1.3.6.1.5.5.7.3.1": x509.ExtKeyUsageServerAuth,
		"1.3.6.1.5.5.7.3.2": x509.ExtKeyUsageClientAuth,
		"1.3.6.1.5.5.7.3.3": x509.ExtKeyUsageCodeSigning,
		"1.3.6.1.5.5.7.3.4": x509.ExtKeyUsageEmailProtection,
		"1.3.6.1.5.5.7.3.8": x509.ExtKeyUsageTimeStamping,
		"1.3.6.1.5.5.7.3.9": x509.ExtKeyUsageOCSPSigning,
	}
)

func (c *Certificate) parseExtensions(der cryptobyte.String) error {
	var seq cryptobyte.String
	if !der.ReadASN1(&seq, cbasn1.SEQUENCE) || !der.Empty() {
		return errors.New("malformed extensions")
	}
	seen := map[string]bool{}
	for !seq.Empty() {
		var ext cryptobyte.String
		var e pkix.Extension
		var val []byte
		if !seq.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&e.Id) ||
			!readOptionalBool(&ext, &e.Critical) ||
			!ext.ReadASN1Bytes(&val, cbasn1.OCTET_STRING) || !ext.Empty() {
			return errors.New("malformed extension")
		}
		e.Value = val
		if seen[e.Id.String()] {
			return fmt.Errorf("duplicate extension %s", e.Id)
		}
		seen[e.Id.String()] = true
		if len(c.Extensions) >= 64 {
			return errors.New("more than 64 extensions")
		}
		c.Extensions = append(c.Extensions, e)
		if err := c.parseExtension(e.Id, val); err != nil {
			return fmt.Errorf("extension %s: %w", e.Id, err)
		}
	}
	return nil
}

func (c *Certificate) parseExtension(id asn1.ObjectIdentifier, val cryptobyte.String) error {
	switch {
	case id.Equal(oidExtKeyUsage):
		var bits asn1.BitString
		if !val.ReadASN1BitString(&bits) || !val.Empty() {
			return errors.New("malformed key usage")
		}
		for i := 0; i < 9; i++ {
			if bits.At(i) != 0 {
				c.KeyUsage |= 1 << uint(i)
			}
		}
	case id.Equal(oidExtExtKeyUsage):
		var seq cryptobyte.String
		if !val.ReadASN1(&seq, cbasn1.SEQUENCE) || !val.Empty() {
			return errors.New("malformed extended key usage")
		}
		for !seq.Empty() {
			var oid asn1.ObjectIdentifier
			if !seq.ReadASN1ObjectIdentifier(&oid) {
				return errors.New("malformed extended key usage")
			}
			if u, ok := ekuOIDs[oid.String()]; ok {
				c.ExtKeyUsage = append(c.ExtKeyUsage, u)
			} else {
				c.UnknownExtKeyUsage = append(c.UnknownExtKeyUsage, oid)
			}
		}
	case id.Equal(oidExtBasicConstraints):
		var seq cryptobyte.String
		if !val.ReadASN1(&seq, cbasn1.SEQUENCE) || !val.Empty() ||
			!readOptionalBool(&seq, &c.IsCA) {
			return errors.New("malformed basic constraints")
		}
		if !seq.Empty() {
			var n int64
			if !seq.ReadASN1Integer(&n) || !seq.Empty() || n < 0 || n > 1<<20 {
				return errors.New("malformed path length")
			}
			c.MaxPathLen = int(n)
		}
		c.BasicConstraintsValid = true
	case id.Equal(oidExtSKI):
		var ski []byte
		if !val.ReadASN1Bytes(&ski, cbasn1.OCTET_STRING) || !val.Empty() {
			return errors.New("malformed subject key identifier")
		}
		c.SubjectKeyId = ski
	case id.Equal(oidExtAKI):
		var seq cryptobyte.String
		if !val.ReadASN1(&seq, cbasn1.SEQUENCE) || !val.Empty() {
			return errors.New("malformed authority key identifier")
		}
		var kid cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&kid, &present, cbasn1.Tag(0).ContextSpecific()) {
			return errors.New("malformed authority key identifier")
		}
		if present {
			c.AuthorityKeyId = kid
		}
	}
	return nil
}

// PublicKeyInfo is a decoded SubjectPublicKeyInfo.
type PublicKeyInfo struct {
	Key      crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	Type     KeyType
	Curve    string // EC keys: the named curve
	Explicit bool   // EC keys: the curve was given by explicit parameters
}

// MaxRSABits bounds the RSA moduli accepted.
const MaxRSABits = 16384

// ParsePublicKeyInfo decodes a DER SubjectPublicKeyInfo holding an RSA key
// (rsaEncryption or id-RSASSA-PSS), an EC key on a supported curve (named, or
// by explicit parameters equal to a named curve) or an Ed25519 key.
func ParsePublicKeyInfo(der []byte) (*PublicKeyInfo, error) {
	s := cryptobyte.String(der)
	var spki cryptobyte.String
	if !s.ReadASN1(&spki, cbasn1.SEQUENCE) || !s.Empty() {
		return nil, errors.New("malformed subjectPublicKeyInfo")
	}
	oid, params, ok := parseAlgorithmIdentifier(&spki)
	if !ok {
		return nil, errors.New("malformed public key algorithm")
	}
	var bits asn1.BitString
	if !spki.ReadASN1BitString(&bits) || !spki.Empty() || bits.BitLength%8 != 0 {
		return nil, errors.New("malformed public key")
	}
	key := bits.RightAlign()
	switch {
	case oid.Equal(oidRSA), oid.Equal(oidRSAPSS):
		k, err := parseRSAPublicKey(key)
		if err != nil {
			return nil, err
		}
		return &PublicKeyInfo{Key: k, Type: KeyRSA}, nil
	case oid.Equal(oidEC):
		var nc *namedCurve
		explicit := false
		ps := cryptobyte.String(params)
		var coid asn1.ObjectIdentifier
		switch {
		case ps.PeekASN1Tag(cbasn1.OBJECT_IDENTIFIER):
			if !ps.ReadASN1ObjectIdentifier(&coid) || !ps.Empty() {
				return nil, errors.New("malformed EC named curve")
			}
			if nc = curveByOID(coid); nc == nil {
				return nil, fmt.Errorf("%w %s", errCurve, coid)
			}
		case ps.PeekASN1Tag(cbasn1.SEQUENCE):
			var err error
			if nc, err = curveFromExplicit(params); err != nil {
				return nil, err
			}
			explicit = true
		default:
			return nil, errors.New("EC key without curve parameters")
		}
		k, err := nc.publicKey(key)
		if err != nil {
			return nil, err
		}
		return &PublicKeyInfo{Key: k, Type: KeyECDSA, Curve: nc.name, Explicit: explicit}, nil
	case oid.Equal(oidEd25519):
		if len(params) != 0 || len(key) != ed25519.PublicKeySize {
			return nil, errors.New("malformed Ed25519 key")
		}
		return &PublicKeyInfo{Key: ed25519.PublicKey(bytes.Clone(key)), Type: KeyEd25519}, nil
	}
	return nil, fmt.Errorf("unsupported public key algorithm %s", oid)
}

func parseRSAPublicKey(der []byte) (*rsa.PublicKey, error) {
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	n, e := new(big.Int), new(big.Int)
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1Integer(n) || !seq.ReadASN1Integer(e) || !seq.Empty() {
		return nil, errors.New("malformed RSA public key")
	}
	if n.Sign() <= 0 || n.BitLen() > MaxRSABits {
		return nil, fmt.Errorf("RSA modulus of %d bits", n.BitLen())
	}
	if e.Sign() <= 0 || !e.IsInt64() || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("RSA public exponent out of range")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// ErrNotIssuer is returned (wrapped) when a certificate was not issued by
// the proposed parent.
var ErrNotIssuer = errors.New("not issued by this certificate")

// CheckSignatureFrom verifies that parent issued c: c's issuer name equals
// parent's subject (byte for byte, or as parsed names), parent may sign
// certificates (a v3 parent must be a CA with keyCertSign when it says
// anything about key usage), and c's signature verifies with parent's key.
// SHA-1 signatures are verified, not refused: the caller's policy decides.
func (c *Certificate) CheckSignatureFrom(parent *Certificate) error {
	if !bytes.Equal(c.RawIssuer, parent.RawSubject) && (c.Issuer.String() == "" || c.Issuer.String() != parent.Subject.String()) {
		return fmt.Errorf("%w: issuer %q, parent subject %q", ErrNotIssuer, c.Issuer, parent.Subject)
	}
	if len(c.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 && !bytes.Equal(c.AuthorityKeyId, parent.SubjectKeyId) {
		return fmt.Errorf("%w: authority key id %x, parent's subject key id %x", ErrNotIssuer, c.AuthorityKeyId, parent.SubjectKeyId)
	}
	if parent.Version == 3 && !parent.IsCA {
		return errors.New("parent is not a CA (basicConstraints cA not set)")
	}
	if parent.KeyUsage != 0 && parent.KeyUsage&x509.KeyUsageCertSign == 0 {
		return errors.New("parent's key usage does not allow certificate signing")
	}
	return c.CheckSignature(parent.PublicKey)
}

// CheckSignature verifies c's signature with the issuer key pub.
func (c *Certificate) CheckSignature(pub crypto.PublicKey) error {
	if c.SignatureAlgorithm.Key == "" {
		return fmt.Errorf("unsupported signature algorithm %s", c.SignatureAlgorithm.OID)
	}
	return VerifySignature(pub, c.SignatureAlgorithm, 0, c.RawTBSCertificate, c.Signature)
}

// X509 returns crypto/x509's parse of the certificate when crypto/x509
// accepts it, and otherwise an *x509.Certificate filled from this parse:
// names, validity, serial, key usages, basic constraints, key identifiers,
// raw fields and PublicKey (which crypto/ecdsa verifies even on brainpool
// curves). Its SignatureAlgorithm is x509.UnknownSignatureAlgorithm when
// crypto/x509 has no constant for the algorithm, so chain checks on it must
// go through this package.
func (c *Certificate) X509() *x509.Certificate {
	if c.x509 != nil {
		return c.x509
	}
	xc := &x509.Certificate{
		Raw: c.Raw, RawTBSCertificate: c.RawTBSCertificate, RawSubjectPublicKeyInfo: c.RawSubjectPublicKeyInfo,
		RawSubject: c.RawSubject, RawIssuer: c.RawIssuer, Signature: c.Signature,
		PublicKey: c.PublicKey, Version: c.Version, SerialNumber: c.SerialNumber,
		Issuer: c.Issuer, Subject: c.Subject, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		KeyUsage: c.KeyUsage, Extensions: c.Extensions, ExtKeyUsage: c.ExtKeyUsage, UnknownExtKeyUsage: c.UnknownExtKeyUsage,
		BasicConstraintsValid: c.BasicConstraintsValid, IsCA: c.IsCA, MaxPathLen: c.MaxPathLen, MaxPathLenZero: c.MaxPathLen == 0,
		SubjectKeyId: c.SubjectKeyId, AuthorityKeyId: c.AuthorityKeyId,
	}
	switch c.KeyType {
	case KeyRSA:
		xc.PublicKeyAlgorithm = x509.RSA
	case KeyECDSA:
		xc.PublicKeyAlgorithm = x509.ECDSA
	case KeyEd25519:
		xc.PublicKeyAlgorithm = x509.Ed25519
	}
	xc.SignatureAlgorithm = x509SigAlg(c.SignatureAlgorithm)
	return xc
}

// CryptoX509Accepts reports whether crypto/x509 itself parsed the certificate.
func (c *Certificate) CryptoX509Accepts() bool { return c.x509 != nil }

func x509SigAlg(a SignatureAlgorithm) x509.SignatureAlgorithm {
	type k struct {
		key  KeyType
		pad  Padding
		hash crypto.Hash
	}
	m := map[k]x509.SignatureAlgorithm{
		{KeyRSA, PKCS1v15, crypto.SHA1}: x509.SHA1WithRSA, {KeyRSA, PKCS1v15, crypto.SHA256}: x509.SHA256WithRSA,
		{KeyRSA, PKCS1v15, crypto.SHA384}: x509.SHA384WithRSA, {KeyRSA, PKCS1v15, crypto.SHA512}: x509.SHA512WithRSA,
		{KeyECDSA, "", crypto.SHA1}: x509.ECDSAWithSHA1, {KeyECDSA, "", crypto.SHA256}: x509.ECDSAWithSHA256,
		{KeyECDSA, "", crypto.SHA384}: x509.ECDSAWithSHA384, {KeyECDSA, "", crypto.SHA512}: x509.ECDSAWithSHA512,
		{KeyEd25519, "", 0}: x509.PureEd25519,
	}
	if a.Plain {
		return x509.UnknownSignatureAlgorithm
	}
	if a.Padding == PSS {
		// crypto/x509 only knows PSS with salt = hash length.
		if a.SaltLength == a.Hash.Size() {
			switch a.Hash {
			case crypto.SHA256:
				return x509.SHA256WithRSAPSS
			case crypto.SHA384:
				return x509.SHA384WithRSAPSS
			case crypto.SHA512:
				return x509.SHA512WithRSAPSS
			}
		}
		return x509.UnknownSignatureAlgorithm
	}
	return m[k{a.Key, a.Padding, a.Hash}]
}
