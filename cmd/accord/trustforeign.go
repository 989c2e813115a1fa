package main

import (
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/listimport/etsitl"
	"github.com/accord-network/accord/internal/listimport/foreign"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// foreignDir is where a trust directory keeps source pins and accepted
// foreign lists (spec/trustlist.md §7.5).
func foreignDir(trust string) string { return filepath.Join(trust, "foreign") }

func trustPinSourceCommand() *cli.Command {
	return &cli.Command{
		Name:      "pin-source",
		Usage:     "trust the signer of a foreign list format directly (ETSI LOTL signers, DCC upload certificates, ICAO CSCAs)",
		UsageText: "accord trust pin-source --dir trust --format etsi-tl --root oj-signer-1.pem --root oj-signer-2.pem ...",
		Description: "Pins the certificates allowed to sign a foreign list format; then `accord trust import --format F`\n" +
			"accepts that format's lists verbatim (spec/trustlist.md §7.5), and a node on this directory relays them:\n" +
			"  etsi-tl  the EU List of Trusted Lists signers the Official Journal publishes; national trusted\n" +
			"           lists are then accepted through the LOTL's pointers\n" +
			"  dccg     EU DCC gateway lists: countries' upload certificates (or the certificate that issued them);\n" +
			"           only items whose upload signature verifies become entries\n" +
			"  icao-ml  ICAO CSCA master lists: the CSCA that issued the master-list signer\n" +
			"Replaces an earlier pin of the same format. gdhcn cannot be pinned: its documents sign no date.",
		Flags: []cli.Flag{
			trustDirFlag(),
			&cli.StringFlag{Name: "format", Required: true, Usage: "source format: " + strings.Join(foreign.Formats(), ", ")},
			&cli.StringSliceFlag{Name: "root", Required: true, Usage: "a PEM or DER certificate of a list signer (repeatable; a PEM file may hold several)"},
		},
		Action: trustPinSource,
	}
}

func trustPinSource(c *cli.Context) error {
	var roots []*pki.Certificate
	for _, f := range c.StringSlice("root") {
		cs, err := readCerts(f)
		if err != nil {
			return inputErr("%s: %v", f, err)
		}
		roots = append(roots, cs...)
	}
	dir := foreignDir(c.String("dir"))
	h, _, err := foreign.Load(dir, foreign.Options{Now: time.Now(), Offline: true})
	if h == nil {
		return fmt.Errorf("foreign lists in %s cannot be read: %w (fix or remove the named file)", dir, err)
	}
	if err != nil {
		fmt.Fprintf(c.App.ErrWriter, "accord: warning: dropping held foreign lists that no longer pass: %v\n", err)
	}
	if err := h.PinSource(foreign.Pin{Format: c.String("format"), Roots: roots}); err != nil {
		return usageErr("%v", err)
	}
	if err := h.Save(dir); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "pinned %d %s list signer(s) in %s\n", len(roots), c.String("format"), dir)
	return nil
}

func readCerts(path string) ([]*pki.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*pki.Certificate
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		c, err := pki.Parse(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		c, err := pki.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("neither PEM certificates nor a DER certificate: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// trustImportForeign accepts foreign lists under the store's source pin;
// files are taken in the order given (import the LOTL before national lists).
func trustImportForeign(c *cli.Context) error {
	format := c.String("format")
	if !slices.Contains(foreign.Formats(), format) {
		return usageErr("trust import --format %q: pinned foreign lists are %s", format, strings.Join(foreign.Formats(), ", "))
	}
	dir := foreignDir(c.String("dir"))
	o := foreign.Options{Now: time.Now(), Offline: c.Bool("offline")}
	h, _, err := foreign.Load(dir, foreign.Options{Now: o.Now, Offline: true})
	if h == nil {
		return fmt.Errorf("foreign lists in %s cannot be read: %w (fix or remove the named file)", dir, err)
	}
	if err != nil {
		fmt.Fprintf(c.App.ErrWriter, "accord: warning: dropping held foreign lists that no longer pass: %v\n", err)
	}
	rejected := 0
	for _, path := range c.Args().Slice() {
		raw, err := readInput(path)
		if err != nil {
			return inputErr("%s: %v", path, err)
		}
		l, warn, err := h.Accept(format, raw, o)
		switch {
		case errors.Is(err, foreign.ErrNotPinned):
			return usageErr("%v: pin the list signers first with `accord trust pin-source --dir %s --format %s --root CERT...`", err, c.String("dir"), format)
		case errors.Is(err, foreign.ErrUnchanged):
			fmt.Fprintf(c.App.Writer, "duplicate %s\n", filepath.Base(path))
		case err != nil:
			rejected++
			fmt.Fprintf(c.App.Writer, "rejected  %s: %v\n", filepath.Base(path), err)
		default:
			kind := "trusted list"
			switch {
			case l.LOTL:
				kind = "LOTL"
			case format != etsitl.Format:
				kind = format + " list"
			}
			fmt.Fprintf(c.App.Writer, "accepted  %s %s seq %d (%s): %d usable entries; %s\n", l.Territory, kind, l.Seq, filepath.Base(path), len(l.Entries()), l.Detail)
			if warn != "" {
				fmt.Fprintf(c.App.ErrWriter, "accord: warning: %s\n", warn)
			}
			if len(raw) > foreign.MaxNetworkFile {
				fmt.Fprintf(c.App.ErrWriter, "accord: warning: %s is %d bytes, over the %d bytes (16 MiB less 4 KiB) a foreign list may have on the network: "+
					"it is held and used here, but a node never sends it to peers; give each node the file with `accord trust import --format %s`\n",
					filepath.Base(path), len(raw), foreign.MaxNetworkFile, format)
			}
		}
	}
	if err := h.Save(dir); err != nil {
		return err
	}
	if rejected > 0 {
		return cli.Exit(fmt.Sprintf("%d foreign list(s) rejected", rejected), 1)
	}
	return nil
}

// installForeign makes the foreign lists a trust directory holds findable in
// set. Stale lists are loaded (verification judges freshness per match).
func installForeign(c *cli.Context, trust string, set *trustlist.Set) error {
	dir := foreignDir(trust)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	h, _, err := foreign.Load(dir, foreign.Options{Now: time.Now(), Offline: true})
	if err != nil {
		fmt.Fprintf(c.App.ErrWriter, "accord: warning: foreign lists in %s: %v (those lists are not used)\n", dir, err)
	}
	if h != nil {
		h.Install(set)
	}
	return nil
}
