package main

import (
	"crypto/x509"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/formats/vc"
	"github.com/accord-network/accord/internal/listimport/dcckeys"
	"github.com/accord-network/accord/trustlist"
)

// didFlagName is `list add --did`: a W3C credential issuer's key by its DID
// verification method.
const didFlagName = "did"

func didFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: didFlagName,
		Usage: "a DID verification method whose key signs W3C verifiable credentials (use vc): did:web:example.com#keys-1 with --key FILE, or a did:key:zDn…#zDn… (its key is in the DID)"}
}

// didEntry builds the did_key entry of `list add --did VM [--key FILE]`.
func didEntry(c *cli.Context, uses []trustlist.DocType) (*trustlist.Entry, error) {
	vm := strings.TrimSpace(c.String(didFlagName))
	if c.String("name") == "" {
		return nil, usageErr("--did entries need --name: the organisation verifiers will be shown")
	}
	var spki []byte
	switch path := c.String("key"); {
	case path != "":
		b, err := readInput(path)
		if err != nil {
			return nil, err
		}
		if spki, _, err = dcckeys.ParseKey(b); err != nil {
			return nil, inputErr("--key %s: %v", path, err)
		}
		if k, err := vc.DIDKeyPublicKey(vm); err == nil {
			if der, _ := x509.MarshalPKIXPublicKey(k); string(der) != string(spki) {
				return nil, usageErr("--key %s is not the key that %s names", path, vm)
			}
		}
	case strings.HasPrefix(vm, "did:key:"):
		k, err := vc.DIDKeyPublicKey(vm)
		if err != nil {
			return nil, usageErr("--did %q: %v", vm, err)
		}
		if spki, err = x509.MarshalPKIXPublicKey(k); err != nil {
			return nil, usageErr("--did %q: %v", vm, err)
		}
	default:
		return nil, usageErr("--did %q needs --key FILE: a did:web key is taken from the anchor's list, never fetched from the issuer's web site (copy it from the issuer's did.json publicKeyJwk, as a JWK or PEM file)", vm)
	}
	from, until, err := entryWindow(c)
	if err != nil {
		return nil, err
	}
	e, err := trustlist.NewDIDKeyEntry(vm, spki, uses, c.String("name"), c.String("domain"), from, until)
	if err != nil {
		return nil, usageErr("--did %q: %v", vm, err)
	}
	return e, nil
}
