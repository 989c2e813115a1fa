package vc

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accord-network/accord/internal/jsonld"
	"github.com/accord-network/accord/verify"
)

// Status list credentialStatus types: W3C Bitstring Status List v1.0 and
// its predecessor, StatusList2021.
const (
	StatusBitstring = "BitstringStatusListEntry"
	Status2021      = "StatusList2021Entry"
)

// Limits on a status list (spec/openattestation.md §11.7).
const (
	// MaxStatusListCredential bounds the status list credential as served.
	MaxStatusListCredential = 4 << 20
	// MaxStatusListBits bounds the decompressed bitstring (16 MiB): a
	// compression bomb is refused, never inflated.
	MaxStatusListBits = 1 << 27
	// MinStatusListBits is the specification's minimum list length (16 KiB),
	// the herd a credential hides in.
	MinStatusListBits = 131072
)

// listKind ties an entry type to the credential and subject types of its
// list, and says whether encodedList carries a multibase prefix.
type listKind struct {
	entry, credential, subject string
	multibase                  bool
}

var listKinds = map[string]listKind{
	StatusBitstring: {StatusBitstring, "BitstringStatusListCredential", "BitstringStatusList", true},
	Status2021:      {Status2021, "StatusList2021Credential", "StatusList2021", false},
}

// listEntry is a status list credentialStatus entry, read.
type listEntry struct {
	kind    listKind
	url     string
	index   uint64
	purpose string
}

// readListEntry reads a status list entry; an entry this verifier cannot
// read is an error (the credential names no bit to look at).
func readListEntry(s *Status) (*listEntry, error) {
	k, ok := listKinds[s.Type]
	if !ok {
		return nil, fmt.Errorf("%q is not a status list entry", clip(s.Type))
	}
	u, err := url.Parse(s.ListURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("statusListCredential %q is not an http(s) URL", clip(s.ListURL))
	}
	i, err := strconv.ParseUint(strings.TrimSpace(s.ListIndex), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("statusListIndex %q is not a non-negative integer", clip(s.ListIndex))
	}
	if s.Purpose == "" {
		return nil, errors.New("statusPurpose is missing")
	}
	return &listEntry{kind: k, url: s.ListURL, index: i, purpose: s.Purpose}, nil
}

// listURL names a status list by scheme, host and path (a query may carry
// a key).
func listURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return clip(raw)
	}
	return clip(u.Scheme + "://" + u.Host + u.EscapedPath())
}

