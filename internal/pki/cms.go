package pki

import (
	"bytes"
	"crypto"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// MaxCMSSize bounds the CMS objects ParseSignedData accepts.
const MaxCMSSize = 64 << 20

var (
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCertV1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSigningCertV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
)

// singleInstanceAttrs are the signed attributes that may appear at most once
// in a SignerInfo: content-type, message-digest and signing-time (RFC 5652
// §11.1-11.3: "MUST NOT include multiple instances") and the ESS
// signing-certificate attributes (RFC 2634 §5.4, RFC 5035 §3, ETSI EN 319
// 122-1 §5.2.2). Other attributes, such as vendor ones, may repeat: RFC 5652
// §5.3 puts no such limit on SignedAttributes as a whole.
var singleInstanceAttrs = []asn1.ObjectIdentifier{oidContentType, oidMessageDigest, oidSigningTime, oidSigningCertV1, oidSigningCertV2}

func singleInstance(oid asn1.ObjectIdentifier) bool {
	for _, o := range singleInstanceAttrs {
		if oid.Equal(o) {
			return true
		}
	}
	return false
}

// SignedData is a decoded CMS SignedData (RFC 5652). BER input (indefinite
// lengths, as Bouncy Castle writes) is normalised to DER first.
type SignedData struct {
	ContentType asn1.ObjectIdentifier // eContentType
	Content     []byte                // eContent; nil when detached
	// Certificates holds the DER certificates carried in the SignedData.
	Certificates [][]byte
	SignerInfos  []SignerInfo
	// Revocation holds the CRLs and OCSP responses of the crls field
	// (RevocationInfoChoices, RFC 5652 §10.2.1 and RFC 5940).
	Revocation RevocationValues
}

// SignerInfo is one signer of a SignedData.
type SignerInfo struct {
	// The signer identifier: issuer and serial number, or subject key identifier.
	IssuerRaw    []byte
	SerialNumber *big.Int
	SubjectKeyID []byte

	DigestAlgorithm    crypto.Hash
	SignatureAlgorithm SignatureAlgorithm
	// RawSignedAttrs is the signedAttrs field as it was received, with its
	// [0] IMPLICIT tag; nil when absent. The signature covers these bytes
	// with the tag replaced by SET OF, never a re-encoding of the attributes.
	RawSignedAttrs []byte
	Signature      []byte
	// Revocation holds the CRLs and OCSP responses of Adobe's
	// revocationInfoArchival signed attribute, when present.
	Revocation RevocationValues

	contentType   asn1.ObjectIdentifier
	messageDigest []byte
	signingTime   []byte
}

// ParseSignedData decodes a ContentInfo holding a SignedData.
func ParseSignedData(ber []byte) (*SignedData, error) {
	if len(ber) > MaxCMSSize {
		return nil, fmt.Errorf("CMS object of %d bytes exceeds %d", len(ber), MaxCMSSize)
	}
	// DER input is read as it is, so every signed byte is the received one;
	// only input that does not parse as DER goes through BERToDER.
	sd, err := parseSignedData(ber)
	if err != nil {
		der, berr := BERToDER(ber)
		if berr != nil {
			return nil, fmt.Errorf("CMS: %w", berr)
		}
		sd, err = parseSignedData(der)
	}
	if err != nil {
		return nil, fmt.Errorf("CMS SignedData: %w", err)
	}
	return sd, nil
}

func parseSignedData(der []byte) (*SignedData, error) {
	s := cryptobyte.String(der)
	var ci, content, sdSeq cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ct) {
		return nil, errors.New("not a ContentInfo")
	}
	if !ct.Equal(oidSignedData) {
		return nil, fmt.Errorf("content type %s is not signedData", ct)
	}
	if !ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) || !content.ReadASN1(&sdSeq, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed ContentInfo")
	}
	sd := &SignedData{}
	var version int64
	var digestAlgs, encap cryptobyte.String
	if !sdSeq.ReadASN1Integer(&version) || !sdSeq.ReadASN1(&digestAlgs, cbasn1.SET) || !sdSeq.ReadASN1(&encap, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed header")
	}
	if !encap.ReadASN1ObjectIdentifier(&sd.ContentType) {
		return nil, errors.New("malformed encapContentInfo")
	}
	if !encap.Empty() {
		var ec cryptobyte.String
		if !encap.ReadASN1(&ec, cbasn1.Tag(0).Constructed().ContextSpecific()) || !encap.Empty() {
			return nil, errors.New("malformed eContent")
		}
		c, err := readOctets(&ec)
		if err != nil || !ec.Empty() {
			return nil, errors.New("malformed eContent")
		}
		sd.Content = c
	}
	var certs cryptobyte.String
	var present bool
	if !sdSeq.ReadOptionalASN1(&certs, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errors.New("malformed certificates")
	}
	for present && !certs.Empty() {
		var c cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&c, &tag) {
			return nil, errors.New("malformed certificates")
		}
		if tag == cbasn1.SEQUENCE { // other CertificateChoices (attribute certificates …) are skipped
			if len(sd.Certificates) >= 10000 {
				return nil, errors.New("more than 10000 certificates")
			}
			sd.Certificates = append(sd.Certificates, c)
		}
	}
	var crls cryptobyte.String
	if !sdSeq.ReadOptionalASN1(&crls, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, errors.New("malformed crls")
	}
	if present {
		if err := parseRevocationInfoChoices(crls, &sd.Revocation); err != nil {
			return nil, fmt.Errorf("crls: %w", err)
		}
	}
	var sis cryptobyte.String
	if !sdSeq.ReadASN1(&sis, cbasn1.SET) {
		return nil, errors.New("malformed signerInfos")
	}
	for !sis.Empty() {
		si, err := parseSignerInfo(&sis)
		if err != nil {
			return nil, fmt.Errorf("signerInfo %d: %w", len(sd.SignerInfos), err)
		}
		if len(sd.SignerInfos) >= 16 {
			return nil, errors.New("more than 16 signers")
		}
		sd.SignerInfos = append(sd.SignerInfos, si)
	}
	return sd, nil
}

