package pdf

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accord-network/accord/internal/pki"
)

// signatureCMS is a PDF signature's CMS read with the government-PKI
// certificate layer (internal/pki): brainpool and explicit-parameter keys,
// RSASSA-PSS, SHA-1 and negative serials parse, BER is read, and the
// signature is checked over the signed attributes exactly as received.
type signatureCMS struct {
	sd      *pki.SignedData
	si      *pki.SignerInfo   // the signer: the first SignerInfo whose certificate is carried
	signer  *pki.Certificate  // its certificate
	leaf    *x509.Certificate // the same, as crypto/x509 reads it (or a stand-in)
	certs   []*pki.Certificate
	carried []*x509.Certificate // every carried certificate, crypto/x509 view
	der     []byte              // the CMS as received (DER, or BER that timestampToken normalises), for the unsigned attributes
}

var oidData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}

// oidTimeStampTokenContent is the content octets of the DER (and BER: an
// object identifier has one encoding) of id-aa-timeStampToken,
// 1.2.840.113549.1.9.16.2.14: a CMS without them has no timestamp token
// attribute.
var oidTimeStampTokenContent = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e}

// openSignatureCMS reads the /Contents of a signature: the CMS followed by
// the zero padding of the placeholder.
func openSignatureCMS(contents []byte) (*signatureCMS, error) {
	b := trimCMS(contents)
	sd, err := pki.ParseSignedData(b)
	if err != nil {
		return nil, err
	}
	c := &signatureCMS{sd: sd}
	for _, der := range sd.Certificates {
		pc, err := pki.Parse(der)
		if err != nil {
			continue
		}
		c.certs = append(c.certs, pc)
		c.carried = append(c.carried, pc.X509())
	}
	for i := range sd.SignerInfos {
		si := &sd.SignerInfos[i]
		for _, pc := range c.certs {
			if si.Matches(pc) {
				c.si, c.signer, c.leaf = si, pc, pc.X509()
				break
			}
		}
		if c.si != nil {
			break
		}
	}
	if c.si == nil {
		if len(sd.SignerInfos) == 0 {
			return c, errors.New("the CMS has no signer")
		}
		return c, errors.New("the CMS signature carries no signer certificate")
	}
	c.der = b
	return c, nil
}

// trimCMS cuts the zero padding after a CMS in a /Contents placeholder:
// the bytes after its outer element, in DER or BER (indefinite lengths).
func trimCMS(b []byte) []byte {
	if n, ok := berElementLen(b, 0); ok {
		return b[:n]
	}
	return b
}

// berElementLen returns the length of the BER element at the start of b,
// following indefinite lengths to their end-of-contents octets.
func berElementLen(b []byte, depth int) (int, bool) {
	if depth > 64 || len(b) < 2 {
		return 0, false
	}
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return 0, false
	}
	l := int(b[i])
	i++
	switch {
	case l < 0x80:
		if i+l > len(b) {
			return 0, false
		}
		return i + l, true
	case l == 0x80: // indefinite: elements until 00 00
		if b[0]&0x20 == 0 {
			return 0, false
		}
		for {
			if i+2 <= len(b) && b[i] == 0 && b[i+1] == 0 {
				return i + 2, true
			}
			n, ok := berElementLen(b[i:], depth+1)
			if !ok {
				return 0, false
			}
			i += n
		}
	default:
		k := l & 0x7f
		if k > 4 || i+k > len(b) {
			return 0, false
		}
		n := 0
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
		if n < 0 || i+n > len(b) {
			return 0, false
		}
		return i + n, true
	}
}

// verify checks the signer's signature over the signed bytes (the parts
// the /ByteRange covers, hashed in place). It tells an
// integrity failure (the content does not match the signed digest) from a
// signature failure.
func (c *signatureCMS) verify(signed ...[]byte) (integrityOK bool, err error) {
	if len(c.sd.Content) > 0 {
		return true, errors.New("the CMS is not detached (adbe.pkcs7.sha1 style signatures are not supported)")
	}
	err = c.si.VerifyParts(oidData, c.signer, signed...)
	if err != nil && strings.Contains(err.Error(), "messageDigest does not match") {
		return false, err
	}
	if err != nil && strings.Contains(err.Error(), "contentType") {
		// Some signers put another content type; the digest is what binds.
		return true, err
	}
	return true, err
}

// signingTimeOutsideValidity returns a message when the CMS signing-time
// attribute lies outside the signer certificate's validity.
func (c *signatureCMS) signingTimeOutsideValidity() string {
	t, ok := c.si.SigningTime()
	if !ok || (!t.Before(c.signer.NotBefore) && !t.After(c.signer.NotAfter)) {
		return ""
	}
	return fmt.Sprintf("signing-time %s outside of certificate validity %s to %s", rfc3339(t), rfc3339(c.signer.NotBefore), rfc3339(c.signer.NotAfter))
}

