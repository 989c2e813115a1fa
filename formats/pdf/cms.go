package pdf

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// A small, strict reader for CMS SignedData (RFC 5652) in DER. It keeps the
// original bytes of what is signed (the signed attributes, the encapsulated
// content) so that signatures are checked over exactly what the signer
// signed, never over a re-encoding, and it names the signer by its
// SignerIdentifier rather than by its position in the certificate bag.

var (
	oidSignedData     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCertV1  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSigningCertV2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
)

// cmsSignedData is a parsed CMS SignedData.
type cmsSignedData struct {
	ContentType asn1.ObjectIdentifier // eContentType
	Content     []byte                // eContent, nil when detached
	Signers     []cmsSignerInfo

	rawCerts [][]byte            // the certificate bag, in order
	certs    []*x509.Certificate // parsed on first use
	parsed   bool
}

// Certs returns the certificates of the bag that parse, in order. They are
// parsed on first use: reading attributes needs none of them.
func (sd *cmsSignedData) Certs() []*x509.Certificate {
	if !sd.parsed {
		sd.parsed = true
		for _, der := range sd.rawCerts {
			if c, err := x509.ParseCertificate(der); err == nil {
				sd.certs = append(sd.certs, c) // one Go cannot read cannot be the signer here
			}
		}
	}
	return sd.certs
}

// cmsSignerInfo is one SignerInfo.
type cmsSignerInfo struct {
	IssuerRaw []byte   // sid as IssuerAndSerialNumber: the issuer Name's DER
	Serial    *big.Int // and serial
	SKI       []byte   // sid as SubjectKeyIdentifier
	DigestAlg asn1.ObjectIdentifier
	// SignedAttrsDER is the signed attributes exactly as they appear, with
	// the [0] IMPLICIT tag replaced by the SET OF tag: the bytes the
	// signature covers (RFC 5652 §5.4). Nil when there are none.
	SignedAttrsDER []byte
	SignedAttrs    []cmsAttribute
	SigAlg         asn1.ObjectIdentifier
	SigAlgParams   []byte
	Signature      []byte
	UnsignedAttrs  []cmsAttribute
}

// cmsAttribute is an attribute with the DER of each of its values.
type cmsAttribute struct {
	Type   asn1.ObjectIdentifier
	Values [][]byte
}

func (si *cmsSignerInfo) attr(attrs []cmsAttribute, oid asn1.ObjectIdentifier) ([]byte, bool) {
	for _, a := range attrs {
		if a.Type.Equal(oid) && len(a.Values) > 0 {
			return a.Values[0], true
		}
	}
	return nil, false
}

var errCMS = errors.New("not a DER CMS SignedData")

// parseCMS reads a DER ContentInfo holding a SignedData.
func parseCMS(der []byte) (*cmsSignedData, error) {
	in := cryptobyte.String(der)
	var ci, content, sd cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ct) {
		return nil, errCMS
	}
	if !ct.Equal(oidSignedData) {
		return nil, fmt.Errorf("content type %s is not signed data", ct)
	}
	if !ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) || !content.ReadASN1(&sd, cbasn1.SEQUENCE) {
		return nil, errCMS
	}
	out := &cmsSignedData{}
	var version int64
	var eci cryptobyte.String
	if !sd.ReadASN1Integer(&version) || !sd.SkipASN1(cbasn1.SET) || !sd.ReadASN1(&eci, cbasn1.SEQUENCE) ||
		!eci.ReadASN1ObjectIdentifier(&out.ContentType) {
		return nil, fmt.Errorf("%w: bad version, digest algorithms or content info", errCMS)
	}
	var wrap cryptobyte.String
	var has bool
	if !eci.ReadOptionalASN1(&wrap, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, fmt.Errorf("%w: bad encapsulated content", errCMS)
	}
	if has {
		var oct cryptobyte.String
		if !wrap.ReadASN1(&oct, cbasn1.OCTET_STRING) {
			return nil, fmt.Errorf("%w: encapsulated content is not a DER OCTET STRING", errCMS)
		}
		out.Content = []byte(oct)
	}
	var certs cryptobyte.String
	if !sd.ReadOptionalASN1(&certs, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, fmt.Errorf("%w: bad certificate set", errCMS)
	}
	for !certs.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&el, &tag) {
			return nil, fmt.Errorf("%w: bad certificate set", errCMS)
		}
		if tag != cbasn1.SEQUENCE {
			continue // other CertificateChoices (attribute certificates) are not used
		}
		if len(out.rawCerts) >= 64 {
			return nil, errors.New("more than 64 certificates in the CMS")
		}
		out.rawCerts = append(out.rawCerts, el)
	}
	if !sd.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, fmt.Errorf("%w: bad revocation set", errCMS)
	}
	var sis cryptobyte.String
	if !sd.ReadASN1(&sis, cbasn1.SET) {
		return nil, fmt.Errorf("%w: no signer infos", errCMS)
	}
	for !sis.Empty() {
		var si cryptobyte.String
		if !sis.ReadASN1(&si, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: bad signer info", errCMS)
		}
		if len(out.Signers) >= 16 {
			return nil, errors.New("more than 16 signer infos in the CMS")
		}
		s, err := parseSignerInfo(si)
		if err != nil {
			return nil, err
		}
		out.Signers = append(out.Signers, s)
	}
	return out, nil
}