// readOctets reads an OCTET STRING, primitive or constructed (BER chunks).
func readOctets(s *cryptobyte.String) ([]byte, error) { return readOctetsDepth(s, 0) }

func readOctetsDepth(s *cryptobyte.String, depth int) ([]byte, error) {
	if depth > 8 {
		return nil, errors.New("constructed OCTET STRING nested too deep")
	}
	var b cryptobyte.String
	if s.PeekASN1Tag(cbasn1.OCTET_STRING) { // ReadASN1 consumes even a mismatched element: peek first
		if !s.ReadASN1(&b, cbasn1.OCTET_STRING) {
			return nil, errors.New("malformed OCTET STRING")
		}
		return b, nil
	}
	if !s.ReadASN1(&b, cbasn1.OCTET_STRING.Constructed()) {
		return nil, errors.New("not an OCTET STRING")
	}
	var out []byte
	for !b.Empty() {
		part, err := readOctetsDepth(&b, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

func parseSignerInfo(s *cryptobyte.String) (SignerInfo, error) {
	var si SignerInfo
	var seq cryptobyte.String
	var version int64
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(&version) {
		return si, errors.New("malformed")
	}
	switch {
	case seq.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias cryptobyte.String
		var issuer cryptobyte.String
		si.SerialNumber = new(big.Int)
		if !seq.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) || !ias.ReadASN1Integer(si.SerialNumber) || !ias.Empty() {
			return si, errors.New("malformed issuerAndSerialNumber")
		}
		si.IssuerRaw = issuer
	case seq.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()):
		var ski cryptobyte.String
		if !seq.ReadASN1(&ski, cbasn1.Tag(0).ContextSpecific()) {
			return si, errors.New("malformed subjectKeyIdentifier")
		}
		si.SubjectKeyID = ski
	default:
		return si, errors.New("malformed signer identifier")
	}
	doid, _, ok := parseAlgorithmIdentifier(&seq)
	if !ok {
		return si, errors.New("malformed digestAlgorithm")
	}
	if si.DigestAlgorithm = HashFromOID(doid); si.DigestAlgorithm == 0 {
		return si, fmt.Errorf("unsupported digest algorithm %s", doid)
	}
	if seq.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var raw, attrs cryptobyte.String
		if !seq.ReadASN1Element(&raw, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return si, errors.New("malformed signedAttrs")
		}
		si.RawSignedAttrs = raw
		if !raw.ReadASN1(&attrs, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return si, errors.New("malformed signedAttrs")
		}
		if err := si.parseSignedAttrs(attrs); err != nil {
			return si, err
		}
	}
	soid, sparams, ok := parseAlgorithmIdentifier(&seq)
	if !ok {
		return si, errors.New("malformed signatureAlgorithm")
	}
	var err error
	if si.SignatureAlgorithm, err = ParseSignatureAlgorithm(soid, sparams); err != nil {
		return si, err
	}
	var sig cryptobyte.String
	if !seq.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return si, errors.New("malformed signature")
	}
	si.Signature = sig
	if !seq.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) || !seq.Empty() {
		return si, errors.New("malformed unsignedAttrs")
	}
	return si, nil
}