// timestampToken returns the RFC 3161 token among the signer's unsigned
// attributes and the signature value it must stamp.
func (c *signatureCMS) timestampToken() (token, sigValue []byte) {
	if !bytes.Contains(c.der, oidTimeStampTokenContent) {
		return nil, nil // no attribute of that type can be in the CMS: skip reading it again
	}
	sd, err := parseCMS(c.der)
	if err != nil {
		// BER (indefinite lengths, as Bouncy Castle writes): normalise
		// only then, not for every DER signature.
		der, berr := pki.BERToDER(c.der)
		if berr != nil {
			return nil, nil
		}
		if sd, err = parseCMS(der); err != nil {
			return nil, nil
		}
	}
	for i := range sd.Signers {
		si := &sd.Signers[i]
		if (si.Serial != nil && si.Serial.Cmp(c.si.SerialNumber) != 0) || string(si.Signature) != string(c.si.Signature) {
			continue
		}
		if v, ok := si.attr(si.UnsignedAttrs, oidTimeStampToken); ok {
			return v, si.Signature
		}
	}
	return nil, nil
}

// pkiChain builds a path from the signer to one of roots (trust-list CA
// certificates) through the carried certificates with the government-PKI
// layer, valid at time at, for what crypto/x509 cannot verify (brainpool,
// RSASSA-PSS and SHA-1 signatures on certificates). It returns the root's
// index and the path length, or an error.
func pkiChain(leaf *pki.Certificate, carried []*pki.Certificate, roots []*pki.Certificate, at time.Time) (root, length int, err error) {
	var walk func(c *pki.Certificate, depth int) (int, int, error)
	walk = func(c *pki.Certificate, depth int) (int, int, error) {
		if depth > 8 {
			return -1, 0, errors.New("the path is longer than 8 certificates")
		}
		for i, r := range roots {
			if c.CheckSignatureFrom(r) == nil {
				if at.Before(r.NotBefore) || at.After(r.NotAfter) {
					return -1, 0, fmt.Errorf("the listed CA %q is not valid at %s", r.Subject.CommonName, rfc3339(at))
				}
				return i, depth + 2, nil
			}
		}
		for _, p := range carried {
			if p == c || string(p.Raw) == string(c.Raw) || c.CheckSignatureFrom(p) != nil {
				continue
			}
			if at.Before(p.NotBefore) || at.After(p.NotAfter) {
				continue
			}
			if i, n, err := walk(p, depth+1); err == nil {
				return i, n, nil
			}
		}
		return -1, 0, errors.New("no path to a listed CA")
	}
	if at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) {
		return -1, 0, fmt.Errorf("the signer certificate is not valid at %s", rfc3339(at))
	}
	return walk(leaf, 0)
}

// maxPathChecks bounds the signature verifications spent walking a
// signer's path in chainDefect and pathVerdicts: a hostile bag of
// certificates sharing one name cannot make them verify without end.
const maxPathChecks = 64

// namesIssuer reports whether c names p as its issuer, byte for byte or as
// parsed names (as pki's CheckSignatureFrom accepts): the cheap test before
// a signature is verified.
func namesIssuer(c, p *pki.Certificate) bool {
	return bytes.Equal(c.RawIssuer, p.RawSubject) || (c.Issuer.String() != "" && c.Issuer.String() == p.Subject.String())
}

// notACA is the phrase of an issuer_trusted failure where a certificate of
// the signer's path was issued by a certificate that is not a CA; the ETSI
// mapping (etsi.go) reads it as CERTIFICATE_CHAIN_GENERAL_FAILURE.
const notACA = "which is not a CA certificate"

// chainDefect looks for a broken link in the signer's path when no trusted
// path was found: a certificate whose issuer (carried in the signature or
// listed as a CA) verifies its signature but is not a CA (basicConstraints
// cA unset, or keyCertSign missing). It returns a description, or "" when
// the path simply ends at an unlisted issuer.
func (t *trust) chainDefect(leaf *x509.Certificate, carried []*x509.Certificate) string {
	var pool []*pki.Certificate
	for _, c := range carried {
		if pc, err := pki.Parse(c.Raw); err == nil {
			pool = append(pool, pc)
		}
	}
	for _, m := range t.cas {
		if pc, err := pki.Parse(m.Entry.Data); err == nil {
			pool = append(pool, pc)
		}
	}
	cur, err := pki.Parse(leaf.Raw)
	if err != nil {
		return ""
	}
	checks := 0
	for depth := 0; depth < 8; depth++ {
		var next *pki.Certificate
		for _, p := range pool {
			if string(p.Raw) == string(cur.Raw) || !namesIssuer(cur, p) {
				continue
			}
			if checks++; checks > maxPathChecks {
				return ""
			}
			if cur.CheckSignature(p.PublicKey) != nil {
				continue
			}
			if !p.IsCA || (p.KeyUsage != 0 && p.KeyUsage&x509.KeyUsageCertSign == 0) {
				return fmt.Sprintf("certificate %q was issued by %q, %s (basicConstraints cA unset or no keyCertSign): the path to a listed CA is broken", cur.Subject.CommonName, p.Subject.CommonName, notACA)
			}
			next = p
			break
		}
		if next == nil || bytes.Equal(next.RawIssuer, next.RawSubject) {
			return ""
		}
		cur = next
	}
	return ""
}
