#!/usr/bin/env node
// Offline Sigstore signing for tests: a mock Fulcio CA (plus a second CA that no trusted root
// names), CT log and Rekor from @sigstore/mock, served on 127.0.0.1, and driven by the real
// `sigstore` and `@sigstore/oci` clients.
//
// usage: node signer.mjs STATE_DIR
//
// Protocol: JSON lines. On stdin one request per line, on stdout one response per line, in order.
// The first stdout line is {"ready":true,"trustedRoot":PATH,...}. A response is
// {"id":<request id>,"ok":true,...} or {"id":...,"ok":false,"error":MESSAGE}. stderr is for logs.
// The keys live in STATE_DIR/state.json (made by the first process, reused by later ones), so
// test classes that share STATE_DIR share one trusted_root.json.

import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const mock = require('@sigstore/mock');
const { sign, attest } = require('sigstore');
const { attachArtifactToImage } = require('@sigstore/oci');
const x509 = require('@peculiar/x509');

// The checkpoint signer name; sigstore-java compares it with the host of the trusted root's
// tlog baseUrl, which therefore must not carry our ephemeral port.
const TLOG_HOST = 'rekor.sigstore.mock';
const CA_NAME = 'CN=sigstore,O=sigstore.mock';
// Roots and log keys are valid from this long before the state was made, so certificates issued
// with a negative Fulcio clock offset still chain to a root that was valid at their notBefore.
const BACKDATE_MS = 30 * 24 * 3600 * 1000;
const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const BUNDLE_V02 = 'application/vnd.dev.sigstore.bundle+json;version=0.2';

const webcrypto = crypto.webcrypto;
x509.cryptoProvider.set(webcrypto);

function log(...args) {
  console.error('[sigstore-mock]', ...args);
}

// ---------- state ----------

function newKeyPem(curve) {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: curve });
  return privateKey.export({ format: 'pem', type: 'pkcs8' });
}

async function selfSignedRoot(privatePem, notBefore) {
  const priv = crypto.createPrivateKey(privatePem);
  const pub = crypto.createPublicKey(priv);
  const alg = { name: 'ECDSA', namedCurve: 'P-384' };
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', priv.export({ format: 'der', type: 'pkcs8' }), alg, true, [
      'sign',
    ]),
    publicKey: await webcrypto.subtle.importKey('spki', pub.export({ format: 'der', type: 'spki' }), alg, true, [
      'verify',
    ]),
  };
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: crypto.randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: CA_NAME,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 20 * 365 * 24 * 3600 * 1000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
    ],
  });
  return Buffer.from(cert.rawData).toString('base64');
}

async function createState() {
  const created = new Date();
  const validStart = new Date(created.getTime() - BACKDATE_MS);
  const state = {
    created: created.toISOString(),
    validStart: validStart.toISOString(),
    keys: {
      ca: newKeyPem('P-384'),
      untrustedCa: newKeyPem('P-384'),
      ctlog: newKeyPem('P-256'),
      tlog: newKeyPem('P-256'),
    },
  };
  state.roots = {
    ca: await selfSignedRoot(state.keys.ca, validStart),
    untrustedCa: await selfSignedRoot(state.keys.untrustedCa, validStart),
  };
  return state;
}

// Made once per directory: written to a temporary file and linked into place, so a concurrent
// process either wins the link or reads the winner's complete file.
async function loadOrCreateState(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'state.json');
  if (!fs.existsSync(file)) {
    const tmp = path.join(dir, `state.json.${process.pid}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(await createState(), null, 2), { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    } finally {
      fs.unlinkSync(tmp);
    }
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function keyPair(privatePem) {
  const privateKey = crypto.createPrivateKey(privatePem);
  return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
}

function spki(privatePem) {
  return keyPair(privatePem).publicKey.export({ format: 'der', type: 'spki' });
}

const sha256 = (data) => crypto.createHash('sha256').update(data).digest();

function trustedRoot(state) {
  const start = state.validStart;
  const ctlogKey = spki(state.keys.ctlog);
  const tlogKey = spki(state.keys.tlog);
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: `https://${TLOG_HOST}`,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: tlogKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: sha256(tlogKey).toString('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: 'https://fulcio.sigstore.mock',
        certChain: { certificates: [{ rawBytes: state.roots.ca }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.sigstore.mock',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: ctlogKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: sha256(ctlogKey).toString('base64') },
      },
    ],
    timestampAuthorities: [],
  };
}

// ---------- Rekor as the real one stores entries ----------

// Go's pem.Encode, which real Rekor uses for the keys and certificates it stores.
function pem64(pemText) {
  const m = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(pemText);
  if (!m) return pemText;
  const b64 = m[2].replace(/\s/g, '');
  const lines = b64.match(/.{1,64}/g) || [];
  return `-----BEGIN ${m[1]}-----\n${lines.join('\n')}\n-----END ${m[1]}-----\n`;
}

const rewrapBase64Pem = (b64) => Buffer.from(pem64(Buffer.from(b64, 'base64').toString('utf8'))).toString('base64');

