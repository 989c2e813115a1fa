// Package vc recognises W3C Verifiable Credentials (VC Data Model 1.1 and
// 2.0) as TradeTrust's TrustVC stack issues them: Data Integrity proofs
// (ecdsa-sd-2023, bbs-2023) and BbsBlsSignature2020, did:web / did:key
// issuers, and TransferableRecords credential status.
//
// ecdsa-sd-2023 proofs, base and derived, are verified offline: JSON-LD
// with contexts bundled in the binary (internal/jsonld), RDF dataset
// canonicalization, the per-statement signatures and the issuer's base
// signature with the key an anchor lists for the proof's DID verification
// method (a did_key trust entry). BBS proofs are reported as skipped checks
// with the reason, never passed. Credential status: a TransferableRecords
// title is asked of its token registry when an RPC endpoint is configured;
// a Bitstring Status List / StatusList2021 entry is fetched when the
// verifier may go online (verify.Options.Fetcher); otherwise the credential
// cannot be checked (spec/openattestation.md §11). Import it for its side
// effect of registering the "vc" format with verify.
package vc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/accord-network/accord/verify"
)

// Limits on input.
const (
	MaxCredentialSize = 16 << 20
	MaxDepth          = 64
)

// Context URLs of the VC data models.
const (
	ContextV1 = "https://www.w3.org/2018/credentials/v1"
	ContextV2 = "https://www.w3.org/ns/credentials/v2"
)

// Proof forms of a Data Integrity selective-disclosure proofValue, read from
// its 3-byte CBOR tag header.
const (
	FormBase    = "base"    // the issuer's signed form, all fields
	FormDerived = "derived" // a holder's selectively disclosed form
)

// Credential is a parsed verifiable credential.
type Credential struct {
	DataModel  string // "1.1" or "2.0"
	Types      []string
	ID         string
	Issuer     string // the issuer's DID (or URL)
	ValidFrom  string // v2 validFrom, v1 issuanceDate
	ValidUntil string // v2 validUntil, v1 expirationDate
	Subject    map[string]any
	Status     *Status  // the first of Statuses, or nil
	Statuses   []Status // every credentialStatus entry
	Proofs     []Proof
	Raw        map[string]any
}

// Status is a credentialStatus.
type Status struct {
	Type          string
	TokenRegistry string // TransferableRecords
	TokenID       string
	ChainID       string
	ListURL       string // BitstringStatusList / StatusList2021
	ListIndex     string
	Purpose       string // statusPurpose: revocation, suspension, …
	Size          string // statusSize (Bitstring Status List; "" means 1)
}

// Proof is one proof of a credential.
type Proof struct {
	Type               string
	Cryptosuite        string
	VerificationMethod string
	ProofPurpose       string
	Created            string
	ProofValue         string
	// Form is FormBase or FormDerived for selective-disclosure cryptosuites
	// whose proofValue header says so, else "".
	Form string

	obj map[string]any // the proof object as read
}

// Suite names the proof's algorithm: the cryptosuite of a
// DataIntegrityProof, else the proof type.
func (p Proof) Suite() string {
	if p.Type == "DataIntegrityProof" && p.Cryptosuite != "" {
		return p.Cryptosuite
	}
	return p.Type
}

// derived reports whether a proof is a holder's selectively disclosed form.
func (c *Credential) derived() bool {
	for _, p := range c.Proofs {
		if p.Form == FormDerived {
			return true
		}
	}
	return false
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: verifiable credential: %s", verify.ErrMalformed, fmt.Sprintf(format, args...))
}

