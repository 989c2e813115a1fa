package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/certlogic"
	"github.com/accord-network/accord/internal/atomicfile"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/anchor"
)

// rulesCommand is `accord rules`: an anchor's entry rules and value sets.
func rulesCommand() *cli.Command {
	return &cli.Command{
		Name:  "rules",
		Usage: "author, sign, inspect and test an anchor's entry rules (EU DCC business rules, CertLogic) and value sets",
		Description: "An anchor publishes its acceptance and invalidation rules and the value sets they read as\n" +
			"signed objects beside its list; verifiers evaluate them with `accord verify --arrival CC`.",
		Subcommands: []*cli.Command{
			{
				Name:  "add",
				Usage: "validate rules against the EU DCC rule schema and add them to the anchor's draft rule set",
				UsageText: "accord rules add --dir nl-anchor VR-NL-0001.json [RULE.json...] [--valuesets valueSets.json]\n" +
					"accord rules add --dir fi-anchor --strip expr-as-text per-country/FI/*.json",
				Description: "A RULE file holds one rule object, or an array of versions of rules (the gateway's layout).\n" +
					"--strip removes a top-level field before validation (the schema forbids unknown fields).",
				Flags: []cli.Flag{
					anchorDirFlag(),
					&cli.StringSliceFlag{Name: "strip", Usage: "top-level field to remove from each rule before validating; repeatable"},
					&cli.StringFlag{Name: "valuesets", Usage: "value sets file: {\"name\": [codes...]}, or EU value set objects (valueSetId, valueSetValues)"},
				},
				Action: rulesAdd,
			},
			{
				Name:      "sign",
				Usage:     "sign the draft rule set (and value sets) as the anchor's next ones",
				UsageText: "accord rules sign --dir nl-anchor [--out nl-rules.cose]",
				Flags: []cli.Flag{
					anchorDirFlag(),
					&cli.StringFlag{Name: "out", Usage: "also write the signed rule set here (it is always kept in DIR/rules)"},
				},
				Action: rulesSign,
			},
			{
				Name:      "show",
				Usage:     "print a signed rule set or value sets, or those a trust store holds for a country",
				UsageText: "accord rules show nl-rules.cose [--json]\naccord rules show --trust TRUST --country NL [--at RFC3339] [--lang de]",
				Flags: []cli.Flag{
					trustFlag("trust store directory"),
					&cli.StringFlag{Name: "country", Usage: "with --trust: the anchor whose rules to show"},
					&cli.StringFlag{Name: "lang", Value: "en", Usage: "language of the descriptions"},
					jsonFlag(machineJSON),
				},
				Action: rulesShow,
			},
			{
				Name:  "test",
				Usage: "run rule test cases: CertLogic test-suite files, or CC/RULE-ID/rule.json with tests/testNNN.json",
				UsageText: "accord rules test ../shared/fixtures/dcc-rules/NL\n" +
					"accord rules test certlogic/testSuite/*.json",
				Description: "Prints one line per failing test and a closing line `N passed, M failed`.\n" +
					"Tests skipped by a directive are counted apart. Exit status 0 only when every test passes.",
				Action: rulesTest,
			},
		},
	}
}

// ruleObjects returns the rule objects in a file: one object, or an array.
func ruleObjects(b []byte) ([]json.RawMessage, error) {
	t := bytes.TrimSpace(b)
	if len(t) > 0 && t[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(t, &arr); err != nil {
			return nil, err
		}
		return arr, nil
	}
	return []json.RawMessage{json.RawMessage(t)}, nil
}

func stripFields(raw []byte, fields []string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for _, f := range fields {
		delete(m, f)
	}
	return json.Marshal(m)
}

// rulesAdd validates rule files and value sets and adds them to the draft.
func rulesAdd(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	if c.NArg() == 0 && c.String("valuesets") == "" {
		return usageErr("rules add needs RULE.json files or --valuesets FILE")
	}
	var valid [][]byte
	for _, path := range c.Args().Slice() {
		rules, err := readValidRules(c, w, path)
		if err != nil {
			return err
		}
		valid = append(valid, rules...)
	}
	if len(valid) > 0 {
		d, err := w.AddRules(valid...)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "draft rule set now has %d rule versions\n", len(d.Rules))
	}
	if p := c.String("valuesets"); p != "" {
		if err := addValueSets(c, w, p); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.App.Writer, "sign them with `accord rules sign --dir %s`\n", w.Dir)
	return nil
}

