/**
 * E-card figures, each beside raw primitives measured in the same run:
 *  - offline dynamic-QR verifications per second (1 core, then 2 worker threads), beside raw ES256
 *    (crypto.verify P-256) verifications per second — a QR check is two ES256 verifications (issuer
 *    over the card token, holder over the code) plus CBOR/base45 decoding and the status lookup;
 *  - claims per second including the database (nonce, proof, status entry, SD-JWT VC + card token
 *    signatures, insert, audit), face check excluded (operator evidence);
 *  - status list build (pack, DEFLATE, sign) and size at 1 M and 100 M entries, 0.1 % revoked.
 * `DATABASE_URL=… npm run bench -- ecard` measures claims on PostgreSQL.
 */
import { generateKeyPairSync, randomInt, sign, verify } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { createOfflineVerifier } from '../src/ecard/verifier/offlineVerifier.ts';
import { createMemoryReplayGuard } from '../src/ecard/verifier/replayGuard.ts';
import { createStatusListCache } from '../src/ecard/verifier/statusSource.ts';
import { loadTrustedIssuers } from '../src/ecard/verifier/trustedIssuers.ts';
import { ensureIssuer } from '../src/ecard/issuerKeys.ts';
import { signStatusList } from '../src/ecard/statusLists.ts';
import { compressStatusBits, packStatusBits } from '../src/ecard/formats/statusList.ts';
import { claimWith, createEcardWorld, holder, newDevice, OPERATOR } from '../test/ecard/fixture.ts';
import { idNumber } from '../test/support/idNumbers.ts';
import { fmt, rate, report } from './reference.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

function es256VerifyRate(): number {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(200, 7);
  const sig = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return rate(() => { verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig); });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

