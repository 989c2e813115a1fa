package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/listimport/dccg"
	"github.com/accord-network/accord/internal/listimport/dcckeys"
	"github.com/accord-network/accord/internal/listimport/etsitl"
	"github.com/accord-network/accord/internal/listimport/gdhcn"
	"github.com/accord-network/accord/internal/listimport/icaoml"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/anchor"
)

// importFormats lists the formats of `accord list import`, in help order.
var importFormats = []struct{ name, what string }{
	{dccg.Format, "EU DCC gateway trust list: {certificates: [{certificateType, country, kid, rawData, signature, ...}]}; each DSC's CMS upload signature is checked"},
	{dcckeys.Format, "key-only national DCC lists (Switzerland's JWK-like {kid: [{x, y | n, e}]}, the Netherlands' {eu_keys: {kid: [{subjectPk, ian}]}}, a JWK Set, PEM public keys)"},
	{etsitl.Format, "ETSI TS 119 612 trusted list or the EU List of Trusted Lists (XAdES-signed XML); CA/QC services become pdf CAs, qualified timestamping services tsa"},
	{gdhcn.Format, "WHO GDHCN DID trust-list document (verificationMethod JWKs with x5c; JsonWebSignature2020 proof)"},
	{icaoml.Format, "ICAO CSCA master list (CMS SignedData of CscaMasterList); CSCAs become CA entries for use icao-csca"},
}

// listImportCommand is `accord list import`: another ecosystem's keys into
// the draft.
func listImportCommand() *cli.Command {
	var formats []string
	for _, f := range importFormats {
		formats = append(formats, fmt.Sprintf("  %-9s %s", f.name, f.what))
	}
	return &cli.Command{
		Name:  "import",
		Usage: "add the keys of another ecosystem's trust list (EU DCC gateway, national key lists, ETSI TL, GDHCN, ICAO) to the draft",
		UsageText: "accord list import --dir de-anchor --format dccg trustlist_de.json\n" +
			"accord list import --dir eu-relay --format dccg --all-countries --source-root upload-certs.pem trustlist_de.json\n" +
			"accord list import --dir ch-anchor --format dcc-keys --country CH trustlist_ch.json\n" +
			"accord list import --dir eu-relay --format etsi-tl --all-countries --source-root oj-2019-signers.pem --require-source-signature eu-lotl.xml DK-tl.xml IE-tl.xml\n" +
			"accord list import --dir de-anchor --format icao-ml --source-root csca-germany.cer DE_ML.ml",
		Description: "Formats:\n" + strings.Join(formats, "\n") + "\n\n" +
			"Each item is taken on its own: a certificate Go's standard library refuses (brainpool, explicit EC\n" +
			"parameters, negative serials, RSASSA-PSS) is parsed by Accord's own certificate layer; the item's kid is\n" +
			"kept as the source gives it and checked against the certificate; a bad item is reported with its reason\n" +
			"and the rest goes on. The source's own signature (DCCG item signatures, ETSI XAdES, GDHCN proof, ICAO\n" +
			"master-list signature) is checked against --source-root and recorded on each entry with the source format\n" +
			"and file hash, so `accord list show` and verification results say where a key came from.\n\n" +
			"A LOTL given with national lists in one call vouches for their signers: each territory's list must be\n" +
			"signed by a certificate the verified LOTL names for it (or by a --source-root).\n\n" +
			"Countries: an anchor imports its own country's items (--country CC imports CC's instead). A relay anchor\n" +
			"passes --all-countries: every country's items are listed as that country's, and documents are checked\n" +
			"against it. Items whose source names no country (key-only lists) need --country.\n\n" +
			"The command ends with a table of imported / refused / unchanged items per file and a summary; nothing\n" +
			"is signed until `accord list sign`. Unreadable input: exit status 2, and the draft is left as it was.",
		Flags: []cli.Flag{
			anchorDirFlag(),
			&cli.StringFlag{Name: "format", Required: true, Usage: "source format: dccg, dcc-keys, etsi-tl, gdhcn or icao-ml"},
			&cli.StringFlag{Name: "country", Usage: "import only this country's items (default: the anchor's), and give it to items whose source names none"},
			&cli.BoolFlag{Name: "all-countries", Usage: "relay anchor: import every country's items, each listed as its own country's"},
			&cli.StringSliceFlag{Name: "source-root", Usage: "certificates trusted to sign the source (a PEM file may hold several; or one DER certificate): DCCG upload certificates, the ETSI LOTL signers of the Official Journal, the GDHCN trust-list signer, ICAO CSCAs; repeatable"},
			&cli.BoolFlag{Name: "require-source-signature", Usage: "refuse items whose source signature is missing or does not verify against --source-root"},
			&cli.TimestampFlag{Name: "key-not-before", Layout: time.RFC3339, Usage: "dcc-keys: start of the bare keys' validity, which the lists do not state (default 2021-01-01T00:00:00Z)"},
			&cli.StringFlag{Name: "key-valid-for", Value: "365d", Usage: "dcc-keys: the bare keys' validity from now (Go duration or days); import again to renew"},
			&cli.BoolFlag{Name: "quiet", Usage: "do not list refused items one by one (the table still counts them)"},
		},
		Action: listImport,
	}
}

