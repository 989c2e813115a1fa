package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/trustlist"
)

// trustCommand is `accord trust`: manage a verifier's trust store.
func trustCommand() *cli.Command {
	return &cli.Command{
		Name:  "trust",
		Usage: "manage a verifier's trust store: pinned anchors, imported lists, policy",
		Description: "A trust store is a directory. Nothing enters it unverified: `pin` makes an anchor a root,\n" +
			"`import` checks each list, descriptor, endorsement or evidence against the pins and the policy.\n" +
			"A node's --data directory is a trust store too: `accord verify --trust DATA` works beside a running node.",
		Subcommands: []*cli.Command{
			{
				Name:  "init",
				Usage: "create an empty trust store",
				UsageText: "accord trust init --dir trust [--endorsements 2]\n" +
					"accord trust init --dir trust --endorsements 1 --change-policy   (an existing store)",
				Flags: []cli.Flag{
					trustDirFlag(),
					&cli.IntFlag{Name: "endorsements", Usage: "k: admit an unpinned anchor endorsed by k pinned anchors (0: pinned anchors only)"},
					&cli.BoolFlag{Name: "change-policy", Usage: "the store exists: change its endorsement threshold to --endorsements (anchors admitted by endorsement may leave)"},
				},
				Action: trustInit,
			},
			{
				Name:  "pin",
				Usage: "trust an anchor's descriptor as a root (check its hash with the anchor out of band first)",
				UsageText: "accord trust pin --dir trust --expect-hash HEX nl-anchor/descriptor.cose\n" +
					"accord trust pin --dir trust nl/descriptors/v2.cose nl/descriptors/v3.cose   (a rotation chain)\n" +
					"accord trust pin --dir trust --replace --expect-hash HEX new-descriptor.cose",
				Description: "A descriptor's hash is the SHA-256 of its file (`sha256sum` prints it; so does\n" +
					"`accord anchor show FILE`). Ask the anchor for it by another channel and give it as --expect-hash.\n" +
					"A newer version of an anchor already held is pinned only through its rotation chain: give every\n" +
					"descriptor from the held version to the new one. Replacing an anchor outright (it lost its keys)\n" +
					"needs --replace and --expect-hash; the store records it and `trust show` shows it.",
				Flags: []cli.Flag{
					trustDirFlag(),
					&cli.StringFlag{Name: "expect-hash", Usage: "the descriptor's SHA-256 as the anchor gave it out of band (hex)"},
					&cli.BoolFlag{Name: "replace", Usage: "replace the anchor's pinned descriptor outright, without a rotation chain (needs --expect-hash)"},
				},
				Action: trustPin,
			},
			{
				Name:      "import",
				Usage:     "verify and import lists, descriptors, endorsements and evidence",
				UsageText: "accord trust import --dir trust nl-list.cose sg-list.cose ...",
				Description: "Each file is reported as accepted, history, duplicate, pending or rejected with the reason\n" +
					"(bad_signature, threshold_not_met, unknown_anchor, rollback, broken_chain, expired, equivocation, ...).\n" +
					"Files are taken in dependency order (descriptors, endorsements, lists by seq, evidence).\n" +
					"Exit status 1 if anything was rejected.",
				Flags: []cli.Flag{
					trustDirFlag(),
					jsonFlag("print one JSON decision per line"),
					&cli.StringFlag{Name: "format", Usage: "import foreign signed lists of this format under the store's source pin (etsi-tl, dccg, icao-ml; see trust pin-source)"},
					&cli.BoolFlag{Name: "offline", Usage: "with --format: accept a list past its NextUpdate with a warning"},
				},
				Action: trustImport,
			},
			trustPinSourceCommand(),
			trustRepairCommand(),
			trustCheckCommand(),
			{
				Name:      "show",
				Usage:     "print the anchors and lists a trust store holds",
				UsageText: "accord trust show --dir trust [--json]",
				Flags: []cli.Flag{
					trustDirFlag(),
					jsonFlag(machineJSON),
				},
				Action: trustShow,
			},
		},
	}
}