func parseSignerInfo(si cryptobyte.String) (cmsSignerInfo, error) {
	var s cmsSignerInfo
	var version int64
	bad := func(what string) (cmsSignerInfo, error) {
		return s, fmt.Errorf("%w: bad signer info %s", errCMS, what)
	}
	if !si.ReadASN1Integer(&version) {
		return bad("version")
	}
	switch {
	case si.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias, issuer cryptobyte.String
		s.Serial = new(big.Int)
		if !si.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) || !ias.ReadASN1Integer(s.Serial) {
			return bad("issuer and serial number")
		}
		s.IssuerRaw = []byte(issuer)
	case si.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()):
		var ski cryptobyte.String
		if !si.ReadASN1(&ski, cbasn1.Tag(0).ContextSpecific()) {
			return bad("subject key identifier")
		}
		s.SKI = []byte(ski)
	default:
		return bad("signer identifier")
	}
	var alg cryptobyte.String
	if !si.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&s.DigestAlg) {
		return bad("digest algorithm")
	}
	var attrsEl cryptobyte.String
	var has bool
	if si.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		if !si.ReadASN1Element(&attrsEl, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return bad("signed attributes")
		}
		has = true
	}
	if has {
		der := bytes.Clone(attrsEl)
		der[0] = byte(cbasn1.SET) // the signature covers the SET OF encoding (RFC 5652 §5.4)
		s.SignedAttrsDER = der
		var body cryptobyte.String
		el := cryptobyte.String(der)
		if !el.ReadASN1(&body, cbasn1.SET) {
			return bad("signed attributes")
		}
		var err error
		if s.SignedAttrs, err = parseAttributes(body); err != nil {
			return s, err
		}
	}
	var sigAlg cryptobyte.String
	if !si.ReadASN1(&sigAlg, cbasn1.SEQUENCE) || !sigAlg.ReadASN1ObjectIdentifier(&s.SigAlg) {
		return bad("signature algorithm")
	}
	s.SigAlgParams = []byte(sigAlg)
	var sig cryptobyte.String
	if !si.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return bad("signature value")
	}
	s.Signature = []byte(sig)
	var unsigned cryptobyte.String
	if !si.ReadOptionalASN1(&unsigned, &has, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return bad("unsigned attributes")
	}
	if has {
		var err error
		if s.UnsignedAttrs, err = parseAttributes(unsigned); err != nil {
			return s, err
		}
	}
	return s, nil
}

func parseAttributes(body cryptobyte.String) ([]cmsAttribute, error) {
	var out []cmsAttribute
	for !body.Empty() {
		var a, vals cryptobyte.String
		var at cmsAttribute
		if !body.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&at.Type) || !a.ReadASN1(&vals, cbasn1.SET) {
			return nil, fmt.Errorf("%w: bad attribute", errCMS)
		}
		for !vals.Empty() {
			var v cryptobyte.String
			var tag cbasn1.Tag
			if !vals.ReadAnyASN1Element(&v, &tag) {
				return nil, fmt.Errorf("%w: bad attribute value", errCMS)
			}
			at.Values = append(at.Values, []byte(v))
		}
		if len(out) >= 64 {
			return nil, errors.New("more than 64 attributes")
		}
		out = append(out, at)
	}
	return out, nil
}

// signerCertificate returns the certificate in the bag that the SignerInfo
// names (by issuer and serial number, or by subject key identifier).
func (sd *cmsSignedData) signerCertificate(si *cmsSignerInfo) *x509.Certificate {
	for _, c := range sd.Certs() {
		switch {
		case si.Serial != nil:
			if bytes.Equal(c.RawIssuer, si.IssuerRaw) && c.SerialNumber.Cmp(si.Serial) == 0 {
				return c
			}
		case si.SKI != nil:
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, si.SKI) {
				return c
			}
		}
	}
	return nil
}

