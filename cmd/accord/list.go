package main

import (
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/listimport/dcckeys"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/anchor"
)

// listCommand is `accord list`: edit, sign and inspect an anchor's trust list.
func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "edit, sign and inspect an anchor's trust list",
		Description: "Entries are added to a draft in the anchor directory; `list sign` turns the draft\n" +
			"into the next signed list (seq + 1, prev = hash of the last list).",
		Subcommands: []*cli.Command{
			{
				Name:  "add",
				Usage: "add issuer keys (certificates, bare public keys or Ethereum addresses) to the draft list",
				UsageText: "accord list add --dir nl-anchor --cert dsc.pem --use hcert [--name \"NL DSC 1\"]\n" +
					"accord list add --dir nl-anchor --cert csca.pem --ca --use hcert,pdf\n" +
					"accord list add --dir ch-anchor --key dsc-key.jwk --kid 3lTmAZX19GQ= --use hcert --name \"CH DSC\"\n" +
					"accord list add --dir sg-anchor --eth 0xAbC... --use oa --name \"Carrier Pte Ltd\" --domain carrier.example\n" +
					"accord list add --dir sg-anchor --contract amoy:0xAbC... --use oa --name \"Carrier Pte Ltd\" --domain carrier.example\n" +
					"accord list add --dir sg-anchor --did did:web:carrier.example#keys-1 --key carrier-key.jwk --use vc --name \"Carrier Pte Ltd\"",
				Flags: []cli.Flag{
					anchorDirFlag(),
					&cli.StringSliceFlag{Name: "cert", Usage: "certificate file, PEM (one or more blocks) or DER; repeatable"},
					&cli.BoolFlag{Name: "ca", Usage: "the certificates are CAs. pdf: PDFs signed by any certificate they issued are trusted. " +
						"hcert: a CSCA; each DSC must still be listed itself (HC1s name their DSC by kid), and once a CSCA is listed for hcert " +
						"every listed DSC must have been issued by a listed CSCA (issuer_chain). oa: unused (e-BLs are signed by --eth addresses)"},
					&cli.StringFlag{Name: "key", Usage: "a bare public key, for ecosystems that publish keys without certificates: PEM PUBLIC KEY, JWK (JSON) or DER SubjectPublicKeyInfo; needs --kid unless the JWK or PEM names one"},
					&cli.StringFlag{Name: "kid", Usage: "the --key's kid as its ecosystem prints it (base64, e.g. a DCC kid 3lTmAZX19GQ=; or hex:0a1b...)"},
					&cli.StringFlag{Name: "eth", Usage: "an Ethereum address (0x + 40 hex) that signs OpenAttestation documents"},
					contractFlag(),
					didFlag(),
					&cli.StringFlag{Name: "use", Usage: "document types the key may sign: hcert, oa, pdf, vc (comma-separated)"},
					&cli.StringFlag{Name: "name", Usage: "issuer name shown to verifiers (default: the certificate's organisation or CN)"},
					&cli.StringFlag{Name: "domain", Usage: "issuer's domain, matched against documents that name one"},
					&cli.TimestampFlag{Name: "not-before", Layout: time.RFC3339, Usage: "start of an --eth or --key entry's validity (RFC 3339; default now). Set it earlier to cover documents the key signed before it was listed"},
					&cli.StringFlag{Name: "valid-for", Value: "730d", Usage: "validity of an --eth, --key or --contract entry from --not-before (Go duration or days: 8760h, 730d; certificates carry their own)"},
					&cli.BoolFlag{Name: "replace", Usage: "allow changing an entry the draft holds into a CA or a signer, or changing its uses"},
				},
				Action: listAdd,
			},
			{
				Name:      "reinstate",
				Usage:     "make a revoked entry active again in the draft (the only way back from a revocation)",
				UsageText: "accord list reinstate --dir nl-anchor --kid 0a1b2c3d4e5f6071 --reason \"revoked by mistake\"",
				Flags: []cli.Flag{
					anchorDirFlag(),
					&cli.StringFlag{Name: "kid", Required: true, Usage: "entry kid in hex (an eth entry's kid is its address)"},
					&cli.StringFlag{Name: "reason", Required: true, Usage: "why, shown when the next list is signed"},
				},
				Action: listReinstate,
			},
			{
				Name:      "revoke",
				Usage:     "mark an entry revoked in the draft (takes effect when the next list is signed)",
				UsageText: "accord list revoke --dir nl-anchor --kid 0a1b2c3d4e5f6071 --reason \"key compromise\"",
				Flags: []cli.Flag{
					anchorDirFlag(),
					&cli.StringFlag{Name: "kid", Required: true, Usage: "entry kid in hex (an eth entry's kid is its address)"},
					&cli.StringFlag{Name: "reason", Required: true, Usage: "why, shown to verifiers"},
					&cli.TimestampFlag{Name: "at", Layout: time.RFC3339, Usage: "revocation time (RFC 3339; default now)"},
				},
				Action: listRevoke,
			},
			{
				Name:  "sign",
				Usage: "sign the draft as the anchor's next list (or one custodian's part of it)",
				UsageText: "accord list sign --dir nl-anchor --out nl-list.cose [--valid-for 30d] [--key K1 --key K2]\n" +
					"accord list sign --dir nl-anchor --partial --key /media/k1.cose --out part1.cose     (custodian 1)\n" +
					"accord list sign --dir nl-anchor --partial --key /media/k2.cose --of part1.cose --out part2.cose\n" +
					"accord list combine --dir nl-anchor part1.cose part2.cose --out nl-list.cose",
				Description: "Keys: the current version's keys in DIR/keys, or key files named with --key (anywhere on disk).\n" +
					"Custodians apart: each signs a part on their own machine with --partial --key FILE (the later ones\n" +
					"with --of the first part, so everyone signs the same list); `list combine` merges the parts and\n" +
					"records the list only if the threshold is met. An empty draft is refused unless --empty.",
				Flags: append([]cli.Flag{
					anchorDirFlag(),
					&cli.StringFlag{Name: "out", Usage: "also write the signed list here (it is always kept in DIR/lists); with --partial, the part"},
					&cli.StringFlag{Name: "valid-for", Value: "720h", Usage: "time until next_update, after which verifiers call the list stale (Go duration or days: 720h, 30d)"},
					&cli.BoolFlag{Name: "empty", Usage: "sign even though the draft has no entries"},
				}, custodyFlags("list")...),
				Action: listSign,
			},
			combineCommand("list"),
			{
				Name:      "draft",
				Usage:     "show the draft: the entries the next `list sign` will publish",
				UsageText: "accord list draft --dir nl-anchor [--json]",
				Flags: []cli.Flag{
					anchorDirFlag(),
					jsonFlag(machineJSON),
				},
				Action: listDraft,
			},
			{
				Name:      "show",
				Usage:     "print a signed list: country, seq, dates, freshness and every entry",
				UsageText: "accord list show nl-list.cose [--json] [--descriptor nl-descriptor.cose]",
				Flags: []cli.Flag{
					jsonFlag(machineJSON),
					&cli.StringFlag{Name: "descriptor", Usage: "check the signatures against this anchor descriptor"},
				},
				Action: listShow,
			},
			listImportCommand(),
		},
	}
}

