package pdf

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// tstInfo is the part of an RFC 3161 TSTInfo that Accord uses.
type tstInfo struct {
	HashAlg       asn1.ObjectIdentifier
	HashedMessage []byte
	Serial        *big.Int
	GenTime       time.Time
}

func parseTSTInfo(der []byte) (*tstInfo, error) {
	in := cryptobyte.String(der)
	var seq, imprint, alg cryptobyte.String
	var version int64
	var policy asn1.ObjectIdentifier
	t := &tstInfo{Serial: new(big.Int)}
	var hashed, gt cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(&version) || !seq.ReadASN1ObjectIdentifier(&policy) ||
		!seq.ReadASN1(&imprint, cbasn1.SEQUENCE) || !imprint.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&t.HashAlg) ||
		!imprint.ReadASN1(&hashed, cbasn1.OCTET_STRING) || !seq.ReadASN1Integer(t.Serial) || !seq.ReadASN1(&gt, cbasn1.GeneralizedTime) {
		return nil, errors.New("the TSTInfo is not DER (RFC 3161 §2.4.2)")
	}
	if version != 1 {
		return nil, fmt.Errorf("TSTInfo version %d is not 1", version)
	}
	t.HashedMessage = []byte(hashed)
	g, err := time.Parse("20060102150405Z0700", string(gt))
	if err != nil {
		return nil, fmt.Errorf("TSTInfo genTime %q: %v", string(gt), err)
	}
	t.GenTime = g.UTC()
	return t, nil
}

// Stages of checkTimestampToken, in order: a token that fails at a stage
// passed every stage before it.
const (
	stageRead      = iota // the token could not be read
	stageSignature        // its signature or signer certificate is wrong
	stageImprint          // it does not stamp the bytes given
	stageTSA              // its TSA is not trusted at genTime
	stageOK               // every rule held
)

// tokenCheck is the outcome of checking an RFC 3161 timestamp token.
type tokenCheck struct {
	Stage   int
	GenTime time.Time // zero when the token could not be read
	TSA     string    // the TSA certificate's name, when known
	Trusted bool      // every rule held: GenTime is a trusted time
	Why     string    // when not trusted, the first rule that failed
	How     string    // when trusted, how the TSA is listed
	Match   *trustlist.Match
}

func (c *tokenCheck) fail(format string, args ...any) *tokenCheck {
	c.Trusted, c.Why = false, fmt.Sprintf(format, args...)
	return c
}

func (c *tokenCheck) at(stage int) *tokenCheck {
	c.Stage = stage
	return c
}