export async function main(): Promise<void> {
  const world = await createEcardWorld();
  try {
    const es256 = es256VerifyRate();
    report('reference: crypto.verify ES256 (1 core)', es256, 'verify/s');

    // ---- offline QR verification
    const CARDS = 20, PER_CARD = 250;
    const texts: string[] = [];
    let statusListId = 0;
    for (let c = 0; c < CARDS; c++) {
      const { holderId } = await world.ecard.createHolder({ name: `基准${c}`, idNumber: idNumber(c), cardNumber: `Q${String(c).padStart(8, '0')}`, region: '440305' }, OPERATOR);
      const device = await newDevice();
      const claim = await claimWith(world, device, { holderId });
      statusListId = claim.statusList.id;
      for (let i = 0; i < PER_CARD; i++) texts.push(await holder.makeDynamicQr({ cardToken: claim.cardToken, privateKey: device.keys.privateKey, now: world.clock.now().getTime() }));
    }
    const bundle = world.ecard.trustBundle();
    const { pemToDer } = await import('../src/ca/pem.ts');
    const issuerCerts = bundle.issuers.map((i) => ({ certificate: pemToDer(i.certificatePem)[0]!, chain: pemToDer(i.chainPem) }));
    const statusJwt = (await world.ecard.statusList(statusListId)).jwt;
    const { issuers } = await loadTrustedIssuers({ anchors: world.anchors, issuers: issuerCerts, at: world.clock.now() });
    const cache = createStatusListCache({ issuers, clock: world.clock });
    cache.ingest(statusJwt);
    const verifier = createOfflineVerifier({ issuers, status: cache, clock: world.clock, replay: createMemoryReplayGuard() });
    let valid = 0;
    const one = await timed(async () => { for (const t of texts) if ((await verifier.verifyQr(t)).valid) valid++; });
    if (valid !== texts.length) throw new Error(`only ${valid}/${texts.length} codes verified`);
    report('offline QR verification, cards seen before (1 core)', (texts.length * 1000) / one.ms, 'QR/s', { codes: texts.length, cards: CARDS, es256PerQr: 1, es256Ceiling: es256 });

    // Cold: every code from a card this verifier has never seen (card tokens signed directly by the issuer key).
    const signer0 = await ensureIssuer({ pool: world.db.pool, keyStore: world.keyStore, clock: world.clock, ca: undefined as never }, 'ecdsa');
    const { issueCardToken } = await import('../src/ecard/credential.ts');
    const cold: string[] = [];
    const nowS = Math.floor(world.clock.now().getTime() / 1000);
    for (let i = 0; i < 2000; i++) {
      const d = await newDevice();
      const token = await issueCardToken(signer0, { cardRef: `cold-${i}`, iat: nowS, exp: nowS + 86_400, holderJwk: d.jwk, status: { idx: i, uri: `${world.ecard.iss}/status/${statusListId}` } });
      cold.push(await holder.makeDynamicQr({ cardToken: token, privateKey: d.keys.privateKey, now: world.clock.now().getTime() }));
    }
    const coldVerifier = createOfflineVerifier({ issuers, status: cache, clock: world.clock, replay: createMemoryReplayGuard() });
    let coldValid = 0;
    const coldRun = await timed(async () => { for (const t of cold) if ((await coldVerifier.verifyQr(t)).valid) coldValid++; });
    if (coldValid !== cold.length) throw new Error(`only ${coldValid}/${cold.length} cold codes verified`);
    report('offline QR verification, every card new (1 core)', (cold.length * 1000) / coldRun.ms, 'QR/s', { codes: cold.length, es256PerQr: 2, es256Ceiling: es256 / 2 });

    // Two worker threads, each its own verifier over the same trust material (what a 2-core terminal pool does).
    const workerSource = `
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        const { createOfflineVerifier } = await import(workerData.root + 'src/ecard/verifier/offlineVerifier.ts');
        const { createMemoryReplayGuard } = await import(workerData.root + 'src/ecard/verifier/replayGuard.ts');
        const { createStatusListCache } = await import(workerData.root + 'src/ecard/verifier/statusSource.ts');
        const { trustedIssuerFrom } = await import(workerData.root + 'src/ecard/verifier/trustedIssuers.ts');
        const clock = { now: () => new Date(workerData.now) };
        const issuers = workerData.issuers.map((c) => trustedIssuerFrom(new Uint8Array(c)));
        const cache = createStatusListCache({ issuers, clock });
        cache.ingest(workerData.statusJwt);
        const v = createOfflineVerifier({ issuers, status: cache, clock, replay: createMemoryReplayGuard() });
        let ok = 0;
        const t = performance.now();
        for (const text of workerData.texts) if ((await v.verifyQr(text)).valid) ok++;
        parentPort.postMessage({ ok, ms: performance.now() - t });
      })();`;
    const root = new URL('../', import.meta.url).href;
    const halves = [texts.slice(0, texts.length / 2), texts.slice(texts.length / 2)];
    const t0 = performance.now();
    const results = await Promise.all(halves.map((half) => new Promise<{ ok: number; ms: number }>((resolve, reject) => {
      const w = new Worker(workerSource, { eval: true, workerData: { root, texts: half, statusJwt, now: world.clock.now().getTime(), issuers: issuers.map((i) => Buffer.from(i.certificate)) } });
      w.once('message', resolve);
      w.once('error', reject);
    })));
    const wall = performance.now() - t0;
    const ok2 = results.reduce((s, r) => s + r.ok, 0);
    const inner = results.reduce((s, r) => s + (r.ok * 1000) / r.ms, 0);
    report('offline QR verification, seen before (2 threads)', inner, 'QR/s', { target: 5000, valid: `${ok2}/${texts.length}`, wallIncludingStartup: `${fmt(wall)}ms` });

    // ---- claims per second, database included, face excluded — beside what this database does at
    // the same moment: a round trip, and an empty transaction (a claim is bound by both).
    const rt = await timed(async () => { for (let i = 0; i < 200; i++) await world.db.pool.query('SELECT 1'); });
    report('reference: database round trip', 200_000 / rt.ms, 'query/s', { ms: (rt.ms / 200).toFixed(2) });
    const { withTransaction } = await import('../src/db/transaction.ts');
    const empty = await timed(async () => { for (let i = 0; i < 100; i++) await withTransaction(world.db.pool, async (tx) => { await tx.query('SELECT 1'); }); });
    report('reference: empty transaction (BEGIN, SELECT, COMMIT)', 100_000 / empty.ms, 'tx/s');
    const HOLDERS = Number(process.env.BENCH_CLAIM_HOLDERS ?? 1500);
    const holders: string[] = [];
    for (let i = 0; i < HOLDERS; i++) {
      holders.push((await world.ecard.createHolder({ name: `领取${i}`, idNumber: idNumber(i % 1000, `1970${String(1 + Math.floor(i / 1000) % 12).padStart(2, '0')}01`, '110105'), cardNumber: `R${String(i).padStart(8, '0')}`, region: '110105' }, OPERATOR)).holderId);
    }
    const devices = await Promise.all(Array.from({ length: 16 }, () => newDevice()));
    let next = 0, done = 0, failed = 0;
    const deadline = performance.now() + SECONDS * 1000;
    const start = performance.now();
    await Promise.all(devices.map(async (device) => {
      while (performance.now() < deadline && next < holders.length) {
        const holderId = holders[next++]!;
        try { await claimWith(world, device, { holderId }); done++; } catch { failed++; }
      }
    }));
    const claimMs = performance.now() - start;
    report('claims incl. database (16 concurrent, face excluded)', (done * 1000) / claimMs, 'claim/s', { target: 300, claims: done, failed, db: process.env.DATABASE_URL ? 'postgres' : 'pglite' });

    // ---- status lists: build and size at 1 M and 100 M entries, 0.1 % not valid
    const signer = await ensureIssuer({ pool: world.db.pool, keyStore: world.keyStore, clock: world.clock, ca: undefined as never }, 'ecdsa');
    for (const size of [1_000_000, 100_000_000]) {
      const entries: [number, number][] = [];
      for (let i = 0; i < size / 1000; i++) entries.push([randomInt(size), i % 4 === 0 ? 2 : 1]);
      for (const bits of [1, 2] as const) {
        const e = bits === 1 ? entries.map(([i]) => [i, 1] as [number, number]) : entries;
        const packed = await timed(async () => packStatusBits(bits, size, e));
        const compressed = await timed(async () => compressStatusBits(packed.value));
        const iat = Math.floor(Date.now() / 1000);
        const signed = await timed(() => signStatusList({ issuer: signer, iss: 'https://kexin.example.gov.cn/ecard', uri: 'https://kexin.example.gov.cn/ecard/status/1', size, entries: e, iat, ttl: 300, exp: iat + 86_400 }));
        report(`status list ${size / 1e6} M entries, ${bits} bit${bits > 1 ? 's' : ''}, 0.1 % set`, signed.ms, 'ms build', {
          pack: `${fmt(packed.ms)}ms`, deflate: `${fmt(compressed.ms)}ms`, raw: `${fmt(packed.value.length / 1024)}KiB`, compressed: `${fmt((compressed.value.length * 3) / 4 / 1024)}KiB`, jwt: `${fmt(signed.value.length / 1024)}KiB`,
        });
      }
    }
  } finally {
    await world.close();
  }
}
