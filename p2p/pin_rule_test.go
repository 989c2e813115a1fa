package p2p

import (
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/accord-network/accord/trustlist/trustlisttest"
)

// TestPinEndpointFollowsPinRule pins issue 10 item 2 on the node: POST
// /v1/pins replaces a pinned anchor only with replace=1 and the expected hash,
// and answers with the descriptor's hash in hex (SHA-256 of the file).
func TestPinEndpointFollowsPinRule(t *testing.T) {
	u, tok, n := apiServer(t, testConfig(t.TempDir()))
	auth := []string{"Authorization", "Bearer " + tok}
	real, other := trustlisttest.NewAnchor(t, "NL"), trustlisttest.NewAnchor(t, "NL")
	realHash := hex.EncodeToString(real.Descriptor.Hash())
	otherHash := hex.EncodeToString(other.Descriptor.Hash())

	if code, body, _ := do(t, "POST", u+"/v1/pins?expect_hash="+otherHash, "application/cose", real.Descriptor.Raw(), auth...); code < 400 || !strings.Contains(string(body), "hash_mismatch") {
		t.Fatalf("wrong expected hash: %d %s", code, body)
	}
	code, body, _ := do(t, "POST", u+"/v1/pins?expect_hash="+realHash, "application/cose", real.Descriptor.Raw(), auth...)
	if code != http.StatusOK || !strings.Contains(string(body), realHash) {
		t.Fatalf("pin with the right hash: %d %s", code, body)
	}
	// Another descriptor for NL: not without replace, not with replace but no hash.
	for _, q := range []string{"", "?replace=1"} {
		if code, body, _ := do(t, "POST", u+"/v1/pins"+q, "application/cose", other.Descriptor.Raw(), auth...); code < 400 {
			t.Fatalf("replace%s: %d %s", q, code, body)
		}
	}
	if got := hex.EncodeToString(n.Set().Descriptor("NL").Hash()); got != realHash {
		t.Fatalf("NL was replaced without the operator's explicit act: %s", got)
	}
	if code, body, _ := do(t, "POST", u+"/v1/pins?replace=1&expect_hash="+otherHash, "application/cose", other.Descriptor.Raw(), auth...); code != http.StatusOK {
		t.Fatalf("explicit replace: %d %s", code, body)
	}
	if a := n.Set().Anchors(); len(a) != 1 || a[0].Replaced == nil || hex.EncodeToString(a[0].Hash) != otherHash {
		t.Fatalf("after replace: %+v", a)
	}
	// The API shows the hash in hex, as the CLI and sha256sum do (issue 17 item 8).
	if code, body, _ := do(t, "GET", u+"/v1/anchors", "", nil); code != http.StatusOK || !strings.Contains(string(body), otherHash) || !strings.Contains(string(body), `"replaced"`) {
		t.Fatalf("GET /v1/anchors: %d %s", code, body)
	}
}
