// Package dcckeys reads the key-only national DCC lists: public keys without
// certificates, each under the DCC kid of the certificate it came from.
// Accepted shapes:
//   - Switzerland's verifier list: {kid: [{use, alg, crv, x, y | n, e}]}
//     (JWK-like, base64 coordinates; use = the certificate types t, v, r, or sig);
//   - the Netherlands' verifier list: {"eu_keys": {kid: [{subjectPk, ian, keyUsage, …}]}}
//     (subjectPk = base64 SubjectPublicKeyInfo, ian = the issuing country);
//   - a JWK Set: {"keys": [{kty, kid, crv, x, y | n, e}]};
//   - PEM PUBLIC KEY blocks, with optional "Kid:" and "Country:" headers
//     (kid defaults to the first 8 bytes of SHA-256 of the SubjectPublicKeyInfo).
package dcckeys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/accord-network/accord/internal/listimport"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// Format is the format name used on the command line and in provenance.
const Format = "dcc-keys"

// DefaultNotBefore is the start of a bare key's validity window when the
// source states none: before the first DCC was issued, so every document the
// key signed is covered.
var DefaultNotBefore = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)

// Window is the validity window given to bare keys, whose sources state none.
type Window struct{ NotBefore, NotAfter time.Time }

// Parse reads a key-only list. Keys carry no validity of their own; w is
// given to each (spec/trustlist.md §Import).
func Parse(b []byte, w Window) (*listimport.Source, error) {
	if len(b) > listimport.MaxSourceSize {
		return nil, fmt.Errorf("%d bytes exceeds %d", len(b), listimport.MaxSourceSize)
	}
	src := listimport.NewSource(Format, b)
	src.Signature = trustlist.SourceUnsigned
	src.SignatureDetail = "key-only lists are served unsigned (their transport is TLS)"
	trimmed := bytes.TrimSpace(b)
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		src.Name = "a PEM public-key list"
		return src, parsePEM(src, trimmed, w)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("not a key list (JSON object or PEM public keys): %w", err)
	}
	switch {
	case top["eu_keys"] != nil:
		src.Name = "the Netherlands' DCC verifier key list"
		return src, parseNL(src, top["eu_keys"], w)
	case top["keys"] != nil:
		src.Name = "a JWK Set"
		var keys []jwk
		if err := json.Unmarshal(top["keys"], &keys); err != nil {
			return nil, fmt.Errorf("JWK Set: %w", err)
		}
		for i, k := range keys {
			src.Items = append(src.Items, k.item(fmt.Sprintf("#%d", i+1), k.Kid, w))
		}
		return src, nil
	default:
		src.Name = "Switzerland's DCC verifier key list"
		return src, parseCH(src, top, w)
	}
}

func sortedKeys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type jwk struct {
	Kid string  `json:"kid"`
	Kty string  `json:"kty"`
	Use string  `json:"use"`
	Alg string  `json:"alg"`
	Crv string  `json:"crv"`
	X   *string `json:"x"`
	Y   *string `json:"y"`
	N   *string `json:"n"`
	E   *string `json:"e"`
}

func parseCH(src *listimport.Source, top map[string]json.RawMessage, w Window) error {
	if len(top) == 0 {
		return errors.New("empty key list")
	}
	for _, kid := range sortedKeys(top) {
		var keys []jwk
		if err := json.Unmarshal(top[kid], &keys); err != nil {
			src.Refuse(kid, "", "not a list of keys: %v", err)
			continue
		}
		for _, k := range keys {
			src.Items = append(src.Items, k.item(kid, kid, w))
		}
	}
	return nil
}

// b64 decodes standard or URL-safe base64, padded or not.
func b64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// kidBytes is the kid as COSE headers carry it: the base64 the lists show,
// decoded; a kid that is not base64 is taken as its bytes.
func kidBytes(kid string) []byte {
	if b, err := b64(kid); err == nil && len(b) > 0 {
		return b
	}
	return []byte(kid)
}

func (k jwk) item(ref, kid string, w Window) listimport.Item {
	it := listimport.Item{Ref: ref}
	types, err := dccTypes(k.Use)
	if err != nil {
		it.Refused = err
		return it
	}
	spki, err := k.spki()
	if err != nil {
		it.Refused = err
		return it
	}
	it = keyItem(it, spki, kidBytes(kid), "", w)
	if it.Entry != nil {
		it.Entry.DCCTypes = types
	}
	return it
}

