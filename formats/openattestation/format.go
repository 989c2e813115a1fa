// Package openattestation verifies OpenAttestation (TradeTrust) documents —
// v2 wrapped documents and v3 verifiable credentials, typically electronic
// bills of lading — offline: integrity exactly as the reference library
// computes it, DID signatures recovered with secp256k1, and the issuer's
// Ethereum address looked up in admitted trust lists instead of DNS and a
// blockchain. Issuing (wrapping, signing, obfuscating) is in
// issue/openattestation.
//
// Import it for its side effect of registering the "oa" format with verify:
//
//	import _ "github.com/accord-network/accord/formats/openattestation"
package openattestation

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accord-network/accord/internal/oacore"
	"github.com/accord-network/accord/internal/ojson"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

// Names of the checks in oa-verify that ours correspond to.
const (
	FragmentIntegrity = "DOCUMENT_INTEGRITY"
	FragmentStatus    = "DOCUMENT_STATUS"
	FragmentIdentity  = "ISSUER_IDENTITY"
)

// Checks this format adds beside the standard ones.
const (
	CheckRevocation   = "revocation"
	CheckIssuerDomain = "issuer_domain"
)

// FormatName is the name the format registers under.
const FormatName = "oa"

// Format verifies OpenAttestation documents. The zero value is not usable;
// use NewFormat.
type Format struct {
	cache *sigCache
}

// NewFormat returns a Format whose signature cache holds up to cacheSize
// (merkle root, signature) → signer entries; 0 disables the cache.
func NewFormat(cacheSize int) *Format { return &Format{cache: newSigCache(cacheSize)} }

// DefaultCacheSize bounds the signature cache of the registered format.
const DefaultCacheSize = 4096

func init() { verify.Register(NewFormat(DefaultCacheSize)) }

// Name implements verify.Format.
func (*Format) Name() string { return FormatName }

// Detect implements verify.Format: a JSON object naming one of the
// OpenAttestation merkle proof types.
func (*Format) Detect(in []byte) bool {
	t := bytes.TrimLeft(in, " \t\r\n\xef\xbb\xbf")
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	return bytes.Contains(in, []byte(`"`+TypeMerkleV2+`"`)) || bytes.Contains(in, []byte(`"`+TypeMerkleV3+`"`))
}

// Verify implements verify.Format.
func (f *Format) Verify(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	r := &verify.Result{Format: FormatName, Checks: make([]verify.Check, 0, 13)} // room for a DID-signed e-BL's checks
	// The details of passing checks are cut from one buffer (see
	// verifyDoc), sized by what recent verifications wrote (textSizer):
	// fresh memory is most of what a verification costs beyond its floor.
	t := r.Text()
	textSizer.Grow(t)
	defer textSizer.Record(t)
	// The parsed values live only while the document is verified: they
	// come from a recycled slab, and the result keeps the data as text
	// (Data parses it again when it is read). Strings are cut from a fresh
	// copy of in, so the result's texts stay valid.
	sl := slabs.Get().(*ojson.Slab)
	defer func() {
		sl.Reset()
		slabs.Put(sl)
	}()
	d, err := parse(in, sl)
	if err != nil {
		r.Add(verify.CheckDecoded, verify.Error, "%s", err.Error())
		return r, err
	}
	f.verifyDoc(ctx, d, env, r)
	r.Claims = d.detached()
	return r, nil
}

// textSizer sizes each verification's text buffer by what recent
// OpenAttestation verifications wrote; it decides memory only, never a check.
var textSizer verify.TextSizer

// slabs recycles the memory of parsed documents across verifications.
var slabs = sync.Pool{New: func() any { return ojson.NewRecyclingSlab() }}

func add(r *verify.Result, name string, st verify.Status, fragment, format string, args ...any) {
	c := r.Add(name, st, format, args...)
	c.Fragment = fragment
}

// addText is add for a detail already written (no formatting).
func addText(r *verify.Result, name string, st verify.Status, fragment, detail string) {
	r.Checks = append(r.Checks, verify.Check{Name: name, Status: st, Detail: detail, Fragment: fragment})
}

