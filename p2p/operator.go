package p2p

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/accord-network/accord/internal/atomicfile"
)

// OperatorTokenFile is the file in the data directory that holds the
// operator token (spec/network.md §7.1). The node creates it at first start
// with mode 0600; whoever can read it may change what the node trusts.
const OperatorTokenFile = "operator.token"

// operatorTokenBytes is the token's entropy: 256 bits, hex-encoded.
const operatorTokenBytes = 32

// ErrNoOperatorToken is returned by ReadOperatorToken when the data
// directory holds no operator token.
var ErrNoOperatorToken = errors.New("no operator token in the data directory")

// ReadOperatorToken reads the operator token from a node's data directory.
func ReadOperatorToken(dataDir string) (string, error) {
	return readTokenFile(filepath.Join(dataDir, OperatorTokenFile))
}

// ReadTokenFile reads an operator token from a file (surrounding white space
// is ignored).
func ReadTokenFile(path string) (string, error) { return readTokenFile(path) }

func readTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", path, ErrNoOperatorToken)
	}
	if err != nil {
		return "", fmt.Errorf("read operator token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("operator token %s: the file must hold one token on one line", path)
	}
	return tok, nil
}

// loadOperatorToken returns the data directory's operator token, creating
// it on first start. A token file readable by others is narrowed to 0600.
func loadOperatorToken(dataDir string) (string, error) {
	path := filepath.Join(dataDir, OperatorTokenFile)
	if fi, err := os.Stat(path); err == nil {
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return "", fmt.Errorf("p2p: operator token %s is readable by others and cannot be narrowed: %w", path, err)
			}
		}
		return readTokenFile(path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("p2p: operator token: %w", err)
	}
	raw := make([]byte, operatorTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("p2p: generate operator token: %w", err)
	}
	tok := hex.EncodeToString(raw)
	if err := atomicfile.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("p2p: write operator token: %w", err)
	}
	return tok, nil
}

// bearer is what a request says about the operator credential.
type bearer int

const (
	bearerNone  bearer = iota // no Authorization header
	bearerValid               // the node's operator token
	bearerWrong               // an Authorization header that is not the token
)

// operatorCredential checks the request's Authorization header against the
// node's operator token in constant time.
func (n *Node) operatorCredential(r *http.Request) bearer {
	h := r.Header.Get("Authorization")
	if h == "" {
		return bearerNone
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || n.opToken == "" {
		return bearerWrong
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(n.opToken)) != 1 {
		return bearerWrong
	}
	return bearerValid
}