// dccTypes reads a key's "use" as Switzerland's list gives it: the DCC
// certificate types the key may sign ("t", "v", "r", in any order and
// combination), or "sig" (or nothing) for every type. "l" marks a key for
// Swiss "light" certificates only, which are not EU DCCs: refused, as is
// anything else. The result is in the order t, v, r (Entry.DCCTypes).
func dccTypes(use string) ([]string, error) {
	switch use {
	case "", "sig":
		return nil, nil
	case "l":
		return nil, errors.New(`use "l": a key for Swiss light certificates only, which are not EU DCCs`)
	}
	var out []string
	for _, t := range []string{"t", "v", "r"} {
		if strings.Contains(use, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 || len(use) > 3 || strings.Trim(use, "tvr") != "" {
		return nil, fmt.Errorf("use %q: neither sig nor DCC certificate types (t, v, r)", use)
	}
	return out, nil
}

// spki converts the JWK-like key to a DER SubjectPublicKeyInfo.
func (k jwk) spki() ([]byte, error) {
	switch {
	case k.X != nil && k.Y != nil:
		if k.Crv != "" && k.Crv != "P-256" {
			return nil, fmt.Errorf("EC key on %q (P-256 is what DCCs use)", k.Crv)
		}
		x, err1 := b64(*k.X)
		y, err2 := b64(*k.Y)
		if err1 != nil || err2 != nil {
			return nil, errors.New("EC coordinates are not base64")
		}
		// Some publishers keep the sign byte of a big-endian integer: 33 bytes.
		x, y = bytes.TrimLeft(x, "\x00"), bytes.TrimLeft(y, "\x00")
		if len(x) > 32 || len(y) > 32 {
			return nil, errors.New("EC coordinates longer than 32 bytes")
		}
		raw := make([]byte, 65)
		raw[0] = 4
		copy(raw[33-len(x):33], x)
		copy(raw[65-len(y):], y)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			return nil, fmt.Errorf("EC key: %v", err)
		}
		return x509.MarshalPKIXPublicKey(pub)
	case k.N != nil && k.E != nil:
		n, err1 := b64(*k.N)
		e, err2 := b64(*k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("RSA modulus or exponent is not base64")
		}
		ev := new(big.Int).SetBytes(e)
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(ev.Int64())}
		if pub.N.BitLen() < 2048 || pub.N.BitLen() > pki.MaxRSABits || pub.E < 3 || pub.E%2 == 0 {
			return nil, fmt.Errorf("RSA key of %d bits with exponent %d", pub.N.BitLen(), pub.E)
		}
		return x509.MarshalPKIXPublicKey(pub)
	}
	return nil, errors.New("neither x, y (EC) nor n, e (RSA) given")
}

func parseNL(src *listimport.Source, raw json.RawMessage, w Window) error {
	var m map[string][]struct {
		SubjectPk string   `json:"subjectPk"`
		Ian       string   `json:"ian"`
		KeyUsage  []string `json:"keyUsage"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("eu_keys: %w", err)
	}
	for _, kid := range sortedKeys(m) {
		for _, k := range m[kid] {
			it := listimport.Item{Ref: kid, Country: k.Ian}
			spki, err := base64.StdEncoding.DecodeString(k.SubjectPk)
			if err != nil {
				it.Refused = errors.New("subjectPk is not base64")
				src.Items = append(src.Items, it)
				continue
			}
			src.Items = append(src.Items, keyItem(it, spki, kidBytes(kid), k.Ian, w))
		}
	}
	return nil
}

func parsePEM(src *listimport.Source, b []byte, w Window) error {
	n := 0
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "PUBLIC KEY" {
			continue
		}
		n++
		sum := sha256.Sum256(blk.Bytes)
		kid := sum[:8]
		ref := fmt.Sprintf("#%d", n)
		if h := blk.Headers["Kid"]; h != "" {
			kid, ref = kidBytes(h), h
		}
		it := listimport.Item{Ref: ref, Country: blk.Headers["Country"]}
		src.Items = append(src.Items, keyItem(it, blk.Bytes, kid, it.Country, w))
	}
	if n == 0 {
		return errors.New("no PEM PUBLIC KEY block")
	}
	return nil
}

func keyItem(it listimport.Item, spki, kid []byte, country string, w Window) listimport.Item {
	if country != "" && !trustlist.ValidCountry(country) {
		it.Refused = fmt.Errorf("country %q is not an accepted country code", country)
		return it
	}
	name := "DCC key " + base64.StdEncoding.EncodeToString(kid)
	if country != "" {
		name = country + " " + name
	}
	e, err := trustlist.NewSPKIEntry(spki, kid, []trustlist.DocType{trustlist.DocHCert}, name, w.NotBefore, w.NotAfter)
	if err != nil {
		it.Refused = err
		return it
	}
	it.Entry = e
	return it
}

// ParseKey reads one public key given as PEM (PUBLIC KEY), a JWK (JSON
// object with kty and x, y or n, e) or DER SubjectPublicKeyInfo, and returns
// its DER SubjectPublicKeyInfo and the JWK's kid, if any.
func ParseKey(b []byte) (spki []byte, kid string, err error) {
	trimmed := bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
		blk, _ := pem.Decode(trimmed)
		if blk == nil || blk.Type != "PUBLIC KEY" {
			return nil, "", errors.New("PEM without a PUBLIC KEY block")
		}
		spki, kid = blk.Bytes, blk.Headers["Kid"]
	case bytes.HasPrefix(trimmed, []byte("{")):
		var k jwk
		if err := json.Unmarshal(trimmed, &k); err != nil {
			return nil, "", fmt.Errorf("JWK: %w", err)
		}
		if spki, err = k.spki(); err != nil {
			return nil, "", fmt.Errorf("JWK: %w", err)
		}
		kid = k.Kid
	default:
		spki = b
	}
	if _, err := pki.ParsePublicKeyInfo(spki); err != nil {
		return nil, "", err
	}
	return spki, kid, nil
}

// KIDBytes decodes a kid as the lists print it (base64, standard or URL
// alphabet); a kid that is not base64 is taken as its bytes.
func KIDBytes(kid string) []byte { return kidBytes(kid) }
