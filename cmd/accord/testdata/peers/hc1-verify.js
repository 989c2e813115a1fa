// hc1-verify.js: a single-threaded HC1 verifier on Node's crypto (OpenSSL),
// the peer BenchmarkBulkVsNode measures `accord verify DIR` against.
//
//   node hc1-verify.js KEYS.json DIR
//
// KEYS.json maps base64 kids to base64 DER SubjectPublicKeyInfo. Each file of
// DIR holds one HC1 string. Per document: strip "HC1:", base45, zlib, CBOR
// (the `cbor` package cose-js uses), COSE_Sign1 (tag 18), kid lookup,
// Sig_structure, ES256 verification by crypto.verify (OpenSSL), CWT exp.
// Keys are parsed once. It prints one JSON line: how many verified, how many
// failed, the milliseconds of the verification loop (start-up and key
// parsing excluded) and of the time inside crypto.verify alone (the OpenSSL
// floor of this peer), and exits 1 if any document failed.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');
const mods = process.env.ACCORD_NODE_MODULES || path.join(__dirname, '..', '..', '..', '..', '.ci', 'node_modules');
const cbor = require(path.join(mods, 'cbor'));

const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const B45V = new Int16Array(128).fill(-1);
for (let i = 0; i < B45.length; i++) B45V[B45.charCodeAt(i)] = i;

function base45(s) {
  const out = Buffer.allocUnsafe(Math.floor(s.length / 3) * 2 + (s.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < s.length; i += 3) {
    const a = B45V[s.charCodeAt(i)], b = B45V[s.charCodeAt(i + 1)];
    if (a < 0 || b < 0) throw new Error('bad base45');
    if (i + 2 < s.length) {
      const c = B45V[s.charCodeAt(i + 2)];
      if (c < 0) throw new Error('bad base45');
      const n = a + b * 45 + c * 2025;
      if (n > 0xffff) throw new Error('bad base45');
      out[o++] = n >> 8; out[o++] = n & 0xff;
    } else {
      const n = a + b * 45;
      if (n > 0xff) throw new Error('bad base45');
      out[o++] = n;
    }
  }
  return out;
}

const keys = new Map();
for (const [kid, spki] of Object.entries(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')))) {
  keys.set(kid, crypto.createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' }));
}
const dir = process.argv[3];
const files = fs.readdirSync(dir).sort();
const now = Date.now() / 1000;
const EMPTY = Buffer.alloc(0);
let verifyNS = 0n; // time inside crypto.verify (OpenSSL) alone

function verifyOne(text) {
  if (!text.startsWith('HC1:')) throw new Error('no HC1 prefix');
  let b = base45(text.slice(4));
  if (b[0] === 0x78) b = zlib.inflateSync(b);
  let msg = cbor.decodeFirstSync(b);
  if (msg instanceof cbor.Tagged) {
    if (msg.tag !== 18) throw new Error('not COSE_Sign1');
    msg = msg.value;
  }
  const [p, u, payload, sig] = msg;
  const prot = p.length ? cbor.decodeFirstSync(p) : new Map();
  if (prot.get(1) !== -7) throw new Error('not ES256');
  const kid = prot.get(4) || (u instanceof Map ? u.get(4) : undefined);
  const key = kid && keys.get(kid.toString('base64'));
  if (!key) throw new Error('unknown kid');
  const tbs = cbor.encode(['Signature1', p, EMPTY, payload]);
  const v0 = process.hrtime.bigint();
  const good = crypto.verify('sha256', tbs, { key, dsaEncoding: 'ieee-p1363' }, sig);
  verifyNS += process.hrtime.bigint() - v0;
  if (!good) throw new Error('bad signature');
  const claims = cbor.decodeFirstSync(payload);
  const exp = claims.get(4);
  if (typeof exp !== 'number' || exp < now) throw new Error('expired');
  const hcert = claims.get(-260);
  if (!(hcert instanceof Map) || !hcert.get(1)) throw new Error('no DCC');
}

let ok = 0, bad = 0;
const t0 = process.hrtime.bigint();
for (const f of files) {
  try {
    verifyOne(fs.readFileSync(path.join(dir, f), 'utf8').trim());
    ok++;
  } catch (e) {
    bad++;
  }
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({ verified: ok, failed: bad, loop_ms: ms, openssl_verify_ms: Number(verifyNS) / 1e6 }));
process.exit(bad ? 1 : 0);
