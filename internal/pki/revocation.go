package pki

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Revocation data as signers embed it in signatures: OCSP responses
// (RFC 6960) and CRLs (RFC 5280 §5). Both are parsed here with the same
// algorithm layer as certificates, so responses signed with brainpool or
// RSASSA-PSS keys verify, and responder certificates that crypto/x509
// refuses are still read.

// MaxRevocationSize bounds one OCSP response or CRL.
const MaxRevocationSize = 16 << 20

var (
	oidOCSPBasic      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidRIOCSPResponse = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 16, 2}
	oidAdobeRevInfo   = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}
)

// CertStatus is a certificate's status in an OCSP response or a CRL.
type CertStatus int

// Certificate statuses.
const (
	StatusGood CertStatus = iota
	StatusRevoked
	StatusUnknown
)

func (s CertStatus) String() string {
	switch s {
	case StatusGood:
		return "good"
	case StatusRevoked:
		return "revoked"
	}
	return "unknown"
}

// OCSPResponse is a successful basic OCSP response.
type OCSPResponse struct {
	// RawTBSResponseData is the signed part, as received.
	RawTBSResponseData []byte
	// ResponderName is the responder's Name DER (byName), or nil;
	// ResponderKeyHash the SHA-1 of its public key (byKey), or nil.
	ResponderName      []byte
	ResponderKeyHash   []byte
	ProducedAt         time.Time
	Responses          []SingleResponse
	SignatureAlgorithm SignatureAlgorithm
	Signature          []byte
	// Certificates are the DER certificates carried in the response (a
	// delegated responder's certificate and its chain).
	Certificates [][]byte
}

// SingleResponse is the status of one certificate in an OCSP response.
type SingleResponse struct {
	HashAlgorithm  crypto.Hash // of CertID; 0 when not one HashFromOID knows
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int
	Status         CertStatus
	RevokedAt      time.Time // when Status is StatusRevoked
	Reason         int       // CRLReason when given, -1 otherwise
	ThisUpdate     time.Time
	NextUpdate     time.Time // zero when absent
}

// ParseOCSPResponse decodes a DER OCSPResponse. Responses whose status is
// not successful, or whose type is not id-pkix-ocsp-basic, are errors.
func ParseOCSPResponse(der []byte) (*OCSPResponse, error) {
	if len(der) > MaxRevocationSize {
		return nil, fmt.Errorf("OCSP response of %d bytes exceeds %d", len(der), MaxRevocationSize)
	}
	s := cryptobyte.String(der)
	var resp, rb, bytesSeq, basicOct cryptobyte.String
	var status int
	var typ asn1.ObjectIdentifier
	if !s.ReadASN1(&resp, cbasn1.SEQUENCE) || !s.Empty() || !resp.ReadASN1Enum(&status) {
		return nil, errors.New("OCSP response: not an OCSPResponse")
	}
	if status != 0 {
		return nil, fmt.Errorf("OCSP response: status %d is not successful", status)
	}
	if !resp.ReadASN1(&rb, cbasn1.Tag(0).Constructed().ContextSpecific()) || !rb.ReadASN1(&bytesSeq, cbasn1.SEQUENCE) ||
		!bytesSeq.ReadASN1ObjectIdentifier(&typ) || !bytesSeq.ReadASN1(&basicOct, cbasn1.OCTET_STRING) {
		return nil, errors.New("OCSP response: malformed responseBytes")
	}
	if !typ.Equal(oidOCSPBasic) {
		return nil, fmt.Errorf("OCSP response: type %s is not id-pkix-ocsp-basic", typ)
	}
	r, err := parseBasicOCSP(basicOct)
	if err != nil {
		return nil, fmt.Errorf("OCSP response: %w", err)
	}
	return r, nil
}

