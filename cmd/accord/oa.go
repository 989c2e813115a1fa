package main

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/keyfile"
	oaissue "github.com/accord-network/accord/issue/openattestation"
)

// issueEBLCommand is `accord issue ebl`.
func issueEBLCommand() *cli.Command {
	return &cli.Command{
		Name:      "ebl",
		Usage:     "wrap and DID-sign electronic bills of lading (OpenAttestation v2, DCSA eBL 3.0 fields)",
		UsageText: "accord issue ebl --key ETHKEY --in bl.json [--in more.json ...] --out DIR [--domain carrier.example]",
		Description: "Each --in file is a bill of lading as JSON (DCSA eBL 3.0 transport document fields:\n" +
			"transportDocumentReference, transportDocumentTypeCode, issueDate, documentParties, transports, ...).\n" +
			"It is checked, salted, wrapped with the others as one batch (one merkle root, a proof per document)\n" +
			"and signed with the Ethereum key (OpenAttestationSignature2018, did:ethr). The signed documents are\n" +
			"written to DIR under the input file names. List the key's address with\n" +
			"`accord list add --eth ADDRESS --use oa` so verifiers trust it.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "key", Required: true, Usage: "Ethereum private key file from `accord keygen --eth` (mode 0600)"},
			&cli.StringSliceFlag{Name: "in", Required: true, Usage: "bill of lading JSON; repeatable (one batch)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "directory for the signed documents"},
			&cli.StringFlag{Name: "domain", Usage: "issuer domain: identity proof DNS-DID with this location (default: DID)"},
			&cli.StringFlag{Name: "issuer-name", Usage: "issuer name (default: the issuing party or carrier code)"},
			&cli.StringFlag{Name: "issue-date", Usage: "set issueDate: YYYY-MM-DD or \"today\" (default: as in the input)"},
		},
		Action: issueEBLAction,
	}
}

// keygenCommand is `accord keygen`.
func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:      "keygen",
		Usage:     "make an Ethereum signing key for OpenAttestation documents",
		UsageText: "accord keygen --eth --out FILE",
		Description: "Writes a new secp256k1 private key (hex) to FILE with mode 0600 and prints its address,\n" +
			"for `accord list add --eth ADDRESS --use oa` and `accord issue ebl --key FILE`.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "eth", Usage: "an Ethereum (secp256k1) key"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "key file to create (must not exist)"},
		},
		Action: keygenAction,
	}
}

// oaCommand is `accord oa`: OpenAttestation tools.
func oaCommand() *cli.Command {
	return &cli.Command{
		Name:  "oa",
		Usage: "OpenAttestation tools (selective disclosure)",
		Subcommands: []*cli.Command{{
			Name:      "obfuscate",
			Usage:     "hide fields of a wrapped OpenAttestation document; it still verifies",
			UsageText: "accord oa obfuscate FILE --field PATH [--field PATH ...] [--out FILE]",
			Description: "PATH is a dot path inside the document's data (v2) or credential (v3), e.g.\n" +
				"documentParties.consignee or consignmentItems.0.cargoItems. The hidden values' hashes go to the\n" +
				"document's obfuscated list, so the signature still covers them. Writes to stdout unless --out.",
			Flags: []cli.Flag{
				&cli.StringSliceFlag{Name: "field", Required: true, Usage: "field to hide; repeatable"},
				&cli.StringFlag{Name: "out", Usage: "output file (default stdout)"},
			},
			Action: obfuscateAction,
		}},
	}
}

func readEthKey(p string) (*ecdsa.PrivateKey, error) {
	if err := keyfile.CheckMode(p); err != nil {
		return nil, inputErr("%v", err)
	}
	k, err := crypto.LoadECDSA(p)
	if err != nil {
		return nil, inputErr("%s: not an Ethereum private key (64 hex digits): %v", p, err)
	}
	return k, nil
}

func issueEBLAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("unexpected argument %q (inputs go in --in)", c.Args().First())
	}
	key, err := readEthKey(c.String("key"))
	if err != nil {
		return err
	}
	ins := c.StringSlice("in")
	raws := make([][]byte, len(ins))
	names := make([]string, len(ins))
	seen := map[string]int{}
	for i, p := range ins {
		if raws[i], err = readFileLimited(p, openattestation.MaxDocumentSize); err != nil {
			return err
		}
		n := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		if seen[n]++; seen[n] > 1 {
			n = fmt.Sprintf("%s-%d", n, seen[n])
		}
		names[i] = n + ".json"
	}
	date := c.String("issue-date")
	if date == "today" {
		date = time.Now().UTC().Format("2006-01-02")
	}
	docs, err := oaissue.IssueEBL(key, raws, oaissue.IssueOptions{Domain: c.String("domain"), IssuerName: c.String("issuer-name"), IssueDate: date})
	if err != nil {
		return inputErr("%v", err)
	}
	out := c.String("out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return inputErr("%v", err)
	}
	for i, d := range docs {
		p := filepath.Join(out, names[i])
		if err := os.WriteFile(p, d, 0o644); err != nil {
			return inputErr("%v", err)
		}
		doc, err := openattestation.Parse(d)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "wrote %s (target hash %s)\n", p, doc.TargetHash)
		if i == len(docs)-1 {
			fmt.Fprintf(c.App.Writer, "signed %d document(s) as %s, merkle root %s\n", len(docs), oaissue.AddressOf(key).Hex(), doc.MerkleRoot)
		}
	}
	return nil
}

func keygenAction(c *cli.Context) error {
	if !c.Bool("eth") {
		return usageErr("only --eth keys are made here (anchor keys: `accord anchor init`)")
	}
	p := c.String("out")
	if _, err := os.Stat(p); err == nil {
		return usageErr("%s exists; refusing to overwrite a key", p)
	} else if !errors.Is(err, os.ErrNotExist) {
		return inputErr("%v", err)
	}
	k, err := crypto.GenerateKey()
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	if err := crypto.SaveECDSA(p, k); err != nil { // writes mode 0600
		return inputErr("%v", err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		return inputErr("%v", err)
	}
	fmt.Fprintln(c.App.Writer, oaissue.AddressOf(k).Hex())
	return nil
}

func obfuscateAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErr("want exactly one FILE (see `accord oa obfuscate --help`)")
	}
	in, err := readFileLimited(c.Args().First(), openattestation.MaxDocumentSize)
	if err != nil {
		return err
	}
	out, err := oaissue.Obfuscate(in, c.StringSlice("field"))
	if err != nil {
		return inputErr("%v", err)
	}
	if p := c.String("out"); p != "" {
		if err := os.WriteFile(p, out, 0o644); err != nil {
			return inputErr("%v", err)
		}
		return nil
	}
	_, err = c.App.Writer.Write(out)
	return err
}
