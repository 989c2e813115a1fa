package vc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/formats/openattestation"
	"github.com/accord-network/accord/formats/vc"
	"github.com/accord-network/accord/internal/evm"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// doc is one TradeTrust fixture with the kind of document it is, read from
// its content (never its file name: half of such documents are kept back).
type doc struct {
	name string
	data []byte
	oa   *openattestation.Document // OpenAttestation, or nil
	cred *vc.Credential            // W3C VC, or nil
}

func loadTradeTrust(t *testing.T) []doc {
	dir := fixtures.Shared(t, "tradetrust")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if len(files) == 0 {
		t.Skipf("SKIP: no documents in %s", dir)
	}
	var out []doc
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := doc{name: filepath.Base(f), data: b}
		if od, err := openattestation.Parse(b); err == nil {
			d.oa = od
		} else if c, err := vc.Parse(b); err == nil {
			d.cred = c
		} else {
			t.Fatalf("%s is neither an OpenAttestation document nor a verifiable credential: %v", d.name, err)
		}
		out = append(out, d)
	}
	return out
}

// chainOf is the chain a document names, or Ethereum mainnet (oa-verify's
// default) when it names none.
func chainOf(d *openattestation.Document) uint64 {
	if s, ok := d.Data().String("network", "chainId"); ok {
		if id, err := strconv.ParseUint(s, 10, 64); err == nil {
			return id
		}
	}
	return 1
}

