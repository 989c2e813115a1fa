// Package openattestation issues OpenAttestation (TradeTrust) documents:
// it salts, wraps (one merkle batch), DID-signs and obfuscates bills of
// lading so that formats/openattestation, @govtechsg/open-attestation and
// TradeTrust's verifier accept them. Verifying lives in
// formats/openattestation; this package is for issuers and tests.
package openattestation

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/ojson"
)

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
	vals := make([]*ojson.Value, len(raws))
	for i, raw := range raws {
		v, err := ojson.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if v.Kind() != ojson.Object {
			return nil, fmt.Errorf("document %d: not a JSON object", i+1)
		}
		if o.IssueDate != "" {
			if _, err := time.Parse("2006-01-02", o.IssueDate); err != nil {
				return nil, fmt.Errorf("issue date %q is not YYYY-MM-DD", o.IssueDate)
			}
			v.Set("issueDate", ojson.NewString(o.IssueDate))
		}
		kind := oacore.EBLShape(2, v)
		if kind == oacore.NotEBL {
			return nil, fmt.Errorf("document %d is not a bill of lading (no transportDocumentReference)", i+1)
		}
		if probs := oacore.ValidateEBL(v, kind); len(probs) > 0 {
			return nil, fmt.Errorf("document %d: %s", i+1, strings.Join(probs, "; "))
		}
		if v.Get("$template") == nil {
			url := o.TemplateURL
			if url == "" {
				url = "https://generic-templates.tradetrust.io"
			}
			v.SetMembers(append([]ojson.Member{ojson.M("$template", ojson.NewObject(ojson.M("name", ojson.NewString("BILL_OF_LADING")),
				ojson.M("type", ojson.NewString("EMBEDDED_RENDERER")), ojson.M("url", ojson.NewString(url))))}, v.Members()...))
		}
		if v.Get("issuers") == nil {
			name := o.IssuerName
			if name == "" {
				name = str(v.Path("documentParties", "issuingParty", "partyName"))
			}
			if name == "" {
				name = str(v.Get("carrierCode"))
			}
			ip := ojson.NewObject(ojson.M("type", ojson.NewString("DID")), ojson.M("key", ojson.NewString("did:ethr:"+addr+"#controller")))
			if o.Domain != "" {
				ip = ojson.NewObject(ojson.M("type", ojson.NewString("DNS-DID")), ojson.M("key", ojson.NewString("did:ethr:"+addr+"#controller")), ojson.M("location", ojson.NewString(o.Domain)))
			}
			issuer := ojson.NewObject(ojson.M("id", ojson.NewString("did:ethr:"+addr)), ojson.M("name", ojson.NewString(name)),
				ojson.M("revocation", ojson.NewObject(ojson.M("type", ojson.NewString("NONE")))), ojson.M("identityProof", ip))
			v.Set("issuers", ojson.NewArray(issuer))
		}
		vals[i] = v
	}
	wrapped, err := oacore.WrapV2(vals)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(wrapped))
	for i, w := range wrapped {
		if err := oacore.SignV2(w, key, o.Now); err != nil {
			return nil, err
		}
		out[i] = ojson.StringifyIndent(w, "  ")
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
func locate(root *ojson.Value, segs []string) (parent *ojson.Value, last string, err error) {
	cur := root
	for i, s := range segs {
		var next *ojson.Value
		switch cur.Kind() {
		case ojson.Object:
			next = cur.Get(s)
		case ojson.Array:
			n, e := strconv.Atoi(s)
			if e == nil && n >= 0 && n < len(cur.Elems()) {
				next = cur.Elems()[n]
			}
		}
		if next == nil {
			return nil, "", fmt.Errorf("field %q not found", strings.Join(segs[:i+1], "."))
		}
		if i == len(segs)-1 {
			if cur.Kind() == ojson.Array {
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
	d, err := openattestation.Parse(in)
	if err != nil {
		return nil, err
	}
	if err := d.CheckIntegrity(); err != nil {
		return nil, fmt.Errorf("refusing to obfuscate a document that does not verify: %v", err)
	}
	root, err := ojson.Parse(in) // the document as written, salts and all
	if err != nil {
		return nil, err
	}
	var obfKey []string
	var container *ojson.Value
	var salts []oacore.Salt
	if d.Version == 2 {
		container = root.Get("data")
		obfKey = []string{"privacy", "obfuscatedData"}
	} else {
		container = root
		obfKey = []string{"proof", "privacy", "obfuscated"}
		if salts, err = oacore.DecodeSalts(str(root.Path("proof", "salts"))); err != nil {
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
			leafFn := func(p string, leaf *ojson.Value) {
				var h string
				buf, h = oacore.LeafHash(buf, p, leaf)
				added = append(added, h)
			}
			if target.Container() {
				if err := oacore.V2Leaves(target, path, 0, leafFn); err != nil {
					return nil, err
				}
			} else {
				leafFn(path, target)
			}
			parent.Del(key)
			if len(parent.Members()) == 0 && parent != container {
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
			_ = oacore.V3Leaves(target, prefix, 0, func(p string, leaf *ojson.Value) {
				i, ok := byPath[p]
				if !ok {
					ferr = fmt.Errorf("field %q has no salt", p)
					return
				}
				var h string
				buf, h = oacore.LeafHashString(buf, p, salts[i].Value+":"+ojson.JSString(leaf))
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
			parent.Del(key)
		}
	}
	// Append to the obfuscated list, creating it where needed.
	holder := root
	for _, k := range obfKey[:len(obfKey)-1] {
		next := holder.Get(k)
		if next == nil {
			next = ojson.NewObject()
			holder.Set(k, next)
		}
		holder = next
	}
	list := holder.Get(obfKey[len(obfKey)-1])
	if list == nil {
		list = ojson.NewArray()
		holder.Set(obfKey[len(obfKey)-1], list)
	}
	for _, h := range added {
		list.Append(ojson.NewString(h))
	}
	if d.Version == 3 {
		root.Get("proof").Set("salts", ojson.NewString(oacore.EncodeSalts(salts)))
	}
	out := ojson.StringifyIndent(root, "  ")
	check, err := openattestation.Parse(out)
	if err == nil {
		err = check.CheckIntegrity()
	}
	if err != nil {
		return nil, fmt.Errorf("obfuscation would break the document (%v)", err)
	}
	return out, nil
}

// v3PathOf renders segments as a traverseAndFlatten path ("a.b[0].c").
func v3PathOf(root *ojson.Value, segs []string) string {
	var b strings.Builder
	cur := root
	for i, s := range segs {
		if cur.Kind() == ojson.Array {
			b.WriteString("[" + s + "]")
			n, _ := strconv.Atoi(s)
			cur = cur.Elems()[n]
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

func str(v *ojson.Value) string { s, _ := v.Str(); return s }

// AddressOf returns the Ethereum address of a private key, which a DID
// document's did:ethr names.
func AddressOf(key *ecdsa.PrivateKey) openattestation.Address {
	return openattestation.Address(crypto.PubkeyToAddress(key.PublicKey))
}

// SignRoot signs a merkle root as OpenAttestation's DID signer does
// (ethers signMessage over the 32 raw bytes) and returns "0x" + 65 bytes hex
// with v = 27 or 28.
func SignRoot(key *ecdsa.PrivateKey, root [32]byte) (string, error) {
	return oacore.SignRoot(key, root)
}