function asRekorStoresIt(entry) {
  if (entry.kind === 'hashedrekord') {
    const key = entry.spec?.signature?.publicKey;
    if (key?.content) key.content = rewrapBase64Pem(key.content);
    return entry;
  }
  if (entry.kind === 'dsse' && entry.spec?.proposedContent) {
    // Rekor keeps hashes of the envelope and payload, not the proposed content
    const { envelope, verifiers } = entry.spec.proposedContent;
    const env = JSON.parse(envelope);
    const pemVerifier = rewrapBase64Pem(verifiers[0]);
    return {
      apiVersion: entry.apiVersion,
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope)).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(env.payload, 'base64')).toString('hex') },
        signatures: env.signatures.map((s) => ({ signature: s.sig, verifier: pemVerifier })),
      },
    };
  }
  return entry;
}

// ---------- services ----------

async function startServices(state) {
  const ctLog = await mock.initializeCTLog(keyPair(state.keys.ctlog));
  const cas = {};
  for (const [name, key] of [
    ['trusted', 'ca'],
    ['untrusted', 'untrustedCa'],
  ]) {
    const ca = await mock.initializeCA(keyPair(state.keys[key]), ctLog);
    // a copy with its own exact-length ArrayBuffer: the mock's toPEM encodes `der.buffer`, and a
    // small Buffer is a view into a shared pool (its .buffer would carry unrelated bytes)
    const rootDer = new Uint8Array(Buffer.from(state.roots[key], 'base64'));
    // the stored root (same key and name as the mock's own), so every process serves the same one
    Object.defineProperty(ca, 'rootCertificate', { get: () => rootDer });
    cas[name] = { ca, rootDer, handler: mock.fulcioHandler(ca) };
  }
  const tlog = await mock.initializeTLog(`https://${TLOG_HOST}`, keyPair(state.keys.tlog));
  const rekor = mock.rekorHandler(tlog);

  const routes = new Map();
  for (const [name, { handler }] of Object.entries(cas)) routes.set(`/fulcio/${name}${handler.path}`, handler.fn);
  routes.set(`/rekor${rekor.path}`, async (body) => {
    let entry;
    try {
      entry = JSON.parse(body);
    } catch (e) {
      return { statusCode: 400, response: e.message };
    }
    return rekor.fn(JSON.stringify(asRekorStoresIt(entry)));
  });

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const fn = req.method === 'POST' ? routes.get(req.url) : undefined;
      if (!fn) {
        res.writeHead(404).end();
        return;
      }
      try {
        const out = await fn(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(out.statusCode, { 'Content-Type': out.contentType || 'text/plain' });
        res.end(out.response);
      } catch (e) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(e?.stack || e));
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  return { server, ctLog, cas, base };
}

// ---------- operations ----------

const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');