// importedFile is one source file read and parsed.
type importedFile struct {
	path string
	src  *listimport.Source
}

// importTally counts one file's outcome.
type importTally struct {
	imported, refused, unchanged, skipped int
}

func listImport(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	if c.NArg() == 0 {
		return usageErr("list import needs one or more source files (see `accord list import --help`)")
	}
	country := c.String("country")
	if country != "" && !trustlist.ValidCountry(country) {
		return usageErr("--country %q is not an ISO 3166-1 alpha-2 code (or XK, EU, UN)", country)
	}
	if country != "" && c.Bool("all-countries") {
		return usageErr("--country and --all-countries exclude each other: --country CC imports CC's items, --all-countries every country's")
	}
	known := false
	for _, f := range importFormats {
		known = known || f.name == c.String("format")
	}
	if !known {
		return usageErr("--format %q: formats are dccg, dcc-keys, etsi-tl, gdhcn and icao-ml (see `accord list import --help`)", c.String("format"))
	}
	opts, err := importOptions(c)
	if err != nil {
		return err
	}
	files, err := readSources(c, opts)
	if err != nil {
		return err
	}
	sel := importSelection{anchor: w.Meta.Country, country: country, all: c.Bool("all-countries"), requireSig: c.Bool("require-source-signature")}
	tallies, entries := applyImport(c.App.Writer, w, files, sel, c.Bool("quiet"))
	if err := w.Add(entries...); err != nil {
		return err
	}
	printImportTable(c.App.Writer, files, tallies)
	var t importTally
	for _, x := range tallies {
		t.imported, t.refused, t.unchanged, t.skipped = t.imported+x.imported, t.refused+x.refused, t.unchanged+x.unchanged, t.skipped+x.skipped
	}
	fmt.Fprintf(c.App.Writer, "imported %d, refused %d, unchanged %d", t.imported, t.refused, t.unchanged)
	if t.skipped > 0 {
		fmt.Fprintf(c.App.Writer, ", skipped %d of other countries (--all-countries imports them)", t.skipped)
	}
	fmt.Fprintf(c.App.Writer, " from %d file(s); the %s draft now has %d entries. Sign it with `accord list sign --dir %s`\n",
		len(files), w.Meta.Country, len(w.Draft.Entries), w.Dir)
	return nil
}

func importOptions(c *cli.Context) (listimport.Options, error) {
	var opts listimport.Options
	for _, path := range c.StringSlice("source-root") {
		b, err := readInput(path)
		if err != nil {
			return opts, err
		}
		ders, err := certsFrom(b)
		if err != nil {
			return opts, inputErr("--source-root %s: %v", path, err)
		}
		for _, der := range ders {
			cert, err := pki.Parse(der)
			if err != nil {
				return opts, inputErr("--source-root %s: %v", path, err)
			}
			opts.Roots = append(opts.Roots, cert)
		}
	}
	return opts, nil
}