// Parse reads a verifiable credential. Errors wrap verify.ErrMalformed.
func Parse(in []byte) (*Credential, error) {
	if len(in) > MaxCredentialSize {
		return nil, malformed("%d bytes exceeds the %d byte limit", len(in), MaxCredentialSize)
	}
	if err := checkDepth(in); err != nil {
		return nil, err
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, malformed("not a JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("trailing data after the JSON object")
	}
	c := &Credential{Raw: raw}
	if err := c.readContext(raw["@context"]); err != nil {
		return nil, err
	}
	c.Types = strings1(raw["type"])
	if !contains(c.Types, "VerifiableCredential") {
		return nil, malformed("type does not include VerifiableCredential")
	}
	c.ID, _ = raw["id"].(string)
	switch is := raw["issuer"].(type) {
	case string:
		c.Issuer = is
	case map[string]any:
		c.Issuer, _ = is["id"].(string)
	}
	if c.Issuer == "" {
		return nil, malformed("issuer is missing (a string or an object with an id)")
	}
	if c.DataModel == "2.0" {
		c.ValidFrom, _ = raw["validFrom"].(string)
		c.ValidUntil, _ = raw["validUntil"].(string)
	} else {
		c.ValidFrom, _ = raw["issuanceDate"].(string)
		c.ValidUntil, _ = raw["expirationDate"].(string)
	}
	switch s := raw["credentialSubject"].(type) {
	case map[string]any:
		c.Subject = s
	case []any:
		if len(s) > 0 {
			c.Subject, _ = s[0].(map[string]any)
		}
	}
	if c.Subject == nil {
		return nil, malformed("credentialSubject is missing or not an object")
	}
	c.Statuses = readStatuses(raw["credentialStatus"])
	if len(c.Statuses) > 0 {
		c.Status = &c.Statuses[0]
	}
	proofs, err := readProofs(raw["proof"])
	if err != nil {
		return nil, err
	}
	c.Proofs = proofs
	return c, nil
}

func (c *Credential) readContext(v any) error {
	ctx := strings1(v)
	if len(ctx) == 0 {
		return malformed("@context is missing")
	}
	switch ctx[0] {
	case ContextV1:
		c.DataModel = "1.1"
	case ContextV2:
		c.DataModel = "2.0"
	default:
		return malformed("the first @context is %q, want %s (VC 1.1) or %s (VC 2.0)", clip(ctx[0]), ContextV1, ContextV2)
	}
	return nil
}

// readStatuses reads credentialStatus: one object or an array of them. An
// entry that is not an object is kept as a status of unknown type, so that
// it is reported unchecked rather than ignored.
func readStatuses(v any) []Status {
	var list []any
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		list = x
	default:
		list = []any{x}
	}
	out := make([]Status, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			out = append(out, Status{Type: fmt.Sprintf("(a %T, not an object)", e)})
			continue
		}
		s := Status{Type: str(m["type"]), TokenRegistry: str(m["tokenRegistry"]), TokenID: str(m["tokenId"]),
			ListURL: str(m["statusListCredential"]), ListIndex: str(m["statusListIndex"]),
			Purpose: str(m["statusPurpose"]), Size: str(m["statusSize"])}
		if n, ok := m["tokenNetwork"].(map[string]any); ok {
			s.ChainID = str(n["chainId"])
		}
		out = append(out, s)
	}
	return out
}

func readProofs(v any) ([]Proof, error) {
	var list []any
	switch p := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		list = []any{p}
	case []any:
		list = p
	default:
		return nil, malformed("proof is not an object or an array")
	}
	var out []Proof
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, malformed("proof %d is not an object", i)
		}
		p := Proof{Type: str(m["type"]), Cryptosuite: str(m["cryptosuite"]), VerificationMethod: str(m["verificationMethod"]),
			ProofPurpose: str(m["proofPurpose"]), Created: str(m["created"]), ProofValue: str(m["proofValue"]), obj: m}
		if p.Type == "" {
			return nil, malformed("proof %d has no type", i)
		}
		if p.Type == "DataIntegrityProof" && p.Cryptosuite == "" {
			return nil, malformed("DataIntegrityProof %d names no cryptosuite", i)
		}
		form, err := proofForm(p)
		if err != nil {
			return nil, malformed("proof %d (%s): %v", i, p.Suite(), err)
		}
		p.Form = form
		out = append(out, p)
	}
	return out, nil
}

// proofForm reads the header of a selective-disclosure proofValue:
// multibase base64url-no-pad ("u"), then CBOR tag 0xd9 0x5d and a byte
// saying base or derived (ecdsa-sd-2023: 0x00 / 0x01; bbs-2023: 0x02 / 0x03).
func proofForm(p Proof) (string, error) {
	if p.Type != "DataIntegrityProof" || (p.Cryptosuite != "ecdsa-sd-2023" && p.Cryptosuite != "bbs-2023") {
		return "", nil
	}
	if !strings.HasPrefix(p.ProofValue, "u") {
		return "", fmt.Errorf("proofValue is not multibase base64url (no 'u' prefix)")
	}
	head := p.ProofValue[1:]
	if len(head) > 8 {
		head = head[:8]
	}
	b, err := base64.RawURLEncoding.DecodeString(head[:len(head)/4*4])
	if err != nil || len(b) < 3 || b[0] != 0xd9 || b[1] != 0x5d {
		return "", fmt.Errorf("proofValue does not start with the CBOR tag of a %s proof", p.Cryptosuite)
	}
	want := byte(0x00)
	if p.Cryptosuite == "bbs-2023" {
		want = 0x02
	}
	switch b[2] {
	case want:
		return FormBase, nil
	case want + 1:
		return FormDerived, nil
	}
	return "", fmt.Errorf("proofValue header byte 0x%02x is neither a base nor a derived proof", b[2])
}

// checkDepth bounds nesting before decoding into maps.
func checkDepth(in []byte) error {
	depth, inStr, esc := 0, false, false
	for i, c := range in {
		switch {
		case esc:
			esc = false
		case inStr:
			if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
			if depth > MaxDepth {
				return malformed("nesting deeper than %d at byte %d", MaxDepth, i)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func strings1(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