// trustShow prints the anchors and lists a trust store holds.
func trustShow(c *cli.Context) error {
	set, rep, err := trustlist.LoadDirReport(c.String("dir"))
	if err != nil {
		return storeErr(c.String("dir"), err)
	}
	if rep.Skipped > 0 {
		fmt.Fprintf(c.App.ErrWriter, "accord: warning: %d stored records no longer verify and were skipped\n", rep.Skipped)
	}
	anchors := set.Anchors()
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"anchors": anchors, "endorsement_threshold": set.Policy().EndorsementThreshold})
	}
	if len(anchors) == 0 {
		fmt.Fprintf(c.App.Writer, "no anchors in %s; pin one with `accord trust pin --dir %s DESCRIPTOR`\n", c.String("dir"), c.String("dir"))
		return nil
	}
	now := time.Now()
	for _, a := range anchors {
		how := "pinned"
		if !a.Pinned {
			how = fmt.Sprintf("endorsed by %v", a.AdmittedBy)
		}
		if !a.AdmittedUntil.IsZero() {
			how += fmt.Sprintf(" until %s", a.AdmittedUntil.Format(time.RFC3339))
		}
		fmt.Fprintf(c.App.Writer, "%s  %s  descriptor v%d (%s, %d keys, threshold %d)\n    descriptor hash %x\n", a.Country, a.Name, a.Version, how, a.Keys, a.Threshold, a.Hash)
		if r := a.Replaced; r != nil {
			fmt.Fprintf(c.App.Writer, "    REPLACED outright by the operator: v%d (hash %x) replaced by v%d (hash %x)\n", r.FromVersion, r.FromHash, r.ToVersion, r.ToHash)
		}
		if a.Seq == 0 {
			fmt.Fprintf(c.App.Writer, "    no list yet\n")
		} else {
			fresh := "fresh"
			if ok, _ := trustlist.Freshness(a.NextUpdate, now, false); !ok {
				fresh = "STALE"
			}
			fmt.Fprintf(c.App.Writer, "    list seq %d, %s, issued %s, next update %s (%s), %s held, hash %s\n",
				a.Seq, plural(a.Entries, "entry"), a.IssuedAt.Format(time.RFC3339), a.NextUpdate.Format(time.RFC3339), fresh, plural(a.History, "version"), hex.EncodeToString(a.ListHash)[:16])
		}
		if a.Equivocated {
			fmt.Fprintf(c.App.Writer, "    EQUIVOCATION: this anchor signed conflicting lists; documents it vouches for fail\n")
		}
	}
	return nil
}

// importItem is one file given to `trust import`, with what is needed to
// put it in dependency order.
type importItem struct {
	path string
	raw  []byte
	kind trustlist.Kind
	rank uint64
	cc   string
}

func kindOrder(k trustlist.Kind) int {
	switch k {
	case trustlist.KindDescriptor:
		return 0
	case trustlist.KindEndorsement:
		return 1
	case trustlist.KindList:
		return 2
	}
	return 3
}

// trustImport verifies files into a trust store: it reads them, puts them in
// dependency order, imports and reports each, and then judges the
// descriptors left pending.
func trustImport(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("trust import needs at least one file")
	}
	if c.String("format") != "" {
		return trustImportForeign(c)
	}
	items, err := readImportItems(c.Args().Slice())
	if err != nil {
		return err
	}
	sortImportItems(items)
	dir := c.String("dir")
	st, err := trustlist.OpenStore(dir, trustlist.StoreOptions{})
	if err != nil {
		return storeErr(dir, err)
	}
	defer st.Close()
	var t trustImportTally
	for _, it := range items {
		d, err := st.Import(it.raw, time.Now())
		if err != nil {
			return storeErr(dir, err)
		}
		if err := reportImport(c, it.path, d); err != nil {
			return err
		}
		t.count(d)
	}
	t.judgePending(c, st)
	return t.result(len(items))
}

