/** OCSP responder core against OpenSSL 3.0's client (`openssl ocsp`): requests made and responses checked by it. */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { verifySignature } from '../../../src/crypto/signatures.ts';
import { KexinError } from '../../../src/errors.ts';
import { type CertificateStatusAnswer, ocspErrorResponse, prepareResponders, respond } from '../../../src/ca/ocsp/buildOcspResponse.ts';
import type { OcspResponderConfig } from '../../../src/ca/ocsp/ocspResponder.ts';
import { parseOcspRequest } from '../../../src/ca/ocsp/parseOcspRequest.ts';
import { makeTestPki, openssl, opensslAll, type TestPki } from './testPki.ts';

const EMPTY_ID = new Uint8Array(0);
let ec: TestPki;
let sm2: TestPki;
let seq = 0;

beforeAll(() => {
  ec = makeTestPki('ec');
  sm2 = makeTestPki('sm2');
});

function request(pki: TestPki, args: string[]): { file: string; der: Uint8Array } {
  const file = pki.path(`req${++seq}.der`);
  openssl(['ocsp', ...args, '-reqout', file], { cwd: pki.dir });
  return { file, der: new Uint8Array(readFileSync(file)) };
}

function save(pki: TestPki, der: Uint8Array): string {
  const file = pki.path(`resp${++seq}.der`);
  writeFileSync(file, der);
  return file;
}

function responder(pki: TestPki, opts: { sm2UserId?: Uint8Array; issuerId?: string } = {}): OcspResponderConfig {
  return { issuerId: opts.issuerId ?? `ca-${pki.kind}`, issuerCertDer: pki.der('issuing'), responderCertDer: pki.der('ocsp'), signer: pki.signer('ocsp', { sm2UserId: opts.sm2UserId }) };
}

const statuses = new Map<string, CertificateStatusAnswer>();
const lookup = (issuerId: string, serial: string) => statuses.get(`${issuerId}|${serial}`) ?? { status: 'unknown' as const };
const serial40 = (s: string) => s.padStart(40, '0');

