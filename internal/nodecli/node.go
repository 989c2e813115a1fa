package nodecli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/clibase"
	"github.com/accord-network/accord/p2p"
	"github.com/accord-network/accord/trustlist"
)

// nodeCommand is `accord node`: run a node and talk to a running one.
func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "node",
		Usage: "run a node that gossips trust lists peer to peer and serves the HTTP API",
		Description: "A node stores every object its policy admits in its data directory (a trust store:\n" +
			"`accord verify --trust DIR` works on it while the node runs), relays it to its peers over\n" +
			"GossipSub, catches up with them by the sync protocol, and serves verification over HTTP.\n" +
			"See spec/network.md.",
		Subcommands: []*cli.Command{
			{
				Name:  "run",
				Usage: "run a node until SIGINT or SIGTERM",
				UsageText: "accord node run --data /var/lib/accord [--listen /ip4/0.0.0.0/tcp/4001 ...] [--bootstrap MULTIADDR ...] [--http 127.0.0.1:8080] [--mdns] [--dht]\n\n" +
					"Example, a second node joining the first on one machine:\n" +
					"  accord node run --data node2 --http 127.0.0.1:8081 --bootstrap /ip4/127.0.0.1/tcp/40001/p2p/12D3KooW...",
				Description: "Prints the node's peer ID and full multiaddrs (give them to other nodes as --bootstrap).\n" +
					"Pin anchors before starting with `accord trust pin --dir DIR`, or while it runs with\n" +
					"`accord node pin --node URL DESCRIPTOR` (the running node holds the store).\n\n" +
					"Operator token: at its first start the node writes a random token to DATA/operator.token\n" +
					"(mode 0600). Endpoints that change what the node trusts (POST /v1/pins) or reveal its\n" +
					"peers need it as `Authorization: Bearer TOKEN`; `accord node pin|publish|status` read it\n" +
					"from --data DIR, --token-file FILE or $ACCORD_NODE_TOKEN, or find it by themselves when run\n" +
					"beside the data directory (the node records its URL in DATA/node.url). See spec/network.md §7.1.\n\n" +
					"Logs go to stderr: one structured line per event (text, or JSON with --log-format json).",
				Flags: []cli.Flag{
					dataFlag("data directory: trust store, node key, remembered peers", true),
					&cli.StringSliceFlag{Name: "listen", Usage: "libp2p listen multiaddr (repeatable; default loopback TCP and QUIC on free ports)"},
					&cli.StringSliceFlag{Name: "bootstrap", Usage: "full multiaddr of a peer to dial at start (repeatable)"},
					&cli.StringFlag{Name: "http", Usage: "HTTP API address, or \"off\"", Value: "127.0.0.1:8080"},
					&cli.StringSliceFlag{Name: "http-host", Usage: "a host name the HTTP API answers to besides IP addresses and localhost (repeatable; other Host headers are refused against DNS rebinding)"},
					&cli.BoolFlag{Name: "mdns", Usage: "discover peers on the LAN by multicast DNS"},
					&cli.BoolFlag{Name: "dht", Usage: "discover Accord nodes through a Kademlia DHT rendezvous"},
					&cli.StringFlag{Name: "policy", Usage: "policy JSON file ({\"endorsement_threshold\": k, \"max_clock_skew\": \"5m\"}); saved in the store"},
					&cli.DurationFlag{Name: "sync-interval", Usage: "how often to sync with a few random peers", Value: p2p.DefaultSyncInterval},
					&cli.StringFlag{Name: "operator-name", Usage: "who runs this node, shown in the verifier page's header (e.g. \"Port of Rotterdam customs\")"},
					&cli.BoolFlag{Name: "verbose", Usage: "log debug events too (sync rounds, dial failures)"},
					&cli.StringFlag{Name: "log-format", Usage: "log format on stderr: text or json", Value: "text"},
					ethRPCFlag(),
					clibase.StatusOnlineFlag(),
				},
				Action: nodeRun,
			},
			{
				Name:      "publish",
				Usage:     "submit signed lists, descriptors, endorsements or evidence to a node, which publishes them",
				UsageText: "accord node publish --node http://127.0.0.1:8080 nl-list.cose [more.cose ...]",
				Description: "Signed objects are self-authenticating, so publishing needs no operator token; when one\n" +
					"is found (see `accord node run --help`) it is sent, which exempts the requests from the\n" +
					"node's per-client rate limits.",
				Flags:  nodeClientFlags(),
				Action: nodePublish,
			},
			{
				Name:      "pin",
				Usage:     "pin anchor descriptors as trust roots in a running node",
				UsageText: "accord node pin [--node http://127.0.0.1:8080] [--data DIR | --token-file FILE] [--expect-hash HEX [--replace]] nl-anchor/descriptor.cose",
				Description: "Pinning changes what the node trusts, so it needs the node's operator token: from\n" +
					"--token-file FILE, $ACCORD_NODE_TOKEN, --data DIR (DIR/operator.token), or, run beside the\n" +
					"node's data directory, found there (the directory whose node.url names --node).\n" +
					"Same rule as `accord trust pin`: a newer version of a held anchor only through its rotation\n" +
					"chain (give the descriptors oldest first), an outright replacement only with --replace --expect-hash.",
				Flags: append(nodeClientFlags(),
					&cli.StringFlag{Name: "expect-hash", Usage: "the descriptor's SHA-256 as the anchor gave it out of band (hex)"},
					&cli.BoolFlag{Name: "replace", Usage: "replace the anchor outright, without a rotation chain (needs --expect-hash)"},
				),
				Action: nodePin,
			},
			{
				Name:        "status",
				Usage:       "show a node's peers and the lists it holds",
				UsageText:   "accord node status --node http://127.0.0.1:8080 [--json]",
				Description: "Peers are shown with the node's operator token (found as for `accord node pin`).",
				Flags:       append(nodeClientFlags(), jsonFlag("print JSON")),
				Action:      nodeStatus,
			},
		},
	}
}

