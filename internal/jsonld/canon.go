package jsonld

import (
	"errors"
	"fmt"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// Limits on what is canonicalized. RDF canonicalization of blank nodes that
// cannot be told apart by their own statements is exponential in their
// number (the "poison graph" of RDFC-1.0 §4.4); a credential has a few
// dozen statements and a handful of blank nodes, so these bounds refuse
// crafted input long before it costs seconds.
const (
	MaxQuads      = 4096
	MaxBlankNodes = 256
)

// ErrTooLarge is returned (wrapped) for a dataset above MaxQuads or
// MaxBlankNodes.
var ErrTooLarge = errors.New("JSON-LD dataset too large to canonicalize")

// options are the json-gold options every call uses: JSON-LD 1.1, the
// bundled-context loader, and safe mode, so a property or type that does
// not expand to an absolute IRI (a term no context defines, which would
// otherwise be dropped silently and so never be signed) is an error.
func options() *ld.JsonLdOptions {
	o := ld.NewJsonLdOptions("")
	o.ProcessingMode = ld.JsonLd_1_1
	o.DocumentLoader = Loader{}
	o.SafeMode = true
	return o
}

// Canonicalize returns doc (a JSON-LD document decoded by encoding/json,
// numbers as float64) as canonical N-Quads, one statement per string, each
// ending in "\n", sorted, blank nodes labelled _:c14n0, _:c14n1, …
func Canonicalize(doc any) ([]string, error) {
	rdf, err := ld.NewJsonLdProcessor().ToRDF(doc, options())
	if err != nil {
		return nil, fmt.Errorf("JSON-LD to RDF: %w", err)
	}
	ds, ok := rdf.(*ld.RDFDataset)
	if !ok {
		return nil, fmt.Errorf("JSON-LD to RDF: unexpected result %T", rdf)
	}
	if err := checkSize(ds); err != nil {
		return nil, err
	}
	o := options()
	o.Algorithm = ld.AlgorithmURDNA2015
	o.Format = "application/n-quads"
	out, err := ld.NewJsonLdApi().Normalize(ds, o)
	if err != nil {
		return nil, fmt.Errorf("RDF canonicalization: %w", err)
	}
	s, ok := out.(string)
	if !ok {
		return nil, fmt.Errorf("RDF canonicalization: unexpected result %T", out)
	}
	return SplitNQuads(s), nil
}

// SplitNQuads splits N-Quads text into statements, each keeping its "\n".
func SplitNQuads(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func checkSize(ds *ld.RDFDataset) error {
	quads := 0
	blank := map[string]bool{}
	note := func(n ld.Node) {
		if n != nil && ld.IsBlankNode(n) && len(blank) <= MaxBlankNodes {
			blank[n.GetValue()] = true
		}
	}
	for _, g := range ds.Graphs {
		quads += len(g)
		for _, q := range g {
			note(q.Subject)
			note(q.Object)
			note(q.Graph)
		}
	}
	if quads > MaxQuads {
		return fmt.Errorf("%w: %d statements (at most %d)", ErrTooLarge, quads, MaxQuads)
	}
	if len(blank) > MaxBlankNodes {
		return fmt.Errorf("%w: more than %d blank nodes", ErrTooLarge, MaxBlankNodes)
	}
	return nil
}
