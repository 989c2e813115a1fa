package trustlist

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accord-network/accord/internal/pki"
)

// EntryDIDKey is an entry for a public key identified by its DID
// verification method, the key of a W3C Verifiable Credential issuer
// (did:web or did:key; spec/trustlist.md §1.3, spec/openattestation.md
// §11.3). Its KID is the verification method's id as written in a proof's
// verificationMethod ("did:web:example.com#keys-1"), its Data the key as a
// DER SubjectPublicKeyInfo, its Thumbprint SHA-256 of that SPKI. The anchor,
// not a DID document fetched from the issuer's web server, says which key
// speaks for the named organisation.
const EntryDIDKey EntryKind = "did_key"

// MaxDIDURLLen bounds the verification method id of a did_key entry.
const MaxDIDURLLen = 512

// DocVC marks keys that may sign W3C Verifiable Credentials.
const DocVC DocType = "vc"

// NewDIDKeyEntry makes an entry for the key spki (DER SubjectPublicKeyInfo)
// identified by the DID verification method vm.
func NewDIDKeyEntry(vm string, spki []byte, uses []DocType, name, domain string, notBefore, notAfter time.Time) (*Entry, error) {
	sum := sha256.Sum256(spki)
	e := &Entry{KID: []byte(vm), Thumbprint: sum[:], Kind: EntryDIDKey, Data: bytes.Clone(spki), Uses: uses,
		NotBefore: notBefore.UTC().Truncate(time.Second), NotAfter: notAfter.UTC().Truncate(time.Second), Status: StatusActive, Name: name, Domain: domain}
	return e, e.check()
}

// VerificationMethod returns a did_key entry's DID verification method id,
// "" for other kinds.
func (e *Entry) VerificationMethod() string {
	if e.Kind != EntryDIDKey {
		return ""
	}
	return string(e.KID)
}

// checkDIDKey enforces a did_key entry's structure: a kid that is a DID URL
// with a fragment, a parseable SubjectPublicKeyInfo, its SHA-256 as
// thumbprint, not a CA.
func (e *Entry) checkDIDKey() error {
	vm := string(e.KID)
	switch {
	case e.CA:
		return fmt.Errorf("only x509 entries can be CAs")
	case len(vm) > MaxDIDURLLen || !utf8.ValidString(vm) || !strings.HasPrefix(vm, "did:") ||
		strings.Count(vm, "#") != 1 || strings.HasSuffix(vm, "#") || strings.ContainsAny(vm, " \t\r\n"):
		return fmt.Errorf("a did_key entry's kid is a DID verification method id (did:…#fragment, at most %d bytes)", MaxDIDURLLen)
	}
	if _, err := pki.ParsePublicKeyInfo(e.Data); err != nil {
		return fmt.Errorf("public key: %v", err)
	}
	sum := sha256.Sum256(e.Data)
	if !bytes.Equal(e.Thumbprint, sum[:]) {
		return fmt.Errorf("thumbprint must be SHA-256 of the SubjectPublicKeyInfo")
	}
	return nil
}
