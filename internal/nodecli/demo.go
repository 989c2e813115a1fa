package nodecli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// table prints the steps again as one closing table.
func (d *demoRun) table() error {
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
	return tw.Flush()
}

// demoCountries are the demo's anchors in the order their nodes start: SG
// and KE bootstrap from NL.
var demoCountries = []struct{ cc, name string }{
	{"NL", "Netherlands Ministry of Health"}, {"SG", "Maritime and Port Authority of Singapore"}, {"KE", "Kenya Trade Network Agency"},
}

// demoValidity is how long each list the demo signs stays fresh.
const demoValidity = 30 * 24 * time.Hour

// demoAction runs `accord demo`: it prepares the folder, runs the steps,
// prints the table and, with --keep, leaves the network running.
func demoAction(c *cli.Context) (err error) {
	dir, err := demoDir(c.String("dir"))
	if err != nil {
		return err
	}
	// Ctrl-C stops the demo at any point; the nodes are closed either way.
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	s := newDemo(ctx, &demoRun{w: c.App.Writer}, dir)
	defer func() {
		if cerr := s.stopNodes(); cerr != nil && err == nil {
			err = fmt.Errorf("demo: stopping the nodes: %w", cerr)
		}
	}()
	fmt.Fprintf(s.out.w, "Accord demo: three countries, three nodes on loopback, real documents. Working in %s\n\n", dir)
	if err := s.runSteps(); err != nil {
		if ctx.Err() != nil && c.Context.Err() == nil {
			return fmt.Errorf("demo interrupted; what it made so far is in %s", dir)
		}
		return err
	}
	if err := s.out.table(); err != nil {
		return err
	}
	fmt.Fprintf(s.out.w, "\nArtefacts in %s:\n  anchors/     each country's keys (0600), descriptors and signed lists\n  nodes/       each node's data dir (a trust store: try `accord verify --trust %s/nodes/sg %s/documents/*`)\n  documents/   the documents issued, valid and tampered\nFinished in %s.\n",
		dir, dir, dir, time.Since(start).Round(100*time.Millisecond))
	if s.out.fails > 0 {
		return noErr("%d demo steps did not behave as expected", s.out.fails)
	}
	if c.Bool("keep") {
		return s.keepRunning()
	}
	return nil
}

// demoDir returns the demo's working folder: dir, created if need be and
// required to be empty, or a new temporary folder.
func demoDir(dir string) (string, error) {
	if dir == "" {
		dir, err := os.MkdirTemp("", "accord-demo-")
		if err != nil {
			return "", fmt.Errorf("demo: %w", err)
		}
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	if len(ents) > 0 {
		return "", usageErr("--dir %s is not empty; the demo creates anchors and nodes from scratch (give a new folder)", dir)
	}
	return dir, nil
}

// demo is what the demo's steps build up, in order: issuers and anchors,
// nodes, documents. Each step narrates its outcome through out; a step that
// returns an error means the demo cannot go on.
type demo struct {
	ctx     context.Context
	out     *demoRun
	dir     string
	issuers *world.Issuers
	anchors map[string]*anchor.Workspace
	nodes   []*demoNode // in demoCountries order
	byCC    map[string]*demoNode
	docs    *world.Documents
	files   map[string][]byte // documents/, by file name
	sg1     []byte            // SG's list seq 1, which still trusts the carrier
	sg3     []byte            // SG's list seq 3, the refresh after the revocation
	old     []byte            // an NL certificate of a vaccination 300 days ago
	recent  []byte            // an NL certificate of a vaccination 30 days ago
}

func newDemo(ctx context.Context, out *demoRun, dir string) *demo {
	return &demo{ctx: ctx, out: out, dir: dir, anchors: map[string]*anchor.Workspace{}, byCC: map[string]*demoNode{}}
}

// runSteps runs the demo's steps in order, each a method named for what it
// does (as go-tuf's updater names its steps).
func (s *demo) runSteps() error {
	steps := []struct {
		name string
		run  func() error
	}{
		{"create anchors", s.createAnchors},
		{"start nodes", s.startNodes},
		{"pin descriptors", s.pinDescriptors},
		{"publish lists", s.publishLists},
		{"issue documents", s.issueDocuments},
		{"verify documents", s.verifyDocuments},
		{"revoke the carrier", s.revokeCarrier},
		{"publish entry rules", s.publishEntryRules},
		{"check entry", s.checkEntry},
		{"revoke one certificate", s.revokeOneCertificate},
		{"refresh SG's list", s.refreshList},
		{"offer a rolled-back list", s.offerRollback},
		{"replay the old list", s.replayOldList},
		{"verify offline", s.verifyOffline},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return fmt.Errorf("demo step %q: %w", st.name, err)
		}
	}
	return nil
}