// readValidRules reads a file of one rule or an array of rule versions,
// strips the --strip fields, validates each against the EU DCC rule schema
// and the anchor's country, and returns them compacted, saying each is valid.
func readValidRules(c *cli.Context, w *anchor.Workspace, path string) ([][]byte, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, err
	}
	objs, err := ruleObjects(b)
	if err != nil {
		return nil, inputErr("%s: not a rule or an array of rules: %v", path, err)
	}
	var valid [][]byte
	for i, o := range objs {
		raw := []byte(o)
		if strip := c.StringSlice("strip"); len(strip) > 0 {
			if raw, err = stripFields(raw, strip); err != nil {
				return nil, inputErr("%s: rule %d: %v", path, i+1, err)
			}
		}
		r, err := certlogic.ValidateRule(raw)
		if err != nil {
			return nil, inputErr("%s: rule %d: %v (fix the rule; --strip FIELD removes a field the schema forbids)", path, i+1, err)
		}
		if r.Country != w.Meta.Country {
			return nil, inputErr("%s: rule %s is a rule of %s; anchor %s publishes only its own rules", path, r.Identifier, r.Country, w.Meta.Country)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, inputErr("%s: %v", path, err)
		}
		valid = append(valid, buf.Bytes())
		fmt.Fprintf(c.App.Writer, "valid %s v%s (%s, %s, %s to %s)\n", r.Identifier, r.Version, r.Type, r.CertificateType, r.ValidFrom, r.ValidTo)
	}
	return valid, nil
}

// addValueSets puts the value sets of file p in the anchor's draft.
func addValueSets(c *cli.Context, w *anchor.Workspace, p string) error {
	b, err := readInput(p)
	if err != nil {
		return err
	}
	sets, err := parseValueSets(b)
	if err != nil {
		return inputErr("%s: %v", p, err)
	}
	if err := w.SetValueSets(sets); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "draft value sets: %d sets\n", len(sets))
	return nil
}

// parseValueSets reads {"name": ["code", ...]} or EU value set objects
// ({"valueSetId": ..., "valueSetValues": {code: {...}}}), one or an array.
func parseValueSets(b []byte) (map[string][]string, error) {
	out := map[string][]string{}
	type euSet struct {
		ID     string                     `json:"valueSetId"`
		Values map[string]json.RawMessage `json:"valueSetValues"`
	}
	addEU := func(s euSet) {
		codes := make([]string, 0, len(s.Values))
		for k := range s.Values {
			codes = append(codes, k)
		}
		sort.Strings(codes)
		out[s.ID] = codes
	}
	t := bytes.TrimSpace(b)
	if len(t) > 0 && t[0] == '[' {
		var arr []euSet
		if err := json.Unmarshal(t, &arr); err != nil {
			return nil, err
		}
		for _, s := range arr {
			if s.ID == "" {
				return nil, fmt.Errorf("an array element has no valueSetId")
			}
			addEU(s)
		}
		return out, nil
	}
	var one euSet
	if err := json.Unmarshal(t, &one); err == nil && one.ID != "" {
		addEU(one)
		return out, nil
	}
	if err := json.Unmarshal(t, &out); err != nil {
		return nil, fmt.Errorf("not value sets ({\"name\": [codes]} or EU value set objects): %v", err)
	}
	return out, nil
}

func rulesSign(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	rs, vs, files, err := w.SignRules(time.Now())
	if err != nil {
		return usageErr("rules sign: %v", err)
	}
	if out := c.String("out"); out != "" {
		if err := atomicfile.WriteFile(out, rs.Raw(), 0o644); err != nil {
			return err
		}
		files[0] = out
	}
	fmt.Fprintf(c.App.Writer, "signed %s rule set seq %d: %d rule versions, hash %x\nwrote %s\n", rs.Country, rs.Seq, len(rs.Rules), rs.Hash(), files[0])
	if vs != nil {
		fmt.Fprintf(c.App.Writer, "signed %s value sets seq %d: %d sets, hash %x\nwrote %s\n", vs.Country, vs.Seq, len(vs.Sets), vs.Hash(), files[1])
	}
	fmt.Fprintf(c.App.Writer, "Publish: `accord node publish --node URL FILE` (or `accord trust import --dir TRUST FILE`)\n")
	return nil
}

type ruleView struct {
	Identifier      string `json:"identifier"`
	Version         string `json:"version"`
	Type            string `json:"type"`
	CertificateType string `json:"certificate_type"`
	Region          string `json:"region,omitempty"`
	ValidFrom       string `json:"valid_from"`
	ValidTo         string `json:"valid_to"`
	Description     string `json:"description"`
	Error           string `json:"error,omitempty"`
}

type ruleSetView struct {
	Kind       string              `json:"kind"`
	Country    string              `json:"country"`
	Seq        uint64              `json:"seq"`
	Descriptor uint64              `json:"descriptor_version"`
	IssuedAt   time.Time           `json:"issued_at"`
	Hash       string              `json:"hash"`
	Rules      []ruleView          `json:"rules,omitempty"`
	ValueSets  map[string][]string `json:"value_sets,omitempty"`
}

