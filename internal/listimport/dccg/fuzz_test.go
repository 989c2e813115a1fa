package dccg

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/accord-network/accord/internal/listimport"
)

// FuzzParse: a gateway list of any content gives items or an error, never a
// panic. Seeded with the first real items of the DE list.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../../../shared/fixtures/dcc-trustlists/trustlist_de.json"); err == nil {
		var doc struct{ Certificates []json.RawMessage }
		if json.Unmarshal(b, &doc) == nil && len(doc.Certificates) > 2 {
			seed, _ := json.Marshal(map[string]any{"certificates": doc.Certificates[:2]})
			f.Add(seed)
		}
	}
	f.Add([]byte(`{"certificates":[{"certificateType":"DSC","country":"XK","kid":"AAAAAAAAAAA=","rawData":"MAA=","signature":"MAA="}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		src, err := Parse(b, listimport.Options{})
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
