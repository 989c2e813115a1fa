// Package jsonld turns JSON-LD documents into canonical N-Quads (RDF Dataset
// Canonicalization, URDNA2015 / RDFC-1.0) with github.com/piprate/json-gold,
// resolving contexts only from the copies bundled in the binary: nothing is
// ever fetched from the network (spec/openattestation.md §11.2).
package jsonld

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/piprate/json-gold/ld"
)

//go:embed contexts/*.json
var contextFiles embed.FS

// bundled maps each context URL to the embedded file that answers for it
// (contexts/README.md names the source of each).
var bundled = map[string]string{
	"https://www.w3.org/2018/credentials/v1":                       "credentials-v1.json",
	"https://www.w3.org/ns/credentials/v2":                         "credentials-v2.json",
	"https://w3id.org/security/data-integrity/v2":                  "data-integrity-v2.json",
	"https://www.w3.org/ns/did/v1":                                 "did-v1.json",
	"https://w3id.org/security/multikey/v1":                        "multikey-v1.json",
	"https://w3id.org/security/suites/jws-2020/v1":                 "jws-2020-v1.json",
	"https://w3id.org/security/bbs/v1":                             "bbs-v1.json",
	"https://w3id.org/security/suites/bls12381-2020/v1":            "bbs-v1.json",
	"https://w3id.org/vc/status-list/2021/v1":                      "status-list-2021-v1.json",
	"https://trustvc.io/context/transferable-records-context.json": "transferable-records-context.json",
	"https://trustvc.io/context/render-method-context.json":        "render-method-context.json",
	"https://trustvc.io/context/render-method-context-v2.json":     "render-method-context-v2.json",
	"https://trustvc.io/context/attachments-context.json":          "attachments-context.json",
	"https://trustvc.io/context/qrcode-context.json":               "qrcode-context.json",
	"https://trustvc.io/context/bill-of-lading.json":               "bill-of-lading.json",
	"https://trustvc.io/context/bill-of-lading-carrier.json":       "bill-of-lading-carrier.json",
	"https://trustvc.io/context/coo.json":                          "coo.json",
	"https://trustvc.io/context/invoice.json":                      "invoice.json",
	"https://trustvc.io/context/promissory-note.json":              "promissory-note.json",
	"https://trustvc.io/context/warehouse-receipt.json":            "warehouse-receipt.json",
}

// ErrContextNotBundled is returned (wrapped) for a context URL that is not
// bundled: verification never fetches one.
var ErrContextNotBundled = errors.New("JSON-LD context is not bundled (contexts are never fetched from the network)")

// Bundled reports whether url is a bundled context.
func Bundled(url string) bool {
	_, ok := bundled[url]
	return ok
}

// Loader is a json-gold document loader that serves the bundled contexts
// and refuses every other URL with ErrContextNotBundled.
type Loader struct{}

var (
	parseOnce sync.Once
	parsed    map[string]any
	parseErr  error
)

// parseBundled decodes every bundled context once.
func parseBundled() {
	parsed = map[string]any{}
	for url, file := range bundled {
		b, err := contextFiles.ReadFile("contexts/" + file)
		if err != nil {
			parseErr = fmt.Errorf("bundled context %s: %w", file, err)
			return
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(b))
		if err := d.Decode(&v); err != nil {
			parseErr = fmt.Errorf("bundled context %s: %w", file, err)
			return
		}
		parsed[url] = v
	}
}

// LoadDocument implements ld.DocumentLoader.
func (Loader) LoadDocument(url string) (*ld.RemoteDocument, error) {
	parseOnce.Do(parseBundled)
	if parseErr != nil {
		return nil, parseErr
	}
	doc, ok := parsed[url]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrContextNotBundled, clip(url))
	}
	// json-gold does not modify a loaded document, so the shared copy is
	// safe to hand out.
	return &ld.RemoteDocument{DocumentURL: url, Document: doc}, nil
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
