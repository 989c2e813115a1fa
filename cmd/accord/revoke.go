package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/formats/pdf"
	"github.com/accord-network/accord/formats/qr"
	"github.com/accord-network/accord/internal/atomicfile"
	hcertissue "github.com/accord-network/accord/issue/hcert"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// revokeCommand is `accord revoke`: revoke single documents.
func revokeCommand() *cli.Command {
	return &cli.Command{
		Name:  "revoke",
		Usage: "revoke single documents: sign the anchor's next revocation delta from the documents themselves",
		UsageText: "accord revoke --dir nl-anchor --hcert cert.txt --reason \"sold certificate\"\n" +
			"accord revoke --dir nl-anchor --uvci URN:UVCI:01:NL:187/37512422923 --reason \"issued in error\"\n" +
			"accord revoke --dir sg-anchor --oa bl.json --reason \"cancelled\"\n" +
			"accord revoke --dir ke-anchor --pdf permit.pdf --reason \"forged\"",
		Description: "Only hashes travel (SHA-256 truncated to 128 bits): nothing in a delta identifies a person.\n" +
			"--hcert revokes that certificate (SIGNATURE hash, under its signer's kid); --uvci every\n" +
			"certificate with that identifier (UCI hash); --oa a document (target hash) and --oa-batch\n" +
			"every document of its issuance batch (merkle root); --pdf its signatures' values.\n" +
			"Publish the delta like a list: `accord node publish --node URL FILE`.",
		Flags: []cli.Flag{
			anchorDirFlag(),
			&cli.StringFlag{Name: "hcert", Usage: "a health certificate: HC1:... text, or a QR code image"},
			&cli.StringFlag{Name: "uvci", Usage: "a certificate identifier (ci), e.g. URN:UVCI:01:NL:..."},
			&cli.StringFlag{Name: "oa", Usage: "an OpenAttestation document (JSON)"},
			&cli.StringFlag{Name: "oa-batch", Usage: "an OpenAttestation document whose whole issuance batch (merkle root) to revoke"},
			&cli.StringFlag{Name: "pdf", Usage: "a signed PDF"},
			&cli.StringFlag{Name: "reason", Required: true, Usage: "why (shown to verifiers; never personal data)"},
			&cli.TimestampFlag{Name: "expires", Layout: time.RFC3339, Usage: "when the entry may be dropped (default: the certificate's exp, else 5 years)"},
			&cli.StringFlag{Name: "out", Usage: "also write the signed delta here (it is always kept in DIR/revocations)"},
		},
		Action: revokeAction,
	}
}

// revocationsCommand is `accord revocations`: inspect revocation deltas.
func revocationsCommand() *cli.Command {
	return &cli.Command{
		Name:      "revocations",
		Usage:     "inspect revocation deltas of single documents",
		UsageText: "accord revocations show --trust TRUST [--country NL] [--json]\naccord revocations show delta.cose...",
		Subcommands: []*cli.Command{{
			Name:  "show",
			Usage: "print revocation deltas, or the batches in force in a trust store",
			Flags: []cli.Flag{
				trustFlag("trust store directory"),
				&cli.StringFlag{Name: "country", Usage: "with --trust: only this anchor"},
				jsonFlag(machineJSON),
			},
			Action: revocationsShow,
		}},
	}
}

// revocationTarget is what one revocation names: hashes of one type, the
// signer's kid when the type is per signer, and a default expiry.
type revocationTarget struct {
	typ     trustlist.HashType
	kid     []byte
	hashes  [][trustlist.RevocationHashSize]byte
	expires time.Time
}

// readRevocationTarget turns the one document flag given into a target.
func readRevocationTarget(c *cli.Context) (*revocationTarget, error) {
	given := 0
	for _, f := range []string{"hcert", "uvci", "oa", "oa-batch", "pdf"} {
		if c.String(f) != "" {
			given++
		}
	}
	if given != 1 {
		return nil, usageErr("revoke needs exactly one of --hcert FILE, --uvci U, --oa FILE, --oa-batch FILE, --pdf FILE")
	}
	fallback := time.Now().AddDate(5, 0, 0)
	switch {
	case c.String("hcert") != "":
		return hcertRevocationTarget(c.String("hcert"), fallback)
	case c.String("uvci") != "":
		u := strings.TrimSpace(c.String("uvci"))
		return &revocationTarget{trustlist.HashUCI, nil, [][trustlist.RevocationHashSize]byte{trustlist.RevocationHash([]byte(u))}, fallback}, nil
	case c.String("oa") != "":
		return oaRevocationTarget(c.String("oa"), trustlist.HashOATargetHash, fallback)
	case c.String("oa-batch") != "":
		return oaRevocationTarget(c.String("oa-batch"), trustlist.HashOAMerkleRoot, fallback)
	}
	return pdfRevocationTarget(c.String("pdf"), fallback)
}

