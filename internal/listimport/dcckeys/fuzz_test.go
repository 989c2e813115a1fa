package dcckeys

import (
	"os"
	"testing"
	"time"
)

// FuzzParse covers the JSON shapes and PEM. Seeded from the real CH list's
// first bytes turned into a small valid list, and the shapes of the others.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../../../shared/fixtures/dcc-trustlists/trustlist_ch.json"); err == nil && len(b) > 600 {
		f.Add(b[:600])
	}
	f.Add([]byte(`{"3lTmAZX19GQ=":[{"use":"v","alg":"ES256","crv":"P-256","x":"/DBnhBhTf8TkfsTn4tLEb3mQLCsONkZbY4I5i0zh0Wg=","y":"bA7qQ7IRp7uExOAIB+mP7gZ7Cfg+kJFQIpM2v67cPPc="}]}`))
	f.Add([]byte(`{"eu_keys":{"+7gPaASOAJY=":[{"subjectPk":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE","ian":"NL"}]}}`))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nKid: AAAAAAAAAAA=\n\nMAA=\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		src, err := Parse(b, Window{NotBefore: DefaultNotBefore, NotAfter: time.Unix(2e9, 0)})
		if err != nil {
			return
		}
		for _, it := range src.Items {
			if (it.Entry == nil) == (it.Refused == nil) {
				t.Fatalf("item %s: entry and refusal both or neither", it.Ref)
			}
		}
	})
}
