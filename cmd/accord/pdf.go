package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/formats/pdf"
	pdfissue "github.com/accord-network/accord/issue/pdf"
	"github.com/accord-network/accord/verify"
)

// issuePDFCommand is `accord issue pdf`.
func issuePDFCommand() *cli.Command {
	return &cli.Command{
		Name:      "pdf",
		Usage:     "sign a PDF (PAdES-style CMS signature, as an incremental update)",
		UsageText: "accord issue pdf --key KEY --cert CERT [--chain CA.pem] IN.pdf OUT.pdf [--reason R --location L]",
		Description: "Adds a signature to IN.pdf with digitorus/pdfsign and writes OUT.pdf. Signing a signed PDF\n" +
			"adds another signature; the earlier ones stay valid. KEY is a PEM private key (EC, PKCS#8 or RSA),\n" +
			"CERT its PEM certificate (further blocks in it are embedded as the chain), --chain more\n" +
			"intermediate certificates so verifiers can reach a listed CA.\n\n" +
			"Example:\n  accord issue pdf --key signer.key --cert signer.pem --reason 'Certificate of origin' in.pdf out.pdf",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "key", Required: true, Usage: "signer's private key, PEM"},
			&cli.StringFlag{Name: "cert", Required: true, Usage: "signer's certificate, PEM (extra blocks: chain)"},
			&cli.StringSliceFlag{Name: "chain", Usage: "intermediate CA certificates to embed, PEM; repeatable"},
			&cli.StringFlag{Name: "reason", Usage: "reason for signing (/Reason)"},
			&cli.StringFlag{Name: "location", Usage: "where it was signed (/Location)"},
			&cli.StringFlag{Name: "name", Usage: "signer name (/Name; default the certificate's CN)"},
			&cli.TimestampFlag{Name: "date", Layout: time.RFC3339, Usage: "signing time to claim in /M (RFC 3339; default now)"},
			&cli.StringFlag{Name: "tsa", Usage: "URL of an RFC 3161 time-stamping authority to timestamp the signature"},
			&cli.BoolFlag{Name: "certify", Usage: "certification signature (DocMDP: no later changes allowed) instead of approval"},
		},
		Action: issuePDFAction,
	}
}

func issuePDFAction(c *cli.Context) error {
	if c.NArg() != 2 {
		return usageErr("issue pdf needs IN.pdf and OUT.pdf (see `accord issue pdf --help`)")
	}
	in, out := c.Args().Get(0), c.Args().Get(1)
	key, err := readSignerKey(c.String("key"))
	if err != nil {
		return inputErr("--key %s: %v", c.String("key"), err)
	}
	certs, err := pdfReadCerts(c.String("cert"))
	if err != nil {
		return inputErr("--cert %s: %v", c.String("cert"), err)
	}
	if !pdfSamePublic(key.Public(), certs[0].PublicKey) {
		return usageErr("--key %s is not the key of the certificate in --cert %s", c.String("key"), c.String("cert"))
	}
	chain := certs[1:]
	for _, p := range c.StringSlice("chain") {
		cs, err := pdfReadCerts(p)
		if err != nil {
			return inputErr("--chain %s: %v", p, err)
		}
		chain = append(chain, cs...)
	}
	doc, err := readFileLimited(in, pdf.MaxSize())
	if err != nil {
		return err
	}
	o := pdfissue.SignOptions{Key: key, Cert: certs[0], Chain: chain, Name: c.String("name"), Reason: c.String("reason"), Location: c.String("location")}
	if o.Name == "" {
		o.Name = certs[0].Subject.CommonName
	}
	if t := c.Timestamp("date"); t != nil {
		o.Date = t.UTC()
	}
	o.Certify = c.Bool("certify")
	o.TSA = c.String("tsa")
	signed, err := pdfissue.Sign(doc, o)
	if err != nil {
		if errors.Is(err, verify.ErrMalformed) {
			return inputErr("%s: %v", in, err)
		}
		return noErr("%s: %v", in, err)
	}
	if err := os.WriteFile(out, signed, 0o644); err != nil {
		return inputErr("%v", err)
	}
	fmt.Fprintf(c.App.Writer, "signed %s as %q: wrote %s (%d bytes)\n", in, certs[0].Subject.CommonName, out, len(signed))
	return nil
}

// readFileLimited reads a whole file, refusing one larger than limit.
func readFileLimited(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, inputErr("%v", err)
	}
	defer f.Close()
	b, err := readBounded(f, limit)
	if err != nil {
		return nil, inputErr("%s: %v", p, err)
	}
	return b, nil
}

func pdfReadCerts(p string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		// A single DER certificate.
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return nil, errors.New("no PEM CERTIFICATE block and not a DER certificate")
		}
		out = append(out, c)
	}
	return out, nil
}

func pdfSamePublic(a, b crypto.PublicKey) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return k.(eq).Equal(b)
	}
	return false
}