// listRevoke marks a draft entry revoked.
func listRevoke(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	at := time.Now()
	if t := c.Timestamp("at"); t != nil {
		at = *t
	}
	e, err := w.Revoke(c.String("kid"), c.String("reason"), at)
	if errors.Is(err, anchor.ErrNoEntry) {
		return usageErr("list revoke: %v (`accord list draft --dir %s` shows each entry's kid)", err, w.Dir)
	}
	if err != nil {
		return usageErr("list revoke: %v", err)
	}
	fmt.Fprintf(c.App.Writer, "revoked %s %s (%s) at %s: %s\nSign and publish the next list: `accord list sign --dir %s --out ...`\n",
		e.Kind, kidHex(e), e.Name, e.RevokedAt.Format(time.RFC3339), e.Reason, w.Dir)
	return nil
}

// listAdd adds the entries of one source (certificates, a bare key, a DID
// verification method, an Ethereum address or a contract) to the draft.
func listAdd(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	uses, err := parseUses(c.String("use"))
	if err != nil {
		return usageErr("%v", err)
	}
	entries, err := newEntries(c, uses)
	if err != nil {
		return err
	}
	return addEntries(c, w, entries)
}

// newEntries builds the entries of the one source flag given.
func newEntries(c *cli.Context, uses []trustlist.DocType) ([]*trustlist.Entry, error) {
	certs, eth, key := c.StringSlice("cert"), c.String("eth"), c.String("key")
	given := 0
	did := c.IsSet(didFlagName)
	for _, g := range []bool{len(certs) > 0, eth != "", key != "" && !did, c.IsSet(contractFlagName), did} {
		if g {
			given++
		}
	}
	if given != 1 {
		return nil, usageErr("list add needs one of --cert FILE (one or more), --key FILE --kid KID, --eth 0xADDRESS, --contract NETWORK:0xADDRESS or --did VERIFICATION-METHOD [--key FILE]")
	}
	var e *trustlist.Entry
	var err error
	switch {
	case len(certs) > 0:
		return certEntries(c, certs, uses)
	case did: // before --key, which a DID entry may take
		e, err = didEntry(c, uses)
	case c.IsSet(contractFlagName):
		e, err = contractEntry(c, uses)
	case key != "":
		e, err = keyEntry(c, key, uses)
	default:
		e, err = ethEntry(c, eth, uses)
	}
	if err != nil {
		return nil, err
	}
	return []*trustlist.Entry{e}, nil
}

