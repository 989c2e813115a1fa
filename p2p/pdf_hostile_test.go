package p2p

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	_ "github.com/accord-network/accord/formats/pdf" // the node verifies PDFs as the accord binary does
	"github.com/accord-network/accord/verify"
)

// TestVerifyHostilePDF: the 762-byte PDF that hung every verifier (issue 10
// item 5) is answered promptly by POST /v1/verify (what the web page
// calls) as "could not be read", 400. (The accord binary also parses every
// PDF in a bounded worker process; formats/pdf and the CLI tests pin that.)
func TestVerifyHostilePDF(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtures.Shared(t, "hostile"), "pdf-hang.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, testConfig(t.TempDir()))
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	type reply struct {
		code int
		body []byte
	}
	ch := make(chan reply, 1)
	go func() {
		code, body, _ := do(t, "POST", srv.URL+"/v1/verify", "application/octet-stream", b)
		ch <- reply{code, body}
	}()
	select {
	case r := <-ch:
		var res verify.Result
		if err := json.Unmarshal(r.body, &res); err != nil || r.code != http.StatusBadRequest || !strings.Contains(res.Error, "could not be read") {
			t.Fatalf("verify hostile PDF: %d %s", r.code, r.body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("POST /v1/verify did not answer the hostile PDF within 20s")
	}
}
