package pki

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func seedFiles(f *testing.F, pattern string, max int) {
	files, _ := filepath.Glob(filepath.Join(fixtures, pattern))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil && len(b) <= max {
			f.Add(b)
		}
	}
}

// FuzzParse: any input gives a certificate or an error, never a panic; a
// parsed certificate's own signature check terminates.
func FuzzParse(f *testing.F) {
	seedFiles(f, "icao-masterlist/icao-ml-tools/*.der", 1<<16)
	seedFiles(f, "icao-masterlist/icao-ml-tools/*.cer", 1<<16)
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		_ = c.CheckSignatureFrom(c)
		_ = c.X509()
		if _, err := ParsePublicKeyInfo(c.RawSubjectPublicKeyInfo); err != nil {
			t.Fatalf("the SPKI of a parsed certificate does not parse: %v", err)
		}
	})
}

// FuzzParseSignedData covers the CMS reader and the BER normaliser.
func FuzzParseSignedData(f *testing.F) {
	seedFiles(f, "icao-masterlist/ddcc-validator/ICAOHealthML27May2022.ml", 1<<20)
	f.Add([]byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80, 0x30, 0x80, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := ParseSignedData(b)
		if err != nil {
			return
		}
		for _, si := range sd.SignerInfos {
			if c, err := si.FindSigner(sd.Certificates); err == nil {
				_ = si.Verify(sd.ContentType, sd.Content, c)
			}
		}
	})
}

// pdfRevocationSeeds returns the CRLs and OCSP responses embedded in the
// CMS signatures of the shared DSS PAdES files, and responses made by Go's
// encoders, as fuzz seeds.
func pdfRevocationSeeds(f *testing.F) (crls, ocsps [][]byte) {
	v := makeRevocationVectors(f)
	crls, ocsps = [][]byte{v.crl}, [][]byte{v.good, v.revoked, v.delegated}
	files, _ := filepath.Glob(filepath.Join(fixtures, "dss-pades/pdf/*.pdf"))
	re := regexp.MustCompile(`/Contents\s*<([0-9A-Fa-f\s]+)>`)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			der, err := hex.DecodeString(string(bytes.Join(bytes.Fields(m[1]), nil)))
			if err != nil {
				continue
			}
			sd, err := ParseSignedData(bytes.TrimRight(der, "\x00"))
			if err != nil {
				continue
			}
			crls, ocsps = append(crls, sd.Revocation.CRLs...), append(ocsps, sd.Revocation.OCSPs...)
			for _, si := range sd.SignerInfos {
				crls, ocsps = append(crls, si.Revocation.CRLs...), append(ocsps, si.Revocation.OCSPs...)
			}
		}
	}
	return crls, ocsps
}

// FuzzParseOCSPResponse: any input gives a response or an error, never a
// panic; matching and signature checks on a parsed response terminate.
func FuzzParseOCSPResponse(f *testing.F) {
	_, ocsps := pdfRevocationSeeds(f)
	for _, b := range ocsps {
		f.Add(b)
	}
	v := makeRevocationVectors(f)
	ca, leaf := mustParse(f, v.ca), mustParse(f, v.leaf)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseOCSPResponse(b)
		if err != nil {
			return
		}
		for i := range r.Responses {
			_ = r.Responses[i].For(leaf, ca)
		}
		_ = r.SignedBy(ca)
	})
}

// FuzzParseCRL: any input gives a CRL or an error, never a panic.
func FuzzParseCRL(f *testing.F) {
	crls, _ := pdfRevocationSeeds(f)
	for _, b := range crls {
		f.Add(b)
	}
	v := makeRevocationVectors(f)
	ca := mustParse(f, v.ca)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCRL(b)
		if err != nil {
			return
		}
		_ = c.SignedBy(ca)
	})
}