describe('OCSP responder with openssl ocsp (ECDSA P-256)', () => {
  it('answers good, then revoked (reason, time), and unknown for a serial never issued; no nonce', async () => {
    const clock = fixedClock(new Date());
    statuses.set(`ca-ec|${serial40(ec.leafSerials.leaf1)}`, { status: 'good' });
    const req = request(ec, ['-issuer', 'issuing.pem', '-serial', `0x${ec.leafSerials.leaf1}`, '-no_nonce']);
    let ans = await respond({ request: req.der, responders: [responder(ec)], lookup, clock, nextUpdateSeconds: 3600 });
    expect(ans.responseStatus).toBe('successful');
    let out = opensslAll(['ocsp', '-reqin', req.file, '-respin', save(ec, ans.der), '-CAfile', 'chain.pem', '-issuer', 'issuing.pem', '-serial', `0x${ec.leafSerials.leaf1}`, '-no_nonce', '-resp_text'], ec.dir);
    expect(out.status, out.out).toBe(0);
    expect(out.out).toContain('Response verify OK');
    expect(out.out).toMatch(/0x0a1b2c3d4e5f: good/);
    expect(out.out).toMatch(/Responder Id: [0-9A-F]{40}/); // byKey

    statuses.set(`ca-ec|${serial40(ec.leafSerials.leaf1)}`, { status: 'revoked', revokedAt: new Date('2026-01-02T03:04:05Z'), reason: 'keyCompromise' });
    ans = await respond({ request: req.der, responders: [responder(ec)], lookup, clock, nextUpdateSeconds: 3600 });
    out = opensslAll(['ocsp', '-reqin', req.file, '-respin', save(ec, ans.der), '-CAfile', 'chain.pem', '-issuer', 'issuing.pem', '-serial', `0x${ec.leafSerials.leaf1}`, '-no_nonce'], ec.dir);
    expect(out.out).toContain('Response verify OK');
    expect(out.out).toMatch(/0x0a1b2c3d4e5f: revoked/);
    expect(out.out).toContain('Reason: keyCompromise');
    expect(out.out).toContain('Revocation Time: Jan  2 03:04:05 2026 GMT');

    const req2 = request(ec, ['-issuer', 'issuing.pem', '-serial', '0x0123456789abcdef', '-no_nonce']);
    ans = await respond({ request: req2.der, responders: [responder(ec)], lookup, clock, nextUpdateSeconds: 3600 });
    out = opensslAll(['ocsp', '-reqin', req2.file, '-respin', save(ec, ans.der), '-CAfile', 'chain.pem', '-issuer', 'issuing.pem', '-serial', '0x0123456789abcdef', '-no_nonce'], ec.dir);
    expect(out.out).toContain('Response verify OK');
    expect(out.out).toMatch(/0x0123456789abcdef: unknown/);
  });

  it('echoes the nonce (openssl checks it) and several CertIDs in one response; SHA-256 CertIDs', async () => {
    const clock = fixedClock(new Date());
    statuses.set(`ca-ec|${serial40(ec.leafSerials.leaf1)}`, { status: 'good' });
    statuses.set(`ca-ec|${serial40(ec.leafSerials.leaf2)}`, { status: 'revoked', revokedAt: new Date('2026-03-04T05:06:07Z'), reason: 'certificateHold' });
    for (const digestFlag of ['-sha1', '-sha256']) {
      const req = request(ec, ['-issuer', 'issuing.pem', digestFlag, '-cert', 'leaf1.pem', '-cert', 'leaf2.pem']);
      expect(parseOcspRequest(req.der).nonce?.length).toBe(16);
      const ans = await respond({ request: req.der, responders: [responder(ec)], lookup, clock, nextUpdateSeconds: 600 });
      const resp = save(ec, ans.der);
      // -reqin alone: signature, chain and nonce are checked
      let out = opensslAll(['ocsp', '-reqin', req.file, '-respin', resp, '-CAfile', 'chain.pem'], ec.dir);
      expect(out.status, out.out).toBe(0);
      expect(out.out).toContain('Response verify OK');
      expect(out.out).not.toContain('WARNING: no nonce');
      out = opensslAll(['ocsp', '-reqin', req.file, '-respin', resp, '-CAfile', 'chain.pem', '-issuer', 'issuing.pem', digestFlag, '-cert', 'leaf1.pem', '-cert', 'leaf2.pem', '-no_nonce'], ec.dir);
      expect(out.out).toMatch(/leaf1.pem: good/);
      expect(out.out).toMatch(/leaf2.pem: revoked[\s\S]*Reason: certificateHold/);
      // the same response against another request (another nonce) is refused by openssl
      const other = request(ec, ['-issuer', 'issuing.pem', digestFlag, '-cert', 'leaf1.pem', '-cert', 'leaf2.pem']);
      out = opensslAll(['ocsp', '-reqin', other.file, '-respin', resp, '-CAfile', 'chain.pem'], ec.dir);
      expect(out.out).toContain('Nonce Verify error');
    }
  });

  it('answers unauthorized for an issuer it does not serve and for CertIDs spanning two issuers', async () => {
    const clock = fixedClock(new Date());
    const foreign = request(sm2, ['-issuer', 'issuing.pem', '-serial', '0x01', '-no_nonce']);
    let ans = await respond({ request: foreign.der, responders: [responder(ec)], lookup, clock });
    expect(ans.responseStatus).toBe('unauthorized');
    expect(ans.der).toEqual(ocspErrorResponse('unauthorized'));
    const out = opensslAll(['ocsp', '-respin', save(ec, ans.der), '-resp_text'], ec.dir);
    expect(out.out).toContain('unauthorized (6)');

    const both = request(ec, ['-issuer', 'issuing.pem', '-serial', '0x01', '-issuer', `${sm2.dir}/issuing.pem`, '-serial', '0x02', '-no_nonce']);
    ans = await respond({ request: both.der, responders: [responder(ec), responder(sm2, { sm2UserId: EMPTY_ID })], lookup, clock });
    expect(ans.responseStatus).toBe('unauthorized');
    // each alone is served by its own responder
    ans = await respond({ request: foreign.der, responders: [responder(ec), responder(sm2, { sm2UserId: EMPTY_ID })], lookup, clock });
    expect(ans.responseStatus).toBe('successful');
    expect(ans.issuerId).toBe('ca-sm2');
  });

  it('answers unknown for a CertID hashed with an algorithm it does not accept (MD5), not malformed', async () => {
    const req = request(ec, ['-issuer', 'issuing.pem', '-md5', '-serial', `0x${ec.leafSerials.leaf1}`, '-no_nonce']);
    const parsed = parseOcspRequest(req.der);
    expect(parsed.requests[0]!.certId.hashAlgorithm).toBeUndefined();
    const ans = await respond({ request: req.der, responders: [responder(ec)], lookup, clock: fixedClock(new Date()), nextUpdateSeconds: 60 });
    expect(ans.responseStatus).toBe('successful');
    const out = opensslAll(['ocsp', '-reqin', req.file, '-respin', save(ec, ans.der), '-CAfile', 'chain.pem', '-issuer', 'issuing.pem', '-md5', '-serial', `0x${ec.leafSerials.leaf1}`, '-no_nonce'], ec.dir);
    expect(out.out).toContain('Response verify OK');
    expect(out.out).toMatch(/: unknown/);
  });

  it('accepts a signed request without checking its signature', async () => {
    const req = request(ec, ['-issuer', 'issuing.pem', '-serial', `0x${ec.leafSerials.leaf1}`, '-signer', 'leaf1.pem', '-signkey', 'leaf1.key', '-no_nonce']);
    expect(parseOcspRequest(req.der).signed).toBe(true);
    const ans = await respond({ request: req.der, responders: [responder(ec)], lookup, clock: fixedClock(new Date()) });
    expect(ans.responseStatus).toBe('successful');
  });
});

