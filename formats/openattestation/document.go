package openattestation

import (
	"fmt"
	"strings"

	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/ojson"
	"github.com/accord-network/accord/verify"
)

// MaxDocumentSize is the largest document accepted, in bytes.
const MaxDocumentSize = ojson.MaxDocumentSize

// Schema URLs of wrapped documents.
const (
	SchemaV2 = oacore.SchemaV2
	SchemaV3 = oacore.SchemaV3
)

// Signature and proof type names.
const (
	TypeMerkleV2     = oacore.TypeMerkleV2
	TypeMerkleV3     = oacore.TypeMerkleV3
	TypeDIDSignature = oacore.TypeDIDSignature
)

// Issuer kinds: how a document's issuance is proven.
const (
	IssuedByDID           = "DID"
	IssuedByDocumentStore = "DOCUMENT_STORE"
	IssuedByTokenRegistry = "TOKEN_REGISTRY"
)

// IssuerInfo is one issuer as a document declares it.
type IssuerInfo struct {
	Name string
	// Method is DID, DOCUMENT_STORE or TOKEN_REGISTRY.
	Method string
	// Store is the contract address for DOCUMENT_STORE / TOKEN_REGISTRY.
	Store string
	// IdentityType is DID, DNS-DID or DNS-TXT.
	IdentityType string
	// Key is the DID URL of the signing key ("did:ethr:0x…#controller").
	Key string
	// Location is the domain named by DNS-DID / DNS-TXT identity proofs.
	Location string
	// Revocation is the declared revocation type (NONE, REVOCATION_STORE,
	// OCSP_RESPONDER) and its location.
	Revocation, RevocationLocation string
	// Signature is the DID signature made with Key, if the document has one.
	Signature string
	// DID is the issuer's DID as the document declares it (v2 issuer id, v3
	// proof value); Key must belong to it.
	DID string
}

// Document is a parsed wrapped OpenAttestation document.
type Document struct {
	Version    int // 2 or 3
	TargetHash string
	MerkleRoot string
	Proof      []string
	Issuers    []IssuerInfo
	Obfuscated int
	Fields     int // visible leaves
	Unsalted   int // v2: string leaves without a salt
	// SaltErr is the first malformed v2 salt, if any.
	SaltErr error

	data *ojson.Value // v2: data with salts removed; v3: the credential without proof
	root *ojson.Value // the whole document (v2: its data unsalted in place)
	text string       // the document as parsed (its strings are cut from it)
	// v2: the digest of the salted data, computed before unsalting.
	digest    oacore.Hash
	digestErr error
}

// Parse reads a wrapped OpenAttestation v2 or v3 document. Errors wrap
// verify.ErrMalformed.
func Parse(in []byte) (*Document, error) { return parse(in, new(ojson.Slab)) }

// parse is Parse with the values taken from sl.
func parse(in []byte, sl *ojson.Slab) (*Document, error) {
	root, text, err := sl.ParseText(in)
	if err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", verify.ErrMalformed, err)
	}
	d, err := fromValue(in, root)
	if err != nil {
		return nil, err
	}
	d.text = text
	return d, nil
}

// Data returns what the document says: for v2 its data with the salts
// removed, for v3 the credential without its proof.
func (d *Document) Data() Data { return Data{v: d.data} }

// Data is a document's content, read-only. It encodes as JSON as
// JavaScript's JSON.stringify would.
type Data struct {
	v *ojson.Value
	// text, when v is nil: the document, parsed again when the data is
	// read (Verify's results hold this; the verification's own parse is
	// recycled).
	text string
}

// detached returns d's data as text only, so that it holds no parsed value.
func (d *Document) detached() Data { return Data{text: d.text} }

// tree returns the data, parsing the text again if needed (it parsed once
// already, so it parses again to the same values).
func (d Data) tree() *ojson.Value {
	if d.v != nil || d.text == "" {
		return d.v
	}
	doc, err := Parse([]byte(d.text))
	if err != nil {
		return nil
	}
	return doc.data
}