function unsignedJwt(identity, issuer) {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
    iss: issuer,
    sub: identity,
    aud: 'sigstore',
    iat: now,
    exp: now + 600,
  })}.`;
}

function required(req, field) {
  if (typeof req[field] !== 'string' || req[field] === '') throw new Error(`missing string field ${field}`);
  return req[field];
}

// The mock CA and CT log read the time through getCurrentTime; a request may move it.
async function withFulcioClock(svc, offsetSeconds, fn) {
  const offset = Number(offsetSeconds || 0) * 1000;
  // the roots are valid from BACKDATE_MS before the state was made; earlier leaves would not chain
  if (!Number.isFinite(offset) || offset < -BACKDATE_MS + 86400000 || offset > BACKDATE_MS) {
    throw new Error(`fulcioClockOffsetSeconds must be a number of seconds within ±29 days, got ${offsetSeconds}`);
  }
  const targets = [svc.ctLog, ...Object.values(svc.cas).map((c) => c.ca)];
  const saved = targets.map((t) => t.getCurrentTime);
  if (offset !== 0) targets.forEach((t) => (t.getCurrentTime = () => new Date(Date.now() + offset)));
  try {
    return await fn();
  } finally {
    targets.forEach((t, i) => (t.getCurrentTime = saved[i]));
  }
}

function signOptions(svc, req) {
  const ca = req.ca ?? 'trusted';
  if (!svc.cas[ca]) throw new Error(`ca must be "trusted" or "untrusted", got ${JSON.stringify(ca)}`);
  return {
    fulcioURL: `${svc.base}/fulcio/${ca}`,
    rekorURL: `${svc.base}/rekor`,
    identityToken: unsignedJwt(required(req, 'identity'), required(req, 'issuer')),
    retry: { retries: 0 },
    timeout: 10000,
  };
}

// sigstore-js makes v0.2 message signature bundles (certificate in x509CertificateChain); v0.3
// carries the leaf alone in `certificate`. Only the wrapper changes: nothing signed covers it.
function toV03(bundle) {
  const material = bundle.verificationMaterial;
  if (material.x509CertificateChain) {
    material.certificate = material.x509CertificateChain.certificates[0];
    delete material.x509CertificateChain;
  }
  bundle.mediaType = BUNDLE_V03;
  return bundle;
}

function finish(bundle, req) {
  if (req.bundleVersion === '0.2') return bundle;
  if (req.bundleVersion !== undefined && req.bundleVersion !== '0.3') throw new Error('bundleVersion must be "0.2" or "0.3"');
  return toV03(bundle);
}

const derToPem = (der) => pem64(`-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----`);

// What a cosign legacy keyless signature (the sha256-<hex>.sig manifest) carries.
function legacyParts(svc, bundle) {
  const material = bundle.verificationMaterial;
  const leafB64 = material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates?.[0]?.rawBytes;
  if (!leafB64) throw new Error('bundle has no signing certificate');
  const leafDer = Buffer.from(leafB64, 'base64');
  const leaf = new crypto.X509Certificate(leafDer);
  const issuing = Object.values(svc.cas).find((c) => leaf.verify(new crypto.X509Certificate(c.rootDer).publicKey));
  const entry = material.tlogEntries?.[0];
  if (!entry?.inclusionPromise) throw new Error('bundle has no tlog entry with a signed entry timestamp');
  const signature = bundle.messageSignature?.signature ?? bundle.dsseEnvelope?.signatures?.[0]?.sig;
  return {
    signatureBase64: signature,
    certificatePem: derToPem(leafDer),
    chainPem: issuing ? derToPem(issuing.rootDer) : '',
    bundleAnnotation: JSON.stringify({
      SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
      Payload: {
        body: entry.canonicalizedBody,
        integratedTime: Number(entry.integratedTime),
        logIndex: Number(entry.logIndex),
        logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
      },
    }),
  };
}

function imageName(ref) {
  const m = /^([^/]+)\/(.+)@(sha256:[0-9a-f]{64})$/.exec(ref);
  if (!m) throw new Error(`imageRef must be HOST:PORT/repo@sha256:<hex>, got ${JSON.stringify(ref)}`);
  return { name: `${m[1]}/${m[2]}`, digest: m[3] };
}

async function handle(svc, req) {
  switch (req.op) {
    case 'sign': {
      const payload = Buffer.from(required(req, 'payloadBase64'), 'base64');
      const bundle = await withFulcioClock(svc, req.fulcioClockOffsetSeconds, () =>
        sign(payload, signOptions(svc, req)),
      );
      const out = finish(bundle, req);
      return { bundle: out, legacy: legacyParts(svc, out) };
    }
    case 'attest': {
      const statement = Buffer.from(required(req, 'statementBase64'), 'base64');
      const payloadType = req.payloadType ?? 'application/vnd.in-toto+json';
      const bundle = await withFulcioClock(svc, req.fulcioClockOffsetSeconds, () =>
        attest(statement, payloadType, signOptions(svc, req)),
      );
      const out = finish(bundle, req);
      return { bundle: out, legacy: legacyParts(svc, out) };
    }
    case 'legacy':
      return { legacy: legacyParts(svc, typeof req.bundle === 'string' ? JSON.parse(req.bundle) : req.bundle) };
    case 'attach': {
      const bundle = typeof req.bundle === 'string' ? req.bundle : JSON.stringify(req.bundle);
      const { name, digest } = imageName(required(req, 'imageRef'));
      const mediaType = JSON.parse(bundle).mediaType;
      const descriptor = await attachArtifactToImage({
        imageName: name,
        imageDigest: digest,
        artifact: Buffer.from(bundle),
        mediaType,
        annotations: req.annotations ?? {},
        credentials: { username: req.username ?? '', password: req.password ?? '' },
        fetchOpts: { retry: { retries: 0 }, timeout: 10000 },
      });
      return { digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size };
    }
    case 'ping':
      return {};
    default:
      throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }
}

function describe(e) {
  const parts = [];
  for (let c = e; c && parts.length < 5; c = c.cause) parts.push(c.message || String(c));
  return parts.join(': caused by: ');
}

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node signer.mjs STATE_DIR');
    process.exit(2);
  }
  const state = await loadOrCreateState(path.resolve(dir));
  const rootFile = path.resolve(dir, 'trusted_root.json');
  const tmp = `${rootFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(trustedRoot(state), null, 2));
  fs.renameSync(tmp, rootFile);
  const svc = await startServices(state);
  const write = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
  write({
    ready: true,
    trustedRoot: rootFile,
    fulcioUrl: `${svc.base}/fulcio/trusted`,
    untrustedFulcioUrl: `${svc.base}/fulcio/untrusted`,
    rekorUrl: `${svc.base}/rekor`,
  });

  // one request at a time: a Fulcio clock offset must not leak into another request
  let queue = Promise.resolve();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    queue = queue.then(async () => {
      let req;
      try {
        req = JSON.parse(line);
        write({ id: req.id ?? null, ok: true, ...(await handle(svc, req)) });
      } catch (e) {
        log(e?.stack || e);
        write({ id: req?.id ?? null, ok: false, error: describe(e) });
      }
    });
  });
  rl.on('close', () => queue.then(() => svc.server.close(() => process.exit(0))));
}

main().catch((e) => {
  console.error(e?.stack || e);
  process.exit(1);
});
