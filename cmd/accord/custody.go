package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/atomicfile"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/anchor"
)

// Key custody: with --keys 3 --threshold 2 the keys can live with different
// people. Each custodian signs a part on their own machine (--partial --key
// FILE; the second and later custodians sign the first part's object with
// --of), and anyone combines the parts (`list combine`, `anchor combine`),
// which verifies the result against the threshold before recording it.

// custodyFlags are the flags of every command that signs for an anchor.
func custodyFlags(what string) []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "key", Usage: "a private key file of the anchor, anywhere on disk (repeatable; default: the keys in DIR/keys)"},
		&cli.BoolFlag{Name: "partial", Usage: "sign with --key only and write a part for `combine` (custodians on separate machines)"},
		&cli.StringFlag{Name: "of", Usage: "with --partial: sign the same " + what + " as this part from another custodian"},
	}
}

// durationArg parses a duration flag that also takes whole days ("30d").
func durationArg(c *cli.Context, name string) (time.Duration, error) {
	d, err := parseDays(c.String(name))
	if err != nil || d <= 0 {
		return 0, usageErr("--%s %q: want a positive duration such as 720h or 30d", name, c.String(name))
	}
	return d, nil
}

// custodyKeys loads the signing keys for a command with custodyFlags.
func custodyKeys(c *cli.Context, w *anchor.Workspace) ([]*trustlist.PrivateKey, error) {
	if c.String("of") != "" && !c.Bool("partial") {
		return nil, usageErr("--of signs another custodian's part: it needs --partial")
	}
	if c.Bool("partial") && c.String("out") == "" {
		return nil, usageErr("--partial needs --out FILE: the part to hand to whoever combines the parts")
	}
	keys, err := w.SigningKeys(c.StringSlice("key"), c.Bool("partial"))
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return keys, nil
}

// writePart writes a custodian's part and says what to do next.
func writePart(c *cli.Context, w *anchor.Workspace, what string, part []byte, combineCmd string) error {
	out := c.String("out")
	if err := atomicfile.WriteFile(out, part, 0o644); err != nil {
		return err
	}
	kids, _ := trustlist.Signers(part)
	var ks []string
	for _, k := range kids {
		ks = append(ks, fmt.Sprintf("%x", k))
	}
	fmt.Fprintf(c.App.Writer, "signed a part of %s\n  by %s (kid %s); %s needed in all\nwrote %s\n",
		what, plural(len(kids), "key"), strings.Join(ks, ", "), plural(w.Meta.Threshold, "signature"), out)
	if c.String("of") == "" {
		fmt.Fprintf(c.App.Writer, "Next: each other custodian signs the same object: `... --partial --key THEIR-KEY --of %s --out partN.cose`;\nthen `%s --dir %s %s partN.cose ...`\n", out, combineCmd, w.Dir, out)
	} else {
		fmt.Fprintf(c.App.Writer, "Next: `%s --dir %s %s %s ...` with every custodian's part\n", combineCmd, w.Dir, c.String("of"), out)
	}
	return nil
}

// signPartOf is --partial --of: sign another custodian's part.
func signPartOf(c *cli.Context, w *anchor.Workspace, keys []*trustlist.PrivateKey, combineCmd string) error {
	b, err := readInput(c.String("of"))
	if err != nil {
		return err
	}
	what, part, err := w.SignPartOf(b, keys)
	if err != nil {
		return inputErr("%s: %v", c.String("of"), err)
	}
	return writePart(c, w, what, part, combineCmd)
}

func listSign(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	validFor, err := durationArg(c, "valid-for")
	if err != nil {
		return err
	}
	keys, err := custodyKeys(c, w)
	if err != nil {
		return err
	}
	if c.String("of") != "" {
		return signPartOf(c, w, keys, "accord list combine")
	}
	if err := checkDraftBeforeSigning(c, w); err != nil {
		return err
	}
	if err := printChanges(c.App.Writer, w); err != nil {
		return err
	}
	if c.Bool("partial") {
		l, part, err := w.SignListPart(keys, validFor, time.Now())
		if err != nil {
			return usageErr("list sign: %v", err)
		}
		what := fmt.Sprintf("%s list seq %d (%s, issued %s, hash %x)", l.Country, l.Seq, plural(len(l.Entries), "entry"), l.IssuedAt.Format(time.RFC3339), l.Hash())
		return writePart(c, w, what, part, "accord list combine")
	}
	l, path, err := w.SignWith(keys, validFor, time.Now())
	if err != nil {
		return usageErr("list sign: %v", err)
	}
	if out := c.String("out"); out != "" {
		if err := atomicfile.WriteFile(out, l.Raw(), 0o644); err != nil {
			return err
		}
		path = out
	}
	fmt.Fprintf(c.App.Writer, "signed %s list seq %d: %s, next update %s, hash %x\nwrote %s\n",
		l.Country, l.Seq, plural(len(l.Entries), "entry"), l.NextUpdate.Format(time.RFC3339), l.Hash(), path)
	return nil
}