// decodeStatusList decodes an encodedList: GZIP-compressed, base64url
// (padding optional), with the multibase prefix "u" when multibase is set
// (Bitstring Status List; StatusList2021 has none). The bitstring must hold
// at least MinStatusListBits and decompress to at most MaxStatusListBits.
func decodeStatusList(enc string, multibase bool) ([]byte, error) {
	if multibase {
		var ok bool
		if enc, ok = strings.CutPrefix(enc, "u"); !ok {
			return nil, errors.New("encodedList is not multibase base64url (no 'u' prefix)")
		}
	}
	if len(enc) > MaxStatusListCredential {
		return nil, fmt.Errorf("encodedList of %d characters exceeds %d", len(enc), MaxStatusListCredential)
	}
	z, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
	if err != nil {
		return nil, fmt.Errorf("encodedList is not base64url: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("encodedList is not GZIP-compressed: %v", err)
	}
	bits, err := io.ReadAll(io.LimitReader(zr, MaxStatusListBits/8+1))
	if err != nil {
		return nil, fmt.Errorf("encodedList does not decompress: %v", err)
	}
	if len(bits) > MaxStatusListBits/8 {
		return nil, fmt.Errorf("encodedList decompresses to more than %d bytes (%d bits): refused, a list this large is a compression bomb or beyond this verifier's limit", MaxStatusListBits/8, MaxStatusListBits)
	}
	if len(bits)*8 < MinStatusListBits {
		return nil, fmt.Errorf("the status list holds %d bits, fewer than the %d the specification requires (a short list would single out the credentials in it)", len(bits)*8, MinStatusListBits)
	}
	return bits, nil
}

// statusBit returns bit index of a status list: index 0 is the most
// significant bit of the first byte.
func statusBit(bits []byte, index uint64) (bool, error) {
	if index >= uint64(len(bits))*8 {
		return false, fmt.Errorf("statusListIndex %d is beyond the list's %d bits", index, len(bits)*8)
	}
	return bits[index/8]&(0x80>>(index%8)) != 0, nil
}

// statusList is a fetched status list credential with everything that
// depends only on its bytes worked out once: parsed, its bitstring decoded
// and its proof's statements checked. Whether its issuer and key are
// trusted is judged per verification (the trust lists change).
type statusList struct {
	cred     *Credential
	types    []string // credential types
	subject  []string // credentialSubject types
	purposes []string
	bits     []byte
	proof    *Proof
	sig      issuerSig // the proof's signature, to check with the issuer's key
	// bad says why the list cannot be used; badStatus is verify.Error for a
	// malformed list, verify.Fail for one whose proof does not hold, and
	// verify.Skip when it cannot be checked here (an unsupported proof, a
	// context not bundled).
	bad       string
	badStatus verify.Status
}

// loadStatusList parses a status list credential of the given kind.
func loadStatusList(body []byte, k listKind) *statusList {
	sl := &statusList{}
	c, err := Parse(body)
	if err != nil {
		return sl.fail(verify.Error, "it is not a verifiable credential: %v", err)
	}
	sl.cred = c
	sl.types = c.Types
	sl.subject = strings1(c.Subject["type"])
	sl.purposes = strings1(c.Subject["statusPurpose"])
	if !contains(sl.types, k.credential) || !contains(sl.subject, k.subject) {
		return sl.fail(verify.Error, "it is not a %s with a %s subject (types %v, subject %v)", k.credential, k.subject, clipAll(sl.types), clipAll(sl.subject))
	}
	enc, _ := c.Subject["encodedList"].(string)
	if sl.bits, err = decodeStatusList(enc, k.multibase); err != nil {
		return sl.fail(verify.Error, "%v", err)
	}
	for i := range c.Proofs {
		if s := c.Proofs[i].Suite(); s == SuiteECDSASD || s == SuiteECDSARDFC {
			sl.proof = &c.Proofs[i]
			break
		}
	}
	if sl.proof == nil {
		why := "it carries no proof"
		if len(c.Proofs) > 0 {
			why = unsupported(c.Proofs[0])
		}
		return sl.fail(verify.Skip, "%s", why)
	}
	if sl.proof.Suite() == SuiteECDSARDFC {
		d, err := c.rdfcPrepare(*sl.proof)
		if err == nil {
			sl.sig = d.issuerSig()
		}
		return sl.prepared(err)
	}
	d, _, err := c.sdPrepare(*sl.proof)
	if err == nil {
		sl.sig = sdSig(d)
	}
	return sl.prepared(err)
}

// prepared records the outcome of preparing the list's proof.
func (sl *statusList) prepared(err error) *statusList {
	switch {
	case errors.Is(err, jsonld.ErrContextNotBundled):
		return sl.fail(verify.Skip, "%v", err)
	case err != nil:
		return sl.fail(verify.Fail, "its %s proof does not hold: %v", sl.proof.Suite(), err)
	}
	return sl
}

func (sl *statusList) fail(st verify.Status, format string, args ...any) *statusList {
	sl.bad, sl.badStatus = fmt.Sprintf(format, args...), st
	return sl
}

func clipAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = clip(x)
	}
	return out
}

// listMemo remembers prepared status lists by the SHA-256 of their bytes
// and kind, so that a folder of credentials naming one list canonicalizes
// and checks it once. It is bounded in entries and in bitstring bytes.
var listMemo struct {
	sync.Mutex
	m    map[[32]byte]*memoEntry
	size int
}

type memoEntry struct {
	once sync.Once
	sl   *statusList
}

