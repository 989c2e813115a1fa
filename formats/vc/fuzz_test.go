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
	vectors, _ := filepath.Glob(filepath.Join("testdata", "w3c-ecdsa-sd-2023", "*.json"))
	for _, p := range vectors {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
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

// proofValues are the proofValues of the W3C vectors and the TradeTrust
// fixtures, the seeds of FuzzProofValue.
func proofValues(f *testing.F) []string {
	files, _ := filepath.Glob(filepath.Join("testdata", "w3c-ecdsa-sd-2023", "*.json"))
	if root, err := fixtures.Root(); err == nil {
		more, _ := filepath.Glob(filepath.Join(root, "..", "shared", "fixtures", "tradetrust", "tradetrust-website", "*w3c*.json"))
		files = append(files, more...)
	}
	var out []string
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if c, err := Parse(b); err == nil {
			for _, p := range c.Proofs {
				out = append(out, p.ProofValue)
			}
		}
	}
	return out
}

// FuzzProofValue: any proofValue decodes as an ecdsa-sd-2023 base or
// derived proof or gives an error, never a panic; what decodes meets the
// structural rules the checks rely on.
func FuzzProofValue(f *testing.F) {
	for _, pv := range proofValues(f) {
		f.Add(pv)
	}
	f.Add("u2V0A")
	f.Add("u2V0BhUA")
	f.Fuzz(func(t *testing.T, pv string) {
		if b, err := parseBaseProofValue(pv); err == nil {
			if len(b.BaseSignature) != 64 || len(b.HMACKey) != 32 || len(b.PublicKey) != 35 {
				t.Fatalf("base proof accepted with bad lengths: %+v", b)
			}
			for _, s := range b.Signatures {
				if len(s) != 64 {
					t.Fatal("statement signature of bad length accepted")
				}
			}
		}
		if d, err := parseDerivedProofValue(pv); err == nil {
			if len(d.BaseSignature) != 64 || len(d.PublicKey) != 35 {
				t.Fatalf("derived proof accepted with bad lengths: %+v", d)
			}
			for i := 1; i < len(d.MandatoryIndexes); i++ {
				if d.MandatoryIndexes[i] <= d.MandatoryIndexes[i-1] {
					t.Fatal("unordered mandatory indexes accepted")
				}
			}
		}
	})
}

// FuzzDIDKey: any verification method id is a did:key P-256 key or an
// error, never a panic.
func FuzzDIDKey(f *testing.F) {
	f.Add("did:key:zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP#zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP")
	f.Add("did:web:disappointed-blush-mouse.playground.fyntech.io#keys-1")
	f.Add("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
	f.Fuzz(func(t *testing.T, vm string) {
		k, err := didKeyP256(vm)
		if err == nil && k == nil {
			t.Fatal("no key and no error")
		}
	})
}
