package openattestation_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/accord-network/accord/formats/openattestation"
	oaissue "github.com/accord-network/accord/issue/openattestation"
	"github.com/accord-network/accord/verify"
)

// TestResultOutlivesVerify: Verify recycles its parse, so a result must
// hold none of it: after more verifications of other documents, an earlier
// result's claims and summary are still those of its own document, and the
// claims are the document's unsalted data as Parse gives it.
func TestResultOutlivesVerify(t *testing.T) {
	bt := issueBatch(t, 4, oaissue.IssueOptions{Domain: "hlag.example"}, "hlag.example")
	f := openattestation.NewFormat(0)
	env := &verify.Env{Trust: bt.set, At: time.Now()}
	var results []*verify.Result
	var summaries []string
	for _, d := range bt.docs {
		r, err := f.Verify(context.Background(), d, env)
		if err != nil || !r.Finish().Valid {
			t.Fatal(err, r.FirstFailure())
		}
		results = append(results, r)
		s, _ := json.Marshal(r.Summary)
		summaries = append(summaries, string(s))
	}
	for i, d := range bt.docs {
		doc, err := openattestation.Parse(d)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(doc.Data())
		got, err := json.Marshal(results[i].Claims)
		if err != nil || string(got) != string(want) {
			t.Fatalf("document %d: claims %s (%v), want %s", i, got, err, want)
		}
		if s, _ := json.Marshal(results[i].Summary); string(s) != summaries[i] {
			t.Fatalf("document %d: summary changed after later verifications: %s, was %s", i, s, summaries[i])
		}
		data, ok := results[i].Claims.(openattestation.Data)
		if !ok {
			t.Fatalf("claims are a %T, want openattestation.Data", results[i].Claims)
		}
		ref, _ := data.String("transportDocumentReference")
		if want, _ := doc.Data().String("transportDocumentReference"); ref == "" || ref != want {
			t.Fatalf("document %d: claims give B/L %q, want %q", i, ref, want)
		}
	}
}