func rulesShow(c *cli.Context) error {
	var views []ruleSetView
	lang := c.String("lang")
	if trust := c.String("trust"); trust != "" {
		cc := strings.ToUpper(c.String("country"))
		if cc == "" {
			return usageErr("rules show --trust needs --country CC")
		}
		set, err := trustlist.LoadDir(trust)
		if err != nil {
			return inputErr("%v", err)
		}
		if rs := set.RuleSet(cc); rs != nil {
			views = append(views, ruleSetViewOf(rs, lang))
		}
		if vs := set.ValueSets(cc); vs != nil {
			views = append(views, valueSetsViewOf(vs))
		}
		if len(views) == 0 {
			return noErr("trust store %s holds no rules or value sets of %s", trust, cc)
		}
	} else {
		if c.NArg() == 0 {
			return usageErr("rules show needs a FILE, or --trust DIR --country CC")
		}
		for _, p := range c.Args().Slice() {
			b, err := readInput(p)
			if err != nil {
				return err
			}
			k, _ := trustlist.PeekKind(b)
			switch k {
			case trustlist.KindRuleSet:
				rs, err := trustlist.ParseRuleSet(b)
				if err != nil {
					return inputErr("%s: %v", p, err)
				}
				views = append(views, ruleSetViewOf(rs, lang))
			case trustlist.KindValueSets:
				vs, err := trustlist.ParseValueSets(b)
				if err != nil {
					return inputErr("%s: %v", p, err)
				}
				views = append(views, valueSetsViewOf(vs))
			default:
				return inputErr("%s is not a signed rule set or value sets (kind %q)", p, k)
			}
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(views)
	}
	for _, v := range views {
		printRuleSet(c.App.Writer, v)
	}
	return nil
}

func ruleSetViewOf(rs *trustlist.RuleSet, lang string) ruleSetView {
	v := ruleSetView{Kind: string(trustlist.KindRuleSet), Country: rs.Country, Seq: rs.Seq, Descriptor: rs.DescriptorVersion,
		IssuedAt: rs.IssuedAt, Hash: hex.EncodeToString(rs.Hash())}
	for i, raw := range rs.Rules {
		r, err := certlogic.ParseRule(raw)
		if err != nil {
			v.Rules = append(v.Rules, ruleView{Identifier: fmt.Sprintf("rule %d", i+1), Error: err.Error()})
			continue
		}
		v.Rules = append(v.Rules, ruleView{Identifier: r.Identifier, Version: r.Version, Type: r.Type, CertificateType: r.CertificateType,
			Region: r.Region, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, Description: r.DescriptionIn(lang)})
	}
	return v
}

func valueSetsViewOf(vs *trustlist.ValueSets) ruleSetView {
	return ruleSetView{Kind: string(trustlist.KindValueSets), Country: vs.Country, Seq: vs.Seq, Descriptor: vs.DescriptorVersion,
		IssuedAt: vs.IssuedAt, Hash: hex.EncodeToString(vs.Hash()), ValueSets: vs.Sets}
}

func printRuleSet(w io.Writer, v ruleSetView) {
	fmt.Fprintf(w, "%s %s seq %d (descriptor v%d), issued %s\n  hash %s\n", v.Country, v.Kind, v.Seq, v.Descriptor, v.IssuedAt.Format(time.RFC3339), v.Hash)
	for _, r := range v.Rules {
		if r.Error != "" {
			fmt.Fprintf(w, "  - %s: UNREADABLE: %s\n", r.Identifier, r.Error)
			continue
		}
		region := ""
		if r.Region != "" {
			region = " region " + r.Region
		}
		fmt.Fprintf(w, "  - %s v%s  %s %s%s  %s..%s\n      %s\n", r.Identifier, r.Version, r.Type, r.CertificateType, region, r.ValidFrom, r.ValidTo, r.Description)
	}
	names := make([]string, 0, len(v.ValueSets))
	for n := range v.ValueSets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  - %s: %d codes\n", n, len(v.ValueSets[n]))
	}
}

func rulesTest(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("rules test needs a PATH: a CertLogic test-suite file, a rule.json, a tests/testNNN.json or a directory")
	}
	passed, failed, skipped := 0, 0, 0
	for _, p := range c.Args().Slice() {
		if _, err := os.Stat(p); err != nil {
			return inputErr("%v", err)
		}
		checks, err := certlogic.RunPath(p)
		if err != nil {
			return inputErr("%v", err)
		}
		for _, ch := range checks {
			switch {
			case ch.Skipped:
				skipped++
			case ch.Err != nil:
				failed++
				fmt.Fprintf(c.App.Writer, "FAIL %s: %v\n", ch.Name, ch.Err)
			default:
				passed++
			}
		}
	}
	line := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		line += fmt.Sprintf(" (%d skipped by directive)", skipped)
	}
	fmt.Fprintln(c.App.Writer, line)
	if failed > 0 {
		return silentExit(exitNo)
	}
	return nil
}