// createAnchors makes the NL, SG and KE anchors (3 keys, threshold 2) and
// lists one issuer in each draft.
func (s *demo) createAnchors() error {
	is, err := world.NewIssuers()
	if err != nil {
		return err
	}
	entries, err := is.Entries()
	if err != nil {
		return err
	}
	for _, c := range demoCountries {
		w, err := anchor.Init(filepath.Join(s.dir, "anchors", strings.ToLower(c.cc)), c.cc, c.name, 3, 2, trustlist.AlgES256)
		if err != nil {
			return err
		}
		if err := w.Add(entries[c.cc]...); err != nil {
			return err
		}
		s.anchors[c.cc] = w
	}
	s.issuers = is
	s.out.step("anchors", "NL, SG and KE each made 3 keys (threshold 2) and listed an issuer: a DCC signer, a carrier's Ethereum key, a PDF signing CA", "ok")
	return nil
}

// startNodes starts one node per country on loopback and waits until each
// has a peer.
func (s *demo) startNodes() error {
	var boot []string
	for _, c := range demoCountries {
		n, err := startDemoNode(s.ctx, c.cc, filepath.Join(s.dir, "nodes", strings.ToLower(c.cc)), boot)
		if err != nil {
			return err
		}
		s.nodes = append(s.nodes, n)
		s.byCC[c.cc] = n
		if boot == nil {
			boot = n.node.Addrs()
		}
	}
	_, meshed := waitFor(s.ctx, 10*time.Second, func() bool {
		for _, n := range s.nodes {
			if len(n.node.Peers()) < 1 {
				return false
			}
		}
		return true
	})
	s.out.expect("network", "3 nodes started on 127.0.0.1 (libp2p TCP+QUIC); SG and KE bootstrapped from NL", okIf(meshed), "ok")
	return nil
}

// pinDescriptors has every node pin the three descriptors, as an operator
// would after checking them out of band.
func (s *demo) pinDescriptors() error {
	for _, n := range s.nodes {
		for _, c := range demoCountries {
			desc, err := os.ReadFile(s.anchors[c.cc].DescriptorPath())
			if err != nil {
				return err
			}
			if _, err := n.node.Pin(s.ctx, desc); err != nil {
				return fmt.Errorf("%s node pin %s: %w", n.cc, c.cc, err)
			}
		}
	}
	s.out.step("pin", "each node's operator pinned the three anchor descriptors", "ok")
	return nil
}

// publishLists has each anchor publish list seq 1 at its own node and waits
// until gossip has carried every list to every node.
func (s *demo) publishLists() error {
	for _, c := range demoCountries {
		l, err := s.signAndSubmit(c.cc)
		if err != nil {
			return err
		}
		if c.cc == "SG" {
			s.sg1 = l.Raw()
		}
	}
	took, ok := waitFor(s.ctx, 15*time.Second, func() bool {
		return s.allHold("NL", 1) && s.allHold("SG", 1) && s.allHold("KE", 1)
	})
	s.out.expect("gossip", fmt.Sprintf("each anchor published list seq 1 at its own node; all 3 nodes held all 3 lists after %s", took.Round(time.Millisecond)), okIf(ok), "ok")
	return nil
}

