package vc

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strings"

	"github.com/mr-tron/base58"
)

// splitVM splits a DID verification method id ("did:web:example.com#keys-1")
// into the DID and the fragment.
func splitVM(vm string) (did, fragment string, err error) {
	did, fragment, ok := strings.Cut(vm, "#")
	if !ok || !strings.HasPrefix(did, "did:") || fragment == "" || strings.Contains(fragment, "#") {
		return "", "", fmt.Errorf("verification method %q is not a DID URL with a fragment (did:…#key)", clip(vm))
	}
	return did, fragment, nil
}

// didKeyP256 returns the P-256 key a did:key names ("did:key:zDn…", a
// base58btc multibase multikey), with its verification method fragment
// checked: did:key:X#X.
func didKeyP256(vm string) (*ecdsa.PublicKey, error) {
	did, fragment, err := splitVM(vm)
	if err != nil {
		return nil, err
	}
	mb, ok := strings.CutPrefix(did, "did:key:")
	if !ok {
		return nil, errors.New("not a did:key")
	}
	if fragment != mb {
		return nil, fmt.Errorf("did:key verification method fragment %q is not the key %q", clip(fragment), clip(mb))
	}
	if !strings.HasPrefix(mb, "z") || len(mb) > 128 {
		return nil, errors.New("did:key is not a base58btc multibase key ('z' prefix)")
	}
	b, err := base58.Decode(mb[1:])
	if err != nil {
		return nil, fmt.Errorf("did:key is not base58btc: %v", err)
	}
	k, err := parseMultikeyP256(b)
	if err != nil {
		return nil, fmt.Errorf("did:key: %v (only P-256 keys sign ecdsa-sd-2023 proofs)", err)
	}
	return k, nil
}

// DIDKeyPublicKey returns the P-256 key a did:key verification method
// names ("did:key:zDn…#zDn…"), for listing it in a did_key trust entry.
func DIDKeyPublicKey(vm string) (*ecdsa.PublicKey, error) {
	return didKeyP256(vm)
}
