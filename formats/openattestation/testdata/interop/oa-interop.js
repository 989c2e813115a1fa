// Interop driver for the Go tests: uses the reference OpenAttestation
// library (@govtechsg/open-attestation 6.9.7) from ACCORD_NODE_MODULES.
//
//   node oa-interop.js wrap-sign PRIVKEY OUTDIR RAW.json...   wrap as one batch, DID-sign, write OUTDIR/N.json
//   node oa-interop.js obfuscate IN.json OUT.json FIELD...     obfuscate fields with the reference library
//   node oa-interop.js check FILE...                           print one JSON line per file:
//        {file, schema, integrity, signer}   (validateSchema, verifySignature, EIP-191 recover of the merkle root)
//   node oa-interop.js stringify                               stdin: one JSON text per line; stdout: JSON.stringify(JSON.parse(line))
"use strict";
const path = require("path");
const fs = require("fs");
const mods = process.env.ACCORD_NODE_MODULES;
const req = (m) => require(path.join(mods, m));
const oa = req("@govtechsg/open-attestation");
const { Wallet } = req("@ethersproject/wallet");
const { verifyMessage } = req("@ethersproject/wallet");
const { arrayify } = req("@ethersproject/bytes");

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  switch (cmd) {
    case "wrap-sign": {
      const [key, outdir, ...files] = args;
      const wallet = new Wallet(key);
      const did = `did:ethr:${wallet.address}`;
      const raws = files.map((f) => {
        const d = JSON.parse(fs.readFileSync(f, "utf-8"));
        d.issuers = [{
          id: did, name: "Reference Issuer",
          revocation: { type: "NONE" },
          identityProof: { type: "DNS-DID", key: `${did}#controller`, location: "ref.example" },
        }];
        return d;
      });
      const wrapped = oa.wrapDocuments(raws);
      for (let i = 0; i < wrapped.length; i++) {
        const signed = await oa.signDocument(wrapped[i], oa.SUPPORTED_SIGNING_ALGORITHM.Secp256k1VerificationKey2018, wallet);
        fs.writeFileSync(path.join(outdir, `${i}.json`), JSON.stringify(signed, null, 2));
      }
      break;
    }
    case "obfuscate": {
      const [inf, outf, ...fields] = args;
      const doc = JSON.parse(fs.readFileSync(inf, "utf-8"));
      fs.writeFileSync(outf, JSON.stringify(oa.obfuscateDocument(doc, fields), null, 2));
      break;
    }
    case "check": {
      for (const f of args) {
        const out = { file: path.basename(f) };
        try {
          const doc = JSON.parse(fs.readFileSync(f, "utf-8"));
          out.schema = oa.validateSchema(doc);
          out.integrity = oa.verifySignature(doc);
          const root = doc.signature ? doc.signature.merkleRoot : doc.proof.merkleRoot;
          const sig = Array.isArray(doc.proof) ? doc.proof[0].signature : doc.proof.signature;
          out.signer = verifyMessage(arrayify("0x" + root), sig);
        } catch (e) {
          out.error = String(e.message || e);
        }
        console.log(JSON.stringify(out));
      }
      break;
    }
    case "stringify": {
      const lines = fs.readFileSync(0, "utf-8").split("\n").filter((l) => l !== "");
      for (const l of lines) console.log(JSON.stringify(JSON.parse(l)));
      break;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}
main().catch((e) => { console.error(e.message || e); process.exit(1); });
