package oacore

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/accord-network/accord/internal/ojson"
)

// Schema URLs of wrapped documents.
const (
	SchemaV2 = "https://schema.openattestation.com/2.0/schema.json"
	SchemaV3 = "https://schema.openattestation.com/3.0/schema.json"
)

// Signature and proof type names.
const (
	TypeMerkleV2     = "SHA3MerkleProof"
	TypeMerkleV3     = "OpenAttestationMerkleProofSignature2018"
	TypeDIDSignature = "OpenAttestationSignature2018"
)

// SaltV2 replaces every primitive of a raw v2 data tree by
// "<uuid v4>:<type>:<String(value)>", as the reference saltData does.
// Empty objects and arrays stay as they are.
func SaltV2(v *ojson.Value) (*ojson.Value, error) {
	switch v.Kind() {
	case ojson.Object:
		in := v.Members()
		out := ojson.NewObject(make([]ojson.Member, len(in))...)
		for i, m := range in {
			if strings.Contains(m.Key, ".") {
				return nil, fmt.Errorf("key %q contains '.', which OpenAttestation forbids", Clip(m.Key))
			}
			c, err := SaltV2(m.Value)
			if err != nil {
				return nil, err
			}
			out.Members()[i] = ojson.Member{Key: m.Key, Value: c}
		}
		return out, nil
	case ojson.Array:
		in := v.Elems()
		out := ojson.NewArray(make([]*ojson.Value, len(in))...)
		for i, e := range in {
			c, err := SaltV2(e)
			if err != nil {
				return nil, err
			}
			out.Elems()[i] = c
		}
		return out, nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	var typed string
	switch v.Kind() {
	case ojson.Null:
		typed = "null:null"
	case ojson.Bool:
		typed = "boolean:" + ojson.JSString(v)
	case ojson.Number:
		typed = "number:" + ojson.JSString(v)
	default:
		s, _ := v.Str()
		typed = "string:" + s
	}
	return ojson.NewString(UUIDFromBytes(b) + ":" + typed), nil
}

// WrapV2 salts and wraps raw v2 documents (each a JSON object, the
// document's data) as one batch: every document gets its targetHash, the
// batch's merkleRoot and its own proof. The result is not signed yet.
func WrapV2(raws []*ojson.Value) ([]*ojson.Value, error) {
	if len(raws) == 0 {
		return nil, errors.New("nothing to wrap")
	}
	out := make([]*ojson.Value, len(raws))
	targets := make([]Hash, len(raws))
	for i, raw := range raws {
		if raw.Kind() != ojson.Object {
			return nil, fmt.Errorf("document %d is not a JSON object", i+1)
		}
		if raw.Get("signature") != nil || raw.Get("data") != nil {
			return nil, fmt.Errorf("document %d looks wrapped already (has data or signature)", i+1)
		}
		salted, err := SaltV2(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		doc := ojson.NewObject(ojson.M("version", ojson.NewString(SchemaV2)), ojson.M("data", salted))
		th, err := DigestV2(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if targets[i], err = ParseHash(th); err != nil {
			return nil, err
		}
		out[i] = doc
	}
	root, proofs := MerkleTree(targets)
	for i, doc := range out {
		pf := ojson.NewArray()
		for _, p := range proofs[i] {
			pf.Append(ojson.NewString(p.Hex()))
		}
		doc.Set("signature", ojson.NewObject(
			ojson.M("type", ojson.NewString(TypeMerkleV2)),
			ojson.M("targetHash", ojson.NewString(targets[i].Hex())),
			ojson.M("proof", pf),
			ojson.M("merkleRoot", ojson.NewString(root.Hex())),
		))
	}
	return out, nil
}

// SignV2 appends an OpenAttestationSignature2018 proof by key to a wrapped
// v2 document, as the reference signDocument does with an ethers signer.
func SignV2(doc *ojson.Value, key *ecdsa.PrivateKey, created time.Time) error {
	root, err := ParseHash(str(doc.Path("signature", "merkleRoot")))
	if err != nil {
		return fmt.Errorf("sign: merkleRoot: %w", err)
	}
	sig, err := SignRoot(key, root)
	if err != nil {
		return err
	}
	p := ojson.NewObject(
		ojson.M("type", ojson.NewString(TypeDIDSignature)),
		ojson.M("created", ojson.NewString(created.UTC().Format("2006-01-02T15:04:05.000Z"))),
		ojson.M("proofPurpose", ojson.NewString("assertionMethod")),
		ojson.M("verificationMethod", ojson.NewString("did:ethr:"+addressHex(key)+"#controller")),
		ojson.M("signature", ojson.NewString(sig)),
	)
	proofs := doc.Get("proof")
	if proofs == nil {
		proofs = ojson.NewArray()
		doc.Set("proof", proofs)
	}
	if proofs.Kind() != ojson.Array {
		return errors.New("sign: proof is not an array")
	}
	proofs.Append(p)
	return nil
}

// SignRoot signs a merkle root as OpenAttestation's DID signer does
// (ethers signMessage over the 32 raw bytes) and returns "0x" + 65 bytes hex
// with v = 27 or 28.
func SignRoot(key *ecdsa.PrivateKey, root [32]byte) (string, error) {
	h := PersonalHash(root)
	sig, err := crypto.Sign(h[:], key)
	if err != nil {
		return "", fmt.Errorf("sign merkle root: %w", err)
	}
	sig[64] += 27
	return "0x" + hex.EncodeToString(sig), nil
}

func addressHex(key *ecdsa.PrivateKey) string { return crypto.PubkeyToAddress(key.PublicKey).Hex() }
