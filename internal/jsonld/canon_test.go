package jsonld

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// proofConfig is the W3C ecdsa-sd-2023 test vectors' proof options
// (../../formats/vc/testdata/w3c-ecdsa-sd-2023/README.md) and, below, the
// specification's canonical form of them: w3c/vc-di-ecdsa
// TestVectors/ecdsa-sd-2023/employ/addProofConfigCanon.txt at commit
// 63fb7f98107cd19d272aa15b564efb9936b3aeda (the credentials v2 context
// types cryptosuite as a cryptosuiteString).
const proofConfig = `{"@context":["https://www.w3.org/ns/credentials/v2",{"@vocab":"https://windsurf.grotto-networking.com/selective#"}],
"type":"DataIntegrityProof","cryptosuite":"ecdsa-sd-2023","created":"2023-08-15T23:36:38Z",
"verificationMethod":"did:key:zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP#zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP",
"proofPurpose":"assertionMethod"}`

const proofConfigCanon = `_:c14n0 <http://purl.org/dc/terms/created> "2023-08-15T23:36:38Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .
_:c14n0 <https://w3id.org/security#cryptosuite> "ecdsa-sd-2023"^^<https://w3id.org/security#cryptosuiteString> .
_:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .
_:c14n0 <https://w3id.org/security#verificationMethod> <did:key:zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP#zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP> .
`

func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCanonicalizeVector reproduces the specification's canonical proof
// options byte for byte.
func TestCanonicalizeVector(t *testing.T) {
	q, err := Canonicalize(decode(t, proofConfig))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(q, ""); got != proofConfigCanon {
		t.Fatalf("got\n%s\nwant\n%s", got, proofConfigCanon)
	}
}

// TestLoaderRefuses: only bundled contexts load; others are refused
// without any network access, and the error names the URL.
func TestLoaderRefuses(t *testing.T) {
	for url := range bundled {
		if _, err := (Loader{}).LoadDocument(url); err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
	_, err := Canonicalize(decode(t, `{"@context":"https://example.org/ctx.jsonld","a":1}`))
	if !errors.Is(err, ErrContextNotBundled) || !strings.Contains(err.Error(), "https://example.org/ctx.jsonld") {
		t.Fatalf("unbundled context: %v", err)
	}
}

// TestLimits: a dataset above the bounds is refused before canonicalization.
func TestLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"@context":{"@vocab":"https://e.example/"},"n":[`)
	for i := 0; i <= MaxBlankNodes; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"v":1}`)
	}
	b.WriteString("]}")
	if _, err := Canonicalize(decode(t, b.String())); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%d blank nodes: %v", MaxBlankNodes+1, err)
	}
	// Two alike nodes, each with four alike neighbours: refused before the
	// factorial step. Ten alike items under one parent are cheap and pass.
	alike := `{"@context":{"@vocab":"https://e.example/"},"n":[{"x":[{"v":1},{"v":1},{"v":1},{"v":1}]},{"x":[{"v":1},{"v":1},{"v":1},{"v":1}]}]}`
	if _, err := Canonicalize(decode(t, alike)); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "look alike") {
		t.Fatalf("alike neighbours: %v", err)
	}
	items := `{"@context":{"@vocab":"https://e.example/"},"n":[` + strings.Repeat(`{"v":1},`, 9) + `{"v":1}]}`
	if q, err := Canonicalize(decode(t, items)); err != nil || len(q) != 20 {
		t.Fatalf("ten alike items: %d statements, %v", len(q), err)
	}
}

// FuzzCanonicalize: any JSON gives canonical N-Quads or an error, never a
// panic or a hang; the output is sorted statements and is the same when
// computed twice.
func FuzzCanonicalize(f *testing.F) {
	f.Add([]byte(proofConfig))
	files, _ := filepath.Glob(filepath.Join("..", "..", "formats", "vc", "testdata", "w3c-ecdsa-sd-2023", "*.json"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", "tradetrust", "tradetrust-website", "*w3c*.json"))
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"@context":{"@vocab":"https://e.example/"},"a":[{"b":{"c":1}},{"b":{"c":1}}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<16 {
			return
		}
		var doc any
		if json.Unmarshal(in, &doc) != nil {
			return
		}
		q, err := Canonicalize(doc)
		if err != nil {
			return
		}
		if !slices.IsSorted(q) {
			t.Fatal("statements not sorted")
		}
		for _, s := range q {
			if !strings.HasSuffix(s, " .\n") {
				t.Fatalf("statement %q", s)
			}
		}
		again, err := Canonicalize(doc)
		if err != nil || !slices.Equal(q, again) {
			t.Fatalf("not deterministic: %v", err)
		}
	})
}