// nodePublish submits signed objects to a node, which publishes them.
func nodePublish(c *cli.Context) error { return nodePost(c, "/v1/lists", false) }

func readPolicyFile(path string) (*trustlist.Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, inputErr("--policy: %v", err)
	}
	var pj struct {
		EndorsementThreshold int    `json:"endorsement_threshold"`
		MaxClockSkew         string `json:"max_clock_skew"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pj); err != nil {
		return nil, inputErr("--policy %s: %v", path, err)
	}
	p := trustlist.DefaultPolicy()
	p.EndorsementThreshold = pj.EndorsementThreshold
	if pj.MaxClockSkew != "" {
		d, err := time.ParseDuration(pj.MaxClockSkew)
		if err != nil {
			return nil, inputErr("--policy %s: max_clock_skew: %v", path, err)
		}
		p.MaxClockSkew = d
	}
	if p.EndorsementThreshold < 0 || p.MaxClockSkew < 0 {
		return nil, inputErr("--policy %s: negative values", path)
	}
	return &p, nil
}

func nodeRun(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("node run takes no arguments (got %q)", c.Args().First())
	}
	cfg, err := nodeConfig(c)
	if err != nil {
		return err
	}
	if chains, err := chainReader(c); err != nil {
		return err
	} else if chains != nil {
		defer chains.Close()
		cfg.Chains = chains
	}
	if f := clibase.StatusFetcher(c, clibase.NodeStatusMaxAge); f != nil {
		cfg.Fetcher = f
	}
	if cfg.MDNS && loopbackOnly(cfg.Listen) {
		cfg.Logger.Warn("--mdns advertises LAN addresses, but the node listens on loopback only; add e.g. --listen /ip4/0.0.0.0/tcp/4001")
	}
	var ln net.Listener
	if addr := c.String("http"); addr != "off" {
		if ln, err = net.Listen("tcp", addr); err != nil {
			return usageErr("--http %s: %v", addr, err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := p2p.New(ctx, cfg)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		if errors.Is(err, trustlist.ErrStoreBusy) || errors.Is(err, trustlist.ErrStoreDamaged) || errors.Is(err, trustlist.ErrStoreBehind) {
			return storeErr(cfg.DataDir, err)
		}
		if errors.Is(err, p2p.ErrListenAddrInUse) {
			return usageErr("%v; stop that node, or choose another --listen", err)
		}
		return fmt.Errorf("node: %w", err)
	}
	printNodeCard(c, cfg, n, ln)
	return serveNode(ctx, c, cfg, n, ln)
}

// nodeConfig builds the node's configuration from the flags; bad flags are
// usage errors.
func nodeConfig(c *cli.Context) (p2p.Config, error) {
	cfg := p2p.Config{DataDir: c.String("data"), Listen: c.StringSlice("listen"), Bootstrap: c.StringSlice("bootstrap"),
		MDNS: c.Bool("mdns"), DHT: c.Bool("dht"), SyncInterval: c.Duration("sync-interval"), HTTPHosts: c.StringSlice("http-host"), OperatorName: c.String("operator-name")}
	for _, b := range cfg.Bootstrap {
		if err := p2p.CheckPeerAddr(b); err != nil {
			return cfg, usageErr("--bootstrap: %v (give the full multiaddr that `accord node run` prints, ending in /p2p/PEER-ID)", err)
		}
	}
	logger, err := nodeLogger(c)
	if err != nil {
		return cfg, err
	}
	cfg.Logger = logger
	if p := c.String("policy"); p != "" {
		pol, err := readPolicyFile(p)
		if err != nil {
			return cfg, err
		}
		cfg.StoreOptions.Policy = pol
	}
	return cfg, nil
}

// nodeLogger is the node's one structured log on stderr: text (for a
// terminal and journald) or JSON (for log collectors). INFO carries every
// event an operator acts on; --verbose adds DEBUG.
func nodeLogger(c *cli.Context) (*slog.Logger, error) {
	level := slog.LevelInfo
	if c.Bool("verbose") {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f := c.String("log-format"); f {
	case "text":
		return slog.New(slog.NewTextHandler(c.App.ErrWriter, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(c.App.ErrWriter, opts)), nil
	default:
		return nil, usageErr("--log-format %q: choose text or json", f)
	}
}

// printNodeCard prints what other nodes and the operator need: the peer ID,
// the multiaddrs, the HTTP URL and where the operator token is. The token
// itself is never printed or logged.
func printNodeCard(c *cli.Context, cfg p2p.Config, n *p2p.Node, ln net.Listener) {
	w := c.App.Writer
	fmt.Fprintf(w, "peer id: %s\n", n.ID())
	for _, a := range n.Addrs() {
		fmt.Fprintf(w, "listen: %s\n", a)
	}
	st := n.Status()
	fmt.Fprintf(w, "data: %s (%d anchors, %d lists)\n", cfg.DataDir, st.Anchors, st.Lists)
	fmt.Fprintf(w, "operator token: %s\n", filepath.Join(cfg.DataDir, p2p.OperatorTokenFile))
	if st.Anchors == 0 {
		cfg.Logger.Warn("no anchor is pinned; the node relays nothing until you pin one (accord node pin DESCRIPTOR, beside the data directory)")
	}
	if ln != nil {
		if err := writeNodeURL(cfg.DataDir, ln); err != nil {
			cfg.Logger.Warn("accord node pin|status will need --data", "err", err)
		}
		fmt.Fprintf(w, "http: http://%s\n", ln.Addr())
	}
}

// serveNode serves the HTTP API until a signal or a server error, then
// stops the server and the node.
func serveNode(ctx context.Context, c *cli.Context, cfg p2p.Config, n *p2p.Node, ln net.Listener) error {
	w := c.App.Writer
	var srv *http.Server
	errc := make(chan error, 1)
	if ln != nil {
		srv = &http.Server{Handler: n.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}
		go func() { errc <- srv.Serve(ln) }()
	}
	fmt.Fprintf(w, "running; stop with Ctrl-C\n")
	cfg.Logger.Info("node started", "peer", n.ID().String(), "anchors", n.Status().Anchors, "lists", n.Status().Lists)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
	}
	if cerr := n.Close(); cerr != nil && err == nil {
		err = cerr
	}
	cfg.Logger.Info("node stopped")
	fmt.Fprintf(w, "stopped\n")
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("node: %w", err)
	}
	return nil
}

// nodeGet fetches a JSON document from a node into v.
func nodeGet(c *cli.Context, path string, tok opToken, v any) error {
	resp, err := nodeDo(c, http.MethodGet, path, "", nil, tok)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := readBounded(resp.Body, 64<<20)
	if err != nil || resp.StatusCode != http.StatusOK {
		return inputErr("node %s: GET %s: %s %s", nodeAddr(c), path, resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return inputErr("node %s: GET %s: %v", nodeAddr(c), path, err)
	}
	return nil
}

// nodePost submits each file to a node endpoint and prints the outcome.
// Operator endpoints need the operator token; others send it when found.
func nodePost(c *cli.Context, path string, needsOperator bool) error {
	if c.NArg() == 0 {
		return usageErr("give at least one FILE")
	}
	files := make([][]byte, c.NArg())
	for i, f := range c.Args().Slice() {
		b, err := readInput(f)
		if err != nil {
			return err
		}
		files[i] = b
	}
	tok, err := operatorToken(c)
	if err != nil {
		return err
	}
	if needsOperator && tok.token == "" {
		return needToken(nodeAddr(c))
	}
	refused, malformed := 0, 0
	for i, f := range c.Args().Slice() {
		resp, err := nodeDo(c, http.MethodPost, path, "application/cose", bytes.NewReader(files[i]), tok)
		if err != nil {
			return err
		}
		body, _ := readBounded(resp.Body, 1<<20)
		resp.Body.Close()
		var sr p2p.SubmitResponse
		if err := json.Unmarshal(body, &sr); err != nil || sr.Outcome == "" {
			return inputErr("node %s: %s %s", nodeAddr(c), resp.Status, strings.TrimSpace(string(body)))
		}
		fmt.Fprintln(c.App.Writer, submitLine(f, sr))
		if resp.StatusCode >= 400 {
			refused++
		}
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusRequestEntityTooLarge {
			malformed++
		}
	}
	if malformed > 0 {
		return inputErr("%d of %d objects could not be decoded", malformed, c.NArg())
	}
	if refused > 0 {
		return noErr("%d of %d objects refused", refused, c.NArg())
	}
	return nil
}

// submitLine is the one line printed per submitted file.
func submitLine(file string, sr p2p.SubmitResponse) string {
	line := fmt.Sprintf("%s: %s", file, sr.Outcome)
	if sr.Kind != "" {
		line += fmt.Sprintf(" %s %s", sr.Kind, sr.Country)
		if sr.Number > 0 {
			line += fmt.Sprintf(" #%d", sr.Number)
		}
	}
	if sr.Reason != "" {
		line += fmt.Sprintf(" (%s: %s)", sr.Reason, sr.Detail)
	}
	if sr.Hash != "" {
		line += " hash " + sr.Hash
	}
	if sr.Evidence {
		line += " — equivocation evidence recorded and published"
	}
	return line
}

func nodeStatus(c *cli.Context) error {
	var st p2p.Status
	var lists []p2p.ListInfo
	var peers []p2p.PeerInfo
	tok, err := operatorToken(c)
	if err != nil {
		return err
	}
	if err := nodeGet(c, "/v1/status", tok, &st); err != nil {
		return err
	}
	if err := nodeGet(c, "/v1/lists", tok, &lists); err != nil {
		return err
	}
	if tok.token != "" {
		if err := nodeGet(c, "/v1/peers", tok, &peers); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.App.ErrWriter, "accord: peers not shown: they need the node's operator token (run beside its data directory, or give --data DIR, --token-file FILE or %s)\n", nodeTokenEnv)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"status": st, "lists": lists, "peers": peers})
	}
	w := c.App.Writer
	fmt.Fprintf(w, "node %s: %s, %d peers, %d anchors, %d lists\n", st.PeerID, st.Status, st.Peers, st.Anchors, st.Lists)
	for _, a := range st.Addrs {
		fmt.Fprintf(w, "  %s\n", a)
	}
	if len(st.Stale) > 0 {
		fmt.Fprintf(w, "  stale lists (past next_update; online verification against them fails): %s\n", strings.Join(st.Stale, ", "))
	}
	if len(lists) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COUNTRY\tSEQ\tENTRIES\tNEXT UPDATE\tFRESH\tEQUIVOCATED\tANCHOR")
		for _, l := range lists {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", l.Country, l.Seq, l.Entries, l.NextUpdate.Format(time.RFC3339),
				yesNo(l.Fresh), yesNo(l.Equivocated), l.Anchor)
		}
		tw.Flush()
	}
	if len(peers) > 0 {
		fmt.Fprintln(w)
		for _, p := range peers {
			fmt.Fprintf(w, "peer %s score %.1f mesh %d %s\n", p.ID, p.Score, len(p.Mesh), strings.Join(p.Addrs, " "))
		}
	}
	return nil
}

// loopbackOnly reports whether every listen address is a loopback one (the
// default when none is given).
func loopbackOnly(listen []string) bool {
	if len(listen) == 0 {
		return true
	}
	for _, a := range listen {
		if !strings.HasPrefix(a, "/ip4/127.") && !strings.HasPrefix(a, "/ip6/::1/") {
			return false
		}
	}
	return true
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// nodePin pins descriptors through a node, with the same options as
// `accord trust pin`.
func nodePin(c *cli.Context) error {
	q := url.Values{}
	if h := c.String("expect-hash"); h != "" {
		if _, err := trustlist.ParseHash(h); err != nil {
			return usageErr("--expect-hash: %v", err)
		}
		q.Set("expect_hash", h)
	}
	if c.Bool("replace") {
		if q.Get("expect_hash") == "" {
			return usageErr("--replace needs --expect-hash: replacing an anchor is trusted only for the descriptor whose hash the anchor gave you out of band")
		}
		q.Set("replace", "1")
	}
	path := "/v1/pins"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return nodePost(c, path, true)
}
