// Package gdhcn reads WHO GDHCN DID trust-list documents (smart-trust
// "Trustlists 2.0.0"): a DID document whose verificationMethod entries carry
// JsonWebKey2020 keys, each with the kid of its certificate and the x5c chain
// (the DSC, then its signing CA), and a JsonWebSignature2020 proof.
//
// The proof is a detached JWS with {"b64": false}: its signing input is
// ASCII(BASE64URL(header)) "." payload, where the payload is the document
// without "proof", canonicalized as RFC 8785 (JCS) would for these documents
// (object keys sorted, no insignificant whitespace, no HTML escaping; the
// documents hold no floating-point numbers). The specification page does not
// fix the canonicalization; spec/trustlist.md records this choice. ECDSA
// signatures are accepted as JOSE r‖s or as DER, which the specification's
// example uses.
package gdhcn

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// Format is the format name used on the command line and in provenance.
const Format = "gdhcn"

type jwk struct {
	Kty string   `json:"kty"`
	Crv string   `json:"crv"`
	X   string   `json:"x"`
	Y   string   `json:"y"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	Kid string   `json:"kid"`
	X5c []string `json:"x5c"`
}

type method struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Controller   string `json:"controller"`
	PublicKeyJwk *jwk   `json:"publicKeyJwk"`
}

type proof struct {
	Type               string `json:"type"`
	Created            string `json:"created"`
	ProofPurpose       string `json:"proofPurpose"`
	VerificationMethod string `json:"verificationMethod"`
	JWS                string `json:"jws"`
}

// Parse reads a DID trust-list document and checks its proof against
// opts.Roots (the trust-list signer's certificate).
func Parse(b []byte, opts listimport.Options) (*listimport.Source, error) {
	if len(b) > listimport.MaxSourceSize {
		return nil, fmt.Errorf("%d bytes exceeds %d", len(b), listimport.MaxSourceSize)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a DID document (JSON object): %w", err)
	}
	var id string
	if err := json.Unmarshal(doc["id"], &id); err != nil || !strings.HasPrefix(id, "did:") {
		return nil, errors.New(`not a DID document: no "id" DID`)
	}
	var vms []json.RawMessage
	if err := json.Unmarshal(doc["verificationMethod"], &vms); err != nil {
		return nil, errors.New(`not a DID trust list: no "verificationMethod" array`)
	}
	src := listimport.NewSource(Format, b)
	src.Name = "the GDHCN trust list " + id
	if len(src.Name) > 256 {
		src.Name = src.Name[:256]
	}
	checkProof(src, doc, opts)
	for i, raw := range vms {
		src.Items = append(src.Items, item(i, raw))
	}
	return src, nil
}

func item(i int, raw json.RawMessage) listimport.Item {
	it := listimport.Item{Ref: fmt.Sprintf("#%d", i+1)}
	var ref string
	if json.Unmarshal(raw, &ref) == nil {
		it.Ref, it.Refused = ref, errors.New("a reference document names keys without them; import the document with embedded keys")
		return it
	}
	var vm method
	if err := json.Unmarshal(raw, &vm); err != nil || vm.PublicKeyJwk == nil {
		it.Refused = errors.New("verificationMethod without publicKeyJwk")
		return it
	}
	k := vm.PublicKeyJwk
	if vm.ID != "" {
		it.Ref = vm.ID
	}
	if len(k.X5c) == 0 {
		it.Refused = errors.New("the key carries no x5c certificate (bare GDHCN keys cannot be tied to a country or validity)")
		return it
	}
	der, err := base64.StdEncoding.DecodeString(k.X5c[0])
	if err != nil {
		it.Refused = errors.New("x5c[0] is not base64 DER")
		return it
	}
	cert, err := pki.Parse(der)
	if err != nil {
		it.Refused = err
		return it
	}
	sum := sha256.Sum256(der)
	kid := base64.StdEncoding.EncodeToString(sum[:8])
	fragment := vm.ID[strings.LastIndexByte(vm.ID, '#')+1:]
	if k.Kid != kid || (strings.Contains(vm.ID, "#") && fragment != kid && fragment != strings.TrimRight(base64.URLEncoding.EncodeToString(sum[:8]), "=")) {
		it.Refused = fmt.Errorf("kid %q (id %q) is not the certificate's %s", k.Kid, vm.ID, kid)
		return it
	}
	if err := sameKey(k, cert); err != nil {
		it.Refused = err
		return it
	}
	if len(k.X5c) > 1 {
		caDER, err := base64.StdEncoding.DecodeString(k.X5c[1])
		if err != nil {
			it.Refused = errors.New("x5c[1] is not base64 DER")
			return it
		}
		ca, err := pki.Parse(caDER)
		if err == nil {
			err = cert.CheckSignatureFrom(ca)
		}
		if err != nil {
			it.Refused = fmt.Errorf("x5c chain: %v", err)
			return it
		}
	}
	if len(cert.Subject.Country) != 1 || !trustlist.ValidCountry(cert.Subject.Country[0]) {
		it.Refused = fmt.Errorf("the certificate names no accepted country (%v)", cert.Subject.Country)
		return it
	}
	it.Country = cert.Subject.Country[0]
	e, err := trustlist.NewX509Entry(der, cert.IsCA, []trustlist.DocType{trustlist.DocHCert}, "")
	if err != nil {
		it.Refused = err
		return it
	}
	it.Entry = e
	return it
}

// sameKey checks that the JWK is the certificate's key.
func sameKey(k *jwk, c *pki.Certificate) error {
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			b, _ = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		}
		return bytes.TrimLeft(b, "\x00") // the specification's example keeps a sign byte
	}
	switch pub := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		raw, err := pub.Bytes()
		if err != nil || k.Kty != "EC" {
			return errors.New("the JWK is not the certificate's EC key")
		}
		l := (len(raw) - 1) / 2
		if !bytes.Equal(dec(k.X), bytes.TrimLeft(raw[1:1+l], "\x00")) || !bytes.Equal(dec(k.Y), bytes.TrimLeft(raw[1+l:], "\x00")) {
			return errors.New("the JWK's coordinates are not the certificate's key")
		}
	case *rsa.PublicKey:
		if k.Kty != "RSA" || !bytes.Equal(dec(k.N), pub.N.Bytes()) {
			return errors.New("the JWK's modulus is not the certificate's key")
		}
	default:
		return fmt.Errorf("unsupported key type %s", c.KeyType)
	}
	return nil
}

// checkProof verifies the document's JsonWebSignature2020 proof.
func checkProof(src *listimport.Source, doc map[string]json.RawMessage, opts listimport.Options) {
	src.Signature = trustlist.SourceUnverified
	raw, ok := doc["proof"]
	if !ok {
		src.Signature, src.SignatureDetail = trustlist.SourceUnsigned, "the document carries no proof"
		return
	}
	var p proof
	if err := json.Unmarshal(raw, &p); err != nil || p.JWS == "" {
		src.SignatureDetail = "proof without jws"
		return
	}
	src.Signer = p.VerificationMethod
	if t, err := time.Parse(time.RFC3339, p.Created); err == nil {
		src.Issued = t
	}
	header, sig, err := splitDetached(p.JWS)
	if err != nil {
		src.SignatureDetail = err.Error()
		return
	}
	payload, err := Canonical(doc)
	if err != nil {
		src.SignatureDetail = err.Error()
		return
	}
	signingInput := append([]byte(strings.SplitN(p.JWS, ".", 2)[0]+"."), payload...)
	if len(opts.Roots) == 0 {
		src.SignatureDetail = "no --source-root names the trust-list signer, so the proof cannot be checked"
		return
	}
	var why []string
	for _, r := range opts.Roots {
		alg, err := jwsAlg(header.Alg, r, sig)
		if err == nil {
			err = pki.VerifySignature(r.PublicKey, alg, 0, signingInput, sig)
		}
		if err == nil {
			src.Signature = trustlist.SourceVerified
			src.Signer = listimport.SignerName(r)
			src.SignatureDetail = fmt.Sprintf("proof (%s) verified with --source-root %q", header.Alg, r.Subject)
			return
		}
		why = append(why, err.Error())
	}
	src.SignatureDetail = "the proof verifies with no --source-root: " + strings.Join(why, "; ")
}

type jwsHeader struct {
	Alg  string   `json:"alg"`
	B64  *bool    `json:"b64"`
	Crit []string `json:"crit"`
}

func splitDetached(jws string) (jwsHeader, []byte, error) {
	var h jwsHeader
	parts := strings.Split(jws, ".")
	if len(parts) != 3 || parts[1] != "" {
		return h, nil, errors.New("jws is not a detached JWS (header..signature)")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &h) != nil {
		return h, nil, errors.New("jws header is not base64url JSON")
	}
	if h.B64 == nil || *h.B64 {
		return h, nil, errors.New(`jws header must have "b64": false (an unencoded detached payload)`)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return h, nil, errors.New("jws signature is not base64url")
	}
	return h, sig, nil
}

func jwsAlg(alg string, signer *pki.Certificate, sig []byte) (pki.SignatureAlgorithm, error) {
	hashes := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}
	if len(alg) != 5 {
		return pki.SignatureAlgorithm{}, fmt.Errorf("JWS alg %q", alg)
	}
	h, ok := hashes[alg[2:]]
	if !ok {
		return pki.SignatureAlgorithm{}, fmt.Errorf("JWS alg %q", alg)
	}
	switch alg[:2] {
	case "ES":
		// JOSE uses r‖s; the specification's example uses DER.
		return pki.SignatureAlgorithm{Key: pki.KeyECDSA, Hash: h, Plain: len(sig) > 0 && sig[0] != 0x30}, nil
	case "PS":
		return pki.SignatureAlgorithm{Key: pki.KeyRSA, Padding: pki.PSS, Hash: h, SaltLength: h.Size()}, nil
	case "RS":
		return pki.SignatureAlgorithm{Key: pki.KeyRSA, Padding: pki.PKCS1v15, Hash: h}, nil
	}
	return pki.SignatureAlgorithm{}, fmt.Errorf("JWS alg %q", alg)
}

// Canonical returns the document without its proof in the canonical form
// the proof signs (see the package documentation).
func Canonical(doc map[string]json.RawMessage) ([]byte, error) {
	m := make(map[string]any, len(doc))
	for k, v := range doc {
		if k == "proof" {
			continue
		}
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		var x any
		if err := d.Decode(&x); err != nil {
			return nil, err
		}
		m[k] = x
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