// readImportItems reads the files and peeks at each one's kind, country and
// rank (version or seq); a file that does not parse is imported last and
// rejected with its reason.
func readImportItems(paths []string) ([]importItem, error) {
	var items []importItem
	for _, path := range paths {
		b, err := readInput(path)
		if err != nil {
			return nil, err
		}
		it := importItem{path: path, raw: b}
		it.kind, _ = trustlist.PeekKind(b)
		switch it.kind {
		case trustlist.KindDescriptor:
			if d, err := trustlist.ParseDescriptor(b); err == nil {
				it.cc, it.rank = d.Country, d.Version
			}
		case trustlist.KindList:
			if l, err := trustlist.ParseList(b); err == nil {
				it.cc, it.rank = l.Country, l.Seq
			}
		case trustlist.KindRevocations: // a chain: in (descriptor version, seq) order
			if r, err := trustlist.ParseRevocations(b); err == nil {
				it.cc, it.rank = r.Country, r.DescriptorVersion<<32|r.Seq
			}
		}
		items = append(items, it)
	}
	return items, nil
}

// sortImportItems puts items in dependency order: descriptors, endorsements,
// lists, the rest; within a kind by country and then version or seq.
func sortImportItems(items []importItem) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if kindOrder(a.kind) != kindOrder(b.kind) {
			return kindOrder(a.kind) < kindOrder(b.kind)
		}
		if a.cc != b.cc {
			return a.cc < b.cc
		}
		return a.rank < b.rank
	})
}

// reportImport prints one file's decision: a line, or a JSON object with --json.
func reportImport(c *cli.Context, path string, d *trustlist.Decision) error {
	if c.Bool("json") {
		return json.NewEncoder(c.App.Writer).Encode(struct {
			File string `json:"file"`
			*trustlist.Decision
		}{path, d})
	}
	what := string(d.Kind)
	if d.Country != "" {
		what = fmt.Sprintf("%s %s", d.Country, d.Kind)
		switch d.Kind {
		case trustlist.KindList:
			what += fmt.Sprintf(" seq %d", d.Number)
		case trustlist.KindDescriptor:
			what += fmt.Sprintf(" v%d", d.Number)
		}
	}
	line := fmt.Sprintf("%-9s %s (%s)", d.Outcome, what, filepath.Base(path))
	if d.Reason != "" {
		line += fmt.Sprintf(": %s: %s", d.Reason, d.Detail)
	} else if d.Detail != "" {
		line += ": " + d.Detail
	}
	_, err := fmt.Fprintln(c.App.Writer, line)
	return err
}

// trustImportTally counts what `trust import` did not accept.
type trustImportTally struct {
	rejected, malformed int
	pending             []*trustlist.Decision
}

func (t *trustImportTally) count(d *trustlist.Decision) {
	switch d.Outcome {
	case trustlist.Pending:
		t.pending = append(t.pending, d)
	case trustlist.Rejected:
		t.rejected++
		if d.Reason == trustlist.ReasonMalformed {
			t.malformed++
		}
	}
}

// judgePending counts a descriptor left pending as not accepted unless a
// later endorsement in this same import admitted it.
func (t *trustImportTally) judgePending(c *cli.Context, st *trustlist.Store) {
	for _, d := range t.pending {
		if cur := st.Set().Descriptor(d.Country); cur == nil || !bytes.Equal(cur.Hash(), d.Hash) {
			t.rejected++
		} else if !c.Bool("json") {
			fmt.Fprintf(c.App.Writer, "admitted  %s descriptor v%d: endorsed by enough pinned anchors\n", d.Country, d.Number)
		}
	}
}

// result is the command's exit: 2 when every refusal was undecodable input,
// 1 when anything else was not accepted.
func (t *trustImportTally) result(files int) error {
	switch {
	case t.malformed > 0 && t.malformed == t.rejected:
		return inputErr("%d of %d files could not be decoded", t.malformed, files)
	case t.rejected > 0:
		return noErr("%d of %d objects were not accepted", t.rejected, files)
	}
	return nil
}

// pinGroup is the descriptors given for one anchor: the one to pin (the
// newest) and the rotation chain up to it.
type pinGroup struct {
	final *trustlist.Descriptor
	path  string
	chain [][]byte
}

