package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/fixtures/world"
	_ "github.com/accord-network/accord/formats/openattestation"
	_ "github.com/accord-network/accord/formats/pdf"
	"github.com/accord-network/accord/p2p"
	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
)

// nodeModules is where .ci/run installs the npm peers (ACCORD_NODE_MODULES).
func nodeModules(t *testing.T) string {
	if d := os.Getenv("ACCORD_NODE_MODULES"); d != "" {
		return d
	}
	root, err := fixtures.Root()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, ".ci", "node_modules")
}

// TestBrowser starts a real node on loopback and uploads a valid and a tampered document of each format,
// an unreadable one and one it cannot check (an e-BL on a chain it has no endpoint for), in headless Chromium and checks what the page shows: the verdict (its own neutral
// one for unreadable input), the operator's name in the header, unverified values marked on a tampered
// e-BL, no external request, no horizontal overflow and no word broken mid-word in the anchors table, at
// desktop (1100 px) and phone (360 px) width. Screenshots of every page at both sizes go to
// $ACCORD_ARTEFACTS/browser (or a temporary directory).
func TestBrowser(t *testing.T) {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("SKIP: no Chromium at %s (apt-get install chromium; .ci/run does)", chromium)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("SKIP: node is not installed")
	}
	mods := nodeModules(t)
	if _, err := os.Stat(filepath.Join(mods, "playwright-core")); err != nil {
		t.Skipf("SKIP: playwright-core not in %s (npm install --prefix .ci playwright-core; .ci/run does)", mods)
	}

	is := tt.Must(world.NewIssuers())
	entries := tt.Must(is.Entries())
	var anchors []*tt.Anchor
	// SG also lists the token registry of TradeTrust's own Amoy e-BL
	// (fixtures.AmoyEBL, tradetrust-website src/test/fixture/amoy,
	// Apache-2.0): the node has no endpoint for Amoy, so it cannot check it.
	amoy := tt.Must(hex.DecodeString(fixtures.AmoyRegistry))
	entries["SG"] = append(entries["SG"], tt.Must(trustlist.NewContractEntry(fixtures.AmoyChainID, amoy, []trustlist.DocType{trustlist.DocOA},
		"TradeTrust demo carrier", "", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().AddDate(10, 0, 0))))
	for _, cc := range []string{"NL", "SG", "KE"} {
		a := tt.NewAnchor(t, cc)
		a.SignList(t, time.Now().Add(-time.Hour), 24*time.Hour, entries[cc]...)
		anchors = append(anchors, a)
	}
	// A real node on loopback: libp2p host, store, API and the page at /.
	ctx := context.Background()
	const operator = "Port of Rotterdam customs"
	node, err := p2p.New(ctx, p2p.Config{DataDir: t.TempDir(), Listen: p2p.DefaultListen, OperatorName: operator})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	for _, a := range anchors {
		if _, err := node.Pin(ctx, a.Descriptor.Raw()); err != nil {
			t.Fatal(err)
		}
		if d, err := node.Submit(ctx, a.Lists[0].Raw()); err != nil || d.Outcome != trustlist.Accepted {
			t.Fatalf("submit %s: %v %v", a.Country, d, err)
		}
	}
	// NL's entry rule, so the selector offers NL: at least two doses.
	rs := tt.Must(trustlist.SignRuleSet(&trustlist.RuleSet{PublicationHeader: trustlist.PublicationHeader{Country: "NL", DescriptorVersion: 1,
		Seq: 1, IssuedAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Second)}, Rules: [][]byte{[]byte(nlRules)}}, []*trustlist.PrivateKey{anchors[0].Key}))
	if d, err := node.Submit(ctx, rs.Raw()); err != nil || d.Outcome != trustlist.Accepted {
		t.Fatalf("submit NL rules: %v %v", d, err)
	}
	docs := tt.Must(is.Issue())
	srv := httptest.NewServer(node.Handler())
	defer srv.Close()

	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type tcase struct {
		Name     string `json:"name"`
		File     string `json:"file,omitempty"`
		Field    string `json:"field,omitempty"`
		Text     string `json:"text,omitempty"`
		Expect   string `json:"expect"`
		Mobile   bool   `json:"mobile,omitempty"`
		Keyboard bool   `json:"keyboard,omitempty"`
		Anchors  bool   `json:"anchors,omitempty"`
		Operator string `json:"operator,omitempty"`
		// Unverified: the page must mark the document's values as not verified.
		Unverified   bool   `json:"unverified,omitempty"`
		VerdictClass string `json:"verdictClass,omitempty"`
		// Why is what the verdict's explanation must say.
		Why string `json:"why,omitempty"`
		// Hint is what the page must say to do next (cannot check: per cause).
		Hint string `json:"hint,omitempty"`
		// Arrival is the country chosen in the selector; Entry what the entry decision must say.
		Arrival string `json:"arrival,omitempty"`
		Entry   string `json:"entry,omitempty"`
	}
	cases := []tcase{
		{Name: "hc1-pasted-valid", Text: string(docs.HC1), Expect: "VALID", Anchors: true, Operator: operator, VerdictClass: "v-valid"},
		{Name: "hc1-arrival-nl-mobile", Text: string(docs.HC1), Expect: "VALID", Mobile: true, Arrival: "NL", Entry: "ACCEPTED for entry into NL"},
		{Name: "hc1-unreadable-mobile", Text: "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH", Expect: "COULD NOT READ", Mobile: true, VerdictClass: "v-unreadable"},
		{Name: "hc1-pasted-tampered", Text: string(docs.HC1Tampered), Expect: "NOT VALID"},
		{Name: "hc1-keyboard-only", Text: string(docs.HC1), Expect: "VALID", Keyboard: true},
		{Name: "qr-photo-valid-mobile", File: write("qr.png", docs.QR), Field: "photo", Expect: "VALID", Mobile: true},
		{Name: "ebl-valid", File: write("bl.json", docs.EBL), Expect: "VALID"},
		{Name: "ebl-tampered", File: write("bl-tampered.json", docs.EBLTampered), Expect: "NOT VALID", Unverified: true, VerdictClass: "v-invalid"},
		{Name: "ebl-cannot-check-mobile", File: tt.Must(fixtures.WriteAmoyEBL(dir)), Expect: "CANNOT CHECK", Why: "token registry 0x71D28767662cB233F887aD2Bb65d048d760bA694 on Polygon Amoy", Hint: "--eth-rpc NETWORK=URL", Mobile: true, Unverified: true, VerdictClass: "v-cannot_check"},
		{Name: "pdf-valid", File: write("origin.pdf", docs.PDF), Expect: "VALID"},
		{Name: "pdf-tampered-mobile", File: write("origin-tampered.pdf", docs.PDFTampered), Expect: "NOT VALID", Mobile: true},
	}
	casesFile := write("cases.json", tt.Must(json.Marshal(cases)))
	shots := filepath.Join(os.Getenv("ACCORD_ARTEFACTS"), "browser")
	if os.Getenv("ACCORD_ARTEFACTS") == "" {
		shots = filepath.Join(dir, "screenshots")
	}
	os.MkdirAll(shots, 0o755)

	cmd := exec.Command("node", "testdata/browser.cjs", mods, srv.URL, casesFile, shots)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	seen := 0
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var out struct {
			Name, Verdict, Why, Error, Anchors, Operator, Entry string
			External, Overflow, Broken                          []string
			Unverified                                          int
			OK                                                  bool
		}
		if json.Unmarshal(sc.Bytes(), &out) != nil {
			continue
		}
		seen++
		t.Logf("%-24s %-12s %s %s", out.Name, out.Verdict, out.Why, out.Entry)
		if !out.OK {
			t.Errorf("%s: verdict %q entry %q why %q operator %q unverified values %d error %q external requests %v horizontal overflow %v words broken %v",
				out.Name, out.Verdict, out.Entry, out.Why, out.Operator, out.Unverified, out.Error, out.External, out.Overflow, out.Broken)
		}
		if out.Anchors != "" && !(strings.Contains(out.Anchors, "NL") && strings.Contains(out.Anchors, "KE") && strings.Contains(out.Anchors, "fresh")) {
			t.Errorf("anchors view: %s", out.Anchors)
		}
	}
	if seen != len(cases) {
		t.Fatalf("browser ran %d of %d cases (%v)\n%s", seen, len(cases), err, stderr.String())
	}
	t.Logf("screenshots in %s", shots)
}