// MarshalJSON implements json.Marshaler.
func (d Data) MarshalJSON() ([]byte, error) { return ojson.Stringify(d.tree()), nil }

// Lookup follows object keys from the top and returns the value found as
// encoding/json would decode it into an any (string, float64, bool, nil,
// []any, map[string]any) and whether every key was there.
func (d Data) Lookup(keys ...string) (any, bool) {
	v := d.tree().Path(keys...)
	if v == nil {
		return nil, false
	}
	return toAny(v), true
}

// String is Lookup for a string value: "" and false when the keys lead
// nowhere or to something else.
func (d Data) String(keys ...string) (string, bool) { return d.tree().Path(keys...).Str() }

func toAny(v *ojson.Value) any {
	switch v.Kind() {
	case ojson.String:
		s, _ := v.Str()
		return s
	case ojson.Number:
		n, _ := v.Num()
		return n
	case ojson.Bool:
		b, _ := v.Boolean()
		return b
	case ojson.Array:
		out := make([]any, len(v.Elems()))
		for i, e := range v.Elems() {
			out[i] = toAny(e)
		}
		return out
	case ojson.Object:
		out := make(map[string]any, len(v.Members()))
		for _, m := range v.Members() {
			out[m.Key] = toAny(m.Value)
		}
		return out
	}
	return nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: OpenAttestation: %s", verify.ErrMalformed, fmt.Sprintf(format, args...))
}

func fromValue(in []byte, root *ojson.Value) (*Document, error) {
	if root.Kind() != ojson.Object {
		return nil, malformed("document is not a JSON object")
	}
	d := &Document{root: root}
	switch {
	case root.Path("signature", "type") != nil:
		d.Version = 2
		if t, _ := root.Path("signature", "type").Str(); t != TypeMerkleV2 {
			return nil, malformed("signature.type is %q, want %s", clip(t), TypeMerkleV2)
		}
		if root.Get("data").Kind() != ojson.Object {
			return nil, malformed("data is missing or not an object")
		}
		sig := root.Get("signature")
		d.TargetHash, _ = sig.Get("targetHash").Str()
		d.MerkleRoot, _ = sig.Get("merkleRoot").Str()
		pf := sig.Get("proof")
		if pf != nil && pf.Kind() != ojson.Array {
			return nil, malformed("signature.proof is not an array")
		}
		d.Proof = make([]string, 0, len(pf.Elems()))
		for i, e := range pf.Elems() {
			s, ok := e.Str()
			if !ok {
				return nil, malformed("signature.proof[%d] is not a string", i)
			}
			d.Proof = append(d.Proof, s)
		}
		if obf := root.Path("privacy", "obfuscatedData"); obf != nil {
			d.Obfuscated = len(obf.Elems())
		}
		// The hashes cover the salted strings: each leaf is hashed, then
		// unsalted in place, in one walk.
		u := unsalter{}
		d.digest, d.Fields, d.digestErr = oacore.DigestV2Visit(root, u.visit)
		d.data, d.Unsalted = root.Get("data"), u.unsalted
		if d.digestErr != nil || u.failed {
			// Data the walk could not finish: redo it step by step on a
			// fresh parse, as written (rare; the errors need the path).
			d.v2Slow(in)
		}
		d.Issuers = v2Issuers(d.data, root.Get("proof"))
	case root.Path("proof", "type") != nil:
		d.Version = 3
		pr := root.Get("proof")
		if t, _ := pr.Get("type").Str(); t != TypeMerkleV3 {
			return nil, malformed("proof.type is %q, want %s", clip(t), TypeMerkleV3)
		}
		d.TargetHash, _ = pr.Get("targetHash").Str()
		d.MerkleRoot, _ = pr.Get("merkleRoot").Str()
		pf := pr.Get("proofs")
		if pf != nil && pf.Kind() != ojson.Array {
			return nil, malformed("proof.proofs is not an array")
		}
		for i, e := range pf.Elems() {
			s, ok := e.Str()
			if !ok {
				return nil, malformed("proof.proofs[%d] is not a string", i)
			}
			d.Proof = append(d.Proof, s)
		}
		d.Obfuscated = len(pr.Path("privacy", "obfuscated").Elems())
		d.data = oacore.WithoutProof(root)
		_ = oacore.V3Leaves(d.data, "", 0, func(string, *ojson.Value) { d.Fields++ })
		d.Issuers = v3Issuers(root)
	default:
		return nil, malformed("neither a wrapped v2 document (signature.type %s) nor a v3 one (proof.type %s)", TypeMerkleV2, TypeMerkleV3)
	}
	return d, nil
}

