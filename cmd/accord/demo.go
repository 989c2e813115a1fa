package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/fixtures/world"
	"github.com/accord-network/accord/p2p"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/anchor"
	"github.com/accord-network/accord/verify"
)

// demoCommand is `accord demo`: a three-country network on this machine.
func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run a three-country network on this machine: anchors publish lists, nodes gossip them, documents are verified",
		UsageText: "accord demo [--dir DIR] [--keep]\n\n" +
			"Starts three nodes (NL, SG, KE) over libp2p on 127.0.0.1, has each anchor publish a signed list,\n" +
			"issues an HC1 health certificate, an e-BL and a signed PDF, verifies each at another country's\n" +
			"node, then shows what must fail: tampering, a revoked issuer, a country's entry rule, a single revoked\n" +
			"certificate, a rolled-back list. Ends with an\n" +
			"offline verification from a stopped node's data. Nothing leaves this machine.",
		Flags: []cli.Flag{
			optionalDirFlag("an empty folder for the demo's anchors, nodes and documents (default: a new temp dir)"),
			&cli.BoolFlag{Name: "keep", Usage: "leave the network running afterwards and print each node's verifier page URL"},
		},
		Action: demoAction,
	}
}

// demoRun records the narrated steps of the demo.
type demoRun struct {
	w     io.Writer
	rows  [][3]string
	fails int
}

func (d *demoRun) step(what, happened, verdict string) {
	d.rows = append(d.rows, [3]string{what, happened, verdict})
	fmt.Fprintf(d.w, "• %s: %s → %s\n", what, happened, verdict)
}

// expect records a step whose verdict must be want, optionally followed by a
// detail in parentheses ("NOT VALID (signature)" meets "NOT VALID"); a
// mismatch makes the demo fail.
func (d *demoRun) expect(what, happened, verdict, want string) {
	if verdict != want && !strings.HasPrefix(verdict, want+" (") {
		d.fails++
		verdict += " (UNEXPECTED: wanted " + want + ")"
	}
	d.step(what, happened, verdict)
}

func (d *demoRun) table() {
	fmt.Fprintln(d.w)
	tw := tabwriter.NewWriter(d.w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tWHAT HAPPENED\tVERDICT")
	for _, r := range d.rows {
		happened := r[1]
		if len(happened) > 90 {
			happened = happened[:87] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r[0], happened, r[2])
	}
	tw.Flush()
}

type demoNode struct {
	cc   string
	dir  string
	node *p2p.Node
	srv  *http.Server
	url  string
}

func demoAction(c *cli.Context) error {
	dir := c.String("dir")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "accord-demo-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		return usageErr("--dir %s is not empty; the demo creates anchors and nodes from scratch (give a new folder)", dir)
	}
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	start := time.Now()
	d := &demoRun{w: c.App.Writer}
	fmt.Fprintf(d.w, "Accord demo: three countries, three nodes on loopback, real documents. Working in %s\n\n", dir)
	nodes, err := demoNetwork(ctx, d, dir, c.Bool("keep"))
	defer func() {
		for _, n := range nodes {
			if n != nil && n.node != nil {
				n.srv.Close()
				n.node.Close()
			}
		}
	}()
	if err != nil {
		return err
	}
	d.table()
	fmt.Fprintf(d.w, "\nArtefacts in %s:\n  anchors/     each country's keys (0600), descriptors and signed lists\n  nodes/       each node's data dir (a trust store: try `accord verify --trust %s/nodes/sg %s/documents/*`)\n  documents/   the documents issued, valid and tampered\nFinished in %s.\n",
		dir, dir, dir, time.Since(start).Round(100*time.Millisecond))
	if d.fails > 0 {
		return noErr("%d demo steps did not behave as expected", d.fails)
	}
	if c.Bool("keep") {
		fmt.Fprintf(d.w, "\nThe network keeps running. Verifier pages:\n")
		for _, n := range nodes {
			if n.node != nil {
				fmt.Fprintf(d.w, "  %s node  %s/\n", n.cc, n.url)
			}
		}
		fmt.Fprintf(d.w, "Press Ctrl-C to stop.\n")
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		select {
		case <-sig:
		case <-c.Context.Done():
		}
	}
	return nil
}