// signAndSubmit signs cc's next list from its draft and submits it at cc's
// node, which must accept it.
func (s *demo) signAndSubmit(cc string) (*trustlist.List, error) {
	l, _, err := s.anchors[cc].Sign(demoValidity, time.Now())
	if err != nil {
		return nil, err
	}
	dec, err := s.byCC[cc].node.Submit(s.ctx, l.Raw())
	if err != nil {
		return nil, fmt.Errorf("%s node: submit list seq %d: %w", cc, l.Seq, err)
	}
	if dec.Outcome != trustlist.Accepted {
		return nil, fmt.Errorf("%s node refused its own list seq %d: %s: %s", cc, l.Seq, outcome(dec), dec.Detail)
	}
	return l, nil
}

// allHold reports whether every running node holds cc's list seq or newer.
func (s *demo) allHold(cc string, seq uint64) bool {
	for _, n := range s.nodes {
		if n.node == nil {
			continue
		}
		if h := n.node.Set().Head(cc); h == nil || h.Seq < seq {
			return false
		}
	}
	return true
}

// issueDocuments signs one document of each format, and a tampered copy of
// each, and writes them to documents/.
func (s *demo) issueDocuments() error {
	docs, err := s.issuers.Issue()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.docDir(), 0o755); err != nil {
		return err
	}
	s.docs = docs
	s.files = map[string][]byte{"health-certificate.txt": docs.HC1, "health-certificate-qr.png": docs.QR, "bill-of-lading.json": docs.EBL,
		"certificate-of-origin.pdf": docs.PDF, "tampered-health-certificate.txt": docs.HC1Tampered, "tampered-bill-of-lading.json": docs.EBLTampered,
		"tampered-certificate-of-origin.pdf": docs.PDFTampered}
	for name, b := range s.files {
		if err := os.WriteFile(filepath.Join(s.docDir(), name), b, 0o644); err != nil {
			return err
		}
	}
	s.out.step("issue", "NL signed an HC1 health certificate (+QR), SG's carrier an e-BL, KE's chamber a certificate-of-origin PDF", "ok")
	return nil
}

func (s *demo) docDir() string { return filepath.Join(s.dir, "documents") }

// verifyDocuments checks each document at another country's node: the
// genuine ones are valid, the tampered ones not.
func (s *demo) verifyDocuments() error {
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
		r, err := verifyAt(s.ctx, s.byCC[ch.at], ch.file, s.files[ch.file])
		if err != nil {
			return err
		}
		want := "VALID"
		if !ch.want {
			want = "NOT VALID"
		}
		issuer := ""
		if r.Issuer != nil {
			issuer = fmt.Sprintf(", issuer %s (%s)", r.Issuer.Name, r.Issuer.Country)
		}
		s.out.expect(ch.what, fmt.Sprintf("%s checked at the %s node's API%s", ch.file, ch.at, issuer), verdict(r), want)
	}
	return nil
}

// revokeCarrier has SG revoke the carrier's key in list seq 2, waits until
// every node holds it, and checks the carrier's e-BL again.
func (s *demo) revokeCarrier() error {
	if _, err := s.anchors["SG"].Revoke(s.issuers.CarrierAddress(), "carrier key reported compromised", time.Now()); err != nil {
		return err
	}
	if _, err := s.signAndSubmit("SG"); err != nil {
		return err
	}
	took, ok := waitFor(s.ctx, 15*time.Second, func() bool { return s.allHold("SG", 2) })
	s.out.expect("revoke", fmt.Sprintf("SG revoked the carrier and published seq 2; every node held it after %s", took.Round(time.Millisecond)), okIf(ok), "ok")
	r, err := verifyAt(s.ctx, s.byCC["KE"], "bill-of-lading.json", s.docs.EBL)
	if err != nil {
		return err
	}
	s.out.expect("revoked e-BL", "the same e-BL checked again at the KE node", verdict(r), "NOT VALID (not_revoked)")
	return nil
}