// readSources reads and parses every file before the draft changes, so an
// unreadable file (exit 2) leaves the draft as it was.
func readSources(c *cli.Context, opts listimport.Options) ([]importedFile, error) {
	var out []importedFile
	notBefore := dcckeys.DefaultNotBefore
	if t := c.Timestamp("key-not-before"); t != nil {
		notBefore = *t
	}
	validFor, err := durationArg(c, "key-valid-for")
	if err != nil {
		return nil, err
	}
	win := dcckeys.Window{NotBefore: notBefore, NotAfter: time.Now().Add(validFor)}
	if c.String("format") == etsitl.Format {
		return readETSI(c, opts)
	}
	for _, path := range c.Args().Slice() {
		b, err := readBounded64(path)
		if err != nil {
			return nil, err
		}
		var src *listimport.Source
		switch c.String("format") {
		case dccg.Format:
			src, err = dccg.Parse(b, opts)
		case dcckeys.Format:
			src, err = dcckeys.Parse(b, win)
		case gdhcn.Format:
			src, err = gdhcn.Parse(b, opts)
		case icaoml.Format:
			src, err = icaoml.Parse(b, opts)
		default:
			return nil, usageErr("--format %q: formats are dccg, dcc-keys, etsi-tl, gdhcn and icao-ml (see `accord list import --help`)", c.String("format"))
		}
		if err != nil {
			return nil, inputErr("%s: %v (is --format %s right?)", path, err, c.String("format"))
		}
		out = append(out, importedFile{path: path, src: src})
	}
	return out, nil
}

// readETSI reads trusted lists together: LOTLs given in the same call vouch
// for the national lists' signers through their pointers.
func readETSI(c *cli.Context, opts listimport.Options) ([]importedFile, error) {
	var bs [][]byte
	for _, path := range c.Args().Slice() {
		b, err := readBounded64(path)
		if err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	lists, err := etsitl.ParseAll(bs, opts)
	if err != nil {
		return nil, inputErr("%v (is --format etsi-tl right?)", err)
	}
	out := make([]importedFile, len(lists))
	for i, l := range lists {
		out[i] = importedFile{path: c.Args().Get(i), src: l.Source}
	}
	return out, nil
}

func readBounded64(path string) ([]byte, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, err
	}
	if len(b) > listimport.MaxSourceSize {
		return nil, inputErr("%s: larger than %d bytes", path, listimport.MaxSourceSize)
	}
	return b, nil
}

// importSelection decides which items an anchor takes and as whose.
type importSelection struct {
	anchor, country string
	all, requireSig bool
}

// countryOf returns the country an item is listed for, or why it is not taken.
// skip is true for items of countries not selected (counted, not listed).
func (s importSelection) countryOf(it *listimport.Item) (cc string, skip bool, why error) {
	cc = it.Country
	if cc == "" {
		switch {
		case s.country != "":
			cc = s.country
		case s.all:
			return "", false, fmt.Errorf("the source does not say which country this key belongs to; import it with --country CC")
		default:
			cc = s.anchor
		}
	}
	want := s.country
	if want == "" {
		want = s.anchor
	}
	if !s.all && cc != want {
		return cc, true, nil
	}
	return cc, false, nil
}

// sourceSignature is the signature state that applies to an item: its own
// where the format signs items, else the source's.
func sourceSignature(src *listimport.Source, it *listimport.Item) (state, detail string) {
	if it.Signature != "" {
		return it.Signature, it.SignatureDetail
	}
	return src.Signature, src.SignatureDetail
}