const (
	memoMaxEntries = 64
	memoMaxBytes   = 64 << 20
)

func preparedStatusList(body []byte, k listKind) *statusList {
	h := sha256.New()
	h.Write([]byte(k.entry))
	h.Write([]byte{0})
	h.Write(body)
	var key [32]byte
	h.Sum(key[:0])
	listMemo.Lock()
	if listMemo.m == nil || len(listMemo.m) >= memoMaxEntries || listMemo.size > memoMaxBytes {
		listMemo.m, listMemo.size = map[[32]byte]*memoEntry{}, 0
	}
	e, ok := listMemo.m[key]
	if !ok {
		e = &memoEntry{}
		listMemo.m[key] = e
	}
	listMemo.Unlock()
	e.once.Do(func() {
		e.sl = loadStatusList(body, k)
		listMemo.Lock()
		listMemo.size += len(e.sl.bits)
		listMemo.Unlock()
	})
	return e.sl
}

// listStatus checks a status list entry (spec/openattestation.md §11.7):
// offline it cannot be checked; online the list credential is fetched,
// must be the credential issuer's own, signed with a key an admitted anchor
// lists, in its validity period and for the entry's purpose; then the
// entry's bit says revoked or suspended (1) or not (0).
func listStatus(ctx context.Context, r *verify.Result, c *Credential, s *Status, env *verify.Env) {
	e, err := readListEntry(s)
	if err != nil {
		r.Add(CheckStatus, verify.Error, "the %s status cannot be read, so no list can say whether the credential is revoked: %v", clip(s.Type), err)
		return
	}
	where := fmt.Sprintf("bit %d of status list %s", e.index, listURL(e.url))
	if e.purpose != "revocation" && e.purpose != "suspension" {
		r.Add(CheckStatus, verify.Skip, "not checked: status purpose %q (%s) is not one this verifier judges (revocation, suspension)", clip(e.purpose), where)
		r.MarkCannotCheck("cannot be checked: the credential's status is of purpose %q, which this verifier does not judge", clip(e.purpose))
		return
	}
	if s.Size != "" && s.Size != "1" {
		r.Add(CheckStatus, verify.Skip, "not checked: statusSize %s (%s): only one-bit statuses are judged", clip(s.Size), where)
		r.MarkCannotCheck("cannot be checked: the credential's status entries are %s bits wide, not 1", clip(s.Size))
		return
	}
	if env.Fetcher == nil {
		r.Add(CheckStatus, verify.Skip, "not fetched: the credential's %s status is %s (%s), which is online, and this verifier stays offline", e.purpose, where, e.kind.entry)
		r.MarkCannotCheck("cannot be checked offline: the credential's %s status is in status list %s", e.purpose, listURL(e.url))
		return
	}
	body, err := env.Fetcher.Fetch(ctx, e.url, MaxStatusListCredential)
	switch {
	case errors.Is(err, verify.ErrFetchTooLarge):
		r.Add(CheckStatus, verify.Error, "status list %s is refused: %v", listURL(e.url), err)
		return
	case err != nil:
		r.Add(CheckStatus, verify.Skip, "not checked: %s could not be fetched: %v", where, err)
		r.MarkCannotCheck("cannot be checked: the credential's %s status list %s could not be fetched", e.purpose, listURL(e.url))
		return
	}
	sl := preparedStatusList(body, e.kind)
	if sl.bad != "" {
		r.Add(CheckStatus, sl.badStatus, "status list %s cannot be used: %s", listURL(e.url), sl.bad)
		if sl.badStatus == verify.Skip {
			r.MarkCannotCheck("cannot be checked: the credential's %s status list %s cannot be verified here (%s)", e.purpose, listURL(e.url), sl.bad)
		}
		return
	}
	if !listAuthentic(r, c, e, sl, env) || !listCurrent(r, e, sl, env) {
		return
	}
	if !contains(sl.purposes, e.purpose) {
		r.Add(CheckStatus, verify.Error, "status list %s is for %s, but the credential's entry is for %s", listURL(e.url), strings.Join(clipAll(sl.purposes), ", "), e.purpose)
		return
	}
	set, err := statusBit(sl.bits, e.index)
	switch {
	case err != nil:
		r.Add(CheckStatus, verify.Error, "status list %s: %v", listURL(e.url), err)
	case set && e.purpose == "revocation":
		r.Add(CheckStatus, verify.Fail, "revoked: %s is set (the list is signed by the issuer, %s)", where, listSigned(sl))
	case set:
		r.Add(CheckStatus, verify.Fail, "suspended: %s is set (the list is signed by the issuer, %s)", where, listSigned(sl))
	default:
		r.Add(CheckStatus, verify.Pass, "not %s: %s is 0 (the list is signed by the issuer, %s)", pastTense(e.purpose), where, listSigned(sl))
	}
}

