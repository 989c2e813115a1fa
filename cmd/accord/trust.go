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

func init() {
	register(&cli.Command{
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
					&cli.StringFlag{Name: "dir", Required: true, Usage: "trust store directory"},
					&cli.IntFlag{Name: "endorsements", Usage: "k: admit an unpinned anchor endorsed by k pinned anchors (0: pinned anchors only)"},
					&cli.BoolFlag{Name: "change-policy", Usage: "the store exists: change its endorsement threshold to --endorsements (anchors admitted by endorsement may leave)"},
				},
				Action: trustInit,
			},
			{
				Name:      "pin",
				Usage:     "trust an anchor's descriptor as a root (check its hash with the anchor out of band first)",
				UsageText: "accord trust pin --dir trust nl-anchor/descriptor.cose",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "dir", Required: true, Usage: "trust store directory"}},
				Action: func(c *cli.Context) error {
					if c.NArg() == 0 {
						return usageErr("trust pin needs at least one descriptor file")
					}
					st, err := trustlist.OpenStore(c.String("dir"), trustlist.StoreOptions{})
					if err != nil {
						return storeErr(c.String("dir"), err)
					}
					defer st.Close()
					for _, path := range c.Args().Slice() {
						b, err := readInput(path)
						if err != nil {
							return err
						}
						d, err := st.Pin(b)
						if err != nil {
							if errors.Is(err, trustlist.ErrStoreWrite) {
								return storeErr(c.String("dir"), err)
							}
							if wk := describeWrongKind(path, b, trustlist.KindDescriptor, err); wk != err {
								return inputErr("%v", wk)
							}
							if trustlist.ReasonOf(err) == trustlist.ReasonMalformed {
								return inputErr("%s: %v", path, err)
							}
							return noErr("%s: not pinned: %v", path, err)
						}
						fmt.Fprintf(c.App.Writer, "pinned %s (%s) descriptor v%d, %s, threshold %d, hash %x\n", d.Country, d.Name, d.Version, plural(len(d.Keys), "key"), d.Threshold, d.Hash())
					}
					return nil
				},
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
					&cli.StringFlag{Name: "dir", Required: true, Usage: "trust store directory"},
					&cli.BoolFlag{Name: "json", Usage: "print one JSON decision per line"},
				},
				Action: trustImport,
			},
			trustRepairCommand(),
			{
				Name:      "show",
				Usage:     "print the anchors and lists a trust store holds",
				UsageText: "accord trust show --dir trust [--json]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dir", Required: true, Usage: "trust store directory"},
					&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
				},
				Action: func(c *cli.Context) error {
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
						fmt.Fprintf(c.App.Writer, "%s  %s  descriptor v%d (%s, %s, threshold %d)\n", a.Country, a.Name, a.Version, how, plural(a.Keys, "key"), a.Threshold)
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
				},
			},
		},
	})
}

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

func trustImport(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("trust import needs at least one file")
	}
	var items []importItem
	for _, path := range c.Args().Slice() {
		b, err := readInput(path)
		if err != nil {
			return err
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
		}
		items = append(items, it)
	}
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
	st, err := trustlist.OpenStore(c.String("dir"), trustlist.StoreOptions{})
	if err != nil {
		return storeErr(c.String("dir"), err)
	}
	defer st.Close()
	rejected, malformed := 0, 0
	var pending []*trustlist.Decision
	enc := json.NewEncoder(c.App.Writer)
	for _, it := range items {
		d, err := st.Import(it.raw, time.Now())
		if err != nil {
			return storeErr(c.String("dir"), err)
		}
		if c.Bool("json") {
			enc.Encode(struct {
				File string `json:"file"`
				*trustlist.Decision
			}{it.path, d})
		} else {
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
			line := fmt.Sprintf("%-9s %s (%s)", d.Outcome, what, filepath.Base(it.path))
			if d.Reason != "" {
				line += fmt.Sprintf(": %s: %s", d.Reason, d.Detail)
			} else if d.Detail != "" {
				line += ": " + d.Detail
			}
			fmt.Fprintln(c.App.Writer, line)
		}
		if d.Outcome == trustlist.Pending {
			pending = append(pending, d)
		}
		if d.Outcome == trustlist.Rejected {
			rejected++
			if d.Reason == trustlist.ReasonMalformed {
				malformed++
			}
		}
	}
	// A descriptor left pending counts as not accepted unless a later
	// endorsement in this same import admitted it.
	for _, d := range pending {
		if cur := st.Set().Descriptor(d.Country); cur == nil || !bytes.Equal(cur.Hash(), d.Hash) {
			rejected++
		} else if !c.Bool("json") {
			fmt.Fprintf(c.App.Writer, "admitted  %s descriptor v%d: endorsed by enough pinned anchors\n", d.Country, d.Number)
		}
	}
	switch {
	case malformed > 0 && malformed == rejected:
		return inputErr("%d of %d files could not be decoded", malformed, len(items))
	case rejected > 0:
		return noErr("%d of %d objects were not accepted", rejected, len(items))
	}
	return nil
}