// refreshList has SG publish seq 3, a routine refresh, and waits until every
// node holds it: the replay step then meets a node at seq 3 however slowly
// gossip runs, instead of racing it.
func (s *demo) refreshList() error {
	l, err := s.signAndSubmit("SG")
	if err != nil {
		return err
	}
	s.sg3 = l.Raw()
	took, ok := waitFor(s.ctx, 15*time.Second, func() bool { return s.allHold("SG", 3) })
	s.out.expect("refresh", fmt.Sprintf("SG published seq 3, a routine refresh; every node held it after %s", took.Round(time.Millisecond)), okIf(ok), "ok")
	return nil
}

// offerRollback gives an officer's offline store SG's seq 3 and then the old
// seq 1, which still trusts the carrier: the store must refuse it.
func (s *demo) offerRollback() (err error) {
	desc, err := os.ReadFile(s.anchors["SG"].DescriptorPath())
	if err != nil {
		return err
	}
	laptop, err := trustlist.OpenStore(filepath.Join(s.dir, "officer-laptop"), trustlist.StoreOptions{})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := laptop.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("officer's store: %w", cerr)
		}
	}()
	if _, err := laptop.Pin(desc); err != nil {
		return fmt.Errorf("officer's store: pin SG: %w", err)
	}
	dec, err := laptop.Import(s.sg3, time.Now())
	if err != nil {
		return fmt.Errorf("officer's store: %w", err)
	}
	if dec.Outcome != trustlist.Accepted {
		return fmt.Errorf("officer's store refused SG seq 3: %s: %s", outcome(dec), dec.Detail)
	}
	if dec, err = laptop.Import(s.sg1, time.Now()); err != nil {
		return fmt.Errorf("officer's store: %w", err)
	}
	s.out.expect("rollback", "an attacker offers an officer's store (at SG seq 3) the old seq 1 that still trusts the carrier", outcome(dec), "rejected: rollback")
	return nil
}

// replayOldList posts SG's old seq 1 to the NL node's API, as an attacker
// would. The NL node holds seq 3 (refreshList waited for it) and the API
// answers after the node has decided, so its head is read after the fact.
func (s *demo) replayOldList() error {
	nl := s.byCC["NL"]
	answer, err := postList(s.ctx, nl.url, s.sg1)
	if err != nil {
		return err
	}
	head := "no SG list"
	if h := nl.node.Set().Head("SG"); h != nil {
		head = fmt.Sprintf("head stays seq %d", h.Seq)
	}
	s.out.expect("replay", fmt.Sprintf("the same old list posted to the NL node's API (answer: %s)", answer), head, "head stays seq 3")
	return nil
}

// postList posts a signed list to a node's POST /v1/lists, as `accord node
// publish` does, and returns the node's outcome.
func postList(ctx context.Context, nodeURL string, raw []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, nodeURL+"/v1/lists", bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/cose")
	resp, err := nodeClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := readBounded(resp.Body, 1<<20)
	if err != nil {
		return "", fmt.Errorf("node %s: %w", nodeURL, err)
	}
	var sr p2p.SubmitResponse
	if err := json.Unmarshal(body, &sr); err != nil || sr.Outcome == "" {
		return "", fmt.Errorf("node %s: %s %s", nodeURL, resp.Status, strings.TrimSpace(string(body)))
	}
	if sr.Reason != "" {
		return sr.Outcome + ": " + sr.Reason, nil
	}
	return sr.Outcome, nil
}