// anchorFor lists what the documents name, as the issuers' anchor would:
// each contract on its chain, each DID signing address.
func anchorFor(t *testing.T, docs []doc) *trustlist.Set {
	nb, na := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().AddDate(5, 0, 0)
	seen := map[string]bool{}
	var es []*trustlist.Entry
	for _, d := range docs {
		if d.oa == nil {
			continue
		}
		for _, is := range d.oa.Issuers {
			var e *trustlist.Entry
			var err error
			switch {
			case is.Method == openattestation.IssuedByDID:
				a, perr := openattestation.ParseAddress(strings.TrimPrefix(strings.SplitN(is.Key, "#", 2)[0], "did:ethr:"))
				if perr != nil {
					continue
				}
				e, err = trustlist.NewEthEntry(a[:], []trustlist.DocType{trustlist.DocOA}, orDefault(is.Name, "issuer"), "", nb, na)
			default:
				a, perr := openattestation.ParseAddress(is.Store)
				if perr != nil {
					continue
				}
				e, err = trustlist.NewContractEntry(chainOf(d.oa), a[:], []trustlist.DocType{trustlist.DocOA}, orDefault(is.Name, "issuer"), "", nb, na)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !seen[string(e.KID)] {
				seen[string(e.KID)] = true
				es = append(es, e)
			}
		}
	}
	for vm, k := range vcIssuerKeys(t, docs) {
		spki, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		e, err := trustlist.NewDIDKeyEntry(vm, spki, []trustlist.DocType{trustlist.DocVC}, "TrustVC test issuer", "", nb, na)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	sg := trustlisttest.NewAnchor(t, "SG")
	sg.SignList(t, time.Time{}, 365*24*time.Hour, es...)
	return trustlisttest.Set(t, sg)
}

// vcIssuerKeys finds the keys of the credentials' did:web issuers, whose
// DID documents are online only: a key is taken when two or more base
// proofs of one verification method recover to exactly one common key,
// which they do only if every message was computed byte for byte as the
// issuer computed it (recover_test.go). Issuers with a single base proof
// stay unlisted.
func vcIssuerKeys(t *testing.T, docs []doc) map[string]*ecdsa.PublicKey {
	cands := map[string][][]*ecdsa.PublicKey{}
	for _, d := range docs {
		if d.cred == nil || d.cred.Proofs[0].Suite() != vc.SuiteECDSASD || d.cred.Proofs[0].Form != vc.FormBase {
			continue
		}
		ks, err := vc.RecoverIssuerKeys(d.cred)
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		vm := d.cred.Proofs[0].VerificationMethod
		cands[vm] = append(cands[vm], ks)
	}
	out := map[string]*ecdsa.PublicKey{}
	for vm, sets := range cands {
		if len(sets) < 2 {
			continue
		}
		common := sets[0]
		for _, s := range sets[1:] {
			var keep []*ecdsa.PublicKey
			for _, a := range common {
				for _, b := range s {
					if a.Equal(b) {
						keep = append(keep, a)
					}
				}
			}
			common = keep
		}
		if len(common) != 1 {
			t.Fatalf("%s: %d base proofs share %d candidate keys, want exactly 1", vm, len(sets), len(common))
		}
		out[vm] = common[0]
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// TestTradeTrustDocuments gives every TradeTrust document the outcome a
// TradeTrust user would call right, with no blockchain reachable (a test
// machine cannot reach their chains): tampered ones invalid, DID-signed ones
// valid, chain-backed ones "cannot check" naming the contract and network,
// BBS-signed credentials an unsupported-cryptosuite skip, none malformed.
// ecdsa-sd-2023 credentials (base and derived) verify against their
// issuer's listed key: valid, or "cannot check" naming the token registry
// of a transferable record; an issuer no anchor lists is unknown (invalid).
func TestTradeTrustDocuments(t *testing.T) {
	docs := loadTradeTrust(t)
	listed := anchorFor(t, docs)
	vcKeys := vcIssuerKeys(t, docs)
	unlisted := trustlisttest.TrustOne(t, "NL", mustEth(t))
	counts := map[string]int{}
	for _, d := range docs {
		r, err := verify.New(listed, verify.Options{}).Verify(context.Background(), d.data)
		if errors.Is(err, verify.ErrMalformed) {
			t.Errorf("%s: called malformed: %v", d.name, err)
			continue
		}
		why := r.CannotCheck
		if f := r.FirstFailure(); f != nil {
			why = f.Name + ": " + f.Detail
		}
		t.Logf("%s: %s — %s", d.name, r.Verdict(), why)
		for _, c := range r.Checks {
			if c.Detail == "" || strings.Contains(c.Detail, "\n") {
				t.Errorf("%s: check %s needs a one-line reason, got %q", d.name, c.Name, c.Detail)
			}
		}
		switch {
		case d.oa != nil:
			counts[expectOA(t, d, r, unlisted)]++
		default:
			counts[expectVC(t, d, r, vcKeys[d.cred.Proofs[0].VerificationMethod] != nil)]++
		}
	}
	t.Logf("%d documents: %v", len(docs), counts)
}

func expectOA(t *testing.T, d doc, r *verify.Result, unlisted verify.TrustedMaterial) string {
	t.Helper()
	var chain *openattestation.IssuerInfo
	for i, is := range d.oa.Issuers {
		if is.Method != openattestation.IssuedByDID {
			chain = &d.oa.Issuers[i]
			break
		}
	}
	switch {
	case d.oa.CheckIntegrity() != nil:
		if f := r.FirstFailure(); r.Valid || f == nil || f.Name != verify.CheckIntegrity || r.Verdict() != verify.VerdictInvalid {
			t.Errorf("%s (altered): outcome %s, first failure %+v; want invalid on integrity", d.name, r.Verdict(), f)
		}
		return "oa altered: invalid"
	case chain != nil:
		a, _ := openattestation.ParseAddress(chain.Store)
		what := "document store"
		if chain.Method == openattestation.IssuedByTokenRegistry {
			what = "token registry"
		}
		want := "cannot be checked offline: issuance is recorded in " + what + " " + a.Hex() + " on " + evm.NetworkName(chainOf(d.oa))
		if r.Valid || r.Verdict() != verify.VerdictCannotCheck || r.CannotCheck != want {
			t.Errorf("%s (on chain): outcome %s %q, first failure %+v; want cannot_check %q", d.name, r.Verdict(), r.CannotCheck, r.FirstFailure(), want)
		}
		// Not listed by any anchor: an unknown issuer, whatever the chain says.
		u, _ := verify.New(unlisted, verify.Options{}).Verify(context.Background(), d.data)
		if f := u.FirstFailure(); u.Valid || f == nil || f.Name != verify.CheckIssuerTrusted || !strings.Contains(f.Detail, a.Hex()) {
			t.Errorf("%s (on chain, unlisted): first failure %+v", d.name, f)
		}
		return "oa on chain: cannot check"
	default:
		if !r.Valid || r.Verdict() != verify.VerdictValid {
			t.Errorf("%s (DID-signed): outcome %s, first failure %+v; want valid", d.name, r.Verdict(), r.FirstFailure())
		}
		return "oa DID-signed: valid"
	}
}

func expectVC(t *testing.T, d doc, r *verify.Result, listed bool) string {
	t.Helper()
	if r.Format != vc.FormatName {
		t.Errorf("%s (W3C VC): format %s; want a vc result", d.name, r.Format)
	}
	p := d.cred.Proofs[0]
	sig := r.Check(verify.CheckSignature)
	switch {
	case p.Suite() == "bbs-2023" || p.Suite() == "BbsBlsSignature2020":
		if r.Valid || sig == nil || sig.Status != verify.Skip || !strings.Contains(sig.Detail, "unsupported cryptosuite "+p.Suite()) || r.FirstFailure() != nil {
			t.Errorf("%s: signature %+v, first failure %+v; want skip: unsupported cryptosuite %s", d.name, sig, r.FirstFailure(), p.Suite())
		}
		if want := "cannot be checked: the credential is signed with " + p.Suite() + ", which this verifier does not support"; r.Verdict() != verify.VerdictCannotCheck || r.CannotCheck != want {
			t.Errorf("%s: outcome %s %q; want cannot_check %q (the signature, not the title, is the headline)", d.name, r.Verdict(), r.CannotCheck, want)
		}
		return "vc " + p.Suite() + ": unsupported, cannot check"
	case p.Suite() != vc.SuiteECDSASD:
		t.Errorf("%s: unexpected proof %s", d.name, p.Suite())
		return "vc other"
	}
	if c := r.Check(verify.CheckIntegrity); c == nil || c.Status != verify.Pass {
		t.Errorf("%s: integrity %+v; want pass", d.name, c)
	}
	if w := summary(r, "Withheld"); (p.Form == vc.FormDerived) != strings.Contains(w, "derived proof") {
		t.Errorf("%s (%s proof): withheld %q", d.name, p.Form, w)
	}
	if !listed {
		if f := r.FirstFailure(); r.Verdict() != verify.VerdictInvalid || f == nil || f.Name != verify.CheckIssuerTrusted || sig.Status != verify.Skip {
			t.Errorf("%s (issuer not listed): outcome %s, signature %+v, first failure %+v; want invalid on issuer_trusted", d.name, r.Verdict(), sig, f)
		}
		return "vc " + p.Form + ", issuer unlisted: invalid"
	}
	if sig.Status != verify.Pass || r.Check(verify.CheckIssuerTrusted).Status != verify.Pass {
		t.Errorf("%s: signature %+v issuer %+v; want both pass", d.name, sig, r.Check(verify.CheckIssuerTrusted))
	}
	if s := d.cred.Status; s != nil && s.Type == "TransferableRecords" {
		want := "cannot be checked offline: this transferable record's title is recorded as token " + s.TokenID + " in token registry " + s.TokenRegistry + " on local chain 1337"
		if r.Verdict() != verify.VerdictCannotCheck || r.CannotCheck != want {
			t.Errorf("%s: outcome %s %q, first failure %+v; want cannot_check %q", d.name, r.Verdict(), r.CannotCheck, r.FirstFailure(), want)
		}
		return "vc " + p.Form + ", transferable record: cannot check"
	}
	if !r.Valid {
		t.Errorf("%s: outcome %s, first failure %+v; want valid", d.name, r.Verdict(), r.FirstFailure())
	}
	return "vc " + p.Form + ": valid"
}

func summary(r *verify.Result, label string) string {
	for _, f := range r.Summary {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

func mustEth(t *testing.T) *trustlist.Entry {
	e, err := trustlist.NewEthEntry(make([]byte, 20), []trustlist.DocType{trustlist.DocOA}, "someone else", "", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return e
}
