package pdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-network/accord/formats/pdf/pdftest"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// pdfsigReport runs poppler's pdfsig on doc and returns, per signature, the
// "Signature Validation" verdict and whether pdfsig says the signature
// covers the total document.
func pdfsigReport(t *testing.T, doc []byte) (valid []bool, total []bool) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfsig", "-nocert", p).CombinedOutput()
	if err != nil && len(out) == 0 {
		t.Fatalf("pdfsig: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "- Signature Validation:"):
			valid = append(valid, strings.Contains(line, "Signature is Valid"))
		case line == "- Total document signed":
			total = append(total, true)
		case line == "- Not total document signed":
			total = append(total, false)
		}
	}
	return valid, total
}

// TestPdfsigAgrees checks that poppler's pdfsig (Debian poppler-utils) and
// this verifier agree on which signatures verify over their bytes and on
// whether the last one covers the whole file. pdfsig does not know our trust
// lists, so only integrity and the signature itself are compared.
func TestPdfsigAgrees(t *testing.T) {
	needTools(t, "apt-get install poppler-utils", "pdfsig")
	a, b := newSigner(t, "Signer A"), newSigner(t, "Signer B")
	set := trustlisttest.TrustOne(t, "NL", pdfEntry(t, a.cert, false, "A"), pdfEntry(t, b.cert, false, "B"))
	one := a.sign(t, pdftest.Document(pdftest.Options{Pages: 3}), "one")
	two := b.sign(t, one, "two")
	tampered := append([]byte(nil), one...)
	i := bytes.Index(tampered, []byte("Page 2 of 3"))
	tampered[i+5] = '9'
	appended, err := pdftest.Append(one, pdftest.AddAnnotation)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		doc       []byte
		wantValid []bool
		wantTotal bool // last signature covers the whole file
	}{
		{"valid", one, []bool{true}, true},
		{"two signatures", two, []bool{true, true}, true},
		{"byte flipped", tampered, []bool{false}, true},
		{"incremental update", appended, []bool{true}, false},
	} {
		// pdfsig reports whether the last signature covers the whole
		// file: Accord's strict policy is the same rule.
		SetStrict(true)
		defer SetStrict(false)
		t.Run(tc.name, func(t *testing.T) {
			pv, pt := pdfsigReport(t, tc.doc)
			r, err := run(t, set, tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			var ours []bool
			for _, p := range r.Parts {
				ours = append(ours, p.Check(verify.CheckSignature).Status == verify.Pass && p.Check(verify.CheckIntegrity).Status == verify.Pass)
			}
			if len(pv) != len(ours) || len(pv) != len(tc.wantValid) {
				t.Fatalf("pdfsig saw %d signatures (%v), we saw %d (%v), want %d", len(pv), pv, len(ours), ours, len(tc.wantValid))
			}
			for k := range pv {
				if pv[k] != ours[k] || ours[k] != tc.wantValid[k] {
					t.Fatalf("signature %d: pdfsig valid=%v, accord valid=%v, want %v", k+1, pv[k], ours[k], tc.wantValid[k])
				}
			}
			if len(pt) != len(pv) || pt[len(pt)-1] != tc.wantTotal {
				t.Fatalf("pdfsig total-document=%v, want last %v", pt, tc.wantTotal)
			}
			if ok := r.Check(CheckUnsignedChanges).Status == verify.Pass; ok != tc.wantTotal {
				t.Fatalf("accord %s = %s, want pass=%v", CheckUnsignedChanges, r.Check(CheckUnsignedChanges).Status, tc.wantTotal)
			}
			if r.Valid != (tc.wantTotal && !contains(tc.wantValid, false)) {
				t.Fatalf("document valid=%v\n%s", r.Valid, dump(t, r))
			}
		})
	}
}

func contains(b []bool, v bool) bool {
	for _, x := range b {
		if x == v {
			return true
		}
	}
	return false
}