func parseBasicOCSP(der cryptobyte.String) (*OCSPResponse, error) {
	var basic, rawTBS, tbs cryptobyte.String
	if !der.ReadASN1(&basic, cbasn1.SEQUENCE) || !basic.ReadASN1Element(&rawTBS, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed BasicOCSPResponse")
	}
	r := &OCSPResponse{RawTBSResponseData: rawTBS}
	if !rawTBS.ReadASN1(&tbs, cbasn1.SEQUENCE) || !tbs.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errors.New("malformed tbsResponseData")
	}
	var rid cryptobyte.String
	switch {
	case tbs.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()):
		var name cryptobyte.String
		if !tbs.ReadASN1(&rid, cbasn1.Tag(1).Constructed().ContextSpecific()) || !rid.ReadASN1Element(&name, cbasn1.SEQUENCE) {
			return nil, errors.New("malformed responderID byName")
		}
		r.ResponderName = name
	case tbs.PeekASN1Tag(cbasn1.Tag(2).Constructed().ContextSpecific()):
		var h cryptobyte.String
		if !tbs.ReadASN1(&rid, cbasn1.Tag(2).Constructed().ContextSpecific()) || !rid.ReadASN1(&h, cbasn1.OCTET_STRING) {
			return nil, errors.New("malformed responderID byKey")
		}
		r.ResponderKeyHash = h
	default:
		return nil, errors.New("malformed responderID")
	}
	if !tbs.ReadASN1GeneralizedTime(&r.ProducedAt) {
		return nil, errors.New("malformed producedAt")
	}
	r.ProducedAt = r.ProducedAt.UTC()
	var responses cryptobyte.String
	if !tbs.ReadASN1(&responses, cbasn1.SEQUENCE) || !tbs.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) || !tbs.Empty() {
		return nil, errors.New("malformed responses")
	}
	for !responses.Empty() {
		if len(r.Responses) >= 1000 {
			return nil, errors.New("more than 1000 single responses")
		}
		sr, err := parseSingleResponse(&responses)
		if err != nil {
			return nil, fmt.Errorf("single response %d: %w", len(r.Responses), err)
		}
		r.Responses = append(r.Responses, sr)
	}
	oid, params, ok := parseAlgorithmIdentifier(&basic)
	if !ok {
		return nil, errors.New("malformed signatureAlgorithm")
	}
	var err error
	if r.SignatureAlgorithm, err = ParseSignatureAlgorithm(oid, params); err != nil {
		return nil, err
	}
	var sig asn1.BitString
	if !basic.ReadASN1BitString(&sig) || sig.BitLength%8 != 0 {
		return nil, errors.New("malformed signature")
	}
	r.Signature = sig.RightAlign()
	var certsWrap, certs cryptobyte.String
	var has bool
	if !basic.ReadOptionalASN1(&certsWrap, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) || !basic.Empty() {
		return nil, errors.New("malformed certs")
	}
	if has {
		if !certsWrap.ReadASN1(&certs, cbasn1.SEQUENCE) {
			return nil, errors.New("malformed certs")
		}
		for !certs.Empty() {
			var c cryptobyte.String
			if !certs.ReadASN1Element(&c, cbasn1.SEQUENCE) || len(r.Certificates) >= 100 {
				return nil, errors.New("malformed certs")
			}
			r.Certificates = append(r.Certificates, c)
		}
	}
	return r, nil
}

