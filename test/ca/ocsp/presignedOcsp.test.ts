/** The RFC 5019 pre-signed cache: cached answers do not sign; invalidate, staleness, nonce/multi bypass. */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import type { CertificateStatusAnswer } from '../../../src/ca/ocsp/buildOcspResponse.ts';
import { createOcspResponseCache } from '../../../src/ca/ocsp/presignedOcsp.ts';
import { makeTestPki, openssl, opensslAll, type TestPki } from './testPki.ts';

let pki: TestPki;
let n = 0;
beforeAll(() => {
  pki = makeTestPki('ec');
});
const req = (args: string[]) => {
  const file = pki.path(`c${++n}.der`);
  openssl(['ocsp', '-issuer', 'issuing.pem', ...args, '-reqout', file], { cwd: pki.dir });
  return { file, der: new Uint8Array(readFileSync(file)) };
};

describe('createOcspResponseCache', () => {
  it('signs once per (issuer, serial), serves cached answers without calling sign, re-signs after invalidate or when stale', async () => {
    const count = { n: 0 };
    const clock = fixedClock(new Date(Math.floor(Date.now() / 1000) * 1000));
    const status = new Map<string, CertificateStatusAnswer>();
    const leaf1 = pki.leafSerials.leaf1.padStart(40, '0');
    status.set(leaf1, { status: 'good' });
    const cache = createOcspResponseCache({
      responders: [{ issuerId: 'ca1', issuerCertDer: pki.der('issuing'), responderCertDer: pki.der('ocsp'), signer: pki.signer('ocsp', { count }) }],
      lookup: (_issuer, serial) => status.get(serial) ?? { status: 'unknown' },
      clock,
      validitySeconds: 3600,
      refreshBeforeSeconds: 600,
    });
    const r = req(['-serial', `0x${pki.leafSerials.leaf1}`, '-no_nonce']);
    const first = await Promise.all(Array.from({ length: 20 }, () => cache.answer(r.der))); // concurrent misses share one signing
    expect(count.n).toBe(1);
    expect(new Set(first.map((a) => a.etag)).size).toBe(1);
    const a1 = first[0]!;
    expect(a1).toMatchObject({ cacheable: true, fromCache: false, maxAge: 3600 });
    expect(a1.etag).toBe(`"${createHash('sha256').update(a1.der).digest('hex')}"`);
    expect(count.n).toBe(1);

    clock.advance(1000 * 1000);
    const a2 = await cache.answer(r.der);
    expect(count.n).toBe(1); // no signature for a cached answer
    expect(a2).toMatchObject({ cacheable: true, fromCache: true, maxAge: 2600, etag: a1.etag });
    expect(a2.der).toEqual(a1.der);
    expect(a2.lastModified).toEqual(a1.lastModified);

    // concurrent hits and misses: one signature
    const hits = await Promise.all(Array.from({ length: 50 }, () => cache.answer(r.der)));
    expect(hits.every((h) => h.fromCache)).toBe(true);
    expect(count.n).toBe(1);

    // revoke → invalidate → re-signed with the new status
    status.set(leaf1, { status: 'revoked', revokedAt: new Date('2026-05-06T07:08:09Z'), reason: 'superseded' });
    cache.invalidate('ca1', `0x${pki.leafSerials.leaf1}`);
    const a3 = await cache.answer(r.der);
    expect(count.n).toBe(2);
    expect(a3.fromCache).toBe(false);
    writeFileSync(pki.path('cache-resp.der'), a3.der);
    const out = opensslAll(['ocsp', '-reqin', r.file, '-respin', 'cache-resp.der', '-CAfile', 'chain.pem', '-issuer', 'issuing.pem', '-serial', `0x${pki.leafSerials.leaf1}`, '-no_nonce'], pki.dir);
    expect(out.out).toContain('Response verify OK');
    expect(out.out).toContain('Reason: superseded');

    // within refreshBefore of nextUpdate → re-signed
    clock.advance(3001 * 1000);
    await cache.answer(r.der);
    expect(count.n).toBe(3);
    await cache.answer(r.der);
    expect(count.n).toBe(3);

    // SHA-256 CertID for the same certificate: its own slot, dropped by the same invalidate
    const r256 = req(['-sha256', '-serial', `0x${pki.leafSerials.leaf1}`, '-no_nonce']);
    await cache.answer(r256.der);
    await cache.answer(r256.der);
    expect(count.n).toBe(4);
    expect(cache.size).toBe(2);
    cache.invalidate('ca1', pki.leafSerials.leaf1);
    expect(cache.size).toBe(0);
  });

  it('signs fresh, uncacheable, for nonce and multi-CertID requests; errors are not cacheable', async () => {
    const count = { n: 0 };
    const cache = createOcspResponseCache({
      responders: [{ issuerId: 'ca1', issuerCertDer: pki.der('issuing'), responderCertDer: pki.der('ocsp'), signer: pki.signer('ocsp', { count }) }],
      lookup: () => ({ status: 'good' }),
      clock: fixedClock(new Date()),
      validitySeconds: 3600,
      refreshBeforeSeconds: 600,
    });
    const withNonce = req(['-serial', '0x01']);
    const multi = req(['-serial', '0x01', '-serial', '0x02', '-no_nonce']);
    for (const r of [withNonce, multi, withNonce, multi]) {
      const a = await cache.answer(r.der);
      expect(a.cacheable).toBe(false);
      expect(a.etag).toBeUndefined();
    }
    expect(count.n).toBe(4);
    expect(cache.size).toBe(0);
    const bad = await cache.answer(Uint8Array.of(1, 2, 3));
    expect(bad).toMatchObject({ cacheable: false, der: Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x01) });
  });
});