// certEntries makes an entry of every certificate in the files (PEM blocks
// or DER).
func certEntries(c *cli.Context, paths []string, uses []trustlist.DocType) ([]*trustlist.Entry, error) {
	var entries []*trustlist.Entry
	for _, path := range paths {
		b, err := readInput(path)
		if err != nil {
			return nil, err
		}
		ders, err := certsFrom(b)
		if err != nil {
			return nil, inputErr("%s: %v", path, err)
		}
		for _, der := range ders {
			e, err := trustlist.NewX509Entry(der, c.Bool("ca"), uses, c.String("name"))
			if err != nil {
				return nil, inputErr("%s: %v", path, err)
			}
			e.Domain = c.String("domain")
			entries = append(entries, e)
		}
	}
	return entries, nil
}

// ethEntry makes the entry of an Ethereum address that signs OpenAttestation
// documents, valid from --not-before for --valid-for.
func ethEntry(c *cli.Context, eth string, uses []trustlist.DocType) (*trustlist.Entry, error) {
	addr, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(eth), "0x"))
	if err != nil || len(addr) != 20 {
		return nil, usageErr("--eth %q is not an Ethereum address (0x followed by 40 hex digits)", eth)
	}
	if c.String("name") == "" {
		return nil, usageErr("--eth entries need --name: the organisation verifiers will be shown")
	}
	from, until, err := entryWindow(c)
	if err != nil {
		return nil, err
	}
	e, err := trustlist.NewEthEntry(addr, uses, c.String("name"), c.String("domain"), from, until)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return e, nil
}

// addEntries adds entries to the draft and says what was added.
func addEntries(c *cli.Context, w *anchor.Workspace, entries []*trustlist.Entry) error {
	if err := w.AddWith(c.Bool("replace"), entries...); err != nil {
		switch {
		case errors.Is(err, anchor.ErrRevoked):
			return usageErr("list add: %v\nRevocation is sticky. If the key really may sign again, reinstate it: `accord list reinstate --dir %s --kid KID --reason WHY`.", err, w.Dir)
		case errors.Is(err, anchor.ErrChanged):
			return usageErr("list add: %v\nIf that is what you mean, add it again with --replace.", err)
		}
		return err
	}
	for _, e := range entries {
		role := ""
		if e.CA {
			role = " (CA)"
		}
		fmt.Fprintf(c.App.Writer, "added %s%s %s %q for %s, valid %s to %s\n", e.Kind, role, kidHex(e), e.Name, joinUses(e.Uses),
			e.NotBefore.Format("2006-01-02"), e.NotAfter.Format("2006-01-02"))
	}
	fmt.Fprintf(c.App.Writer, "draft now has %s; sign it with `accord list sign --dir %s`\n", plural(len(w.Draft.Entries), "entry"), w.Dir)
	return nil
}

