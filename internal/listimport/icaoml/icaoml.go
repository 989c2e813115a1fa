// Package icaoml reads ICAO CSCA master lists (ICAO Doc 9303 part 12): a CMS
// SignedData whose eContent (type id-icao-cscaMasterList) is
// CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate },
// signed by a master-list signer whose certificate the SignedData carries and
// a CSCA issued.
package icaoml

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// Format is the format name used on the command line and in provenance.
const Format = "icao-ml"

// UseCSCA is the use given to imported CSCAs: ICAO visible digital seals and
// other ICAO documents, kept apart from the DCC CSCAs of hcert.
const UseCSCA trustlist.DocType = "icao-csca"

var oidMasterList = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 2}

// MaxCertificates bounds the certList.
const MaxCertificates = 20000

// Parse reads a master list, checks its signature (the SignerInfo with the
// signer's certificate, and the signer against opts.Roots — the CSCAs the
// operator trusts to issue master-list signers) and returns its CSCAs as CA
// entries for use icao-csca.
func Parse(b []byte, opts listimport.Options) (*listimport.Source, error) {
	sd, err := pki.ParseSignedData(b)
	if err != nil {
		return nil, fmt.Errorf("not an ICAO master list: %w", err)
	}
	if !sd.ContentType.Equal(oidMasterList) {
		return nil, fmt.Errorf("not an ICAO master list: eContentType %s, want %s", sd.ContentType, oidMasterList)
	}
	certs, err := certList(sd.Content)
	if err != nil {
		return nil, err
	}
	src := listimport.NewSource(Format, b)
	src.Name = "an ICAO CSCA master list"
	checkSignature(src, sd, opts)
	for i, der := range certs {
		src.Items = append(src.Items, item(i, der))
	}
	return src, nil
}

func certList(content []byte) ([][]byte, error) {
	s := cryptobyte.String(content)
	var seq, set cryptobyte.String
	var version int64
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1Integer(&version) || !seq.ReadASN1(&set, cbasn1.SET) || !seq.Empty() {
		return nil, errors.New("malformed CscaMasterList")
	}
	if version != 0 {
		return nil, fmt.Errorf("CscaMasterList version %d, want 0", version)
	}
	var out [][]byte
	for !set.Empty() {
		var c cryptobyte.String
		if !set.ReadASN1Element(&c, cbasn1.SEQUENCE) {
			return nil, errors.New("malformed certificate in the CscaMasterList")
		}
		if len(out) >= MaxCertificates {
			return nil, fmt.Errorf("more than %d certificates", MaxCertificates)
		}
		out = append(out, c)
	}
	return out, nil
}

func checkSignature(src *listimport.Source, sd *pki.SignedData, opts listimport.Options) {
	src.Signature = trustlist.SourceUnverified
	if len(sd.SignerInfos) != 1 {
		src.SignatureDetail = fmt.Sprintf("%d SignerInfos, want 1", len(sd.SignerInfos))
		return
	}
	si := &sd.SignerInfos[0]
	signer, err := si.FindSigner(sd.Certificates)
	if err != nil {
		src.SignatureDetail = err.Error()
		return
	}
	src.Signer = listimport.SignerName(signer)
	if err := si.Verify(sd.ContentType, sd.Content, signer); err != nil {
		src.SignatureDetail = "master-list signature: " + err.Error()
		return
	}
	if t, ok := si.SigningTime(); ok {
		src.Issued = t
	}
	if _, err := listimport.ChainsToRoot(signer, opts.Roots, opts.Now()); err != nil {
		// Say which CSCA the list itself names as the signer's issuer.
		for _, der := range sd.Certificates {
			if c, perr := pki.Parse(der); perr == nil && signer.CheckSignatureFrom(c) == nil && string(c.Raw) != string(signer.Raw) {
				src.SignatureDetail = fmt.Sprintf("signature verified with %q, issued by %q which the list carries; but %v", signer.Subject, c.Subject, err)
				return
			}
		}
		src.SignatureDetail = "signature verified, but " + err.Error()
		return
	}
	src.Signature = trustlist.SourceVerified
	src.SignatureDetail = fmt.Sprintf("signature verified with %q, issued by a --source-root CSCA", signer.Subject)
	src.SignerCert = signer
}

func item(i int, der []byte) listimport.Item {
	it := listimport.Item{Ref: fmt.Sprintf("#%d", i+1)}
	c, err := pki.Parse(der)
	if err != nil {
		it.Refused = err
		return it
	}
	it.Ref = fmt.Sprintf("#%d %s", i+1, c.Subject)
	if len(c.Subject.Country) != 1 {
		it.Refused = errors.New("the certificate names no single country")
		return it
	}
	// Real CSCAs write the code in lower case (C=ro, C=gb); ISO 3166 codes
	// are case-insensitive, Accord's are upper case.
	it.Country = strings.ToUpper(c.Subject.Country[0])
	if !trustlist.ValidCountry(it.Country) {
		it.Refused = fmt.Errorf("country %q is not an accepted country code", it.Country)
		return it
	}
	if c.Version == 3 && !c.IsCA {
		it.Refused = errors.New("not a CA certificate (basicConstraints cA is not set)")
		return it
	}
	if string(c.RawIssuer) == string(c.RawSubject) && (len(c.AuthorityKeyId) == 0 || string(c.AuthorityKeyId) == string(c.SubjectKeyId)) {
		// Self-signed (not a link certificate, which the previous key signed).
		if err := c.CheckSignatureFrom(c); err != nil {
			it.Refused = fmt.Errorf("self-signature: %v", err)
			return it
		}
	}
	e, err := trustlist.NewX509Entry(der, true, []trustlist.DocType{UseCSCA}, "")
	if err != nil {
		it.Refused = err
		return it
	}
	it.Entry = e
	return it
}
