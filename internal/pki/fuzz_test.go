package pki

import (
	"os"
	"path/filepath"
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