func parseSingleResponse(s *cryptobyte.String) (SingleResponse, error) {
	sr := SingleResponse{Reason: -1, SerialNumber: new(big.Int)}
	var seq, certID cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&certID, cbasn1.SEQUENCE) {
		return sr, errors.New("malformed certID")
	}
	hoid, _, ok := parseAlgorithmIdentifier(&certID)
	var nameHash, keyHash cryptobyte.String
	if !ok || !certID.ReadASN1(&nameHash, cbasn1.OCTET_STRING) || !certID.ReadASN1(&keyHash, cbasn1.OCTET_STRING) ||
		!certID.ReadASN1Integer(sr.SerialNumber) || !certID.Empty() {
		return sr, errors.New("malformed certID")
	}
	sr.HashAlgorithm, sr.IssuerNameHash, sr.IssuerKeyHash = HashFromOID(hoid), nameHash, keyHash
	var st cryptobyte.String
	var tag cbasn1.Tag
	if !seq.ReadAnyASN1(&st, &tag) {
		return sr, errors.New("malformed certStatus")
	}
	switch tag {
	case cbasn1.Tag(0).ContextSpecific():
		sr.Status = StatusGood
	case cbasn1.Tag(1).Constructed().ContextSpecific():
		sr.Status = StatusRevoked
		if !st.ReadASN1GeneralizedTime(&sr.RevokedAt) {
			return sr, errors.New("malformed revocationTime")
		}
		sr.RevokedAt = sr.RevokedAt.UTC()
		var reason cryptobyte.String
		var has bool
		if !st.ReadOptionalASN1(&reason, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return sr, errors.New("malformed revocationReason")
		}
		if has {
			if !reason.ReadASN1Enum(&sr.Reason) {
				return sr, errors.New("malformed revocationReason")
			}
		}
	case cbasn1.Tag(2).ContextSpecific():
		sr.Status = StatusUnknown
	default:
		return sr, errors.New("malformed certStatus")
	}
	if !seq.ReadASN1GeneralizedTime(&sr.ThisUpdate) {
		return sr, errors.New("malformed thisUpdate")
	}
	sr.ThisUpdate = sr.ThisUpdate.UTC()
	var nu cryptobyte.String
	var has bool
	if !seq.ReadOptionalASN1(&nu, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return sr, errors.New("malformed nextUpdate")
	}
	if has {
		if !nu.ReadASN1GeneralizedTime(&sr.NextUpdate) {
			return sr, errors.New("malformed nextUpdate")
		}
		sr.NextUpdate = sr.NextUpdate.UTC()
	}
	if !seq.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) || !seq.Empty() {
		return sr, errors.New("malformed singleExtensions")
	}
	return sr, nil
}

// For reports whether the single response is about cert, issued by issuer:
// its CertID's issuer name and key hashes and serial number match.
func (sr *SingleResponse) For(cert, issuer *Certificate) bool {
	if sr.HashAlgorithm == 0 || !sr.HashAlgorithm.Available() || sr.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		return false
	}
	h := sr.HashAlgorithm.New()
	h.Write(cert.RawIssuer)
	if !bytes.Equal(h.Sum(nil), sr.IssuerNameHash) {
		return false
	}
	key, ok := subjectPublicKeyBits(issuer)
	if !ok {
		return false
	}
	h = sr.HashAlgorithm.New()
	h.Write(key)
	return bytes.Equal(h.Sum(nil), sr.IssuerKeyHash)
}

// subjectPublicKeyBits returns the subjectPublicKey BIT STRING's bytes, what
// OCSP's issuerKeyHash and responder byKey hash.
func subjectPublicKeyBits(c *Certificate) ([]byte, bool) {
	s := cryptobyte.String(c.RawSubjectPublicKeyInfo)
	var spki cryptobyte.String
	var bits asn1.BitString
	if !s.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.SkipASN1(cbasn1.SEQUENCE) || !spki.ReadASN1BitString(&bits) {
		return nil, false
	}
	return bits.Bytes, true
}

// NamesResponder reports whether the response's responder ID (by name or
// by key hash) designates c. It verifies nothing.
func (r *OCSPResponse) NamesResponder(c *Certificate) bool {
	if r.ResponderName != nil {
		return bytes.Equal(r.ResponderName, c.RawSubject)
	}
	key, ok := subjectPublicKeyBits(c)
	if !ok {
		return false
	}
	h := crypto.SHA1.New()
	h.Write(key)
	return bytes.Equal(h.Sum(nil), r.ResponderKeyHash)
}

