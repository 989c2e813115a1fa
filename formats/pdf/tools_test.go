package pdf

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needTools skips t unless every tool is on $PATH; install says how to get
// them (.ci/run installs them all).
func needTools(t *testing.T, install string, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIP: %s not installed (%s); skipping this interop test", tool, install)
		}
	}
}

// toolDir is a fresh directory for an interop test's files and a runner of
// commands in it, which fails t with their output when one fails.
type toolDir struct {
	t   *testing.T
	dir string
}

func newToolDir(t *testing.T) *toolDir { return &toolDir{t: t, dir: t.TempDir()} }

// run runs name with args in the directory and returns its output.
func (d *toolDir) run(name string, args ...string) string {
	d.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = d.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		d.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// write writes a file of the directory.
func (d *toolDir) write(name string, b []byte) {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.dir, name), b, 0o600); err != nil {
		d.t.Fatal(err)
	}
}

// read reads a file of the directory.
func (d *toolDir) read(name string) []byte {
	d.t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dir, name))
	if err != nil {
		d.t.Fatal(err)
	}
	return b
}

// opensslSigner makes, with openssl, a CA named "<name> Test CA" and a
// document signer "<name> Signer" it issued (digitalSignature,
// nonRepudiation, emailProtection), with RSA keys of bits, and exports the
// signer's key and chain to signer.p12 (password "pw", friendly name the
// signer's). It returns the CA certificate.
func (d *toolDir) opensslSigner(name string, bits int) *x509.Certificate {
	d.t.Helper()
	rsa := fmt.Sprintf("rsa:%d", bits)
	d.write("signer.ext", []byte("keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\n"))
	d.run("openssl", "req", "-x509", "-newkey", rsa, "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
		"-subj", "/CN="+name+" Test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	d.run("openssl", "req", "-newkey", rsa, "-nodes", "-keyout", "signer.key", "-out", "signer.csr", "-subj", "/CN="+name+" Signer")
	d.run("openssl", "x509", "-req", "-in", "signer.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "signer.pem", "-days", "30", "-extfile", "signer.ext")
	d.run("openssl", "pkcs12", "-export", "-inkey", "signer.key", "-in", "signer.pem", "-certfile", "ca.pem", "-name", name+" Signer", "-passout", "pass:pw", "-out", "signer.p12")
	blk, _ := pem.Decode(d.read("ca.pem"))
	if blk == nil {
		d.t.Fatal("no CA certificate in ca.pem")
	}
	ca, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		d.t.Fatal(err)
	}
	return ca
}
