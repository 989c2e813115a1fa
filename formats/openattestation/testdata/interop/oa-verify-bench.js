// Side-by-side benchmark peer: verifies wrapped, DID-signed OpenAttestation
// v2 documents with TradeTrust's own verifier, @govtechsg/oa-verify 9.4.0,
// and prints the time per document as one JSON line.
//
//   node oa-verify-bench.js ROUNDS WARMUP FILE...
//
// The verifiers are oa-verify's openAttestationHash (DOCUMENT_INTEGRITY:
// unsalting, leaf hashes, merkle proof) and openAttestationDidSignedDocumentStatus
// (DOCUMENT_STATUS: DID resolution, EIP-191 recovery of the merkle root's
// signer). The DID is resolved offline by a did-resolver method that returns
// what ethr-did-resolver returns for a did:ethr with no on-chain changes, so
// no network is used; DNS identity is not checked (Accord asks its trust
// lists instead, which it does in its own time). Every document must come
// out VALID or the script fails. The first WARMUP rounds warm up the JIT
// and are not timed (nor is loading node and the modules). It prints wall time and CPU time (user + system, all threads)
// per document; on a shared machine the CPU time is the steadier figure.
"use strict";
const path = require("path");
const fs = require("fs");
const mods = process.env.ACCORD_NODE_MODULES;
const req = (m) => require(path.join(mods, m));
const v = req("@govtechsg/oa-verify");
const { Resolver } = req("did-resolver");

const ethr = {
  ethr: async (did) => {
    const addr = did.split(":").pop();
    return {
      didResolutionMetadata: { contentType: "application/did+ld+json" },
      didDocumentMetadata: {},
      didDocument: {
        "@context": ["https://www.w3.org/ns/did/v1"],
        id: did,
        verificationMethod: [{
          id: `${did}#controller`, type: "EcdsaSecp256k1RecoveryMethod2020", controller: did,
          blockchainAccountId: `eip155:1:${addr}`,
        }],
        authentication: [`${did}#controller`],
        assertionMethod: [`${did}#controller`],
      },
    };
  },
};

async function main() {
  const [roundsArg, warmArg, ...files] = process.argv.slice(2);
  const rounds = Number(roundsArg);
  const warm = Number(warmArg);
  const docs = files.map((f) => JSON.parse(fs.readFileSync(f, "utf-8")));
  const verify = v.verificationBuilder([v.openAttestationHash, v.openAttestationDidSignedDocumentStatus], {
    resolver: new Resolver(ethr),
    network: "homestead",
  });
  const once = async () => {
    for (const d of docs) {
      const frags = await verify(d);
      const bad = frags.filter((f) => f.status !== "VALID");
      if (bad.length > 0 || frags.length !== 2) {
        throw new Error(`not valid: ${JSON.stringify(bad.map((f) => [f.name, f.status, f.reason]))}`);
      }
    }
  };
  for (let r = 0; r < warm; r++) await once(); // warm-up, untimed
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) await once();
  const c = process.cpuUsage(c0);
  const n = rounds * docs.length;
  const ns = Number(process.hrtime.bigint() - t0) / n;
  const cpuNs = ((c.user + c.system) * 1000) / n; // all of node's threads (JIT, GC) count
  console.log(JSON.stringify({ library: "@govtechsg/oa-verify@9.4.0", documents: docs.length, rounds, ns_per_doc: ns, cpu_ns_per_doc: cpuNs }));
}
main().catch((e) => { console.error(e.message || e); process.exit(1); });