// verifyOffline stops the NL node and verifies the PDF from its data
// directory alone, as `accord verify --trust nodes/nl --offline` does.
func (s *demo) verifyOffline() error {
	nl := s.byCC["NL"]
	if err := nl.stop(); err != nil {
		return fmt.Errorf("stop the NL node: %w", err)
	}
	set, err := trustlist.LoadDir(nl.dir)
	if err != nil {
		return err
	}
	r, err := verify.New(set, verify.Options{Offline: true}).Verify(s.ctx, s.docs.PDF)
	if err != nil {
		return err
	}
	s.out.expect("offline", "NL node stopped; the PDF verified from its data dir alone (accord verify --trust nodes/nl --offline)", verdict(r), "VALID")
	return nil
}

// keepRunning starts again the nodes the demo stopped, prints each node's
// verifier page and waits for Ctrl-C.
func (s *demo) keepRunning() error {
	for i, n := range s.nodes {
		if n.node != nil {
			continue
		}
		again, err := startDemoNode(s.ctx, n.cc, n.dir, s.byCC["SG"].node.Addrs())
		if err != nil {
			return err
		}
		s.nodes[i], s.byCC[n.cc] = again, again
	}
	fmt.Fprintf(s.out.w, "\nThe network keeps running. Verifier pages:\n")
	for _, n := range s.nodes {
		fmt.Fprintf(s.out.w, "  %s node  %s/\n", n.cc, n.url)
	}
	fmt.Fprintf(s.out.w, "Press Ctrl-C to stop.\n")
	<-s.ctx.Done() // Ctrl-C or SIGTERM (see demoAction)
	return nil
}

// stopNodes stops every node still running.
func (s *demo) stopNodes() error {
	var errs []error
	for _, n := range s.nodes {
		errs = append(errs, n.stop())
	}
	return errors.Join(errs...)
}

// demoNode is one country's node and the HTTP API it serves.
type demoNode struct {
	cc     string
	dir    string
	node   *p2p.Node // nil once stopped
	srv    *http.Server
	served chan error // what srv.Serve returned
	url    string
}

func startDemoNode(ctx context.Context, cc, dir string, bootstrap []string) (*demoNode, error) {
	n, err := p2p.New(ctx, p2p.Config{DataDir: dir, Listen: p2p.DefaultListen, Bootstrap: bootstrap, SyncInterval: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("start %s node: %w", cc, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start %s node's API: %w", cc, err), n.Close())
	}
	dn := &demoNode{cc: cc, dir: dir, node: n, url: "http://" + ln.Addr().String(), served: make(chan error, 1),
		srv: &http.Server{Handler: n.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go func() { dn.served <- dn.srv.Serve(ln) }()
	return dn, nil
}

// stop closes the node's API and then the node; stopping a stopped node
// does nothing.
func (n *demoNode) stop() error {
	if n.node == nil {
		return nil
	}
	err := n.srv.Close()
	if serr := <-n.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("%s node's API: %w", n.cc, serr))
	}
	err = errors.Join(err, n.node.Close())
	n.node = nil
	return err
}

// waitFor checks cond every 20 ms until it holds, the deadline passes or ctx
// ends, and says how long it waited and whether cond held.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(d)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			return time.Since(start), cond()
		case <-ctx.Done():
			return time.Since(start), false
		}
	}
	return time.Since(start), true
}

// verifyAt verifies a document through a node's HTTP API, as `accord verify --node` does.
func verifyAt(ctx context.Context, n *demoNode, name string, doc []byte) (*verify.Result, error) {
	nc, err := newVerifyClient(ctx, n.url, verify.Options{})
	if err != nil {
		return nil, err
	}
	return nc.Verify(ctx, name, doc), nil
}

func verdict(r *verify.Result) string {
	if r.Valid {
		return "VALID"
	}
	if f := r.FirstFailure(); f != nil {
		return "NOT VALID (" + f.Name + ")"
	}
	return "NOT VALID"
}

func okIf(b bool) string {
	if b {
		return "ok"
	}
	return "timed out"
}

func outcome(d *trustlist.Decision) string {
	if d.Outcome == trustlist.Rejected {
		return "rejected: " + string(d.Reason)
	}
	return string(d.Outcome)
}
