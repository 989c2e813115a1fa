package nodecli

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/atomicfile"
	"github.com/accord-network/accord/internal/clibase"
	"github.com/accord-network/accord/p2p"
)

// NodeURLFile is written by `accord node run` into its data directory: the
// URL its HTTP API serves, so that `accord node pin|publish|status` run beside
// the data directory find the operator token of the node they talk to, and
// `accord verify --trust DATA` names the node that holds the store.
const NodeURLFile = clibase.NodeURLFile

// nodeTokenEnv holds an operator token for `accord node` client commands.
const nodeTokenEnv = "ACCORD_NODE_TOKEN"

var nodeClient = &http.Client{Timeout: 60 * time.Second}

// nodeClientFlags are the flags of the commands that talk to a running node.
func nodeClientFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "node", Usage: "base URL of a node's HTTP API (default: the URL in DATA/node.url with --data, else " + defaultNode + ")",
			EnvVars: []string{"ACCORD_NODE"}},
		dataFlag("the node's data directory, to read its operator token (DATA/operator.token) and URL (DATA/node.url)", false),
		&cli.StringFlag{Name: "token-file", Usage: "file holding the node's operator token (or set " + nodeTokenEnv + ")"},
	}
}

// opToken is an operator token and where it came from (for messages; the
// token itself is never printed).
type opToken struct {
	token, source string
}

// operatorToken finds the operator token for the node at --node, in this
// order: --token-file, $ACCORD_NODE_TOKEN, --data DIR (or $ACCORD_DATA), and
// else a data directory beside the command — the current directory or one
// of its subdirectories — whose node.url names the same node. It returns a
// zero opToken when there is none; a source that was named but cannot be
// read is an error.
func operatorToken(c *cli.Context) (opToken, error) {
	if f := c.String("token-file"); f != "" {
		tok, err := p2p.ReadTokenFile(f)
		if err != nil {
			return opToken{}, inputErr("--token-file: %v", err)
		}
		return opToken{tok, f}, nil
	}
	if tok := strings.TrimSpace(os.Getenv(nodeTokenEnv)); tok != "" {
		return opToken{tok, "$" + nodeTokenEnv}, nil
	}
	if d := c.String("data"); d != "" {
		tok, err := p2p.ReadOperatorToken(d)
		if err != nil {
			return opToken{}, inputErr("--data %s: %v (is it the data directory the node runs on? The node writes the token at its first start)", d, err)
		}
		return opToken{tok, filepath.Join(d, p2p.OperatorTokenFile)}, nil
	}
	return discoverToken(nodeAddr(c))
}

// discoverToken looks for the data directory of the node at nodeURL in the
// current directory and its immediate subdirectories.
func discoverToken(nodeURL string) (opToken, error) {
	dirs := []string{"."}
	if ents, err := os.ReadDir("."); err == nil {
		for _, e := range ents {
			if e.IsDir() {
				dirs = append(dirs, e.Name())
			}
		}
	}
	var found []string
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, NodeURLFile))
		if err != nil || !sameEndpoint(strings.TrimSpace(string(b)), nodeURL) {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, p2p.OperatorTokenFile)); err == nil {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return opToken{}, nil
	case 1:
		tok, err := p2p.ReadOperatorToken(found[0])
		if err != nil {
			return opToken{}, inputErr("%v", err)
		}
		return opToken{tok, filepath.Join(found[0], p2p.OperatorTokenFile)}, nil
	default:
		return opToken{}, usageErr("several data directories here were served at %s (%s); say which with --data DIR", nodeURL, strings.Join(found, ", "))
	}
}

// sameEndpoint reports whether two http(s) URLs reach the same listener: same
// scheme and port, and the same host, where loopback names and the
// unspecified address (0.0.0.0, ::) count as one host: this machine. A token
// is never sent to another machine by discovery.
func sameEndpoint(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Scheme != ub.Scheme || port(ua) != port(ub) {
		return false
	}
	ha, hb := ua.Hostname(), ub.Hostname()
	if strings.EqualFold(ha, hb) {
		return true
	}
	local := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "localhost" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
	}
	return local(ha) && local(hb)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// needToken is the message when an operator command has no token.
func needToken(node string) error {
	return usageErr("no operator token for node %s: run this beside the node's data directory, or give --data DIR "+
		"(the node's data directory), --token-file FILE or %s", node, nodeTokenEnv)
}

// nodeDo sends one request to the node, with the operator token if there is one.
func nodeDo(c *cli.Context, method, path, ctype string, body io.Reader, tok opToken) (*http.Response, error) {
	req, err := http.NewRequestWithContext(c.Context, method, nodeURL(c, path), body)
	if err != nil {
		return nil, usageErr("--node %s: %v", nodeAddr(c), err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok.token != "" {
		req.Header.Set("Authorization", "Bearer "+tok.token)
	}
	resp, err := nodeClient.Do(req)
	if err != nil {
		return nil, inputErr("cannot reach node %s: %v (is `accord node run` listening there?)", nodeAddr(c), err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		resp.Body.Close()
		if tok.token == "" {
			return nil, needToken(nodeAddr(c))
		}
		return nil, inputErr("node %s refused the operator token from %s (401 Unauthorized): it is not that node's token; "+
			"use the one in that node's DATA/%s", nodeAddr(c), tok.source, p2p.OperatorTokenFile)
	}
	return resp, nil
}

// defaultNode is --node when neither it nor --data names a node.
const defaultNode = "http://127.0.0.1:8080"

// nodeAddr is the node a client command talks to: --node (or $ACCORD_NODE)
// when given and not empty; else, with --data DIR, the URL that node recorded in
// DIR/node.url; else the default, 127.0.0.1:8080.
func nodeAddr(c *cli.Context) string {
	if n := c.String("node"); c.IsSet("node") && n != "" {
		return n
	}
	if d := c.String("data"); d != "" {
		if u, ok := clibase.RecordedNodeURL(d); ok {
			return u
		}
	}
	return defaultNode
}

func nodeURL(c *cli.Context, path string) string {
	return strings.TrimRight(nodeAddr(c), "/") + path
}

// writeNodeURL records the HTTP API's URL in the data directory (see NodeURLFile).
func writeNodeURL(dataDir string, ln net.Listener) error {
	path := filepath.Join(dataDir, NodeURLFile)
	if err := atomicfile.WriteFileNoSync(path, []byte("http://"+ln.Addr().String()+"\n"), 0o600); err != nil {
		return fmt.Errorf("record the HTTP URL: %w", err)
	}
	return nil
}
