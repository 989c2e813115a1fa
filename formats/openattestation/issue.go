package openattestation

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// saltV2 replaces every primitive of a raw v2 data tree by
// "<uuid v4>:<type>:<String(value)>", as the reference saltData does.
// Empty objects and arrays stay as they are.
func saltV2(v *Value) (*Value, error) {
	switch v.Kind() {
	case Object:
		out := &Value{kind: Object, obj: make([]Member, len(v.obj))}
		for i, m := range v.obj {
			if strings.Contains(m.Key, ".") {
				return nil, fmt.Errorf("key %q contains '.', which OpenAttestation forbids", clip(m.Key))
			}
			c, err := saltV2(m.Value)
			if err != nil {
				return nil, err
			}
			out.obj[i] = Member{Key: m.Key, Value: c}
		}
		return out, nil
	case Array:
		out := &Value{kind: Array, arr: make([]*Value, len(v.arr))}
		for i, e := range v.arr {
			c, err := saltV2(e)
			if err != nil {
				return nil, err
			}
			out.arr[i] = c
		}
		return out, nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	var typed string
	switch v.Kind() {
	case Null:
		typed = "null:null"
	case Bool:
		typed = "boolean:" + jsString(v)
	case Number:
		typed = "number:" + jsString(v)
	default:
		typed = "string:" + v.s
	}
	return strV(uuidFromBytes(b) + ":" + typed), nil
}

// WrapV2 salts and wraps raw v2 documents (each a JSON object, the
// document's data) as one batch: every document gets its targetHash, the
// batch's merkleRoot and its own proof. The result is not signed yet.
func WrapV2(raws []*Value) ([]*Value, error) {
	if len(raws) == 0 {
		return nil, errors.New("nothing to wrap")
	}
	out := make([]*Value, len(raws))
	targets := make([]Hash, len(raws))
	for i, raw := range raws {
		if raw.Kind() != Object {
			return nil, fmt.Errorf("document %d is not a JSON object", i+1)
		}
		if raw.Get("signature") != nil || raw.Get("data") != nil {
			return nil, fmt.Errorf("document %d looks wrapped already (has data or signature)", i+1)
		}
		salted, err := saltV2(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		doc := objV(mem("version", strV(SchemaV2)), mem("data", salted))
		th, err := DigestV2(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if targets[i], err = parseHash(th); err != nil {
			return nil, err
		}
		out[i] = doc
	}
	root, proofs := merkleTree(targets)
	for i, doc := range out {
		pf := &Value{kind: Array, arr: []*Value{}}
		for _, p := range proofs[i] {
			pf.arr = append(pf.arr, strV(p.Hex()))
		}
		doc.set("signature", objV(
			mem("type", strV(TypeMerkleV2)),
			mem("targetHash", strV(targets[i].Hex())),
			mem("proof", pf),
			mem("merkleRoot", strV(root.Hex())),
		))
	}
	return out, nil
}

// SignV2 appends an OpenAttestationSignature2018 proof by key to a wrapped
// v2 document, as the reference signDocument does with an ethers signer.
func SignV2(doc *Value, key *ecdsa.PrivateKey, created time.Time) error {
	root, err := parseHash(str(doc.Path("signature", "merkleRoot")))
	if err != nil {
		return fmt.Errorf("sign: merkleRoot: %w", err)
	}
	sig, err := SignRoot(key, root)
	if err != nil {
		return err
	}
	p := objV(
		mem("type", strV(TypeDIDSignature)),
		mem("created", strV(created.UTC().Format("2006-01-02T15:04:05.000Z"))),
		mem("proofPurpose", strV("assertionMethod")),
		mem("verificationMethod", strV("did:ethr:"+AddressOf(key).Hex()+"#controller")),
		mem("signature", strV(sig)),
	)
	proofs := doc.Get("proof")
	if proofs == nil {
		proofs = &Value{kind: Array, arr: []*Value{}}
		doc.set("proof", proofs)
	}
	if proofs.Kind() != Array {
		return errors.New("sign: proof is not an array")
	}
	proofs.arr = append(proofs.arr, p)
	return nil
}

// IssueOptions describe the issuer added to documents that name none.
type IssueOptions struct {
	// IssuerName is the organisation name written into the issuer block.
	IssuerName string
	// Domain, if set, makes the identity proof DNS-DID with this location;
	// otherwise it is DID.
	Domain string
	// Now is the proof creation time (time.Now if zero).
	Now time.Time
	// TemplateURL is the renderer URL of $template when the document has none.
	TemplateURL string
	// IssueDate, if set (YYYY-MM-DD), replaces the documents' issueDate.
	IssueDate string
}

// IssueEBL validates, salts, wraps (one batch) and DID-signs raw bills of
// lading. Each input is the JSON of a document's data; an e-BL that fails
// its shape rules is refused. Documents without "issuers" get one for key.
func IssueEBL(key *ecdsa.PrivateKey, raws [][]byte, o IssueOptions) ([][]byte, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	addr := AddressOf(key).Hex()
	vals := make([]*Value, len(raws))
	for i, raw := range raws {
		v, err := ParseJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if v.Kind() != Object {
			return nil, fmt.Errorf("document %d: not a JSON object", i+1)
		}
		if o.IssueDate != "" {
			if _, err := time.Parse("2006-01-02", o.IssueDate); err != nil {
				return nil, fmt.Errorf("issue date %q is not YYYY-MM-DD", o.IssueDate)
			}
			v.set("issueDate", strV(o.IssueDate))
		}
		d := &Document{Version: 2, Data: v}
		kind := EBLShape(d)
		if kind == NotEBL {
			return nil, fmt.Errorf("document %d is not a bill of lading (no transportDocumentReference)", i+1)
		}
		if probs := ValidateEBL(v, kind); len(probs) > 0 {
			return nil, fmt.Errorf("document %d: %s", i+1, strings.Join(probs, "; "))
		}
		if v.Get("$template") == nil {
			url := o.TemplateURL
			if url == "" {
				url = "https://generic-templates.tradetrust.io"
			}
			v.obj = append([]Member{mem("$template", objV(mem("name", strV("BILL_OF_LADING")),
				mem("type", strV("EMBEDDED_RENDERER")), mem("url", strV(url))))}, v.obj...)
		}
		if v.Get("issuers") == nil {
			name := o.IssuerName
			if name == "" {
				name = str(v.Path("documentParties", "issuingParty", "partyName"))
			}
			if name == "" {
				name = str(v.Get("carrierCode"))
			}
			ip := objV(mem("type", strV("DID")), mem("key", strV("did:ethr:"+addr+"#controller")))
			if o.Domain != "" {
				ip = objV(mem("type", strV("DNS-DID")), mem("key", strV("did:ethr:"+addr+"#controller")), mem("location", strV(o.Domain)))
			}
			issuer := objV(mem("id", strV("did:ethr:"+addr)), mem("name", strV(name)),
				mem("revocation", objV(mem("type", strV("NONE")))), mem("identityProof", ip))
			v.set("issuers", arrV(issuer))
		}
		vals[i] = v
	}
	wrapped, err := WrapV2(vals)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(wrapped))
	for i, w := range wrapped {
		if err := SignV2(w, key, o.Now); err != nil {
			return nil, err
		}
		out[i] = StringifyIndent(w, "  ")
	}
	return out, nil
}

// splitPath turns "a.b[0].c" or "a.b.0.c" into segments.
func splitPath(p string) ([]string, error) {
	p = strings.TrimPrefix(p, "data.")
	var segs []string
	for _, part := range strings.Split(p, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				segs = append(segs, part)
				break
			}
			if i > 0 {
				segs = append(segs, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("field %q: unbalanced '['", p)
			}
			segs = append(segs, part[i+1:i+j])
			part = part[i+j+1:]
		}
	}
	for _, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("field %q has an empty segment", p)
		}
	}
	return segs, nil
}

