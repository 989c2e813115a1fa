package openattestation_test

import (
	"strings"
	"testing"

	"github.com/accord-network/accord/internal/ojson"
	oaissue "github.com/accord-network/accord/issue/openattestation"
	"github.com/accord-network/accord/verify"
)

// TestHashCase pins spec/openattestation.md §4 step 7: an uppercase
// targetHash or merkleRoot is refused saying so (the reference compares
// them as lowercase strings), while a proof step verifies in either case.
func TestHashCase(t *testing.T) {
	b := issueBatch(t, 2, oaissue.IssueOptions{Domain: "hlag.example"}, "hlag.example")
	upper := func(field string) []byte {
		return mutate(t, b.docs[0], func(v *ojson.Value) {
			sig := v.Get("signature")
			sig.Set(field, ojson.NewString(strings.ToUpper(str(sig.Get(field)))))
		})
	}
	for _, field := range []string{"targetHash", "merkleRoot"} {
		r := verifyOne(t, b.set, upper(field))
		f := r.FirstFailure()
		if r.Valid || f == nil || f.Name != verify.CheckIntegrity || !strings.Contains(f.Detail, field+" ") || !strings.Contains(f.Detail, "uppercase") {
			t.Errorf("uppercase %s: valid=%v first failure %+v; want integrity saying it is uppercase", field, r.Valid, f)
		}
	}
	proof := mutate(t, b.docs[0], func(v *ojson.Value) {
		steps := v.Path("signature", "proof").Elems()
		steps[0] = ojson.NewString(strings.ToUpper(str(steps[0])))
	})
	if r := verifyOne(t, b.set, proof); !r.Valid {
		t.Errorf("uppercase proof step: %+v", r.FirstFailure())
	}
}