// pinGroups reads the descriptor files and groups them by country.
func pinGroups(paths []string) ([]*pinGroup, error) {
	byCC := map[string][]*trustlist.Descriptor{}
	where := map[*trustlist.Descriptor]string{}
	var order []string
	for _, path := range paths {
		b, err := readInput(path)
		if err != nil {
			return nil, err
		}
		d, err := trustlist.ParseDescriptor(b)
		if err != nil {
			if wk := describeWrongKind(path, b, trustlist.KindDescriptor, err); wk != err {
				return nil, inputErr("%v", wk)
			}
			return nil, inputErr("%s: %v", path, err)
		}
		if byCC[d.Country] == nil {
			order = append(order, d.Country)
		}
		byCC[d.Country] = append(byCC[d.Country], d)
		where[d] = path
	}
	var out []*pinGroup
	for _, cc := range order {
		ds := byCC[cc]
		sort.Slice(ds, func(i, j int) bool { return ds[i].Version < ds[j].Version })
		g := &pinGroup{final: ds[len(ds)-1], path: where[ds[len(ds)-1]]}
		for _, d := range ds[:len(ds)-1] {
			g.chain = append(g.chain, d.Raw())
		}
		out = append(out, g)
	}
	return out, nil
}

func trustPin(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("trust pin needs at least one descriptor file")
	}
	var expect []byte
	if h := c.String("expect-hash"); h != "" {
		var err error
		if expect, err = trustlist.ParseHash(h); err != nil {
			return usageErr("--expect-hash: %v", err)
		}
	}
	if c.Bool("replace") && expect == nil {
		return usageErr("--replace needs --expect-hash: replacing an anchor is trusted only for the descriptor whose hash the anchor gave you out of band")
	}
	groups, err := pinGroups(c.Args().Slice())
	if err != nil {
		return err
	}
	if expect != nil && len(groups) > 1 {
		return usageErr("--expect-hash names one descriptor: pin one anchor at a time with it")
	}
	st, err := trustlist.OpenStore(c.String("dir"), trustlist.StoreOptions{})
	if err != nil {
		return storeErr(c.String("dir"), err)
	}
	defer st.Close()
	for _, g := range groups {
		held := st.Set().Descriptor(g.final.Country)
		d, err := st.PinWith(g.final.Raw(), trustlist.PinOptions{Chain: g.chain, ExpectHash: expect, Replace: c.Bool("replace")})
		if err != nil {
			if errors.Is(err, trustlist.ErrStoreWrite) {
				return storeErr(c.String("dir"), err)
			}
			if wk := describeWrongKind(g.path, g.final.Raw(), trustlist.KindDescriptor, err); wk != err {
				return inputErr("%v", wk)
			}
			switch trustlist.ReasonOf(err) {
			case trustlist.ReasonMalformed:
				return inputErr("%s: %v", g.path, err)
			case trustlist.ReasonBadVersion:
				return noErr("%s: not pinned: %v\nGive the descriptors of every version in between (the anchor keeps them in its descriptors/ folder), or if the anchor lost its keys, replace it with --replace --expect-hash HASH after checking the hash with the anchor.", g.path, err)
			case trustlist.ReasonRollback:
				return noErr("%s: not pinned: %v\nIf the anchor really replaced its descriptor, check its hash with the anchor and pin it with --replace --expect-hash HASH.", g.path, err)
			}
			return noErr("%s: not pinned: %v", g.path, err)
		}
		how := "pinned"
		switch {
		case c.Bool("replace") && held != nil && !held.SameContent(d):
			how = fmt.Sprintf("replaced %s descriptor v%d (hash %x) outright; pinned", d.Country, held.Version, held.Hash())
		case held != nil && held.Version < d.Version:
			how = fmt.Sprintf("rotated %s from v%d through its rotation chain; pinned", d.Country, held.Version)
		}
		fmt.Fprintf(c.App.Writer, "%s %s (%s) descriptor v%d, %s, threshold %d, hash %x\n", how, d.Country, d.Name, d.Version, plural(len(d.Keys), "key"), d.Threshold, d.Hash())
		if expect == nil {
			fmt.Fprintf(c.App.Writer, "  check this hash with the anchor by another channel (phone, letter); next time pass it as --expect-hash\n")
		}
	}
	return nil
}
