package verify_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-network/accord/trustlist"
	tt "github.com/accord-network/accord/trustlist/trustlisttest"
	"github.com/accord-network/accord/verify"
)

// edFormat is a minimal real format for exercising the core: "EDT1:<kid
// hex>:<signature hex>:<message>", an Ed25519 signature by a cose_key entry
// allowed for "test". "EDT1:panic" makes the decoder panic.
type edFormat struct{}

func (edFormat) Name() string          { return "edtest" }
func (edFormat) Detect(in []byte) bool { return strings.HasPrefix(string(in), "EDT1:") }
func (edFormat) Verify(ctx context.Context, in []byte, env *verify.Env) (*verify.Result, error) {
	r := &verify.Result{}
	if string(in) == "EDT1:panic" {
		panic("boom") // a decoder bug
	}
	parts := strings.SplitN(string(in[5:]), ":", 3)
	if len(parts) != 3 {
		err := fmt.Errorf("%w: want EDT1:kid:sig:msg", verify.ErrMalformed)
		r.Add(verify.CheckDecoded, verify.Error, "%v", err)
		return r, err
	}
	kid, _ := hex.DecodeString(parts[0])
	sig, _ := hex.DecodeString(parts[1])
	r.Add(verify.CheckDecoded, verify.Pass, "EDT1 message of %d bytes", len(parts[2]))
	for _, m := range env.Trust.Find(trustlist.Query{KID: kid, Use: "test", Kind: trustlist.EntryCOSEKey}) {
		pk, err := trustlist.ParsePublicKey(m.Entry.Data)
		if err != nil {
			continue
		}
		if ed25519.Verify(pk.Crypto().(ed25519.PublicKey), []byte(parts[2]), sig) {
			r.Add(verify.CheckSignature, verify.Pass, "Ed25519 signature by %x", kid)
			env.IssuerChecks(r, m, verify.SigningTime{Time: env.At.Add(-time.Minute), Source: "test claim"})
			return r, nil
		}
	}
	r.Add(verify.CheckSignature, verify.Fail, "no listed key verifies the signature")
	env.NotListed(r, "no entry for kid "+parts[0])
	return r, nil
}

func init() { verify.Register(edFormat{}) }

type fixture struct {
	priv ed25519.PrivateKey
	kid  []byte
}

func setup(t testing.TB, mutate func(e *trustlist.Entry), validFor time.Duration) (*trustlist.Set, fixture) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	pk := tt.Must(trustlist.NewPublicKey(pub))
	e := tt.Must(trustlist.NewCOSEKeyEntry(pk, []trustlist.DocType{"test"}, "Test issuer", time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	if mutate != nil {
		mutate(e)
	}
	a := tt.NewAnchor(t, "KE")
	a.SignList(t, time.Now().Add(-2*time.Hour), validFor, e)
	return tt.Set(t, a), fixture{priv, e.KID}
}

func (f fixture) doc(msg string) []byte {
	return []byte(fmt.Sprintf("EDT1:%x:%x:%s", f.kid, ed25519.Sign(f.priv, []byte(msg)), msg))
}

func status(r *verify.Result, name string) verify.Status {
	if c := r.Check(name); c != nil {
		return c.Status
	}
	return "absent"
}

func TestVerifyOutcomes(t *testing.T) {
	ctx := context.Background()
	revoked := func(at time.Time) func(*trustlist.Entry) {
		return func(e *trustlist.Entry) {
			e.Status, e.RevokedAt, e.Reason = trustlist.StatusRevoked, at.UTC().Truncate(time.Second), "key compromise"
		}
	}
	cases := []struct {
		name     string
		mutate   func(*trustlist.Entry)
		validFor time.Duration
		offline  bool
		tamper   bool
		valid    bool
		check    string
		want     verify.Status
	}{
		{name: "valid", validFor: 24 * time.Hour, valid: true, check: verify.CheckIssuerTrusted, want: verify.Pass},
		{name: "tampered", validFor: 24 * time.Hour, tamper: true, check: verify.CheckSignature, want: verify.Fail},
		{name: "revoked after an untrusted signing time still fails", mutate: revoked(time.Now()), validFor: 24 * time.Hour, check: verify.CheckNotRevoked, want: verify.Fail},
		{name: "stale list fails online", validFor: time.Hour, check: verify.CheckListFresh, want: verify.Fail},
		{name: "stale list passes offline with a warning", validFor: time.Hour, offline: true, valid: true, check: verify.CheckListFresh, want: verify.Pass},
		{name: "key window closed", mutate: func(e *trustlist.Entry) { e.NotAfter = time.Now().Add(-30 * time.Minute).Truncate(time.Second) }, validFor: 24 * time.Hour, check: verify.CheckKeyValidAtSigning, want: verify.Fail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, f := setup(t, c.mutate, c.validFor)
			doc := f.doc("hello border post")
			if c.tamper {
				doc[len(doc)-1] ^= 1
			}
			r, err := verify.New(set, verify.Options{Offline: c.offline}).Verify(ctx, doc)
			if err != nil {
				t.Fatal(err)
			}
			if r.Valid != c.valid || status(r, c.check) != c.want {
				t.Fatalf("valid=%v %s=%s, want %v %s; checks %+v", r.Valid, c.check, status(r, c.check), c.valid, c.want, r.Checks)
			}
			if c.offline && len(r.Warnings) == 0 {
				t.Error("offline stale list must warn")
			}
			if r.Valid && (r.Issuer == nil || r.Issuer.Country != "KE" || r.Issuer.Name != "Test issuer") {
				t.Errorf("issuer %+v", r.Issuer)
			}
		})
	}
}