func startDemoNode(ctx context.Context, cc, dir string, bootstrap []string) (*demoNode, error) {
	n, err := p2p.New(ctx, p2p.Config{DataDir: dir, Listen: p2p.DefaultListen, Bootstrap: bootstrap, SyncInterval: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("start %s node: %w", cc, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.Close()
		return nil, err
	}
	srv := &http.Server{Handler: n.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &demoNode{cc: cc, dir: dir, node: n, srv: srv, url: "http://" + ln.Addr().String()}, nil
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(d time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < d {
		if cond() {
			return time.Since(start), true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start), cond()
}

func holdsAll(nodes []*demoNode, cc string, seq uint64) func() bool {
	return func() bool {
		for _, n := range nodes {
			if n.node == nil {
				continue
			}
			if h := n.node.Set().Head(cc); h == nil || h.Seq < seq {
				return false
			}
		}
		return true
	}
}

// verifyAt verifies a document through a node's HTTP API, as `accord verify --node` does.
func verifyAt(ctx context.Context, n *demoNode, name string, doc []byte) (*verify.Result, error) {
	nc, err := newVerifyClient(ctx, n.url, verify.Options{})
	if err != nil {
		return nil, err
	}
	return nc.verify(ctx, name, doc), nil
}

func verdict(r *verify.Result) string {
	if r == nil {
		return "error"
	}
	if r.Valid {
		return "VALID"
	}
	if f := r.FirstFailure(); f != nil {
		return "NOT VALID (" + f.Name + ")"
	}
	return "NOT VALID"
}

func demoNetwork(ctx context.Context, d *demoRun, dir string, keep bool) ([]*demoNode, error) {
	countries := []struct{ cc, name string }{
		{"NL", "Netherlands Ministry of Health"}, {"SG", "Maritime and Port Authority of Singapore"}, {"KE", "Kenya Trade Network Agency"},
	}
	// Issuers and anchors.
	is, err := world.NewIssuers()
	if err != nil {
		return nil, err
	}
	entries, err := is.Entries()
	if err != nil {
		return nil, err
	}
	anchors := map[string]*anchor.Workspace{}
	for _, c := range countries {
		w, err := anchor.Init(filepath.Join(dir, "anchors", strings.ToLower(c.cc)), c.cc, c.name, 3, 2, trustlist.AlgES256)
		if err != nil {
			return nil, err
		}
		if err := w.Add(entries[c.cc]...); err != nil {
			return nil, err
		}
		anchors[c.cc] = w
	}
	d.step("anchors", "NL, SG and KE each made 3 keys (threshold 2) and listed an issuer: a DCC signer, a carrier's Ethereum key, a PDF signing CA", "ok")

	// Three nodes on loopback: SG and KE bootstrap from NL.
	nodes := make([]*demoNode, 0, 3)
	var boot []string
	for _, c := range countries {
		n, err := startDemoNode(ctx, c.cc, filepath.Join(dir, "nodes", strings.ToLower(c.cc)), boot)
		if err != nil {
			return nodes, err
		}
		nodes = append(nodes, n)
		if boot == nil {
			boot = n.node.Addrs()
		}
	}
	byCC := map[string]*demoNode{"NL": nodes[0], "SG": nodes[1], "KE": nodes[2]}
	_, meshed := waitFor(10*time.Second, func() bool {
		for _, n := range nodes {
			if len(n.node.Peers()) < 1 {
				return false
			}
		}
		return true
	})
	d.expect("network", "3 nodes started on 127.0.0.1 (libp2p TCP+QUIC); SG and KE bootstrapped from NL", okIf(meshed), "ok")

	// Every node pins the three descriptors (out of band, as an operator would).
	for _, n := range nodes {
		for _, c := range countries {
			desc, err := os.ReadFile(anchors[c.cc].DescriptorPath())
			if err != nil {
				return nodes, err
			}
			if _, err := n.node.Pin(ctx, desc); err != nil {
				return nodes, fmt.Errorf("%s node pin %s: %w", n.cc, c.cc, err)
			}
		}
	}
	d.step("pin", "each node's operator pinned the three anchor descriptors", "ok")

	// Each anchor publishes its list at its own node; gossip carries it to the others.
	for _, c := range countries {
		l, _, err := anchors[c.cc].Sign(30*24*time.Hour, time.Now())
		if err != nil {
			return nodes, err
		}
		dec, err := byCC[c.cc].node.Submit(ctx, l.Raw())
		if err != nil {
			return nodes, err
		}
		if dec.Outcome != trustlist.Accepted {
			return nodes, fmt.Errorf("%s node refused its own list: %s", c.cc, dec.Detail)
		}
	}
	took, ok := waitFor(15*time.Second, func() bool {
		return holdsAll(nodes, "NL", 1)() && holdsAll(nodes, "SG", 1)() && holdsAll(nodes, "KE", 1)()
	})
	d.expect("gossip", fmt.Sprintf("each anchor published list seq 1 at its own node; all 3 nodes held all 3 lists after %s", took.Round(time.Millisecond)), okIf(ok), "ok")

	// Documents.
	docs, err := is.Issue()
	if err != nil {
		return nodes, err
	}
	docDir := filepath.Join(dir, "documents")
	os.MkdirAll(docDir, 0o755)
	files := map[string][]byte{"health-certificate.txt": docs.HC1, "health-certificate-qr.png": docs.QR, "bill-of-lading.json": docs.EBL,
		"certificate-of-origin.pdf": docs.PDF, "tampered-health-certificate.txt": docs.HC1Tampered, "tampered-bill-of-lading.json": docs.EBLTampered,
		"tampered-certificate-of-origin.pdf": docs.PDFTampered}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(docDir, name), b, 0o644); err != nil {
			return nodes, err
		}
	}
	d.step("issue", "NL signed an HC1 health certificate (+QR), SG's carrier an e-BL, KE's chamber a certificate-of-origin PDF", "ok")

	checks := []struct {
		what, at, file string
		want           bool
	}{
		{"verify HC1", "SG", "health-certificate.txt", true},
		{"verify QR photo", "KE", "health-certificate-qr.png", true},
		{"verify e-BL", "KE", "bill-of-lading.json", true},
		{"verify PDF", "NL", "certificate-of-origin.pdf", true},
		{"tampered HC1", "SG", "tampered-health-certificate.txt", false},
		{"tampered e-BL", "NL", "tampered-bill-of-lading.json", false},
		{"tampered PDF", "SG", "tampered-certificate-of-origin.pdf", false},
	}
	for _, ch := range checks {
		r, _ := verifyAt(ctx, byCC[ch.at], ch.file, files[ch.file])
		want := "VALID"
		if !ch.want {
			want = "NOT VALID"
		}
		got := verdict(r)
		issuer := ""
		if r != nil && r.Issuer != nil {
			issuer = fmt.Sprintf(", issuer %s (%s)", r.Issuer.Name, r.Issuer.Country)
		}
		d.expect(ch.what, fmt.Sprintf("%s checked at the %s node's API%s", ch.file, ch.at, issuer), got, want)
	}

	// Revocation: SG revokes the carrier; the revocation propagates; the e-BL now fails at KE.
	if _, err := anchors["SG"].Revoke(is.CarrierAddress(), "carrier key reported compromised", time.Now()); err != nil {
		return nodes, err
	}
	sg2, _, err := anchors["SG"].Sign(30*24*time.Hour, time.Now())
	if err != nil {
		return nodes, err
	}
	if _, err := byCC["SG"].node.Submit(ctx, sg2.Raw()); err != nil {
		return nodes, err
	}
	took, ok = waitFor(15*time.Second, holdsAll(nodes, "SG", 2))
	d.expect("revoke", fmt.Sprintf("SG revoked the carrier and published seq 2; every node held it after %s", took.Round(time.Millisecond)), okIf(ok), "ok")
	r, _ := verifyAt(ctx, byCC["KE"], "bill-of-lading.json", docs.EBL)
	d.expect("revoked e-BL", "the same e-BL checked again at the KE node", verdict(r), "NOT VALID (not_revoked)")

	// Entry rules and the revocation of one certificate (demo_rules.go).
	if err := demoRulesAndRevocation(ctx, d, filepath.Join(dir, "documents"), anchors["NL"], nodes, is); err != nil {
		return nodes, err
	}

	// Rollback: a refresh (seq 3); an officer's offline store holds only seq 3 and is offered seq 1.
	sg3, _, err := anchors["SG"].Sign(30*24*time.Hour, time.Now())
	if err != nil {
		return nodes, err
	}
	byCC["SG"].node.Submit(ctx, sg3.Raw())
	laptop, err := trustlist.OpenStore(filepath.Join(dir, "officer-laptop"), trustlist.StoreOptions{})
	if err != nil {
		return nodes, err
	}
	desc, _ := os.ReadFile(anchors["SG"].DescriptorPath())
	laptop.Pin(desc)
	laptop.Import(sg3.Raw(), time.Now())
	sg1, _ := os.ReadFile(filepath.Join(anchors["SG"].Dir, "lists", "seq-000001.cose"))
	dec, _ := laptop.Import(sg1, time.Now())
	laptop.Close()
	d.expect("rollback", "an attacker offers an officer's store (at SG seq 3) the old seq 1 that still trusts the carrier", outcome(dec), "rejected: rollback")
	resp, err := http.Post(byCC["NL"].url+"/v1/lists", "application/cose", bytes.NewReader(sg1))
	if err == nil {
		resp.Body.Close()
	}
	cur := byCC["NL"].node.Set().Head("SG")
	d.expect("replay", "the same old list posted to the NL node's API", fmt.Sprintf("head stays seq %d", cur.Seq), "head stays seq 3")

	// Offline: the NL node stops; its stored lists still verify documents.
	nl := byCC["NL"]
	nl.srv.Close()
	nl.node.Close()
	nl.node = nil
	set, err := trustlist.LoadDir(nl.dir)
	if err != nil {
		return nodes, err
	}
	r, _ = verify.New(set, verify.Options{Offline: true}).Verify(ctx, docs.PDF)
	d.expect("offline", "NL node stopped; the PDF verified from its data dir alone (accord verify --trust nodes/nl --offline)", verdict(r), "VALID")
	if keep {
		// Bring NL back so the whole network keeps running.
		n, err := startDemoNode(ctx, "NL", nl.dir, byCC["SG"].node.Addrs())
		if err != nil {
			return nodes, err
		}
		nodes[0] = n
	}
	return nodes, nil
}

func okIf(b bool) string {
	if b {
		return "ok"
	}
	return "timed out"
}

func outcome(d *trustlist.Decision) string {
	if d == nil {
		return "error"
	}
	if d.Outcome == trustlist.Rejected {
		return "rejected: " + string(d.Reason)
	}
	return string(d.Outcome)
}