// unsalter unsalts the leaves DigestV2Visit hands it until the first
// malformed salt.
type unsalter struct {
	unsalted int
	failed   bool
}

func (u *unsalter) visit(leaf *ojson.Value) {
	if u.failed || leaf.Kind() != ojson.String {
		return
	}
	salted, err := unsaltString(leaf)
	switch {
	case err != nil:
		u.failed = true
	case !salted:
		u.unsalted++
	}
}

// v2Slow digests and unsalts a v2 document's data in two walks over a fresh
// parse of in: the digest over everything, then the unsalting up to the
// first malformed salt, whose path it reports (SaltErr); the data is then
// kept as written.
func (d *Document) v2Slow(in []byte) {
	root, _ := ojson.Parse(in) // parsed once already
	d.digest, d.Fields, d.digestErr = oacore.DigestV2Hash(root)
	var unsalted int
	data := root.Get("data")
	if err := unsaltTree(data, "data", &unsalted); err != nil {
		// Partly unsalted: keep the data as written.
		d.SaltErr = err
		raw, _ := ojson.Parse(in)
		data = raw.Get("data")
	}
	d.data, d.Unsalted = data, unsalted
}

func str(v *ojson.Value) string { s, _ := v.Str(); return s }

func v2Issuers(data, proofs *ojson.Value) []IssuerInfo {
	out := make([]IssuerInfo, 0, len(data.Get("issuers").Elems()))
	for _, is := range data.Get("issuers").Elems() {
		in := IssuerInfo{Name: str(is.Get("name"))}
		switch {
		case str(is.Get("tokenRegistry")) != "":
			in.Method, in.Store = IssuedByTokenRegistry, str(is.Get("tokenRegistry"))
		case str(is.Get("documentStore")) != "":
			in.Method, in.Store = IssuedByDocumentStore, str(is.Get("documentStore"))
		case str(is.Get("certificateStore")) != "":
			in.Method, in.Store = IssuedByDocumentStore, str(is.Get("certificateStore"))
		default:
			in.Method = IssuedByDID
		}
		ip := is.Get("identityProof")
		in.IdentityType = str(ip.Get("type"))
		in.Key = str(ip.Get("key"))
		in.Location = str(ip.Get("location"))
		in.Revocation = str(is.Path("revocation", "type"))
		in.RevocationLocation = str(is.Path("revocation", "location"))
		if in.Method == IssuedByDID {
			in.DID = str(is.Get("id"))
			if in.Key == "" {
				in.Key = in.DID // fall back to the issuer id
			}
		}
		for _, p := range proofs.Elems() {
			if str(p.Get("type")) == TypeDIDSignature && strings.EqualFold(str(p.Get("verificationMethod")), in.Key) {
				in.Signature = str(p.Get("signature"))
				break
			}
		}
		out = append(out, in)
	}
	return out
}