describe('OCSP responder with SM2 / SM3', () => {
  it('signs with SM2-with-SM3 (1.2.156.10197.1.501) that openssl verifies (empty SM2 id, as OpenSSL 3.0 uses)', async () => {
    statuses.set(`ca-sm2|${serial40(sm2.leafSerials.leaf1)}`, { status: 'good' });
    const req = request(sm2, ['-issuer', 'issuing.pem', '-cert', 'leaf1.pem']);
    const ans = await respond({ request: req.der, responders: [responder(sm2, { sm2UserId: EMPTY_ID })], lookup, clock: fixedClock(new Date()), nextUpdateSeconds: 600 });
    const resp = save(sm2, ans.der);
    const out = opensslAll(['ocsp', '-reqin', req.file, '-respin', resp, '-CAfile', 'chain.pem', '-resp_text'], sm2.dir);
    expect(out.status, out.out).toBe(0);
    expect(out.out).toContain('Response verify OK');
    expect(out.out).toContain('SM2-with-SM3');
  });

  it('with the GM/T 0009 default id, the signature verifies with Kexin verifySignature', async () => {
    const req = request(sm2, ['-issuer', 'issuing.pem', '-sha256', '-cert', 'leaf1.pem']);
    const ans = await respond({ request: req.der, responders: [responder(sm2)], lookup, clock: fixedClock(new Date()) });
    const basic = basicOf(ans.der);
    expect(basic.signatureAlgorithm.algorithmId).toBe('1.2.156.10197.1.501');
    const ok = verifySignature(sm2.signer('ocsp').publicKeySpki, 'SM2-SM3', new Uint8Array(basic.tbsResponseData.tbsView), new Uint8Array(basic.signature.valueBlock.valueHexView));
    expect(ok).toBe(true);
  });
});