func (f *Format) verifyDoc(ctx context.Context, d *Document, env *verify.Env, r *verify.Result) {
	integrity := d.CheckIntegrity() // also counts the fields
	// The passing details are joined in the result's text buffer, not
	// formatted: they are built for every document and read for few.
	t := r.Text()
	fields, obfuscated := t.Int(int64(d.Fields)), t.Int(int64(d.Obfuscated))
	var desc string
	if d.Obfuscated > 0 {
		desc = t.Join("OpenAttestation v", strconv.Itoa(d.Version), " wrapped document, ", fields, " fields, ", obfuscated, " obfuscated")
	} else {
		desc = t.Join("OpenAttestation v", strconv.Itoa(d.Version), " wrapped document, ", fields, " fields")
	}
	addText(r, verify.CheckDecoded, verify.Pass, "", desc)

	// Integrity: DOCUMENT_INTEGRITY (OpenAttestationHash).
	if err := integrity; err != nil {
		add(r, verify.CheckIntegrity, verify.Fail, FragmentIntegrity, "%s", err.Error())
	} else {
		addText(r, verify.CheckIntegrity, verify.Pass, FragmentIntegrity, t.Join("target hash ", short(d.TargetHash), " matches the ", fields,
			" fields and ", obfuscated, " obfuscated hashes; the merkle proof leads to root ", short(d.MerkleRoot)))
	}
	if d.Version == 2 {
		switch {
		case d.SaltErr != nil:
			r.Add(verify.CheckSchema, verify.Fail, "%s", d.SaltErr.Error())
		case d.Unsalted > 0:
			r.Warn("%d data fields are not salted: their values can be guessed from their hashes if obfuscated", d.Unsalted)
		}
	}

	// e-BL shape.
	kind := oacore.EBLShape(d.Version, d.data)
	if kind != oacore.NotEBL {
		body := oacore.Body(d.Version, d.data)
		missing, probs := oacore.CheckEBL(body, kind)
		if d.Obfuscated > 0 && len(missing) > 0 {
			r.Warn("bill of lading: %d required fields are not visible (obfuscated?): %s", len(missing), strings.Join(missing, "; "))
		} else {
			probs = append(missing, probs...)
		}
		if len(probs) > 0 {
			more := ""
			if len(probs) > 1 {
				more = fmt.Sprintf(" (and %d more: %s)", len(probs)-1, strings.Join(probs[1:], "; "))
			}
			r.Add(verify.CheckSchema, verify.Fail, "bill of lading: %s%s", probs[0], more)
		} else if kind == oacore.EBLDCSA {
			r.Add(verify.CheckSchema, verify.Pass, "bill of lading has the required DCSA eBL 3.0 transport document fields")
		} else {
			r.Add(verify.CheckSchema, verify.Pass, "TradeTrust bill of lading: B/L number present, ports and dates well formed")
		}
		r.Summary = oacore.EBLSummary(body, kind)
	} else {
		r.Summary = genericSummary(d)
	}

	signed := signingTime(d)
	if len(d.Issuers) == 0 {
		add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "the document names no issuer")
	}
	// Every issuer adds its own checks; the document is valid only if all
	// of them pass.
	for _, is := range d.Issuers {
		if ctx.Err() != nil {
			r.Add(verify.CheckSignature, verify.Error, "%v", ctx.Err())
			return
		}
		if is.Method != IssuedByDID {
			f.chainIssuerChecks(ctx, d, is, env, r, signed, integrity == nil)
			continue
		}
		f.issuerChecks(d, is, env, r, signed)
	}
	r.Summary = append(r.Summary, verify.Field{Label: "Merkle root", Value: d.MerkleRoot})

	// Expiry.
	if exp := str(d.data.Get("expirationDate")); exp != "" {
		t, err := parseTime(exp)
		switch {
		case err != nil:
			r.Add(verify.CheckNotExpired, verify.Error, "expirationDate %q is not a date", clip(exp))
		case env.At.After(t):
			r.Add(verify.CheckNotExpired, verify.Fail, "expired at %s", t.UTC().Format(time.RFC3339))
		default:
			r.Add(verify.CheckNotExpired, verify.Pass, "valid until %s", t.UTC().Format(time.RFC3339))
		}
	} else {
		r.Add(verify.CheckNotExpired, verify.Skip, "the document carries no expiry date")
	}
}