// checkTimestampToken verifies an RFC 3161 timestamp token (a DER
// ContentInfo) over imprinted (the bytes whose hash it must carry: a
// signature value, or the signed bytes of a document timestamp). This is
// the one place Accord decides whether a time from a TSA is trusted
// (spec/pdf.md §Timestamps), as EU DSS does:
//
//  1. the token is a SignedData over a TSTInfo with exactly one SignerInfo;
//  2. the signer's certificate is the one the SignerInfo names (issuer and
//     serial, or subject key identifier), and its key verifies the
//     signature over the original signed attributes; an ESS
//     signing-certificate attribute, if present, names that certificate;
//  3. the message imprint is the hash of imprinted;
//  4. the certificate carries the extended key usage timeStamping, marked
//     critical (RFC 3161 §2.3);
//  5. it is valid at genTime and is either itself listed for "tsa" (not as
//     a CA) or chains, at genTime, to a CA entry listed for "tsa"; the
//     entry is active at genTime and not revoked (a revoked TSA key could
//     be used to backdate, so revoked entries vouch for nothing).
func (t *trust) checkTimestampToken(token, imprinted []byte) *tokenCheck {
	c := &tokenCheck{Stage: stageRead}
	if der, err := pki.BERToDER(trimCMS(token)); err == nil {
		token = der // a token in a /Contents placeholder is padded, and may be BER
	}
	sd, err := parseCMS(token)
	if err != nil {
		return c.fail("the timestamp token cannot be read: %v", err)
	}
	if !sd.ContentType.Equal(oidTSTInfo) || sd.Content == nil {
		return c.fail("the timestamp token does not hold a TSTInfo")
	}
	info, err := parseTSTInfo(sd.Content)
	if err != nil {
		return c.fail("%v", err)
	}
	c.GenTime = info.GenTime
	if len(sd.Signers) != 1 {
		return c.fail("the timestamp token has %d signer infos, not one", len(sd.Signers))
	}
	si := &sd.Signers[0]
	c.at(stageSignature)
	cert := sd.signerCertificate(si)
	if cert == nil {
		return c.fail("the timestamp token does not carry the certificate its signer info names")
	}
	c.TSA = certName(cert)
	if err := sd.verifySignerInfo(si, cert, sd.Content); err != nil {
		return c.fail("the timestamp token's signature: %v", err)
	}
	if err := checkESSCertID(si, cert); err != nil {
		return c.fail("%v", err)
	}
	h, ok := hashOf(info.HashAlg)
	if !ok {
		return c.fail("the timestamp's imprint uses unsupported digest %s", info.HashAlg)
	}
	c.at(stageImprint)
	hh := h.New()
	hh.Write(imprinted)
	if !bytes.Equal(hh.Sum(nil), info.HashedMessage) {
		return c.fail("the timestamp's message imprint is not the hash of the signature it should cover")
	}
	c.at(stageTSA)
	if !hasCriticalTimeStampingEKU(cert) {
		return c.fail("TSA certificate %q does not carry the critical extended key usage timeStamping (RFC 3161 §2.3)", certName(cert))
	}
	if info.GenTime.Before(cert.NotBefore) || info.GenTime.After(cert.NotAfter) {
		return c.fail("TSA certificate %q is valid %s to %s, not at the time it claims, %s", certName(cert),
			rfc3339(cert.NotBefore), rfc3339(cert.NotAfter), rfc3339(info.GenTime))
	}
	m, how, err := t.findTSA(cert, sd.Certs(), info.GenTime)
	if err != nil {
		return c.fail("%v", err)
	}
	c.Trusted, c.How, c.Match = true, how, m
	return c.at(stageOK)
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

func hasCriticalTimeStampingEKU(c *x509.Certificate) bool {
	critical := false
	for _, e := range c.Extensions {
		if e.Id.Equal(oidExtKeyUsage) {
			critical = e.Critical
		}
	}
	if !critical {
		return false
	}
	for _, e := range c.ExtKeyUsage {
		if e == x509.ExtKeyUsageTimeStamping {
			return true
		}
	}
	return false
}

// checkESSCertID checks the ESS signing-certificate(-v2) attribute, when
// present: its first ESSCertID must be the hash of the signer certificate.
func checkESSCertID(si *cmsSignerInfo, cert *x509.Certificate) error {
	if v, ok := si.attr(si.SignedAttrs, oidSigningCertV2); ok {
		var sc struct {
			Certs []struct {
				HashAlg  pkix.AlgorithmIdentifier `asn1:"optional"`
				CertHash []byte
				Rest     asn1.RawValue `asn1:"optional"`
			}
			Rest asn1.RawValue `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(v, &sc); err != nil || len(sc.Certs) == 0 {
			return errors.New("the timestamp's signing-certificate-v2 attribute cannot be read")
		}
		h := crypto.SHA256
		if len(sc.Certs[0].HashAlg.Algorithm) > 0 {
			var ok bool
			if h, ok = hashOf(sc.Certs[0].HashAlg.Algorithm); !ok {
				return fmt.Errorf("the timestamp's signing-certificate-v2 uses unsupported digest %s", sc.Certs[0].HashAlg.Algorithm)
			}
		}
		hh := h.New()
		hh.Write(cert.Raw)
		if !bytes.Equal(hh.Sum(nil), sc.Certs[0].CertHash) {
			return errors.New("the timestamp's signing-certificate-v2 attribute names another certificate than its signer")
		}
		return nil
	}
	if v, ok := si.attr(si.SignedAttrs, oidSigningCertV1); ok {
		var sc struct {
			Certs []struct {
				CertHash []byte
				Rest     asn1.RawValue `asn1:"optional"`
			}
			Rest asn1.RawValue `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(v, &sc); err != nil || len(sc.Certs) == 0 {
			return errors.New("the timestamp's signing-certificate attribute cannot be read")
		}
		sum := sha1.Sum(cert.Raw)
		if !bytes.Equal(sum[:], sc.Certs[0].CertHash) {
			return errors.New("the timestamp's signing-certificate attribute names another certificate than its signer")
		}
	}
	return nil
}

// findTSA finds the trust-list entry that vouches for a TSA certificate at
// genTime: the certificate itself listed for "tsa" (a signer entry), or a
// CA entry listed for "tsa" that it chains to through the certificates the
// token carries. Revoked entries and CA entries are never direct matches;
// revoked CAs anchor nothing.
func (t *trust) findTSA(cert *x509.Certificate, carried []*x509.Certificate, genTime time.Time) (*trustlist.Match, string, error) {
	if t.env == nil || t.env.Trust == nil {
		return nil, "", errors.New("no trust lists are loaded")
	}
	tp := sha256.Sum256(cert.Raw)
	for _, m := range t.env.Trust.Find(trustlist.Query{Thumbprint: tp[:], Kind: trustlist.EntryX509}) {
		if !m.Entry.Allows(trustlist.DocTSA) || m.Entry.CA {
			continue
		}
		if err := tsaEntryUsable(m, genTime); err != nil {
			return nil, "", err
		}
		return &m, fmt.Sprintf("the TSA certificate is listed for tsa by %s", m.Country), nil
	}
	roots := x509.NewCertPool()
	n := 0
	for _, m := range t.tsaCAs {
		roots.AddCert(m.Entry.Certificate())
		n++
	}
	if n == 0 {
		return nil, "", fmt.Errorf("TSA certificate %q is not listed for tsa, and no CA is listed for tsa", certName(cert))
	}
	inter := x509.NewCertPool()
	for _, c := range carried {
		if c != cert {
			inter.AddCert(c)
		}
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: genTime, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	if err != nil {
		return nil, "", fmt.Errorf("TSA certificate %q does not chain, at %s, to a CA listed for tsa: %v", certName(cert), rfc3339(genTime), err)
	}
	for _, ch := range chains {
		if len(ch) < 2 {
			continue // a CA entry anchors chains, it does not stamp
		}
		rt := sha256.Sum256(ch[len(ch)-1].Raw)
		for _, m := range t.tsaCAs {
			if bytes.Equal(m.Entry.Thumbprint, rt[:]) {
				if err := tsaEntryUsable(m, genTime); err != nil {
					continue
				}
				return &m, fmt.Sprintf("the TSA certificate chains to the CA %q listed for tsa by %s", m.Entry.Name, m.Country), nil
			}
		}
	}
	return nil, "", fmt.Errorf("TSA certificate %q chains to no usable CA entry listed for tsa at %s", certName(cert), rfc3339(genTime))
}

func tsaEntryUsable(m trustlist.Match, genTime time.Time) error {
	switch {
	case m.Entry.Status == trustlist.StatusRevoked:
		return fmt.Errorf("the TSA entry %q of %s is revoked (%s): a revoked TSA vouches for no time", m.Entry.Name, m.Country, m.Entry.Reason)
	case m.Equivocated:
		return fmt.Errorf("anchor %s, which lists the TSA, has signed conflicting lists", m.Country)
	case !m.Entry.ValidAt(genTime):
		return fmt.Errorf("the TSA entry %q of %s is valid %s to %s, not at %s", m.Entry.Name, m.Country, rfc3339(m.Entry.NotBefore), rfc3339(m.Entry.NotAfter), rfc3339(genTime))
	}
	return nil
}
