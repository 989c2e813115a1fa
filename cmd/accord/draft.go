package main

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/trustlist"
)

// entryViews turns entries into what `list show` and `list draft` print.
func entryViews(entries []*trustlist.Entry) []entryView {
	var out []entryView
	for _, e := range entries {
		ev := entryView{KID: kidHex(e), Kind: string(e.Kind), CA: e.CA, Name: e.Name, Domain: e.Domain, Uses: joinUses(e.Uses),
			NotBefore: e.NotBefore, NotAfter: e.NotAfter, Status: string(e.Status), RevokedAt: e.RevokedAt, Reason: e.Reason}
		if len(e.Thumbprint) > 0 {
			ev.Thumbprint = hex.EncodeToString(e.Thumbprint)
		}
		if cert := e.Certificate(); cert != nil {
			ev.Subject = cert.Subject.String()
			ev.CN = cert.Subject.CommonName
		}
		ev.Country = e.Country
		if e.Source != nil {
			ev.Source, ev.Provenance = e.Source.String(), e.Source
		}
		out = append(out, ev)
	}
	return out
}

// listDraft shows the draft: what the next `list sign` will publish.
func listDraft(c *cli.Context) error {
	w, err := openAnchor(c)
	if err != nil {
		return err
	}
	views := entryViews(w.Draft.Entries)
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"country": w.Meta.Country, "descriptor_version": w.Meta.Version,
			"next_seq": w.Draft.Seq + 1, "prev": w.Draft.LastHash, "entries": nonNilViews(views)})
	}
	out := c.App.Writer
	fmt.Fprintf(out, "%s draft of list seq %d (descriptor v%d, %s to sign of %s)\n  entries     %s\n",
		w.Meta.Country, w.Draft.Seq+1, w.Meta.Version, plural(w.Meta.Threshold, "key"), plural(len(w.Meta.KeyFiles), "key"), plural(len(views), "entry"))
	printEntries(out, views)
	if len(views) == 0 {
		fmt.Fprintf(out, "The draft is empty: add issuers with `accord list add --dir %s ...`.\n", w.Dir)
	}
	for _, warn := range caWarnings(w.Draft.Entries) {
		fmt.Fprintf(out, "warning: %s\n", warn)
	}
	return nil
}

func nonNilViews(v []entryView) []entryView {
	if v == nil {
		return []entryView{}
	}
	return v
}

// caWarnings names combinations of entries that verifiers will reject or
// never use, so that an anchor hears of them before signing, not from a
// traveller turned away. What a CA entry means differs per format
// (spec/hcert.md, spec/pdf.md):
//   - hcert: documents are signed by DSCs, found by kid; each DSC must be
//     listed itself. Once any CSCA is listed for hcert, every listed DSC must
//     chain to one of them (issuer_chain), as the DCC gateway requires.
//   - pdf: a CA entry trusts every signer certificate it issued.
//   - oa: documents are signed by Ethereum addresses; certificates are unused.
func caWarnings(entries []*trustlist.Entry) []string {
	var warns []string
	var hcertCAs []*trustlist.Entry
	var hcertDSCs []*trustlist.Entry
	for _, e := range entries {
		cert := e.Certificate()
		if e.Kind != trustlist.EntryX509 || cert == nil || e.Status == trustlist.StatusRevoked {
			continue
		}
		switch {
		case e.CA && !cert.IsCA:
			warns = append(warns, fmt.Sprintf("%s is listed as a CA (--ca) but its certificate is not a CA certificate (no basicConstraints CA): no certificate can chain to it", entryName(e)))
		case !e.CA && cert.IsCA && e.Allows(trustlist.DocPDF):
			warns = append(warns, fmt.Sprintf("%s is a CA certificate listed without --ca for pdf: only PDFs signed by this very certificate are trusted, not those signed by certificates it issued", entryName(e)))
		}
		if e.Allows(trustlist.DocOA) {
			warns = append(warns, fmt.Sprintf("%s is a certificate listed for oa: OpenAttestation documents are signed by Ethereum addresses (--eth), so this entry is never used for them", entryName(e)))
		}
		if e.Allows(trustlist.DocHCert) {
			if e.CA {
				hcertCAs = append(hcertCAs, e)
			} else {
				hcertDSCs = append(hcertDSCs, e)
			}
		}
	}
	if len(hcertCAs) > 0 && len(hcertDSCs) == 0 {
		warns = append(warns, fmt.Sprintf("%s listed for hcert, but no DSC: health certificates are verified with the DSC named by their kid, so each DSC the CSCA issued must be listed too (`accord list add --cert dsc.pem --use hcert`)",
			plural(len(hcertCAs), "CSCA")))
	}
	if len(hcertCAs) > 0 {
		roots := x509.NewCertPool()
		var names []string
		for _, ca := range hcertCAs {
			roots.AddCert(ca.Certificate())
			names = append(names, entryName(ca))
		}
		for _, dsc := range hcertDSCs {
			cert := dsc.Certificate()
			mid := cert.NotBefore.Add(cert.NotAfter.Sub(cert.NotBefore) / 2)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: mid, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				warns = append(warns, fmt.Sprintf("DSC %s is listed for hcert but was not issued by the CSCA listed for hcert (%s): with a CSCA listed, every HC1 it signs will fail issuer_chain. List its own CSCA with --ca --use hcert, or do not list a CSCA for hcert",
					entryName(dsc), strings.Join(names, ", ")))
			}
		}
	}
	return warns
}

func entryName(e *trustlist.Entry) string {
	s := fmt.Sprintf("%q", e.Name)
	if c := e.Certificate(); c != nil && c.Subject.CommonName != "" && c.Subject.CommonName != e.Name {
		s += fmt.Sprintf(" (CN=%s)", c.Subject.CommonName)
	}
	return s
}

// describeWrongKind adds what to do to an error about a file of the wrong
// kind (a trust list given to `trust pin`): which file was probably meant.
func describeWrongKind(path string, _ []byte, want trustlist.Kind, err error) error {
	var wk *trustlist.WrongKindError
	if !errors.As(err, &wk) {
		return err
	}
	var hint string
	switch want {
	case trustlist.KindDescriptor:
		hint = "give the anchor's descriptor file (e.g. nl/descriptor.cose, written by `accord anchor init`)"
	case trustlist.KindList:
		hint = "give a signed list (written by `accord list sign`, kept in the anchor's lists/ folder)"
	default:
		hint = fmt.Sprintf("give %s", want.Article())
	}
	switch wk.Got {
	case trustlist.KindList, trustlist.KindEndorsement, trustlist.KindEvidence:
		hint += "; import " + wk.Got.Article() + " with `accord trust import`"
	}
	return fmt.Errorf("%s: %s: %s", path, wk.Error(), hint)
}
