package vc_test

import (
	"context"
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
	v := d.Data.Path("network", "chainId")
	if s, ok := v.Str(); ok {
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
	sg := trustlisttest.NewAnchor(t, "SG")
	sg.SignList(t, time.Time{}, 365*24*time.Hour, es...)
	return trustlisttest.Set(t, sg)
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
func TestTradeTrustDocuments(t *testing.T) {
	docs := loadTradeTrust(t)
	listed := anchorFor(t, docs)
	unlisted := trustlisttest.TrustOne(t, "NL", mustEth(t))
	counts := map[string]int{}
	for _, d := range docs {
		r, err := verify.New(listed, verify.Options{}).Verify(context.Background(), d.data)
		if errors.Is(err, verify.ErrMalformed) {
			t.Errorf("%s: called malformed: %v", d.name, err)
			continue
		}
		for _, c := range r.Checks {
			if c.Detail == "" || strings.Contains(c.Detail, "\n") {
				t.Errorf("%s: check %s needs a one-line reason, got %q", d.name, c.Name, c.Detail)
			}
		}
		switch {
		case d.oa != nil:
			counts[expectOA(t, d, r, unlisted)]++
		default:
			counts[expectVC(t, d, r)]++
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

func expectVC(t *testing.T, d doc, r *verify.Result) string {
	t.Helper()
	if r.Format != vc.FormatName || r.Valid || r.Verdict() != verify.VerdictInvalid || r.FirstFailure() != nil {
		t.Errorf("%s (W3C VC): format %s outcome %s, first failure %+v; want a vc result, not valid, nothing failed", d.name, r.Format, r.Verdict(), r.FirstFailure())
	}
	p := d.cred.Proofs[0]
	sig := r.Check(verify.CheckSignature)
	switch p.Suite() {
	case "bbs-2023", "BbsBlsSignature2020":
		if sig == nil || sig.Status != verify.Skip || !strings.Contains(sig.Detail, "unsupported cryptosuite "+p.Suite()) {
			t.Errorf("%s: signature %+v; want skip: unsupported cryptosuite %s", d.name, sig, p.Suite())
		}
		return "vc " + p.Suite() + ": unsupported"
	default:
		if sig == nil || sig.Status != verify.Skip {
			t.Errorf("%s: signature %+v; want skip", d.name, sig)
		}
		if dec := r.Check(verify.CheckDecoded); p.Form != "" && !strings.Contains(dec.Detail, p.Form+" proof") {
			t.Errorf("%s: decoded %q does not say the proof is %s", d.name, dec.Detail, p.Form)
		}
		return "vc " + p.Suite() + " " + p.Form + ": not verified"
	}
}

func mustEth(t *testing.T) *trustlist.Entry {
	e, err := trustlist.NewEthEntry(make([]byte, 20), []trustlist.DocType{trustlist.DocOA}, "someone else", "", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return e
}