// hcertRevocationTarget revokes one health certificate (HC1 text or a QR
// image) by its signature, under its signer's kid, until it expires.
func hcertRevocationTarget(p string, fallback time.Time) (*revocationTarget, error) {
	b, err := readInput(p)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(strings.TrimSpace(string(b)), "HC1:") {
		if text, err := qr.Decode(b); err == nil {
			b = []byte(text)
		}
	}
	d, err := hcertissue.RevocationOf(b)
	if err != nil {
		return nil, inputErr("%s: %v", p, err)
	}
	for _, q := range d.Hashes {
		if q.Type == trustlist.HashSignature {
			exp := d.Expires
			if exp.IsZero() {
				exp = fallback
			}
			return &revocationTarget{q.Type, d.KID, [][trustlist.RevocationHashSize]byte{q.Hash}, exp}, nil
		}
	}
	return nil, inputErr("%s: the certificate has no signature to revoke", p)
}

// oaRevocationTarget revokes an OpenAttestation document by its target hash
// (want HashOATargetHash) or its whole issuance batch by the merkle root
// (HashOAMerkleRoot). Only a genuine document is revoked.
func oaRevocationTarget(p string, want trustlist.HashType, fallback time.Time) (*revocationTarget, error) {
	b, err := readInput(p)
	if err != nil {
		return nil, err
	}
	doc, err := openattestation.Parse(b)
	if err != nil {
		return nil, inputErr("%s: %v", p, err)
	}
	if err := doc.CheckIntegrity(); err != nil {
		return nil, inputErr("%s: the document's hashes do not match its content (%v); revoke the genuine document", p, err)
	}
	for _, q := range openattestation.RevocationQueries(doc) {
		if q.Type == want {
			return &revocationTarget{want, nil, [][trustlist.RevocationHashSize]byte{q.Hash}, fallback}, nil
		}
	}
	return nil, inputErr("%s: no target hash or merkle root", p)
}

// pdfRevocationTarget revokes every signature of a signed PDF by its value.
func pdfRevocationTarget(p string, fallback time.Time) (*revocationTarget, error) {
	b, err := readInput(p)
	if err != nil {
		return nil, err
	}
	res, err := verify.New(trustlist.NewSet(trustlist.DefaultPolicy()), verify.Options{Formats: []string{pdf.Name}}).Verify(context.Background(), b)
	if err != nil {
		return nil, inputErr("%s: %v", p, err)
	}
	var hs [][trustlist.RevocationHashSize]byte
	for _, part := range append([]*verify.Result{res}, res.Parts...) {
		claims, _ := part.Claims.(map[string]any)
		if h, ok := claims[pdf.ClaimRevocationHash].(string); ok {
			if raw, err := hex.DecodeString(h); err == nil && len(raw) == trustlist.RevocationHashSize {
				hs = append(hs, [trustlist.RevocationHashSize]byte(raw))
			}
		}
	}
	if len(hs) == 0 {
		return nil, inputErr("%s: no readable signature to revoke", p)
	}
	return &revocationTarget{trustlist.HashPDFSignature, nil, hs, fallback}, nil
}

func revokeAction(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	target, err := readRevocationTarget(c)
	if err != nil {
		return err
	}
	typ, kid, hs, exp := target.typ, target.kid, target.hashes, target.expires
	if t := c.Timestamp("expires"); t != nil {
		exp = *t
	}
	if !exp.After(time.Now()) {
		return usageErr("the revocation would expire at %s, which has passed: the document is expired anyway (or give --expires)", exp.UTC().Format(time.RFC3339))
	}
	batch := trustlist.NewRevocationBatch(typ, kid, exp, c.String("reason"), hs)
	r, path, err := w.RevokeDocuments(batch, time.Now())
	if err != nil {
		return usageErr("revoke: %v", err)
	}
	if out := c.String("out"); out != "" {
		if err := atomicfile.WriteFile(out, r.Raw(), 0o644); err != nil {
			return err
		}
		path = out
	}
	kidText := "any signer"
	if len(kid) > 0 {
		kidText = "kid " + hex.EncodeToString(kid)
	}
	for i := 0; i < batch.Len(); i++ {
		fmt.Fprintf(c.App.Writer, "revoked %s hash %x (%s), expires %s: %s\n", typ, batch.Hash(i), kidText, batch.Expires.Format(time.RFC3339), batch.Reason)
	}
	fmt.Fprintf(c.App.Writer, "signed %s revocation delta seq %d (descriptor v%d), hash %x\nwrote %s\n", r.Country, r.Seq, r.DescriptorVersion, r.Hash(), path)
	fmt.Fprintf(c.App.Writer, "Publish it: `accord node publish --node URL %s` (or `accord trust import --dir TRUST %s`)\n", path, path)
	return nil
}

