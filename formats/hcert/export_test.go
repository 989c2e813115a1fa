package hcert

// The tests of this package are external (package hcert_test), so that the
// issuing package they use to make documents is never part of the package
// under test. These are the internals they reach.

// KeyUsageVerdict is keyUsageVerdict.
var KeyUsageVerdict = keyUsageVerdict

// SchemaCheck reports whether this build evaluates the DCC schema.
func SchemaCheck() bool { return schemaCheck }
