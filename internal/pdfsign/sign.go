// Package pdfsign adds signatures and document timestamps to PDFs. It is
// the implementation behind the public issuing package issue/pdf, kept here
// so that formats/pdf's own tests can sign fixtures without the verifying
// package importing the issuing one.
package pdfsign

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	pdflib "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"

	"github.com/accord-network/accord/verify"
)

// Options describe a signature to add to a PDF.
type Options struct {
	// Key signs; Cert is its certificate. Both are required.
	Key  crypto.Signer
	Cert *x509.Certificate
	// Chain holds intermediate (and optionally root) certificates to embed
	// after Cert, so a verifier can build the path to a listed CA.
	Chain []*x509.Certificate
	// Name, Reason, Location and Contact fill the signature dictionary.
	Name, Reason, Location, Contact string
	// Date is the signing time written to /M (the signer's own claim); zero
	// means now.
	Date time.Time
	// TSA, if set, is the URL of an RFC 3161 time-stamping authority whose
	// token is embedded in the signature: a signing time the signer does not
	// control (trusted when the TSA's certificate is listed for pdf).
	TSA string
	// Certify makes a certification (DocMDP P=1, no changes allowed)
	// signature instead of the default approval signature. A certified
	// document cannot carry later signatures.
	Certify bool
	// DocumentTimestamp adds a document timestamp (PAdES B-LTA,
	// /Type /DocTimeStamp, SubFilter ETSI.RFC3161) from TSA instead of a
	// signature; Key and Cert are then not used.
	DocumentTimestamp bool
	// OCSP and CRLs are DER OCSP responses and CRLs about the signer's
	// chain, embedded in the signature's Adobe revocationInfoArchival
	// signed attribute (ISO 32000-1 §12.8.3.3.2) for verifiers without
	// network access.
	OCSP, CRLs [][]byte
}

// Sign adds a signature to in with digitorus/pdfsign, as an incremental
// update, and returns the signed file. Signing an already signed file keeps
// its earlier signatures valid (each covers its own revision).
func Sign(in []byte, o Options) (out []byte, err error) {
	if o.DocumentTimestamp && o.TSA == "" {
		return nil, errors.New("pdf sign: a document timestamp needs a TSA URL")
	}
	if !o.DocumentTimestamp && (o.Key == nil || o.Cert == nil) {
		return nil, errors.New("pdf sign: a key and its certificate are required")
	}
	if !isPDF(in) {
		return nil, fmt.Errorf("%w: not a PDF (no %%PDF- header in the first 1024 bytes)", verify.ErrMalformed)
	}
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: pdf sign: the PDF library failed on this input (%v)", verify.ErrMalformed, p)
		}
	}()
	rdr, err := pdflib.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, fmt.Errorf("%w: pdf sign: cannot read the PDF: %v", verify.ErrMalformed, err)
	}
	certType := sign.ApprovalSignature
	if o.Certify {
		certType = sign.CertificationSignature
	}
	if o.DocumentTimestamp {
		certType = sign.TimeStampSignature
	}
	data := sign.SignData{
		Signature: sign.SignDataSignature{
			CertType:   certType,
			DocMDPPerm: sign.AllowFillingExistingFormFieldsAndSignaturesPerms,
			Info: sign.SignDataSignatureInfo{
				Name: o.Name, Reason: o.Reason, Location: o.Location, ContactInfo: o.Contact, Date: o.Date,
			},
		},
		Signer:            o.Key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       o.Cert,
		CertificateChains: [][]*x509.Certificate{append([]*x509.Certificate{o.Cert}, o.Chain...)},
		TSA:               sign.TSA{URL: o.TSA},
	}
	for _, b := range o.OCSP {
		if err := data.RevocationData.AddOCSP(b); err != nil {
			return nil, fmt.Errorf("pdf sign: OCSP response: %w", err)
		}
	}
	for _, b := range o.CRLs {
		if err := data.RevocationData.AddCRL(b); err != nil {
			return nil, fmt.Errorf("pdf sign: CRL: %w", err)
		}
	}
	if o.Certify {
		data.Signature.DocMDPPerm = sign.DoNotAllowAnyChangesPerms
	}
	var buf bytes.Buffer
	if err := sign.SignWithData(bytes.NewReader(in), &buf, rdr, int64(len(in)), data); err != nil {
		return nil, fmt.Errorf("pdf sign: %w", err)
	}
	return buf.Bytes(), nil
}

// isPDF reports whether in has a %PDF- header in its first 1024 bytes, as
// formats/pdf's Detect does.
func isPDF(in []byte) bool {
	if len(in) > 1024 {
		in = in[:1024]
	}
	return bytes.Contains(in, []byte("%PDF-"))
}