// keyEntry makes the spki entry of `list add --key FILE --kid KID`.
func keyEntry(c *cli.Context, path string, uses []trustlist.DocType) (*trustlist.Entry, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, err
	}
	spki, fileKID, err := dcckeys.ParseKey(b)
	if err != nil {
		return nil, inputErr("--key %s: %v", path, err)
	}
	kidText := c.String("kid")
	if kidText == "" {
		kidText = fileKID
	}
	if kidText == "" {
		return nil, usageErr("--key needs --kid: the key id documents carry to name this key (e.g. a DCC kid in base64)")
	}
	var kid []byte
	if h, ok := strings.CutPrefix(kidText, "hex:"); ok {
		if kid, err = hex.DecodeString(h); err != nil {
			return nil, usageErr("--kid %q: not hex after hex:", kidText)
		}
	} else {
		kid = dcckeys.KIDBytes(kidText)
	}
	name := c.String("name")
	if name == "" {
		name = "key " + kidText
	}
	from, until, err := entryWindow(c)
	if err != nil {
		return nil, err
	}
	e, err := trustlist.NewSPKIEntry(spki, kid, uses, name, from, until)
	if err != nil {
		return nil, usageErr("--key %s: %v", path, err)
	}
	e.Domain = c.String("domain")
	return e, nil
}

// certsFrom returns the DER certificates in b: PEM CERTIFICATE blocks, or b itself as DER.
func certsFrom(b []byte) ([][]byte, error) {
	var out [][]byte
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			out = append(out, blk.Bytes)
		}
	}
	if len(out) == 0 {
		if len(b) > 0 && b[0] == 0x30 {
			return [][]byte{b}, nil
		}
		return nil, fmt.Errorf("no certificate found (expected PEM CERTIFICATE blocks or DER)")
	}
	return out, nil
}

func joinUses(u []trustlist.DocType) string {
	s := make([]string, len(u))
	for i, x := range u {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}

type entryView struct {
	KID        string                `json:"kid"`
	Kind       string                `json:"kind"`
	CA         bool                  `json:"ca,omitempty"`
	Name       string                `json:"name"`
	Domain     string                `json:"domain,omitempty"`
	Uses       string                `json:"uses"`
	Subject    string                `json:"subject,omitempty"`
	CN         string                `json:"cn,omitempty"`
	NotBefore  time.Time             `json:"not_before"`
	NotAfter   time.Time             `json:"not_after"`
	Status     string                `json:"status"`
	RevokedAt  time.Time             `json:"revoked_at,omitzero"`
	Reason     string                `json:"revocation_reason,omitempty"`
	Thumbprint string                `json:"thumbprint,omitempty"`
	Country    string                `json:"country,omitempty"` // a relayed entry's own country
	Source     string                `json:"source,omitempty"`  // where an imported entry came from
	Provenance *trustlist.Provenance `json:"provenance,omitempty"`
}

type listView struct {
	Country           string      `json:"country"`
	DescriptorVersion uint64      `json:"descriptor_version"`
	Seq               uint64      `json:"seq"`
	Hash              string      `json:"hash"`
	Prev              string      `json:"prev,omitempty"`
	IssuedAt          time.Time   `json:"issued_at"`
	NextUpdate        time.Time   `json:"next_update"`
	Fresh             bool        `json:"fresh"`
	Signatures        string      `json:"signatures"`
	Entries           []entryView `json:"entries"`
}

func listShow(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErr("list show needs one list file")
	}
	b, err := readInput(c.Args().First())
	if err != nil {
		return err
	}
	l, err := trustlist.ParseList(b)
	if err != nil {
		if wk := describeWrongKind(c.Args().First(), b, trustlist.KindList, err); wk != err {
			return inputErr("%v", wk)
		}
		return inputErr("%s: %v", c.Args().First(), err)
	}
	v := listView{Country: l.Country, DescriptorVersion: l.DescriptorVersion, Seq: l.Seq, Hash: hex.EncodeToString(l.Hash()),
		Prev: hex.EncodeToString(l.Prev), IssuedAt: l.IssuedAt, NextUpdate: l.NextUpdate, Fresh: l.Fresh(time.Now()),
		Signatures: "not checked (give --descriptor, or import the list into a trust store)"}
	var verr error
	if dp := c.String("descriptor"); dp != "" {
		db, err := readInput(dp)
		if err != nil {
			return err
		}
		d, err := trustlist.ParseDescriptor(db)
		if err != nil {
			if wk := describeWrongKind(dp, db, trustlist.KindDescriptor, err); wk != err {
				return inputErr("%v", wk)
			}
			return inputErr("%s: %v", dp, err)
		}
		if verr = d.VerifySelf(); verr == nil {
			verr = l.Verify(d)
		}
		if verr == nil {
			v.Signatures = fmt.Sprintf("valid: threshold %d of %s descriptor v%d met", d.Threshold, d.Country, d.Version)
		} else {
			v.Signatures = "INVALID: " + verr.Error()
		}
	}
	v.Entries = entryViews(l.Entries)
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
	} else {
		printList(c.App.Writer, v)
	}
	if verr != nil {
		return silentExit(exitNo)
	}
	return nil
}

