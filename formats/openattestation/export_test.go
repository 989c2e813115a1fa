package openattestation

import "github.com/accord-network/accord/verify"

// Internals the external tests (package openattestation_test, which may
// import issue/openattestation) reach.
var (
	ParseSignature = parseSignature
	Pack           = pack
	MustABI        = mustABI
)

// SigningTimeOf is signingTime for tests.
func SigningTimeOf(d *Document) verify.SigningTime { return signingTime(d) }

// EmptyTrust trusts nothing.
type EmptyTrust = emptyTrust

// Recoveries is the number of secp256k1 recoveries f's cache made.
func Recoveries(f *Format) int64 { return f.cache.recoveries.Load() }