func (si *SignerInfo) parseSignedAttrs(attrs cryptobyte.String) error {
	seen := map[string]bool{}
	for !attrs.Empty() {
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !attrs.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) || !attr.ReadASN1(&values, cbasn1.SET) || !attr.Empty() {
			return errors.New("malformed signed attribute")
		}
		if singleInstance(oid) {
			if seen[oid.String()] {
				return fmt.Errorf("signed attribute %s appears twice", oid)
			}
			seen[oid.String()] = true
		}
		switch {
		case oid.Equal(oidContentType):
			if !values.ReadASN1ObjectIdentifier(&si.contentType) || !values.Empty() {
				return errors.New("malformed contentType attribute")
			}
		case oid.Equal(oidMessageDigest):
			var d cryptobyte.String
			if !values.ReadASN1(&d, cbasn1.OCTET_STRING) || !values.Empty() {
				return errors.New("malformed messageDigest attribute")
			}
			si.messageDigest = d
		case oid.Equal(oidSigningTime):
			si.signingTime = values
		case oid.Equal(oidAdobeRevInfo):
			if err := parseAdobeRevocationInfo(values, &si.Revocation); err != nil {
				return err
			}
		}
	}
	if si.messageDigest == nil || si.contentType == nil {
		return errors.New("signedAttrs lack contentType or messageDigest")
	}
	return nil
}

// Matches reports whether cert is the certificate the SignerInfo names.
func (si *SignerInfo) Matches(cert *Certificate) bool {
	if si.SubjectKeyID != nil {
		return bytes.Equal(si.SubjectKeyID, cert.SubjectKeyId)
	}
	return si.SerialNumber.Cmp(cert.SerialNumber) == 0 && bytes.Equal(si.IssuerRaw, cert.RawIssuer)
}

// FindSigner returns the first of certs (DER) that the SignerInfo names, parsed.
func (si *SignerInfo) FindSigner(certs [][]byte) (*Certificate, error) {
	for _, der := range certs {
		c, err := Parse(der)
		if err == nil && si.Matches(c) {
			return c, nil
		}
	}
	return nil, errors.New("the signer's certificate is not among the certificates given")
}