var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidSHA1RSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256RSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384RSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512RSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECPublic  = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSA1    = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSA256  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSA384  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSA512  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidEd25519   = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// hashOf maps a digest algorithm OID to its hash.
func hashOf(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case oid.Equal(oidSHA1):
		return crypto.SHA1, true
	case oid.Equal(oidSHA256):
		return crypto.SHA256, true
	case oid.Equal(oidSHA384):
		return crypto.SHA384, true
	case oid.Equal(oidSHA512):
		return crypto.SHA512, true
	}
	return 0, false
}

// signatureAlgorithm maps a SignerInfo's digest and signature algorithms to
// the x509 algorithm that checks them.
func signatureAlgorithm(digest, sig asn1.ObjectIdentifier) (x509.SignatureAlgorithm, error) {
	h, ok := hashOf(digest)
	if !ok {
		return 0, fmt.Errorf("digest algorithm %s is not supported", digest)
	}
	pick := func(m map[crypto.Hash]x509.SignatureAlgorithm) (x509.SignatureAlgorithm, error) {
		if a, ok := m[h]; ok {
			return a, nil
		}
		return 0, fmt.Errorf("signature algorithm %s with digest %s is not supported", sig, digest)
	}
	rsaAlgs := map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA1: x509.SHA1WithRSA, crypto.SHA256: x509.SHA256WithRSA, crypto.SHA384: x509.SHA384WithRSA, crypto.SHA512: x509.SHA512WithRSA}
	ecAlgs := map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA1: x509.ECDSAWithSHA1, crypto.SHA256: x509.ECDSAWithSHA256, crypto.SHA384: x509.ECDSAWithSHA384, crypto.SHA512: x509.ECDSAWithSHA512}
	switch {
	case sig.Equal(oidRSA):
		return pick(rsaAlgs)
	case sig.Equal(oidSHA1RSA):
		return x509.SHA1WithRSA, nil
	case sig.Equal(oidSHA256RSA):
		return x509.SHA256WithRSA, nil
	case sig.Equal(oidSHA384RSA):
		return x509.SHA384WithRSA, nil
	case sig.Equal(oidSHA512RSA):
		return x509.SHA512WithRSA, nil
	case sig.Equal(oidRSAPSS):
		return pick(map[crypto.Hash]x509.SignatureAlgorithm{crypto.SHA256: x509.SHA256WithRSAPSS, crypto.SHA384: x509.SHA384WithRSAPSS, crypto.SHA512: x509.SHA512WithRSAPSS})
	case sig.Equal(oidECPublic):
		return pick(ecAlgs)
	case sig.Equal(oidECDSA1):
		return x509.ECDSAWithSHA1, nil
	case sig.Equal(oidECDSA256):
		return x509.ECDSAWithSHA256, nil
	case sig.Equal(oidECDSA384):
		return x509.ECDSAWithSHA384, nil
	case sig.Equal(oidECDSA512):
		return x509.ECDSAWithSHA512, nil
	case sig.Equal(oidEd25519):
		return x509.PureEd25519, nil
	}
	return 0, fmt.Errorf("signature algorithm %s is not supported", sig)
}

// verifySignerInfo checks that cert's key made si's signature over the
// content (detached content is passed in content): the message-digest and
// content-type attributes when there are signed attributes, and the
// signature over their original DER.
func (sd *cmsSignedData) verifySignerInfo(si *cmsSignerInfo, cert *x509.Certificate, content []byte) error {
	h, ok := hashOf(si.DigestAlg)
	if !ok {
		return fmt.Errorf("digest algorithm %s is not supported", si.DigestAlg)
	}
	alg, err := signatureAlgorithm(si.DigestAlg, si.SigAlg)
	if err != nil {
		return err
	}
	signed := content
	if si.SignedAttrsDER != nil {
		md, ok := si.attr(si.SignedAttrs, oidMessageDigest)
		var digest []byte
		if !ok {
			return errors.New("the signed attributes carry no message digest")
		}
		if rest, err := asn1.Unmarshal(md, &digest); err != nil || len(rest) > 0 {
			return errors.New("the message-digest attribute is not an OCTET STRING")
		}
		hh := h.New()
		hh.Write(content)
		if !bytes.Equal(hh.Sum(nil), digest) {
			return errors.New("the content does not match the signed message digest")
		}
		ctv, ok := si.attr(si.SignedAttrs, oidContentType)
		var ct asn1.ObjectIdentifier
		if !ok {
			return errors.New("the signed attributes carry no content type")
		}
		if rest, err := asn1.Unmarshal(ctv, &ct); err != nil || len(rest) > 0 || !ct.Equal(sd.ContentType) {
			return errors.New("the signed content-type attribute does not match the content")
		}
		signed = si.SignedAttrsDER
	}
	if err := cert.CheckSignature(alg, signed, si.Signature); err != nil {
		return fmt.Errorf("the signature does not verify with the key of %q: %w", certName(cert), err)
	}
	return nil
}
