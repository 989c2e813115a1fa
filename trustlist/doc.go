// Package trustlist implements Accord trust lists: the signed objects a
// country's trust anchor publishes, the policy a verifier applies to them, a
// lookup index over the keys they list, and a crash-safe store.
//
// # Objects
//
// Every object is a COSE_Sign over deterministic CBOR (spec/trustlist.md):
//
//   - A [Descriptor] names an anchor (country, name), its public keys and a
//     threshold t. Version 1 is signed by t of its own keys; a rotation (version
//     n+1) by t keys of version n and t of its own, and may seal the last list
//     signed with the old keys.
//   - A [List] is one version of the anchor's list of issuer keys ([Entry]:
//     an X.509 certificate, a COSE key or an Ethereum address, with the
//     document types it may sign, a validity window and a revocation status).
//     Lists carry a strictly increasing seq and the hash of the previous list,
//     so each anchor's lists form a hash chain.
//   - An [Endorsement] is one anchor vouching for another's descriptor.
//   - [Evidence] is two conflicting lists signed by one anchor: proof that it
//     equivocated, checkable by anyone.
//
// # Publishing
//
// An anchor makes keys with [GenerateKey], signs its descriptor with
// [SignDescriptor] and each list with [SignList]. Package trustlist/anchor
// keeps all of that in a directory, as `accord anchor` and `accord list` do.
//
// # Verifying
//
// Nothing is trusted because it arrived. A [Set] holds what a verifier has
// admitted under its [Policy]:
//
//	set := trustlist.NewSet(trustlist.DefaultPolicy())
//	if _, err := set.Pin(descriptorBytes); err != nil { ... } // a trust root, checked out of band
//	d := set.Accept(listBytes, time.Now())                   // signatures, threshold, chain, freshness
//	if d.Outcome == trustlist.Rejected {
//		log.Printf("%s: %s", d.Reason, d.Detail)          // rollback, broken_chain, equivocation, ...
//	}
//	matches := set.Find(trustlist.Query{KID: kid, Use: trustlist.DocHCert})
//
// [Set.Find] returns entries of admitted anchors' current lists in constant
// time; [Freshness] is the one place the staleness rule lives. Package verify
// builds document verification on top of a Set.
//
// # Storing
//
// [OpenStore] keeps a Set in a directory (bbolt log plus self-authenticating
// object files), replaying and re-verifying everything on open. [LoadDir]
// reads a store read-only, also while a node holds it for writing.
package trustlist