describe('malformed and fuzzed requests', () => {
  it('answers malformedRequest (1) for garbage, truncated, trailing bytes, empty and random bytes, never throwing', async () => {
    const good = request(ec, ['-issuer', 'issuing.pem', '-serial', '0x01']).der;
    const inputs = [
      new Uint8Array(0),
      new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'),
      good.subarray(0, good.length - 3),
      Uint8Array.from([...good, 0]),
      new Uint8Array(randomBytes(200)),
      Uint8Array.of(0x30, 0x00),
    ];
    for (const input of inputs) {
      const ans = await respond({ request: input, responders: [responder(ec)], lookup, clock: fixedClock(new Date()) });
      expect(ans.responseStatus).toBe('malformedRequest');
      expect(ans.der).toEqual(Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x01));
      expect(() => parseOcspRequest(input)).toThrow(KexinError);
    }
  });

  it('fuzz: 3000 mutated requests give only OCSP responses, never an exception', async () => {
    const seeds = [
      request(ec, ['-issuer', 'issuing.pem', '-serial', `0x${ec.leafSerials.leaf1}`]).der,
      request(ec, ['-issuer', 'issuing.pem', '-sha256', '-cert', 'leaf1.pem', '-cert', 'leaf2.pem', '-no_nonce']).der,
    ];
    const responders = prepareResponders([responder(ec)]);
    const clock = fixedClock(new Date());
    const tally = new Map<string, number>();
    let rnd = 12345;
    const next = () => (rnd = (rnd * 1103515245 + 12345) >>> 0);
    for (let i = 0; i < 3000; i++) {
      const m = Uint8Array.from(seeds[i % seeds.length]!);
      const flips = 1 + (next() % 4);
      for (let f = 0; f < flips; f++) {
        const pos = next() % m.length;
        const op = next() % 3;
        if (op === 0) m[pos] = next() & 0xff;
        else if (op === 1) m[pos]! ^= 1 << (next() % 8);
        else m[pos] = [0x00, 0x80, 0xff, 0x7f][next() % 4]!;
      }
      const mutated = next() % 10 === 0 ? m.subarray(0, next() % m.length) : m;
      const ans = await respond({ request: mutated, responders, lookup, clock, nextUpdateSeconds: 60 });
      tally.set(ans.responseStatus, (tally.get(ans.responseStatus) ?? 0) + 1);
      const outer = new pkijs.OCSPResponse({ schema: asn1js.fromBER(ans.der).result });
      if (ans.responseStatus === 'successful') expect(outer.responseBytes).toBeDefined();
      else expect(outer.responseBytes).toBeUndefined();
    }
    expect(tally.get('malformedRequest')).toBeGreaterThan(0);
    expect(tally.get('successful')).toBeGreaterThan(0);
  }, 180_000);

  it('a failing lookup or signer gives internalError (2), not an exception', async () => {
    const req = request(ec, ['-issuer', 'issuing.pem', '-serial', '0x01', '-no_nonce']).der;
    const errors: unknown[] = [];
    let ans = await respond({ request: req, responders: [responder(ec)], lookup: async () => { throw new Error('db down'); }, clock: fixedClock(new Date()), onError: (e) => errors.push(e) });
    expect(ans).toMatchObject({ responseStatus: 'internalError', der: ocspErrorResponse('internalError') });
    const broken = { ...responder(ec), signer: { ...ec.signer('ocsp'), sign: async () => { throw new Error('HSM gone'); } } };
    ans = await respond({ request: req, responders: [broken], lookup, clock: fixedClock(new Date()), onError: (e) => errors.push(e) });
    expect(ans.responseStatus).toBe('internalError');
    expect(errors).toHaveLength(2);
  });
});

function basicOf(der: Uint8Array): pkijs.BasicOCSPResponse {
  const outer = new pkijs.OCSPResponse({ schema: asn1js.fromBER(der).result });
  return new pkijs.BasicOCSPResponse({ schema: asn1js.fromBER(outer.responseBytes!.response.valueBlock.valueHexView).result });
}
