package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/atomicfile"
	"github.com/accord-network/accord/internal/clibase"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/anchor"
)

// anchorCommand is `accord anchor`: create and manage a trust anchor.
func anchorCommand() *cli.Command {
	return &cli.Command{
		Name:  "anchor",
		Usage: "create and manage a trust anchor (a country's signing keys and descriptor)",
		Description: "A trust anchor speaks for one country. Its descriptor names its public keys and how many\n" +
			"of them (the threshold) must sign each list. Verifiers pin the descriptor once.",
		Subcommands: []*cli.Command{
			{
				Name:      "init",
				Usage:     "create anchor keys and a signed descriptor v1 in a new directory",
				UsageText: "accord anchor init --country NL --name \"Netherlands Health Authority\" --dir nl-anchor [--keys 3 --threshold 2]",
				Description: "Writes private keys (mode 0600) under DIR/keys and the signed descriptor to\n" +
					"DIR/descriptor.cose. Give descriptor.cose to verifiers to pin; keep the keys offline.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "country", Usage: "ISO 3166-1 alpha-2 code, e.g. NL", Required: true},
					&cli.StringFlag{Name: "name", Usage: "display name of the anchor", Required: true},
					dirFlag("anchor directory to create"),
					&cli.IntFlag{Name: "keys", Value: 1, Usage: "number of signing keys"},
					&cli.IntFlag{Name: "threshold", Value: 1, Usage: "signatures required on every descriptor and list"},
					&cli.StringFlag{Name: "alg", Value: "ES256", Usage: "key algorithm: ES256 (P-256) or EdDSA (Ed25519)"},
				},
				Action: anchorInit,
			},
			{
				Name:  "rotate",
				Usage: "replace the anchor's keys: descriptor v(n+1) signed by t old and t new keys",
				UsageText: "accord anchor rotate --dir nl-anchor [--keys 3 --threshold 2] [--key OLD1 --key OLD2]\n" +
					"accord anchor rotate --dir nl-anchor --keys 3 --threshold 2 --partial --key /media/old1.cose --out rot1.cose\n" +
					"accord anchor rotate --dir nl-anchor --partial --key /media/old2.cose --of rot1.cose --out rot2.cose\n" +
					"accord anchor combine --dir nl-anchor rot1.cose rot2.cose",
				Description: "The new keys are written to DIR/keys (mode 0600): hand each to its custodian and remove it there.\n" +
					"With custodians apart, the first old custodian starts the rotation with --partial (it makes the new\n" +
					"keys, which sign too); the other old custodians sign it with --of; `anchor combine` verifies and records it.",
				Flags: append([]cli.Flag{
					anchorDirFlag(),
					&cli.IntFlag{Name: "keys", Value: 1, Usage: "number of new keys"},
					&cli.IntFlag{Name: "threshold", Value: 1, Usage: "new threshold"},
					&cli.StringFlag{Name: "alg", Value: "ES256", Usage: "ES256 or EdDSA"},
					&cli.StringFlag{Name: "out", Usage: "with --partial: where to write the part"},
				}, custodyFlags("rotation")...),
				Action: anchorRotate,
			},
			{
				Name:      "show",
				Usage:     "print a descriptor: its hash (SHA-256 of the file, as sha256sum prints it), keys, threshold and signatures",
				UsageText: "accord anchor show nl-anchor/descriptor.cose [--json]",
				Flags:     []cli.Flag{jsonFlag(machineJSON)},
				Action:    anchorShow,
			},
			{
				Name:  "endorse",
				Usage: "vouch for another anchor's descriptor (verifiers may admit anchors endorsed by k pinned anchors)",
				UsageText: "accord anchor endorse --dir nl-anchor sg-descriptor.cose --out nl-endorses-sg.cose\n" +
					"accord anchor endorse --dir nl-anchor --partial --key /media/k1.cose sg-descriptor.cose --out e1.cose\n" +
					"accord anchor endorse --dir nl-anchor --partial --key /media/k2.cose --of e1.cose --out e2.cose\n" +
					"accord anchor combine --dir nl-anchor e1.cose e2.cose --out nl-endorses-sg.cose",
				Flags: append([]cli.Flag{
					dirFlag("your anchor directory"),
					&cli.StringFlag{Name: "out", Required: true, Usage: "where to write the endorsement (or the part)"},
					&cli.DurationFlag{Name: "valid-for", Value: trustlist.DefaultEndorsementValidity, Usage: "how long the endorsement counts; renew it before then"},
				}, custodyFlags("endorsement")...),
				Action: anchorEndorse,
			},
			combineCommand("anchor"),
		},
	}
}