func pastTense(purpose string) string {
	if purpose == "suspension" {
		return "suspended"
	}
	return "revoked"
}

func listSigned(sl *statusList) string {
	s := "created " + clip(sl.proof.Created)
	if sl.cred.ValidUntil != "" {
		s += ", valid until " + clip(sl.cred.ValidUntil)
	}
	return s
}

// listAuthentic judges a prepared list against the credential and the trust
// lists: the same issuer, a proof by the issuer's own key, that key listed
// by an admitted anchor for vc and in force, as for the credential itself
// (sdIssuer). It records a failed credential_status and returns false
// otherwise.
func listAuthentic(r *verify.Result, c *Credential, e *listEntry, sl *statusList, env *verify.Env) bool {
	if sl.cred.Issuer != c.Issuer {
		r.Add(CheckStatus, verify.Fail, "status list %s is issued by %s, not by the credential's issuer %s: only the issuer can say its credential is not revoked", listURL(e.url), clip(sl.cred.Issuer), clip(c.Issuer))
		return false
	}
	if why := sdBinding(sl.cred, *sl.proof); why != "" {
		r.Add(CheckStatus, verify.Fail, "status list %s: %s", listURL(e.url), why)
		return false
	}
	signed := verify.SigningTime{Source: "the status list proof's created date"}
	if t, err := time.Parse(time.RFC3339, sl.proof.Created); err == nil {
		signed.Time = t
	}
	scratch := &verify.Result{}
	issuerCheck(scratch, sl.sig, sl.proof.VerificationMethod, env, signed)
	if f := scratch.FirstFailure(); f != nil {
		r.Add(CheckStatus, verify.Fail, "status list %s is not the issuer's: %s: %s", listURL(e.url), f.Name, f.Detail)
		return false
	}
	if sig := scratch.Check(verify.CheckSignature); sig == nil || sig.Status != verify.Pass || scratch.Check(verify.CheckIssuerTrusted) == nil {
		r.Add(CheckStatus, verify.Fail, "status list %s: its signature could not be established with a listed key", listURL(e.url))
		return false
	}
	return true
}

// listCurrent checks the list's validity period: a list past its
// validUntil (or before its validFrom) says nothing about now, which is how
// a status server serving an old list is caught; it records cannot check
// and returns false.
func listCurrent(r *verify.Result, e *listEntry, sl *statusList, env *verify.Env) bool {
	var why string
	if t, err := time.Parse(time.RFC3339, sl.cred.ValidFrom); sl.cred.ValidFrom != "" && (err != nil || env.At.Before(t)) {
		why = "is not valid before " + clip(sl.cred.ValidFrom)
	}
	if t, err := time.Parse(time.RFC3339, sl.cred.ValidUntil); sl.cred.ValidUntil != "" && (err != nil || env.At.After(t)) {
		why = "expired at " + clip(sl.cred.ValidUntil) + ": the server serves an outdated list"
	}
	if why == "" {
		return true
	}
	r.Add(CheckStatus, verify.Skip, "not checked: status list %s %s", listURL(e.url), why)
	r.MarkCannotCheck("cannot be checked: the credential's %s status list %s %s", e.purpose, listURL(e.url), why)
	return false
}
