// Package verify is Accord's embeddable document verifier: one call takes the
// bytes of a document, recognises its format, checks it against trusted
// material (trust lists) and returns a structured [Result] that says whether
// the document is valid and, check by check, why.
//
// # Use
//
//	import (
//		"github.com/accord-network/accord/trustlist"
//		"github.com/accord-network/accord/verify"
//		_ "github.com/accord-network/accord/formats/hcert" // EU DCC "HC1:" certificates
//		_ "github.com/accord-network/accord/formats/qr"    // QR code pictures
//	)
//
//	view, err := trustlist.OpenView(dir) // a store through its verified index (cost independent of its size);
//	defer view.Close()                   // trustlist.LoadDir(dir) replays it whole; or any TrustedMaterial
//	v := verify.New(view, verify.Options{Offline: true})
//	res, err := v.Verify(ctx, document)
//	switch {
//	case err != nil: // the input could not be read or decoded (errors.Is(err, verify.ErrMalformed))
//	case res.Valid:  // every check passed; res.Issuer says who signed, per the trust list
//	default:         // res.FirstFailure() says which check failed and why
//	}
//
// A Verifier is safe for concurrent use; [Verifier.VerifyAll] verifies many
// documents on all cores.
//
// # Results
//
// Each [Check] is pass, fail, skip or error. A check that does not apply or
// cannot be made offline is skip with its reason and never counts as a pass:
// a document is valid only if no check failed or errored and a signature
// check passed. The rules that judge an issuer's list entry (validity at
// signing, revocation, freshness, equivocation) live in [Env.IssuerChecks],
// the same for every format (spec/verify.md).
//
// # Formats
//
// Formats live in packages under formats/ and register themselves with
// [Register] from init, as image/png does with image. Implement [Format] to
// add one; this package never imports a format, the CLI or the network.
package verify