// combineCommand merges custodians' parts; `list combine` and `anchor
// combine` are the same command.
func combineCommand(name string) *cli.Command {
	return &cli.Command{
		Name:  "combine",
		Usage: "merge custodians' partial signatures of a list, rotation or endorsement, and verify the result",
		UsageText: "accord " + name + " combine --dir nl part1.cose part2.cose --out list.cose\n\n" +
			"Each part is signed on a custodian's machine (`list sign`, `anchor rotate` or `anchor endorse`\n" +
			"with --partial --key FILE, the later ones with --of FIRST-PART). The combined object is verified\n" +
			"exactly as a verifier will (the anchor's threshold; a rotation by the old and the new keys) and\n" +
			"only then recorded in the anchor directory.",
		Flags: []cli.Flag{
			anchorDirFlag(),
			&cli.StringFlag{Name: "out", Usage: "also write the combined object here (required for an endorsement)"},
		},
		Action: combineAction,
	}
}

func combineAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("combine needs the parts to merge (two or more files)")
	}
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	var parts [][]byte
	for _, p := range c.Args().Slice() {
		b, err := readInput(p)
		if err != nil {
			return err
		}
		parts = append(parts, b)
	}
	res, err := w.Combine(parts...)
	if err != nil {
		if trustlist.ReasonOf(err) != "" && trustlist.ReasonOf(err) != trustlist.ReasonMalformed {
			return noErr("combine: %v", err)
		}
		return inputErr("combine: %v", err)
	}
	path := res.Path
	if out := c.String("out"); out != "" {
		if err := atomicfile.WriteFile(out, res.Raw, 0o644); err != nil {
			return err
		}
		path = out
	} else if res.Kind == trustlist.KindEndorsement {
		return usageErr("an endorsement is not kept in the anchor directory: give --out FILE")
	}
	kids, _ := trustlist.Signers(res.Raw)
	switch res.Kind {
	case trustlist.KindList:
		fmt.Fprintf(c.App.Writer, "combined %s list seq %d: %s, threshold %d met (%s), hash %x\nwrote %s\n",
			res.List.Country, res.List.Seq, plural(len(res.List.Entries), "entry"), w.Meta.Threshold, plural(len(kids), "signature"), res.List.Hash(), path)
	case trustlist.KindDescriptor:
		d := res.Descriptor
		fmt.Fprintf(c.App.Writer, "combined the rotation of %s to descriptor v%d (%s, threshold %d), hash %x\nwrote %s\n",
			d.Country, d.Version, plural(len(d.Keys), "key"), d.Threshold, d.Hash(), path)
		printAfterRotation(c, w, d, res.OldKeys)
	case trustlist.KindEndorsement:
		fmt.Fprintf(c.App.Writer, "combined the endorsement (%s)\nwrote %s\n", plural(len(kids), "signature"), path)
	}
	return nil
}

// printAfterRotation says what to do with the new descriptor and the old keys.
func printAfterRotation(c *cli.Context, w *anchor.Workspace, d *trustlist.Descriptor, oldKeys []string) {
	out := c.App.Writer
	fmt.Fprintf(out, "Publish %s to your peers (`accord node publish`); lists are now signed with the v%d keys.\n", w.DescriptorPath(), d.Version)
	if d.SealedSeq > 0 {
		fmt.Fprintf(out, "The v%d keys can sign nothing new: verifiers accept their lists up to seq %d and none after.\n", d.Version-1, d.SealedSeq)
	} else {
		fmt.Fprintf(out, "The v%d keys can sign nothing new: verifiers that hold v%d accept no list signed by them.\n", d.Version-1, d.Version)
	}
	fmt.Fprintf(out, "Old keys: once your verifiers show descriptor v%d (`accord trust show`), destroy every copy of the v%d keys,\n", d.Version, d.Version-1)
	fmt.Fprintf(out, "including those custodians hold elsewhere; a leaked old key could still sign a conflicting past list.\n")
	for _, k := range oldKeys {
		fmt.Fprintf(out, "  shred -u %s\n", k)
	}
}

// checkDraftBeforeSigning refuses an empty draft unless --empty says it is
// meant, and warns about CA combinations verifiers will reject.
func checkDraftBeforeSigning(c *cli.Context, w *anchor.Workspace) error {
	if len(w.Draft.Entries) == 0 && !c.Bool("empty") {
		return usageErr("the draft in %s has no entries: a list without entries makes every %s document fail issuer_trusted.\n"+
			"Add issuers with `accord list add --dir %s ...`, or pass --empty to publish an empty list on purpose", w.Dir, w.Meta.Country, w.Dir)
	}
	for _, warn := range caWarnings(w.Draft.Entries) {
		fmt.Fprintf(c.App.ErrWriter, "accord: warning: %s\n", warn)
	}
	return nil
}