// anchorInit creates an anchor directory: keys and a signed descriptor v1.
func anchorInit(c *cli.Context) error {
	w, err := anchor.Init(c.String("dir"), strings.ToUpper(c.String("country")), c.String("name"), c.Int("keys"), c.Int("threshold"), trustlist.KeyAlg(c.String("alg")))
	if errors.Is(err, anchor.ErrAnchorExists) {
		return usageErr("anchor init: %v; use another --dir, or `accord anchor rotate --dir %s` to change its keys", err, c.String("dir"))
	}
	if err != nil {
		return usageErr("anchor init: %v", err)
	}
	d, err := w.Descriptor()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "Created anchor %s (%s) in %s\n  descriptor v1: %s, threshold %d, hash %x\n  descriptor file: %s\n",
		d.Country, d.Name, w.Dir, plural(len(d.Keys), "key"), d.Threshold, d.Hash(), w.DescriptorPath())
	fmt.Fprintf(c.App.Writer, "Next: add issuers with `accord list add --dir %s ...`, then `accord list sign --dir %s --out list.cose`.\n", w.Dir, w.Dir)
	return nil
}

func anchorRotate(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	keys, err := custodyKeys(c, w)
	if err != nil {
		return err
	}
	if c.String("of") != "" {
		return signPartOf(c, w, keys, "accord anchor combine")
	}
	alg := trustlist.KeyAlg(c.String("alg"))
	if c.Bool("partial") {
		d, files, err := w.RotatePart(keys, c.Int("keys"), c.Int("threshold"), alg)
		if err != nil {
			return usageErr("anchor rotate: %v", err)
		}
		what := fmt.Sprintf("the rotation of %s to descriptor v%d (%s, threshold %d, hash %x)", d.Country, d.Version, plural(len(d.Keys), "key"), d.Threshold, d.Hash())
		if err := writePart(c, w, what, d.Raw(), "accord anchor combine"); err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "New keys (hand each to its custodian, then remove it here): %s\n", strings.Join(files, ", "))
		return nil
	}
	oldKeys := w.Meta.KeyFiles
	d, err := w.RotateWith(keys, c.Int("keys"), c.Int("threshold"), alg)
	if err != nil {
		return usageErr("anchor rotate: %v", err)
	}
	fmt.Fprintf(c.App.Writer, "Rotated %s to descriptor v%d (%s, threshold %d), hash %x\n",
		d.Country, d.Version, plural(len(d.Keys), "key"), d.Threshold, d.Hash())
	var present []string
	for _, rel := range oldKeys {
		if p := filepath.Join(w.Dir, rel); fileExists(p) {
			present = append(present, p)
		}
	}
	printAfterRotation(c, w, d, present)
	return nil
}