func TestEquivocatedAnchorFails(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	e := tt.Must(trustlist.NewCOSEKeyEntry(tt.Must(trustlist.NewPublicKey(pub)), []trustlist.DocType{"test"}, "Issuer", time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	a := tt.NewAnchor(t, "KE")
	l1 := a.SignList(t, time.Time{}, 24*time.Hour, e)
	set := tt.Set(t, a)
	other := *l1
	conflicting := tt.Must(trustlist.SignList(&trustlist.List{Country: "KE", DescriptorVersion: 1, Seq: 1, IssuedAt: other.IssuedAt,
		NextUpdate: other.NextUpdate.Add(time.Second), Entries: other.Entries}, []*trustlist.PrivateKey{a.Key}))
	if d := set.Accept(conflicting.Raw(), time.Now()); d.Reason != trustlist.ReasonEquivocation {
		t.Fatal(d)
	}
	f := fixture{priv, e.KID}
	r, _ := verify.New(set, verify.Options{}).Verify(context.Background(), f.doc("x"))
	if r.Valid || status(r, verify.CheckIssuerTrusted) != verify.Fail {
		t.Fatalf("document from an equivocating anchor: %+v", r.Checks)
	}
}

func TestFinishNeverValidWithoutSignature(t *testing.T) {
	r := &verify.Result{}
	r.Add(verify.CheckDecoded, verify.Pass, "ok")
	r.Add(verify.CheckSignature, verify.Skip, "needs a blockchain")
	if r.Finish().Valid {
		t.Fatal("skipped signature must not be valid")
	}
	if (&verify.Result{}).Finish().Valid {
		t.Fatal("no checks is not valid")
	}
	r = &verify.Result{}
	r.Add(verify.CheckDecoded, verify.Pass, "ok")
	good := &verify.Result{}
	good.Add(verify.CheckSignature, verify.Pass, "ok")
	bad := &verify.Result{}
	bad.Add(verify.CheckSignature, verify.Fail, "no")
	r.Parts = []*verify.Result{good}
	if !r.Finish().Valid {
		t.Fatal("a document whose only part is valid is valid")
	}
	r.Parts = append(r.Parts, bad)
	if r.Finish().Valid {
		t.Fatal("one invalid part makes the document invalid")
	}
}

func TestBadInput(t *testing.T) {
	set, _ := setup(t, nil, time.Hour)
	v := verify.New(set, verify.Options{MaxInput: 1024})
	for name, in := range map[string][]byte{
		"unknown":   []byte("just some text"),
		"oversized": []byte("EDT1:" + strings.Repeat("a", 2000)),
		"malformed": []byte("EDT1:nocolons"),
		"panic":     []byte("EDT1:panic"),
	} {
		r, err := v.Verify(context.Background(), in)
		if !errors.Is(err, verify.ErrMalformed) || r == nil || r.Valid || r.Error == "" {
			t.Errorf("%s: err=%v result=%+v", name, err, r)
		}
	}
}

func TestVerifyAllConcurrent(t *testing.T) {
	set, f := setup(t, nil, 24*time.Hour)
	v := verify.New(set, verify.Options{})
	var jobs []verify.Job
	for i := 0; i < 400; i++ {
		d := f.doc(fmt.Sprintf("doc %d", i))
		if i%4 == 0 {
			d[len(d)-1] ^= 1
		}
		jobs = append(jobs, verify.Job{Name: fmt.Sprint(i), Data: d})
	}
	var valid, total atomic.Int64
	v.VerifyAll(context.Background(), jobs, 8, func(o verify.Outcome) {
		total.Add(1)
		if o.Result.Valid {
			valid.Add(1)
		}
	})
	if total.Load() != 400 || valid.Load() != 300 {
		t.Fatalf("total %d valid %d", total.Load(), valid.Load())
	}
}