func (f *Format) issuerChecks(d *Document, is IssuerInfo, env *verify.Env, r *verify.Result, signed verify.SigningTime) {
	who := is.Name
	if who == "" {
		who = "the issuer"
	}
	switch is.IdentityType {
	case "DID", "DNS-DID", "":
	default:
		add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "DID-issued document with identity proof type %q (want DID or DNS-DID)", clip(is.IdentityType))
		return
	}
	keyAddr, _, err := parseDIDEthr(is.Key)
	if err != nil {
		add(r, verify.CheckSignature, verify.Error, FragmentStatus, "issuer key: %v", err)
		return
	}
	if strings.HasPrefix(is.DID, "did:") {
		didAddr, _, err := parseDIDEthr(is.DID)
		if err != nil || didAddr != keyAddr {
			add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "the signing key %s does not belong to the issuer's DID %s", clip(is.Key), clip(is.DID))
			skipIdentity(r, "key does not belong to the issuer")
			return
		}
	}
	if is.Signature == "" {
		add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "the document is wrapped but not signed: no %s proof by %s", TypeDIDSignature, clip(is.Key))
		skipIdentity(r, "no signature")
		return
	}
	root, err := d.rootHash()
	if err != nil {
		add(r, verify.CheckSignature, verify.Error, FragmentStatus, "merkleRoot: %v", err)
		skipIdentity(r, "no signature")
		return
	}
	signer, err := f.cache.recover(root, is.Signature)
	if err != nil {
		add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "DID signature by %s: %v", clip(is.Key), err)
		skipIdentity(r, "signature did not verify")
		return
	}
	if signer != keyAddr {
		add(r, verify.CheckSignature, verify.Fail, FragmentStatus, "the merkle root was signed by %s, not by the issuer's key %s (wrong signer)", signer.Hex(), keyAddr.Hex())
		skipIdentity(r, "signature did not verify")
		return
	}
	t := r.Text()
	signerHex := signer.appendHex(t)
	addText(r, verify.CheckSignature, verify.Pass, FragmentStatus, t.Join("merkle root signed by ", signerHex, " (EIP-191 personal_sign, ", orDash(is.IdentityType), ")"))
	revocationCheck(r, is)
	f.trustChecks(r, env, signer, signerHex, is, signed)
	if r.Issuer != nil && env != nil {
		env.DocumentNotRevoked(r, r.Issuer.Country, nil, RevocationQueries(d)...)
	}
}

func skipIdentity(r *verify.Result, why string) {
	add(r, verify.CheckIssuerTrusted, verify.Skip, FragmentIdentity, "not looked up: %s", why)
}

func revocationCheck(r *verify.Result, is IssuerInfo) {
	switch is.Revocation {
	case "", "NONE":
		add(r, CheckRevocation, verify.Skip, FragmentStatus, "the issuer declares no revocation method; key revocation comes from the trust list")
	case "REVOCATION_STORE":
		add(r, CheckRevocation, verify.Skip, FragmentStatus, "revocation store %s is on Ethereum and cannot be consulted offline; key revocation comes from the trust list", is.RevocationLocation)
		r.Warn("the issuer may revoke individual documents in revocation store %s; that is not checked offline", is.RevocationLocation)
	case "OCSP_RESPONDER":
		add(r, CheckRevocation, verify.Skip, FragmentStatus, "OCSP responder %s is not consulted offline; key revocation comes from the trust list", is.RevocationLocation)
		r.Warn("the issuer may revoke individual documents at OCSP responder %s; that is not checked offline", is.RevocationLocation)
	default:
		add(r, CheckRevocation, verify.Skip, FragmentStatus, "unknown revocation type %q", clip(is.Revocation))
	}
}