// Verify checks the SignerInfo over content (eContent, or the detached
// content) with the signer's certificate: with signed attributes, their
// contentType must equal contentType and their messageDigest the digest of
// content, and the signature covers the attributes as received; without, the
// signature covers content itself.
func (si *SignerInfo) Verify(contentType asn1.ObjectIdentifier, content []byte, signer *Certificate) error {
	if si.RawSignedAttrs == nil && si.SignatureAlgorithm.Key == KeyEd25519 {
		return VerifySignature(signer.PublicKey, si.SignatureAlgorithm, si.DigestAlgorithm, content, si.Signature)
	}
	return si.VerifyParts(contentType, signer, content)
}

// VerifyParts is Verify for detached content given as consecutive parts
// (a PDF's two signed byte ranges), hashed in place without joining them.
// Ed25519 without signed attributes signs the content itself: its parts
// are joined.
func (si *SignerInfo) VerifyParts(contentType asn1.ObjectIdentifier, signer *Certificate, parts ...[]byte) error {
	if si.RawSignedAttrs == nil && si.SignatureAlgorithm.Key == KeyEd25519 {
		return VerifySignature(signer.PublicKey, si.SignatureAlgorithm, si.DigestAlgorithm, bytes.Join(parts, nil), si.Signature)
	}
	if si.DigestAlgorithm == 0 || !si.DigestAlgorithm.Available() {
		return fmt.Errorf("digest algorithm %v is not available", si.DigestAlgorithm)
	}
	h := si.DigestAlgorithm.New()
	for _, p := range parts {
		h.Write(p)
	}
	digest := h.Sum(nil)
	if si.RawSignedAttrs == nil {
		return VerifyDigest(signer.PublicKey, si.SignatureAlgorithm, si.DigestAlgorithm, digest, si.Signature)
	}
	if !si.contentType.Equal(contentType) {
		return fmt.Errorf("signed contentType %s differs from eContentType %s", si.contentType, contentType)
	}
	if subtle.ConstantTimeCompare(digest, si.messageDigest) != 1 {
		return errors.New("messageDigest does not match the content")
	}
	signed := bytes.Clone(si.RawSignedAttrs)
	signed[0] = 0x31 // [0] IMPLICIT → SET OF, RFC 5652 §5.4
	return VerifySignature(signer.PublicKey, si.SignatureAlgorithm, si.DigestAlgorithm, signed, si.Signature)
}

// BERToDER re-encodes BER with indefinite lengths as DER definite lengths.
// It does not sort SETs or merge constructed strings: it changes only length
// encodings, so DER input comes back unchanged (the same slice, not a copy:
// callers must not modify it). It walks the input twice, once to learn each
// constructed element's new length and once to write the result into one
// allocation; input whose lengths are all definite and minimal is returned
// after the first walk.
func BERToDER(ber []byte) ([]byte, error) {
	if len(ber) > MaxCMSSize {
		return nil, fmt.Errorf("%d bytes exceeds %d", len(ber), MaxCMSSize)
	}
	var w berWalk
	n, rest, err := w.size(ber, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing data after the BER element")
	}
	if !w.changed {
		return ber, nil
	}
	out, _ := w.write(make([]byte, 0, n), ber)
	return out, nil
}

// berWalk carries what BERToDER's first walk (size) learns to its second
// (write): each constructed element's DER content length, in document order.
type berWalk struct {
	bodies []int
	next   int
	// changed: some length is indefinite or not in its shortest form.
	changed bool
}

// berHeader reads an element's identifier and length octets: the
// identifier's length, the content length (-1 when indefinite), where the
// content starts, and whether the length is in DER's (shortest) form.
func berHeader(b []byte) (tagLen, l, start int, minimal bool, err error) {
	if len(b) < 2 {
		return 0, 0, 0, false, errors.New("truncated BER")
	}
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number form
		for ; i < len(b) && b[i]&0x80 != 0; i++ {
			if i > 4 {
				return 0, 0, 0, false, errors.New("BER tag too long")
			}
		}
		i++
	}
	if i >= len(b) {
		return 0, 0, 0, false, errors.New("truncated BER")
	}
	tagLen = i
	l = int(b[i])
	i++
	switch {
	case l == 0x80:
		if b[0]&0x20 == 0 {
			return 0, 0, 0, false, errors.New("indefinite length on a primitive")
		}
		return tagLen, -1, i, false, nil
	case l > 0x80:
		n := l & 0x7f
		if n > 4 || i+n > len(b) {
			return 0, 0, 0, false, errors.New("bad BER length")
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		minimal = l >= 0x80 && b[i] != 0
		i += n
	default:
		minimal = true
	}
	if l < 0 || l > len(b)-i {
		return 0, 0, 0, false, errors.New("BER length exceeds the data")
	}
	return tagLen, l, i, minimal, nil
}

