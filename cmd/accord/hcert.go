package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/formats/qr"
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
)

// issueHCertCommand is `accord issue hcert`.
func issueHCertCommand() *cli.Command {
	return &cli.Command{
		Name:      "hcert",
		Usage:     "issue an EU Digital COVID Certificate (HC1 string, optionally a QR code PNG)",
		UsageText: "accord issue hcert --key KEY.pem --cert DSC.pem --payload dcc.json [--qr out.png] [--exp DURATION] [--iss CC]",
		Description: "Signs the DCC JSON payload as a CWT in a COSE_Sign1 (ES256 for a P-256 key, ES384 for\n" +
			"P-384, PS256 for RSA, EdDSA for Ed25519), compresses it, and prints the HC1: string a QR code holds.\n" +
			"The kid is the first 8 bytes of the DSC's SHA-256, as in the EU DCC; list the DSC for hcert\n" +
			"(`accord list add --cert DSC.pem --use hcert`) so verifiers can find it.\n" +
			"KEY is a PEM private key (PKCS#8, SEC1 EC or PKCS#1 RSA) readable by its owner only (chmod 600).\n" +
			"--payload - reads the JSON from stdin.\n\n" +
			"Example:\n  accord issue hcert --key dsc.key --cert dsc.pem --payload dcc.json --qr dcc.png --exp 720h",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "key", Required: true, Usage: "DSC private key, PEM (mode 0600)"},
			&cli.StringFlag{Name: "cert", Required: true, Usage: "DSC certificate, PEM or DER"},
			&cli.StringFlag{Name: "payload", Required: true, Usage: "DCC JSON file (- for stdin)"},
			&cli.StringFlag{Name: "qr", Usage: "also write the QR code as a PNG to this file"},
			&cli.StringFlag{Name: "exp", Value: "365d", Usage: "validity from now (Go duration, or a number of days like 30d)"},
			&cli.StringFlag{Name: "iss", Usage: "issuing country for the CWT iss claim (default: the DSC's subject country)"},
			&cli.TimestampFlag{Name: "iat", Layout: time.RFC3339, Usage: "issue time to put in iat (RFC 3339; default now)"},
		},
		Action: issueHCertAction,
	}
}

func issueHCertAction(c *cli.Context) error {
	if c.NArg() != 0 {
		return usageErr("issue hcert takes no arguments, only flags (see `accord issue hcert --help`)")
	}
	validity, err := parseDays(c.String("exp"))
	if err != nil || validity <= 0 {
		return usageErr("--exp %q: want a positive duration such as 720h or 30d", c.String("exp"))
	}
	key, err := readSignerKey(c.String("key"))
	if err != nil {
		return inputErr("--key %s: %v", c.String("key"), err)
	}
	cert, err := hcertReadCert(c.String("cert"))
	if err != nil {
		return inputErr("--cert %s: %v", c.String("cert"), err)
	}
	payload, err := hcertReadPayload(c.String("payload"), c.App.Reader)
	if err != nil {
		return inputErr("--payload %s: %v", c.String("payload"), err)
	}
	iat := time.Now().UTC().Truncate(time.Second)
	if t := c.Timestamp("iat"); t != nil {
		iat = t.UTC()
	}
	iss := c.String("iss")
	if iss != "" && !trustlist.ValidCountry(iss) {
		return usageErr("--iss %q is not an ISO 3166-1 alpha-2 country code", iss)
	}
	s, err := hcertissue.Issue(payload, hcertissue.IssueOptions{Signer: key, Cert: cert, Issuer: iss, IssuedAt: iat, Expires: iat.Add(validity)})
	if err != nil {
		return inputErr("%v", err)
	}
	if p := c.String("qr"); p != "" {
		png, err := qr.Encode(s)
		if err != nil {
			return inputErr("QR code: %v", err)
		}
		if err := os.WriteFile(p, png, 0o644); err != nil {
			return inputErr("--qr: %v", err)
		}
	}
	fmt.Fprintln(c.App.Writer, s)
	return nil
}

// parseDays parses a Go duration, also accepting whole days ("30d").
func parseDays(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n > 36500 {
			return 0, errors.New("bad number of days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func hcertReadCert(p string) (*x509.Certificate, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block is %s, not CERTIFICATE", blk.Type)
		}
		b = blk.Bytes
	}
	return x509.ParseCertificate(b)
}

func hcertReadPayload(p string, stdin io.Reader) ([]byte, error) {
	const limit = 1 << 20
	if p == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		return readBounded(stdin, limit)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, limit)
}