func applyImport(out io.Writer, w *anchor.Workspace, files []importedFile, sel importSelection, quiet bool) ([]importTally, []*trustlist.Entry) {
	byKID := map[string][]*trustlist.Entry{}
	for _, e := range w.Draft.Entries {
		byKID[string(e.KID)] = append(byKID[string(e.KID)], e)
	}
	tallies := make([]importTally, len(files))
	seen := map[string]string{}
	var entries []*trustlist.Entry
	for fi, f := range files {
		t := &tallies[fi]
		refuse := func(it *listimport.Item, cc string, why error) {
			t.refused++
			if !quiet {
				fmt.Fprintf(out, "refused   %s %s %s: %v\n", filepath.Base(f.path), orDash(cc), it.Ref, why)
			}
		}
		for i := range f.src.Items {
			it := &f.src.Items[i]
			cc, skip, why := sel.countryOf(it)
			switch {
			case skip:
				t.skipped++
				continue
			case it.Refused != nil:
				refuse(it, cc, it.Refused)
				continue
			case why != nil:
				refuse(it, cc, why)
				continue
			}
			if state, detail := sourceSignature(f.src, it); sel.requireSig && state != trustlist.SourceVerified {
				refuse(it, cc, fmt.Errorf("source signature %s (%s) and --require-source-signature is set", state, detail))
				continue
			}
			e := it.Entry
			if prev, dup := seen[string(e.Kind)+string(e.KID)]; dup {
				refuse(it, cc, fmt.Errorf("kid %x also names another key (%s) in these sources; a kid must name one key", e.KID, prev))
				continue
			}
			seen[string(e.Kind)+string(e.KID)] = it.Ref
			if cc != sel.anchor {
				e.Country = cc
			}
			e.Source = f.src.Provenance(it)
			if sameAsListed(byKID[string(e.KID)], e) {
				t.unchanged++
				continue
			}
			if err := w.CheckAdd(e, false); err != nil {
				refuse(it, cc, err) // a revoked key stays revoked; a listed key keeps its role (list add --replace changes it)
				continue
			}
			byKID[string(e.KID)] = append(byKID[string(e.KID)], e)
			entries = append(entries, e)
			t.imported++
		}
	}
	return tallies, entries
}

// sameAsListed reports whether the draft already lists e's key for the same
// country and uses: the same entry, or (for a bare key) the certificate it
// was taken from.
func sameAsListed(listed []*trustlist.Entry, e *trustlist.Entry) bool {
	for _, old := range listed {
		if old.Status != trustlist.StatusActive || old.Country != e.Country || old.CA != e.CA || joinUses(old.Uses) != joinUses(e.Uses) {
			continue
		}
		if old.Kind == e.Kind && bytes.Equal(old.Data, e.Data) {
			return true
		}
		if e.Kind == trustlist.EntrySPKI && old.Kind == trustlist.EntryX509 {
			if c := old.Certificate(); c != nil && bytes.Equal(c.RawSubjectPublicKeyInfo, e.Data) {
				return true
			}
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "--"
	}
	return s
}

func printImportTable(out io.Writer, files []importedFile, tallies []importTally) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tformat\tsource signature\timported\trefused\tunchanged\tskipped\t")
	for i, f := range files {
		t := tallies[i]
		sig := f.src.Signature
		if f.src.Format == dccg.Format {
			n := map[string]int{}
			for _, it := range f.src.Items {
				if it.Refused == nil {
					n[it.Signature]++
				}
			}
			sig = fmt.Sprintf("per item: %d verified, %d not", n[trustlist.SourceVerified], n[trustlist.SourceUnverified]+n[trustlist.SourceUnsigned])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t\n", filepath.Base(f.path), f.src.Format, sig, t.imported, t.refused, t.unchanged, t.skipped)
	}
	tw.Flush()
	for _, f := range files {
		if f.src.Format == dccg.Format {
			intact := 0
			for _, it := range f.src.Items {
				if strings.HasPrefix(it.SignatureDetail, "upload signature intact") {
					intact++
				}
			}
			if intact > 0 {
				fmt.Fprintf(out, "%s: %d upload signatures are intact but their upload certificates are not trusted: give them (or their issuer) as --source-root\n", filepath.Base(f.path), intact)
			}
			continue
		}
		if f.src.SignatureDetail != "" {
			fmt.Fprintf(out, "%s: source signature %s: %s\n", filepath.Base(f.path), f.src.Signature, f.src.SignatureDetail)
		}
	}
}