// SignedBy reports whether the response names c as its responder (by name
// or by key hash) and its signature verifies with c's key.
func (r *OCSPResponse) SignedBy(c *Certificate) error {
	if !r.NamesResponder(c) {
		return errors.New("the responder ID does not designate the certificate")
	}
	return VerifySignature(c.PublicKey, r.SignatureAlgorithm, 0, r.RawTBSResponseData, r.Signature)
}

// CRL is a parsed X.509 certificate revocation list.
type CRL struct {
	RawTBSCertList []byte
	RawIssuer      []byte
	ThisUpdate     time.Time
	NextUpdate     time.Time // zero when absent
	// Revoked maps a revoked serial number (big.Int's String) to its entry.
	Revoked            map[string]RevokedEntry
	SignatureAlgorithm SignatureAlgorithm
	Signature          []byte
}

// RevokedEntry is one entry of a CRL.
type RevokedEntry struct {
	RevokedAt time.Time
}

// ParseCRL decodes a DER CertificateList.
func ParseCRL(der []byte) (*CRL, error) {
	if len(der) > MaxRevocationSize {
		return nil, fmt.Errorf("CRL of %d bytes exceeds %d", len(der), MaxRevocationSize)
	}
	s := cryptobyte.String(der)
	var cl, rawTBS, tbs, issuer cryptobyte.String
	if !s.ReadASN1(&cl, cbasn1.SEQUENCE) || !s.Empty() || !cl.ReadASN1Element(&rawTBS, cbasn1.SEQUENCE) {
		return nil, errors.New("CRL: not a CertificateList")
	}
	c := &CRL{RawTBSCertList: rawTBS, Revoked: map[string]RevokedEntry{}}
	if !rawTBS.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("CRL: malformed tbsCertList")
	}
	if tbs.PeekASN1Tag(cbasn1.INTEGER) && !tbs.SkipASN1(cbasn1.INTEGER) {
		return nil, errors.New("CRL: malformed version")
	}
	if _, _, ok := parseAlgorithmIdentifier(&tbs); !ok || !tbs.ReadASN1Element(&issuer, cbasn1.SEQUENCE) {
		return nil, errors.New("CRL: malformed signature or issuer")
	}
	c.RawIssuer = issuer
	var err error
	if c.ThisUpdate, err = readTime(&tbs); err != nil {
		return nil, fmt.Errorf("CRL: thisUpdate: %w", err)
	}
	if tbs.PeekASN1Tag(cbasn1.UTCTime) || tbs.PeekASN1Tag(cbasn1.GeneralizedTime) {
		if c.NextUpdate, err = readTime(&tbs); err != nil {
			return nil, fmt.Errorf("CRL: nextUpdate: %w", err)
		}
	}
	if tbs.PeekASN1Tag(cbasn1.SEQUENCE) {
		var revoked cryptobyte.String
		if !tbs.ReadASN1(&revoked, cbasn1.SEQUENCE) {
			return nil, errors.New("CRL: malformed revokedCertificates")
		}
		for !revoked.Empty() {
			var e cryptobyte.String
			serial := new(big.Int)
			if !revoked.ReadASN1(&e, cbasn1.SEQUENCE) || !e.ReadASN1Integer(serial) {
				return nil, errors.New("CRL: malformed revoked entry")
			}
			at, err := readTime(&e)
			if err != nil {
				return nil, fmt.Errorf("CRL: revocationDate: %w", err)
			}
			c.Revoked[serial.String()] = RevokedEntry{RevokedAt: at}
		}
	}
	if !tbs.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) || !tbs.Empty() {
		return nil, errors.New("CRL: malformed crlExtensions")
	}
	oid, params, ok := parseAlgorithmIdentifier(&cl)
	if !ok {
		return nil, errors.New("CRL: malformed signatureAlgorithm")
	}
	if c.SignatureAlgorithm, err = ParseSignatureAlgorithm(oid, params); err != nil {
		return nil, fmt.Errorf("CRL: %w", err)
	}
	var sig asn1.BitString
	if !cl.ReadASN1BitString(&sig) || !cl.Empty() || sig.BitLength%8 != 0 {
		return nil, errors.New("CRL: malformed signature")
	}
	c.Signature = sig.RightAlign()
	return c, nil
}