// locate finds the parent container and the member key / index of a path.
func locate(root *Value, segs []string) (parent *Value, last string, err error) {
	cur := root
	for i, s := range segs {
		var next *Value
		switch cur.Kind() {
		case Object:
			next = cur.Get(s)
		case Array:
			n, e := strconv.Atoi(s)
			if e == nil && n >= 0 && n < len(cur.arr) {
				next = cur.arr[n]
			}
		}
		if next == nil {
			return nil, "", fmt.Errorf("field %q not found", strings.Join(segs[:i+1], "."))
		}
		if i == len(segs)-1 {
			if cur.Kind() == Array {
				return nil, "", fmt.Errorf("field %q is an array element: obfuscate its fields or the whole array (removing an element would renumber the others)", strings.Join(segs, "."))
			}
			return cur, s, nil
		}
		cur = next
	}
	return nil, "", errors.New("empty field path")
}

// Obfuscate hides fields of a wrapped v2 or v3 document: their leaf hashes
// move to the document's obfuscated list and the values are removed, so the
// document still verifies. Paths use dots ("shipper.address",
// "consignmentItems.0.cargoItems"); v2 paths are inside data.
func Obfuscate(in []byte, fields []string) ([]byte, error) {
	d, err := Parse(in)
	if err != nil {
		return nil, err
	}
	if err := d.CheckIntegrity(); err != nil {
		return nil, fmt.Errorf("refusing to obfuscate a document that does not verify: %v", err)
	}
	root := d.Root
	var obfKey []string
	var container *Value
	var salts []Salt
	if d.Version == 2 {
		container = root.Get("data")
		obfKey = []string{"privacy", "obfuscatedData"}
	} else {
		container = root
		obfKey = []string{"proof", "privacy", "obfuscated"}
		if salts, err = decodeSalts(str(root.Path("proof", "salts"))); err != nil {
			return nil, err
		}
	}
	var added []string
	var buf []byte
	for _, f := range fields {
		segs, err := splitPath(f)
		if err != nil {
			return nil, err
		}
		if d.Version == 3 && (segs[0] == "proof") {
			return nil, fmt.Errorf("field %q: the proof cannot be obfuscated", f)
		}
		parent, key, err := locate(container, segs)
		if err != nil {
			return nil, err
		}
		target := parent.Get(key)
		if d.Version == 2 {
			path := strings.Join(segs, ".")
			leafFn := func(p string, leaf *Value) {
				var h string
				buf, h = leafHash(buf, p, leaf)
				added = append(added, h)
			}
			if (target.Kind() == Object && len(target.obj) > 0) || (target.Kind() == Array && len(target.arr) > 0) {
				if err := v2Leaves(target, path, 0, leafFn); err != nil {
					return nil, err
				}
			} else {
				leafFn(path, target)
			}
			parent.del(key)
			if len(parent.obj) == 0 && parent != container {
				return nil, fmt.Errorf("hiding %q would leave its parent object empty, which changes the document hash: obfuscate the parent instead", f)
			}
		} else {
			prefix := v3PathOf(container, segs)
			byPath := make(map[string]int, len(salts))
			for i, s := range salts {
				byPath[s.Path] = i
			}
			var ferr error
			drop := map[string]bool{}
			_ = v3Leaves(target, prefix, 0, func(p string, leaf *Value) {
				i, ok := byPath[p]
				if !ok {
					ferr = fmt.Errorf("field %q has no salt", p)
					return
				}
				var h string
				buf, h = leafHashString(buf, p, salts[i].Value+":"+jsString(leaf))
				added = append(added, h)
				drop[p] = true
			})
			if ferr != nil {
				return nil, ferr
			}
			kept := salts[:0:0]
			for _, s := range salts {
				if !drop[s.Path] {
					kept = append(kept, s)
				}
			}
			salts = kept
			parent.del(key)
		}
	}
	// Append to the obfuscated list, creating it where needed.
	holder := root
	for _, k := range obfKey[:len(obfKey)-1] {
		next := holder.Get(k)
		if next == nil {
			next = objV()
			next.obj = []Member{}
			holder.set(k, next)
		}
		holder = next
	}
	list := holder.Get(obfKey[len(obfKey)-1])
	if list == nil {
		list = &Value{kind: Array, arr: []*Value{}}
		holder.set(obfKey[len(obfKey)-1], list)
	}
	for _, h := range added {
		list.arr = append(list.arr, strV(h))
	}
	if d.Version == 3 {
		root.Get("proof").set("salts", strV(encodeSalts(salts)))
	}
	out := StringifyIndent(root, "  ")
	check, err := Parse(out)
	if err == nil {
		err = check.CheckIntegrity()
	}
	if err != nil {
		return nil, fmt.Errorf("obfuscation would break the document (%v)", err)
	}
	return out, nil
}

// v3PathOf renders segments as a traverseAndFlatten path ("a.b[0].c").
func v3PathOf(root *Value, segs []string) string {
	var b strings.Builder
	cur := root
	for i, s := range segs {
		if cur.Kind() == Array {
			b.WriteString("[" + s + "]")
			n, _ := strconv.Atoi(s)
			cur = cur.arr[n]
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
		cur = cur.Get(s)
	}
	return b.String()
}