type batchView struct {
	Ref      string    `json:"batch"`
	HashType string    `json:"hash_type"`
	KID      string    `json:"kid,omitempty"`
	Expires  time.Time `json:"expires"`
	Reason   string    `json:"reason,omitempty"`
	Hashes   []string  `json:"hashes"`
}

type revocationsView struct {
	Country    string      `json:"country"`
	Descriptor uint64      `json:"descriptor_version"`
	Seq        uint64      `json:"seq"`
	Hash       string      `json:"hash"`
	Withdrawn  []string    `json:"withdrawn,omitempty"`
	Batches    []batchView `json:"batches"`
	InForce    bool        `json:"in_force_summary,omitempty"`
}

func viewBatches(refs []trustlist.BatchRef, bs []*trustlist.RevocationBatch) []batchView {
	var out []batchView
	for i, b := range bs {
		v := batchView{Ref: fmt.Sprintf("%d.%d", refs[i].Seq, refs[i].Index), HashType: string(b.HashType), Expires: b.Expires, Reason: b.Reason}
		if len(b.KID) > 0 {
			v.KID = hex.EncodeToString(b.KID)
		}
		for j := 0; j < b.Len(); j++ {
			v.Hashes = append(v.Hashes, hex.EncodeToString(b.Hash(j)))
		}
		out = append(out, v)
	}
	return out
}

func revocationsShow(c *cli.Context) error {
	var views []revocationsView
	if trust := c.String("trust"); trust != "" {
		set, err := trustlist.LoadDir(trust)
		if err != nil {
			return inputErr("%v", err)
		}
		ccs := set.PublicationCountries()
		if cc := strings.ToUpper(c.String("country")); cc != "" {
			ccs = []string{cc}
		}
		for _, cc := range ccs {
			info := set.RevocationSummary(cc)
			if info == nil {
				continue
			}
			refs, bs := set.RevocationBatches(cc)
			views = append(views, revocationsView{Country: cc, Descriptor: info.DescriptorVersion, Seq: info.Seq, Hash: hex.EncodeToString(info.Hash),
				Batches: viewBatches(refs, bs), InForce: true})
		}
	} else {
		if c.NArg() == 0 {
			return usageErr("revocations show needs delta FILEs, or --trust DIR")
		}
		for _, p := range c.Args().Slice() {
			b, err := readInput(p)
			if err != nil {
				return err
			}
			r, err := trustlist.ParseRevocations(b)
			if err != nil {
				return inputErr("%s: %v", p, err)
			}
			v := revocationsView{Country: r.Country, Descriptor: r.DescriptorVersion, Seq: r.Seq, Hash: hex.EncodeToString(r.Hash())}
			refs := make([]trustlist.BatchRef, len(r.Batches))
			for i := range refs {
				refs[i] = trustlist.BatchRef{Seq: r.Seq, Index: uint64(i)}
			}
			v.Batches = viewBatches(refs, r.Batches)
			for _, w := range r.Withdrawn {
				v.Withdrawn = append(v.Withdrawn, fmt.Sprintf("%d.%d", w.Seq, w.Index))
			}
			views = append(views, v)
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(views)
	}
	if len(views) == 0 {
		fmt.Fprintln(c.App.Writer, "no document revocations held")
	}
	for _, v := range views {
		printRevocations(c.App.Writer, v)
	}
	return nil
}

func printRevocations(w io.Writer, v revocationsView) {
	what := "revocation delta"
	if v.InForce {
		what = "revocations in force, chain head"
	}
	n := 0
	for _, b := range v.Batches {
		n += len(b.Hashes)
	}
	fmt.Fprintf(w, "%s %s seq %d (descriptor v%d): %d batches, %d hashes\n  hash %s\n", v.Country, what, v.Seq, v.Descriptor, len(v.Batches), n, v.Hash)
	for _, wd := range v.Withdrawn {
		fmt.Fprintf(w, "  - withdraws batch %s\n", wd)
	}
	for _, b := range v.Batches {
		kid := "any signer"
		if b.KID != "" {
			kid = "kid " + b.KID
		}
		fmt.Fprintf(w, "  - batch %s %s (%s) expires %s: %s\n", b.Ref, b.HashType, kid, b.Expires.Format(time.RFC3339), b.Reason)
		for i, h := range b.Hashes {
			if i == 5 {
				fmt.Fprintf(w, "      ... %d more\n", len(b.Hashes)-5)
				break
			}
			fmt.Fprintf(w, "      %s\n", h)
		}
	}
}