func printList(w io.Writer, v listView) {
	fresh := "fresh"
	if !v.Fresh {
		fresh = "STALE (past next_update)"
	}
	fmt.Fprintf(w, "%s trust list seq %d (descriptor v%d)\n  hash        %s\n  prev        %s\n  issued      %s\n  next update %s  %s\n  signatures  %s\n  entries     %d\n",
		v.Country, v.Seq, v.DescriptorVersion, v.Hash, orNone(v.Prev), v.IssuedAt.Format(time.RFC3339), v.NextUpdate.Format(time.RFC3339), fresh, v.Signatures, len(v.Entries))
	printEntries(w, v.Entries)
}

// printEntries prints one line per entry: kind, kid, name (and the
// certificate's CN when it differs, so entries of one organisation read
// apart), uses, validity and status.
func printEntries(w io.Writer, entries []entryView) {
	for _, e := range entries {
		status := e.Status
		if e.Status == string(trustlist.StatusRevoked) {
			status = fmt.Sprintf("REVOKED %s (%s)", e.RevokedAt.Format(time.RFC3339), e.Reason)
		}
		ca := ""
		if e.CA {
			ca = " CA"
		}
		name := fmt.Sprintf("%q", e.Name)
		if e.CN != "" && e.CN != e.Name {
			name += fmt.Sprintf(" CN=%q", e.CN)
		}
		country := ""
		if e.Country != "" {
			country = " for " + e.Country
		}
		fmt.Fprintf(w, "  - %s%s %s%s  %s  uses=%s  %s..%s  %s\n", e.Kind, ca, e.KID, country, name, e.Uses,
			e.NotBefore.Format("2006-01-02"), e.NotAfter.Format("2006-01-02"), status)
		if e.Source != "" {
			fmt.Fprintf(w, "      %s\n", e.Source)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none: first list)"
	}
	return s
}

func listReinstate(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	e, err := w.Reinstate(c.String("kid"), c.String("reason"))
	if err != nil {
		return usageErr("list reinstate: %v", err)
	}
	fmt.Fprintf(c.App.Writer, "reinstated %s %s (%s): %s\nSign and publish the next list: `accord list sign --dir %s --out ...`\n",
		e.Kind, kidHex(e), e.Name, c.String("reason"), w.Dir)
	return nil
}

// printChanges says what signing the draft will change since the last signed
// list, so the anchor sees it before the keys sign it.
func printChanges(out io.Writer, w *anchor.Workspace) error {
	last, changes, err := w.Changes()
	if err != nil {
		return err
	}
	if last == nil {
		fmt.Fprintf(out, "first list of %s: %d entries\n", w.Meta.Country, len(w.Draft.Entries))
		return nil
	}
	if len(changes) == 0 {
		fmt.Fprintf(out, "no changes since list seq %d\n", last.Seq)
		return nil
	}
	count := map[string]int{}
	for _, ch := range changes {
		count[ch.What]++
	}
	var parts []string
	for _, what := range []string{anchor.Added, anchor.Revoked, anchor.Reinstated, anchor.Changed, anchor.Removed} {
		if count[what] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[what], what))
		}
	}
	fmt.Fprintf(out, "changes since list seq %d: %s\n", last.Seq, strings.Join(parts, ", "))
	const maxLines = 50
	for i, ch := range changes {
		if i == maxLines {
			fmt.Fprintf(out, "  ... and %d more\n", len(changes)-maxLines)
			break
		}
		line := fmt.Sprintf("  %-10s %s %s %q", ch.What, ch.Entry.Kind, kidHex(ch.Entry), ch.Entry.Name)
		if ch.Detail != "" {
			line += ": " + ch.Detail
		}
		fmt.Fprintln(out, line)
	}
	return nil
}

// entryWindow is the validity window of a new list entry: from --not-before
// (now when absent) for --valid-for.
func entryWindow(c *cli.Context) (from, until time.Time, err error) {
	from = time.Now()
	if t := c.Timestamp("not-before"); t != nil {
		from = *t
	}
	validFor, err := durationArg(c, "valid-for")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return from, from.Add(validFor), nil
}
