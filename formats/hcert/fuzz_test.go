package hcert_test

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/accord-network/accord/fixtures"
	"github.com/accord-network/accord/formats/hcert"
	"github.com/accord-network/accord/verify"
)

// FuzzHC1 feeds arbitrary text and bytes through the whole pipeline
// (prefix, base45, zlib, COSE, CWT, DCC, signature, checks). It must never
// panic, never allocate without bound, and fail only with a one-line error
// naming the step and wrapping verify.ErrMalformed.
func FuzzHC1(f *testing.F) {
	d := newDSC(f, "ES256")
	f.Add([]byte(d.issue(f, vaccJSON)))
	f.Add([]byte(d.issue(f, testJSON)))
	cose, _ := Sign([]byte(vaccJSON), IssueOptions{Signer: d.key, Cert: d.cert, Expires: now.Add(1e9), IssuedAt: now})
	f.Add(cose)
	f.Add([]byte("HC2:NCF"))
	f.Add([]byte("HC1:"))
	f.Add([]byte("\xd8\x3d\xd2\x84\x40\xa0\x40\x40"))
	for i, c := range loadDCCCasesQuiet(f) {
		if i%10 == 0 {
			f.Add([]byte(c.PREFIX))
			if b, err := hex.DecodeString(c.COSE); err == nil && len(b) > 0 {
				f.Add(b)
			}
		}
	}
	env := &verify.Env{Trust: d.set, At: now}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := hcert.Format{}.Verify(context.Background(), in, env)
		if r == nil {
			t.Fatal("nil result")
		}
		if err != nil {
			if !errors.Is(err, verify.ErrMalformed) || hcert.StepOf(err) == "" || strings.Contains(err.Error(), "\n") {
				t.Fatalf("bad error %q", err)
			}
			return
		}
		r.Finish()
		for _, c := range r.Checks {
			if c.Status == verify.Pass && c.Name == verify.CheckSignature && r.Issuer == nil {
				t.Fatal("signature passed without an issuer")
			}
		}
	})
}

// loadDCCCasesQuiet loads the public cases for seeding, or none when the
// shared fixtures are absent (seeding must not skip the fuzz target).
func loadDCCCasesQuiet(f *testing.F) (out []*dccCase) {
	root, err := fixtures.Root()
	if err != nil {
		return nil
	}
	if !dirExists(root + "/../shared/fixtures/dcc-testdata") {
		return nil
	}
	return loadDCCCases(f)
}
