package vc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/verify"
)

// FuzzParse: any input is a credential or a clear malformed error, never a
// panic; Verify agrees with Parse.
func FuzzParse(f *testing.F) {
	if root, err := fixtures.Root(); err == nil {
		files, _ := filepath.Glob(filepath.Join(root, "..", "shared", "fixtures", "tradetrust", "tradetrust-website", "*w3c*.json"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"@context":["` + ContextV2 + `"],"type":["VerifiableCredential"],"issuer":"did:web:x","credentialSubject":{"a":1},"proof":{"type":"DataIntegrityProof","cryptosuite":"ecdsa-sd-2023","proofValue":"u2V0A"}}`))
	f.Add([]byte(`{"@context":"` + ContextV1 + `"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(in)
		if err != nil && !errors.Is(err, verify.ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		r, verr := Format{}.Verify(context.Background(), in, &verify.Env{})
		if (err == nil) != (verr == nil) {
			t.Fatalf("Parse and Verify disagree: %v / %v", err, verr)
		}
		if c != nil && r.Finish().Valid {
			t.Fatal("a credential was called valid without a verified signature")
		}
	})
}

func TestParseRejects(t *testing.T) {
	for in, why := range map[string]string{
		`[]`: "not a JSON object",
		`{"@context":["https://example.org"],"type":["VerifiableCredential"]}`:                      "first @context",
		`{"@context":["` + ContextV2 + `"],"type":["Other"]}`:                                       "VerifiableCredential",
		`{"@context":["` + ContextV2 + `"],"type":["VerifiableCredential"],"credentialSubject":{}}`: "issuer is missing",
		`{"@context":["` + ContextV2 + `"],"type":["VerifiableCredential"],"issuer":"did:web:x"}`:   "credentialSubject",
		`{"@context":["` + ContextV2 + `"],"type":["VerifiableCredential"],"issuer":"x","credentialSubject":{},"proof":{"type":"DataIntegrityProof","cryptosuite":"ecdsa-sd-2023","proofValue":"zabc"}}`:      "multibase",
		`{"@context":["` + ContextV2 + `"],"type":["VerifiableCredential"],"issuer":"x","credentialSubject":{},"proof":{"type":"DataIntegrityProof","cryptosuite":"ecdsa-sd-2023","proofValue":"uAAAAAAAA"}}`: "CBOR tag",
		`{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`:                                                        "nesting deeper",
	} {
		_, err := Parse([]byte(in))
		if err == nil || !errors.Is(err, verify.ErrMalformed) || !strings.Contains(err.Error(), why) {
			t.Errorf("%.60s: %v, want %q", in, err, why)
		}
	}
}