func v3Issuers(root *ojson.Value) []IssuerInfo {
	meta := root.Get("openAttestationMetadata")
	pm := meta.Get("proof")
	in := IssuerInfo{Name: str(root.Path("issuer", "name")), Method: str(pm.Get("method"))}
	switch in.Method {
	case IssuedByDocumentStore, IssuedByTokenRegistry:
		in.Store = str(pm.Get("value"))
	}
	in.IdentityType = str(meta.Path("identityProof", "type"))
	switch in.IdentityType {
	case "DNS-DID", "DNS-TXT":
		in.Location = str(meta.Path("identityProof", "identifier"))
	}
	in.Revocation = str(pm.Path("revocation", "type"))
	in.RevocationLocation = str(pm.Path("revocation", "location"))
	pr := root.Get("proof")
	in.Key = str(pr.Get("key"))
	in.Signature = str(pr.Get("signature"))
	if in.Method == IssuedByDID {
		in.DID = str(pm.Get("value"))
		if in.Key == "" {
			in.Key = in.DID
		}
	}
	return []IssuerInfo{in}
}

// CheckIntegrity compares the target hash with the digest of the
// document's fields (for v2 computed by Parse, before it unsalted the data)
// and folds the merkle proof. It returns nil when both match, else an error
// saying which failed.
func (d *Document) CheckIntegrity() error {
	var digest string
	var err error
	if d.Version == 2 {
		h := d.digest
		err = d.digestErr
		if err == nil && oacore.IsLowerHex64(d.TargetHash) {
			if t, _ := oacore.ParseHash(d.TargetHash); t == h {
				digest = d.TargetHash // equal: skip formatting
			}
		}
		if digest == "" {
			digest = h.Hex()
		}
	} else {
		digest, err = oacore.DigestV3(d.root)
	}
	if err != nil {
		return err
	}
	if d.TargetHash == "" {
		return fmt.Errorf("targetHash is missing")
	}
	if err := lowerHash("targetHash", d.TargetHash); err != nil {
		return err
	}
	if err := lowerHash("merkleRoot", d.MerkleRoot); err != nil {
		return err
	}
	if digest != d.TargetHash {
		return fmt.Errorf("the document's fields hash to %s, not the targetHash %s: a field was altered, added or removed, or an obfuscated hash was dropped", digest[:16]+"…", clip(d.TargetHash))
	}
	target, err := oacore.ParseHash(d.TargetHash)
	if err != nil {
		return err
	}
	root, err := oacore.ParseHash(d.MerkleRoot)
	if err != nil {
		return fmt.Errorf("merkleRoot: %v", err)
	}
	var small [16]oacore.Hash // a batch of up to 65,536 documents
	proof := small[:0]
	if len(d.Proof) > len(small) {
		proof = make([]oacore.Hash, 0, len(d.Proof))
	}
	proof = proof[:len(d.Proof)]
	for i, p := range d.Proof {
		if proof[i], err = oacore.ParseHash(p); err != nil {
			return fmt.Errorf("merkle proof step %d: %v", i, err)
		}
	}
	if got := oacore.FoldProof(target, proof); got != root {
		return fmt.Errorf("the merkle proof (%d steps) leads to %s, not the merkleRoot %s", len(proof), got.Hex()[:16]+"…", clip(d.MerkleRoot))
	}
	return nil
}

// lowerHash refuses a targetHash or merkleRoot that is not 64 lowercase hex
// digits: the reference compares both as strings with the lowercase hex it
// computes, so another spelling of the same hash does not verify there
// either (spec/openattestation.md §4). Saying so beats "a field was altered".
func lowerHash(name, s string) error {
	if oacore.IsLowerHex64(s) {
		return nil
	}
	if len(s) == 64 && strings.ToLower(s) != s {
		return fmt.Errorf("%s %s has uppercase hex digits: OpenAttestation writes hashes in lowercase, and its verifiers compare them as written", name, clip(s))
	}
	return fmt.Errorf("%s %q is not 64 lowercase hex digits", name, clip(s))
}

// rootHash returns the merkle root as bytes.
func (d *Document) rootHash() (oacore.Hash, error) { return oacore.ParseHash(d.MerkleRoot) }

func clip(s string) string { return oacore.Clip(s) }