// trustChecks binds the recovered signer to an organisation through the
// trust lists: an eth entry for the address, allowed for oa.
func (f *Format) trustChecks(r *verify.Result, env *verify.Env, signer Address, signerHex string, is IssuerInfo, signed verify.SigningTime) {
	first := len(r.Checks)
	defer func() {
		for i := first; i < len(r.Checks); i++ {
			if r.Checks[i].Fragment == "" {
				r.Checks[i].Fragment = FragmentIdentity
			}
		}
	}()
	if env == nil || env.Trust == nil {
		env = &verify.Env{Trust: emptyTrust{}, At: time.Now()}
	}
	all := env.Trust.Find(trustlist.Query{Address: signer[:], Kind: trustlist.EntryEth})
	// Among the entries listed for oa documents, prefer one that is usable
	// now and, when the document names a domain, one bound to that domain
	// (a key may be listed by several anchors).
	var m trustlist.Match
	best := -1
	for _, c := range all {
		if !c.Entry.Allows(trustlist.DocOA) {
			continue
		}
		score := 0
		if c.Entry.ValidAt(env.At) && !c.Entry.RevokedBy(env.At) && !c.Equivocated {
			score += 2
		}
		if d := normDomain(is.Location); d != "" && d == normDomain(c.Entry.Domain) {
			score++
		}
		if score > best {
			m, best = c, score
		}
	}
	switch {
	case len(all) == 0:
		env.NotListed(r, fmt.Sprintf("%s is not in any admitted trust list (unknown issuer)", signerHex))
		return
	case best < 0:
		m := all[0]
		r.Add(verify.CheckKeyUsage, verify.Fail, "%s is listed by %s (%s) but not for OpenAttestation documents (uses: %v)", signerHex, m.Country, m.Entry.Name, m.Entry.Uses)
		env.NotListed(r, fmt.Sprintf("%s is not listed for oa documents", signerHex))
		return
	}
	addText(r, verify.CheckKeyUsage, verify.Pass, "", r.Text().Join(signerHex, " may sign oa documents"))
	env.IssuerChecks(r, m, signed)
	domainCheck(r, is, m)
}

type emptyTrust struct{}

// Find implements verify.TrustedMaterial: nothing is trusted.
func (emptyTrust) Find(trustlist.Query) []trustlist.Match { return nil }

func normDomain(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

func orDash(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// signingTime is the document's own issue date: the issuer's claim, not
// trusted (a holder of a stolen key could backdate it).
func signingTime(d *Document) verify.SigningTime {
	cands := v2DateKeys
	if d.Version == 3 {
		cands = v3DateKeys
	}
	for _, k := range cands {
		if s := str(d.data.Get(k)); s != "" {
			if t, err := signingTimeOf(s); err == nil {
				return verify.SigningTime{Time: t, Trusted: false, Source: dateSource(k)}
			}
		}
	}
	if d.Version == 2 {
		if s := str(d.data.Get("shippedOnBoardDate")); s != "" {
			if t, err := signingTimeOf(s); err == nil {
				return verify.SigningTime{Time: t, Trusted: false, Source: "shippedOnBoardDate in the document (issuer's claim)"}
			}
		}
	}
	return verify.SigningTime{}
}

// The keys signingTime reads the issue date from, in order.
var (
	v2DateKeys = []string{"issueDate", "issuanceDate", "issuedOn"}
	v3DateKeys = []string{"issuanceDate", "validFrom"}
)

// dateSource says where the signing time read from key came from (a
// constant: signingTime runs for every document).
func dateSource(key string) string {
	switch key {
	case "issueDate":
		return "issueDate in the document (issuer's claim)"
	case "issuanceDate":
		return "issuanceDate in the document (issuer's claim)"
	case "issuedOn":
		return "issuedOn in the document (issuer's claim)"
	case "validFrom":
		return "validFrom in the document (issuer's claim)"
	}
	return key + " in the document (issuer's claim)"
}

// signingTimeOf reads an issue date claim. A date without a time of day
// stands for the whole day; its last second is used, so that a key listed
// on the day a document was issued covers it (spec/openattestation.md).
func signingTimeOf(s string) (time.Time, error) {
	if len(s) == len("2006-01-02") {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return t, err
		}
		return t.Add(24*time.Hour - time.Second), nil
	}
	return parseTime(s)
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date")
}

func genericSummary(d *Document) []verify.Field {
	var f []verify.Field
	add := func(l, v string) {
		if v != "" {
			f = append(f, verify.Field{Label: l, Value: v})
		}
	}
	if d.Version == 2 {
		add("Document", str(d.data.Path("$template", "name")))
		add("Name", str(d.data.Get("name")))
		add("Issued", str(d.data.Get("issuedOn")))
	} else {
		add("Document", str(d.data.Get("name")))
		add("Reference", str(d.data.Get("reference")))
		add("Issued", str(d.data.Get("issuanceDate")))
	}
	var names []string
	for _, is := range d.Issuers {
		if is.Name != "" {
			names = append(names, is.Name)
		}
	}
	add("Issuer (as the document says)", strings.Join(names, ", "))
	return f
}
