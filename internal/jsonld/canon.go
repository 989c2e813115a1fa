package jsonld

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// Limits on what is canonicalized. RDF canonicalization of blank nodes that
// cannot be told apart by their own statements is exponential in their
// number (the "poison graph" of RDFC-1.0 §4.4); a credential has a few
// dozen statements and a handful of blank nodes, so these bounds refuse
// crafted input long before it costs seconds.
const (
	MaxQuads           = 4096
	MaxBlankNodes      = 256
	MaxNonUnique       = 64
	MaxAlikeNeighbours = 3
)

// ErrUnprocessable is returned (wrapped) when the JSON-LD library fails on
// an input in a way it does not report as an error.
var ErrUnprocessable = errors.New("JSON-LD input cannot be processed")

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
//
// A panic inside the JSON-LD library on hostile input is returned as an
// error: a verifier must answer every input.
func Canonicalize(doc any) (quads []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			quads, err = nil, fmt.Errorf("%w: JSON-LD processing failed on this input: %v", ErrUnprocessable, p)
		}
	}()
	rdf, err := ld.NewJsonLdProcessor().ToRDF(doc, options())
	if err != nil {
		return nil, fmt.Errorf("JSON-LD to RDF: %w", err)
	}
	ds, ok := rdf.(*ld.RDFDataset)
	if !ok {
		return nil, fmt.Errorf("JSON-LD to RDF: unexpected result %T", rdf)
	}
	if err := checkDataset(ds); err != nil {
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

// checkDataset bounds the work canonicalization can take. Blank nodes with
// a unique first-degree shape (their own statements, RDFC-1.0 §4.6) are
// labelled directly; the others are told apart by hashing paths to their
// neighbours, trying every order of neighbours that look alike (§4.8), which
// is factorial in their number. jsonld.js bounds this with a work factor;
// json-gold has no bound, so the dataset is refused beforehand when a blank
// node that needs that step has more than MaxAlikeNeighbours alike
// neighbours, or when more than MaxNonUnique blank nodes need it.
func checkDataset(ds *ld.RDFDataset) error {
	quads := 0
	adj := map[string][]*ld.Quad{}
	for _, g := range ds.Graphs {
		quads += len(g)
		if quads > MaxQuads {
			return fmt.Errorf("%w: more than %d statements", ErrTooLarge, MaxQuads)
		}
		for _, q := range g {
			for _, n := range []ld.Node{q.Subject, q.Object, q.Graph} {
				if n != nil && ld.IsBlankNode(n) {
					adj[n.GetValue()] = append(adj[n.GetValue()], q)
				}
			}
		}
		if len(adj) > MaxBlankNodes {
			return fmt.Errorf("%w: more than %d blank nodes", ErrTooLarge, MaxBlankNodes)
		}
	}
	shape := make(map[string]string, len(adj))
	seen := map[string]int{}
	for b, qs := range adj {
		lines := make([]string, len(qs))
		for i, q := range qs {
			lines[i] = term(q.Subject, b) + " " + term(q.Predicate, b) + " " + term(q.Object, b) + " " + term(q.Graph, b)
		}
		sort.Strings(lines)
		shape[b] = strings.Join(lines, "\n")
		seen[shape[b]]++
	}
	nonUnique := 0
	for b, qs := range adj {
		if seen[shape[b]] < 2 {
			continue
		}
		if nonUnique++; nonUnique > MaxNonUnique {
			return fmt.Errorf("%w: more than %d blank nodes that only their neighbours tell apart", ErrTooLarge, MaxNonUnique)
		}
		alike := map[string]int{}
		for _, q := range qs {
			for pos, n := range []ld.Node{q.Subject, q.Object, q.Graph} {
				if n == nil || !ld.IsBlankNode(n) || n.GetValue() == b {
					continue
				}
				k := fmt.Sprint(pos) + term(q.Predicate, b) + shape[n.GetValue()]
				if alike[k]++; alike[k] > MaxAlikeNeighbours {
					return fmt.Errorf("%w: a blank node with more than %d neighbours that look alike (canonicalizing it costs factorial time)", ErrTooLarge, MaxAlikeNeighbours)
				}
			}
		}
	}
	return nil
}

// term writes an RDF term for a first-degree shape: blank node self as _:a,
// other blank nodes as _:z (RDFC-1.0 §4.6).
func term(n ld.Node, self string) string {
	switch x := n.(type) {
	case nil:
		return ""
	case ld.BlankNode, *ld.BlankNode:
		if n.GetValue() == self {
			return "_:a"
		}
		return "_:z"
	case ld.Literal:
		return strconv.Quote(x.Value) + "^^" + x.Datatype + "@" + x.Language
	case *ld.Literal:
		return strconv.Quote(x.Value) + "^^" + x.Datatype + "@" + x.Language
	}
	return "<" + n.GetValue() + ">"
}