// derLenLen is the size of a DER length of l (what appendDERLen writes).
func derLenLen(l int) int {
	switch {
	case l < 0x80:
		return 1
	case l < 1<<8:
		return 2
	case l < 1<<16:
		return 3
	case l < 1<<24:
		return 4
	}
	return 5
}

func appendDERLen(out []byte, l int) []byte {
	switch {
	case l < 0x80:
		return append(out, byte(l))
	case l < 1<<8:
		return append(out, 0x81, byte(l))
	case l < 1<<16:
		return append(out, 0x82, byte(l>>8), byte(l))
	case l < 1<<24:
		return append(out, 0x83, byte(l>>16), byte(l>>8), byte(l))
	}
	return append(out, 0x84, byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
}

func isEOC(b []byte) bool { return len(b) >= 2 && b[0] == 0 && b[1] == 0 }

// size checks the element at the start of b and returns its DER size and
// what follows it, recording constructed elements' content lengths.
func (w *berWalk) size(b []byte, depth int) (int, []byte, error) {
	if depth > 64 {
		return 0, nil, errors.New("BER nested too deep")
	}
	tagLen, l, i, minimal, err := berHeader(b)
	if err != nil {
		return 0, nil, err
	}
	if !minimal {
		w.changed = true
	}
	var content, rest []byte
	if l >= 0 {
		content, rest = b[i:i+l], b[i+l:]
		if b[0]&0x20 == 0 { // primitive
			return tagLen + derLenLen(l) + l, rest, nil
		}
	} else {
		content = b[i:]
	}
	slot := len(w.bodies)
	w.bodies = append(w.bodies, 0)
	body := 0
	for {
		if l < 0 && isEOC(content) {
			rest = content[2:]
			break
		}
		if l >= 0 && len(content) == 0 {
			break
		}
		n, after, err := w.size(content, depth+1)
		if err != nil {
			return 0, nil, err
		}
		body += n
		content = after
	}
	w.bodies[slot] = body
	return tagLen + derLenLen(body) + body, rest, nil
}

// write appends the DER form of the element at the start of b (which size
// accepted) and returns what follows it.
func (w *berWalk) write(out, b []byte) ([]byte, []byte) {
	tagLen, l, i, _, _ := berHeader(b)
	out = append(out, b[:tagLen]...)
	if b[0]&0x20 == 0 {
		out = appendDERLen(out, l)
		return append(out, b[i:i+l]...), b[i+l:]
	}
	out = appendDERLen(out, w.bodies[w.next])
	w.next++
	if l < 0 {
		rest := b[i:]
		for !isEOC(rest) {
			out, rest = w.write(out, rest)
		}
		return out, rest[2:]
	}
	content := b[i : i+l]
	for len(content) > 0 {
		out, content = w.write(out, content)
	}
	return out, b[i+l:]
}

// SigningTime returns the signingTime signed attribute, when present.
func (si *SignerInfo) SigningTime() (time.Time, bool) {
	s := cryptobyte.String(si.signingTime)
	var t time.Time
	switch {
	case s.PeekASN1Tag(cbasn1.UTCTime):
		if s.ReadASN1UTCTime(&t) {
			return t.UTC(), true
		}
	case s.PeekASN1Tag(cbasn1.GeneralizedTime):
		if s.ReadASN1GeneralizedTime(&t) {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