// SignedBy reports whether issuer issued the CRL: its name is the CRL's
// issuer and its key verifies the CRL's signature (indirect CRLs are not
// supported).
func (c *CRL) SignedBy(issuer *Certificate) error {
	if !bytes.Equal(c.RawIssuer, issuer.RawSubject) {
		return errors.New("the CRL issuer is not the certificate's subject")
	}
	if issuer.KeyUsage != 0 && issuer.KeyUsage&(1<<6) == 0 { // cRLSign
		return errors.New("the issuer's key usage does not allow signing CRLs")
	}
	return VerifySignature(issuer.PublicKey, c.SignatureAlgorithm, 0, c.RawTBSCertList, c.Signature)
}

// RevocationValues is the revocation data a CMS signature carries: in the
// SignedData's crls field (CRLs, and OCSP responses as
// id-ri-ocsp-response, RFC 5940) and in the signer's Adobe
// revocationInfoArchival signed attribute (ISO 32000-1 §12.8.3.3.2).
type RevocationValues struct {
	CRLs, OCSPs [][]byte
}

// add appends without exceeding a sane count.
func (v *RevocationValues) add(crl bool, der []byte) error {
	if len(v.CRLs)+len(v.OCSPs) >= 1000 {
		return errors.New("more than 1000 revocation values")
	}
	if crl {
		v.CRLs = append(v.CRLs, der)
	} else {
		v.OCSPs = append(v.OCSPs, der)
	}
	return nil
}

// parseRevocationInfoChoices reads the content of SignedData's crls [1].
func parseRevocationInfoChoices(s cryptobyte.String, out *RevocationValues) error {
	for !s.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !s.ReadAnyASN1Element(&el, &tag) {
			return errors.New("malformed RevocationInfoChoice")
		}
		switch tag {
		case cbasn1.SEQUENCE:
			if err := out.add(true, el); err != nil {
				return err
			}
		case cbasn1.Tag(1).Constructed().ContextSpecific(): // OtherRevocationInfoFormat
			var other, info cryptobyte.String
			var format asn1.ObjectIdentifier
			if !el.ReadASN1(&other, tag) || !other.ReadASN1ObjectIdentifier(&format) || !other.ReadAnyASN1Element(&info, nil) {
				return errors.New("malformed OtherRevocationInfoFormat")
			}
			if format.Equal(oidRIOCSPResponse) {
				if err := out.add(false, info); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// parseAdobeRevocationInfo reads RevocationInfoArchival ::= SEQUENCE {
// crl [0] EXPLICIT SEQUENCE OF CRLs, ocsp [1] EXPLICIT SEQUENCE OF
// OCSPResponse, otherRevInfo [2] ... } (each optional).
func parseAdobeRevocationInfo(values cryptobyte.String, out *RevocationValues) error {
	var seq cryptobyte.String
	if !values.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return errors.New("malformed revocationInfoArchival")
	}
	for _, f := range []struct {
		tag cbasn1.Tag
		crl bool
	}{{cbasn1.Tag(0).Constructed().ContextSpecific(), true}, {cbasn1.Tag(1).Constructed().ContextSpecific(), false}} {
		var wrap, list cryptobyte.String
		var has bool
		if !seq.ReadOptionalASN1(&wrap, &has, f.tag) {
			return errors.New("malformed revocationInfoArchival")
		}
		if !has {
			continue
		}
		if !wrap.ReadASN1(&list, cbasn1.SEQUENCE) {
			return errors.New("malformed revocationInfoArchival")
		}
		for !list.Empty() {
			var el cryptobyte.String
			if !list.ReadASN1Element(&el, cbasn1.SEQUENCE) {
				return errors.New("malformed revocationInfoArchival")
			}
			if err := out.add(f.crl, el); err != nil {
				return err
			}
		}
	}
	return nil
}