func anchorEndorse(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	keys, err := custodyKeys(c, w)
	if err != nil {
		return err
	}
	if c.String("of") != "" {
		if c.NArg() != 0 {
			return usageErr("with --of, the descriptor is the one the part endorses: give no descriptor file")
		}
		return signPartOf(c, w, keys, "accord anchor combine")
	}
	if c.NArg() != 1 {
		return usageErr("anchor endorse needs exactly one descriptor file to endorse")
	}
	b, err := readInput(c.Args().First())
	if err != nil {
		return err
	}
	e, err := w.EndorseWithFor(b, keys, c.Duration("valid-for"))
	if err != nil {
		if wk := describeWrongKind(c.Args().First(), b, trustlist.KindDescriptor, err); wk != err {
			return inputErr("anchor endorse: %v", wk)
		}
		return inputErr("anchor endorse: %v", err)
	}
	if c.Bool("partial") {
		return writePart(c, w, fmt.Sprintf("%s endorsement of %s descriptor %x", e.Endorser, e.Subject, e.SubjectHash), e.Raw(), "accord anchor combine")
	}
	if err := atomicfile.WriteFile(c.String("out"), e.Raw(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s endorses %s descriptor %x until %s\nwrote %s\n", e.Endorser, e.Subject, e.SubjectHash, e.ExpiresAt.Format(time.RFC3339), c.String("out"))
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// readInput reads a file, or stdin for "-", with a size bound.
func readInput(path string) ([]byte, error) { return clibase.ReadInput(path) }

func parseUses(s string) ([]trustlist.DocType, error) {
	var out []trustlist.DocType
	for _, u := range strings.Split(s, ",") {
		u = strings.TrimSpace(u)
		switch trustlist.DocType(u) {
		case trustlist.DocHCert, trustlist.DocOA, trustlist.DocPDF, trustlist.DocTSA, trustlist.DocVC:
			out = append(out, trustlist.DocType(u))
		case "":
		default:
			return nil, fmt.Errorf("--use %q: document types are hcert, oa, pdf, vc (W3C verifiable credentials) and tsa (an RFC 3161 time-stamping authority)", u)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--use is required: which documents may this key sign? (hcert, oa, pdf, vc, tsa, comma-separated)")
	}
	return out, nil
}

func kidHex(e *trustlist.Entry) string {
	if e.Kind == trustlist.EntryEth {
		return "0x" + hex.EncodeToString(e.KID)
	}
	return hex.EncodeToString(e.KID)
}

// openAnchor opens the anchor directory named by --dir; a directory without an
// anchor is bad usage, and the error says how to create one.
func openAnchor(c *cli.Context) (*anchor.Workspace, error) {
	w, err := anchor.Open(c.String("dir"))
	if errors.Is(err, anchor.ErrNotAnchor) {
		return nil, usageErr("%v (create one with `accord anchor init --dir %s --country CC --name NAME`)", err, c.String("dir"))
	}
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return w, nil
}

type descriptorView struct {
	Country    string   `json:"country"`
	Name       string   `json:"name"`
	Version    uint64   `json:"version"`
	Hash       string   `json:"hash"`
	Threshold  int      `json:"threshold"`
	Keys       []string `json:"keys"`
	IssuedAt   string   `json:"issued_at"`
	SealedSeq  uint64   `json:"sealed_seq,omitempty"`
	SealedHash string   `json:"sealed_hash,omitempty"`
	Signatures string   `json:"signatures"`
}

// anchorShow prints a descriptor with its one hash: SHA-256 of the file.
func anchorShow(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErr("anchor show needs one descriptor file")
	}
	path := c.Args().First()
	b, err := readInput(path)
	if err != nil {
		return err
	}
	if k, err := trustlist.PeekKind(b); err == nil && k != trustlist.KindDescriptor {
		return inputErr("%s is a %s, not an anchor descriptor (`accord list show` prints lists)", path, k)
	}
	d, err := trustlist.ParseDescriptor(b)
	if err != nil {
		return inputErr("%s: %v", path, err)
	}
	v := descriptorView{Country: d.Country, Name: d.Name, Version: d.Version, Hash: hex.EncodeToString(d.Hash()), Threshold: d.Threshold,
		IssuedAt: d.IssuedAt.Format(time.RFC3339), SealedSeq: d.SealedSeq}
	if d.SealedSeq > 0 {
		v.SealedHash = hex.EncodeToString(d.SealedHash)
	}
	for _, k := range d.Keys {
		v.Keys = append(v.Keys, hex.EncodeToString(k.KID()))
	}
	verr := d.VerifySelf()
	if verr == nil {
		v.Signatures = fmt.Sprintf("valid: %d of its own keys signed it", d.Threshold)
		if d.Version > 1 {
			v.Signatures += fmt.Sprintf(" (the v%d keys' signatures are checked when it is pinned over v%d)", d.Version-1, d.Version-1)
		}
	} else {
		v.Signatures = "INVALID: " + verr.Error()
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.App.Writer, "%s descriptor v%d (%s)\n  hash        %s  (SHA-256 of the file: compare it with the hash the anchor gave you)\n  threshold   %d of %d keys\n  issued      %s\n",
			v.Country, v.Version, v.Name, v.Hash, v.Threshold, len(v.Keys), v.IssuedAt)
		for _, k := range v.Keys {
			fmt.Fprintf(c.App.Writer, "  key         %s\n", k)
		}
		if v.SealedSeq > 0 {
			fmt.Fprintf(c.App.Writer, "  sealed      list seq %d (hash %s)\n", v.SealedSeq, v.SealedHash)
		}
		fmt.Fprintf(c.App.Writer, "  signatures  %s\n", v.Signatures)
	}
	if verr != nil {
		return silentExit(exitNo)
	}
	return nil
}
