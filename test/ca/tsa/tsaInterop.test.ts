/** RFC 3161 TSA core against OpenSSL 3.0 (`openssl ts -query/-verify/-reply`, `openssl cms -verify`). */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { verifySignature } from '../../../src/crypto/signatures.ts';
import { issueTimestamp, type TsaConfig, timestamp } from '../../../src/ca/tsa/issueTimestamp.ts';
import { parseTimeStampReq } from '../../../src/ca/tsa/parseTimeStampReq.ts';
import { PKI_FAILURE_INFO, TsaRejection } from '../../../src/ca/tsa/tsaErrors.ts';
import { integer, oid, tlv } from '../../../src/crypto/der.ts';
import { makeTestPki, openssl, opensslAll, type TestPki } from '../ocsp/testPki.ts';

const POLICY = '1.3.6.1.4.1.99999.1.1';
let ec: TestPki;
let sm2: TestPki;
let n = 0;

beforeAll(() => {
  ec = makeTestPki('ec');
  sm2 = makeTestPki('sm2');
  for (const p of [ec, sm2]) {
    writeFileSync(p.path('data.txt'), 'Kexin 可信 time-stamp test document\n');
    writeFileSync(p.path('tsa-chain.pem'), readFileSync(p.path('tsa.pem'), 'latin1') + readFileSync(p.path('issuing.pem'), 'latin1'));
  }
});

function tsaConfig(p: TestPki, extra: Partial<TsaConfig> = {}, sm2UserId?: Uint8Array): TsaConfig {
  return { certDer: p.der('tsa'), chainDers: [p.der('issuing')], signer: p.signer('tsa', { sm2UserId }), policyOid: POLICY, accuracy: { millis: 100 }, ordering: false, ...extra };
}

function query(p: TestPki, args: string[]): { file: string; der: Uint8Array } {
  const file = p.path(`q${++n}.tsq`);
  openssl(['ts', '-query', ...args, '-out', file], { cwd: p.dir });
  return { file, der: new Uint8Array(readFileSync(file)) };
}

function save(p: TestPki, der: Uint8Array): string {
  const file = p.path(`r${++n}.tsr`);
  writeFileSync(file, der);
  return file;
}

function statusOf(der: Uint8Array): { status: number; failBits: number[] } {
  const resp = new pkijs.TimeStampResp({ schema: asn1js.fromBER(der).result });
  const bits: number[] = [];
  const fi = resp.status.failInfo;
  if (fi) {
    const bytes = new Uint8Array(fi.valueBlock.valueHexView);
    for (let i = 0; i < bytes.length * 8 - fi.valueBlock.unusedBits; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) bits.push(i);
  }
  return { status: resp.status.status, failBits: bits };
}

describe('granted time-stamps verified by openssl ts -verify (ECDSA P-256 TSA)', () => {
  for (const alg of ['-sha256', '-sha384', '-sha512', '-sm3']) {
    it(`imprint ${alg}, certReq, nonce: Verification: OK against the data and the query`, async () => {
      const q = query(ec, ['-data', 'data.txt', alg, '-cert']);
      const der = await timestamp({ requestDer: q.der, tsa: tsaConfig(ec), serial: new Uint8Array(randomBytes(16)), clock: fixedClock(new Date()) });
      const r = save(ec, der);
      let out = opensslAll(['ts', '-verify', '-data', 'data.txt', '-in', r, '-CAfile', 'root.pem', '-untrusted', 'issuing.pem'], ec.dir);
      expect(out.out).toContain('Verification: OK');
      out = opensslAll(['ts', '-verify', '-queryfile', q.file, '-in', r, '-CAfile', 'root.pem', '-untrusted', 'issuing.pem'], ec.dir); // checks nonce + imprint
      expect(out.out).toContain('Verification: OK');
      const text = opensslAll(['ts', '-reply', '-in', r, '-text'], ec.dir).out;
      expect(text).toContain('Status: Granted.');
      expect(text).toContain(`Policy OID: ${POLICY}`);
      expect(text).toMatch(/Accuracy: unspecified seconds, 0x64 millis, unspecified micros/);
      expect(text).toMatch(/Nonce: 0x[0-9A-F]+/);
      expect(text).toContain('Ordering: no');
      const nonceReq = opensslAll(['ts', '-query', '-in', q.file, '-text'], ec.dir).out.match(/Nonce: (0x[0-9A-F]+)/)![1];
      expect(text).toContain(`Nonce: ${nonceReq}`);
    });
  }

  it('genTime carries milliseconds when accuracy < 1 s and whole seconds otherwise; accuracy in seconds', async () => {
    const q = query(ec, ['-data', 'data.txt', '-sha256', '-cert']);
    const clock = fixedClock('2026-11-23T08:00:01.234Z');
    let text = opensslAll(['ts', '-reply', '-in', save(ec, await timestamp({ requestDer: q.der, tsa: tsaConfig(ec), serial: 7n, clock })), '-text'], ec.dir).out;
    expect(text).toContain('Time stamp: Nov 23 08:00:01.234 2026 GMT');
    text = opensslAll(['ts', '-reply', '-in', save(ec, await timestamp({ requestDer: q.der, tsa: tsaConfig(ec, { accuracy: { seconds: 1 } }), serial: 8n, clock })), '-text'], ec.dir).out;
    expect(text).toContain('Time stamp: Nov 23 08:00:01 2026 GMT');
    expect(text).toContain('Accuracy: 0x01 seconds, unspecified millis, unspecified micros');
    expect(text).toContain('Serial number: 0x08');
    const all = save(ec, await timestamp({ requestDer: q.der, tsa: tsaConfig(ec, { accuracy: { seconds: 2, millis: 300, micros: 7 }, includeTsaName: true }), serial: 0xff00n, clock }));
    text = opensslAll(['ts', '-reply', '-in', all, '-text'], ec.dir).out;
    expect(text).toContain('Accuracy: 0x02 seconds, 0x012C millis, 0x07 micros');
    expect(text).toContain('Serial number: 0xFF00');
    expect(text).toContain('TSA: DirName:/CN=Kexin Test tsa ec');
    expect(opensslAll(['ts', '-verify', '-data', 'data.txt', '-in', all, '-CAfile', 'root.pem', '-untrusted', 'issuing.pem'], ec.dir).out).toContain('Verification: OK');
  });

  it('certReq false: no certificates in the token; openssl needs -untrusted with the TSA certificate', async () => {
    const q = query(ec, ['-data', 'data.txt', '-sha256', '-no_nonce']);
    expect(parseTimeStampReq(q.der)).toMatchObject({ certReq: false, nonce: undefined });
    const r = save(ec, await timestamp({ requestDer: q.der, tsa: tsaConfig(ec), serial: 9n, clock: fixedClock(new Date()) }));
    let out = opensslAll(['ts', '-verify', '-data', 'data.txt', '-in', r, '-CAfile', 'root.pem', '-untrusted', 'issuing.pem'], ec.dir);
    expect(out.out).toContain('Verification: FAILED');
    out = opensslAll(['ts', '-verify', '-data', 'data.txt', '-in', r, '-CAfile', 'root.pem', '-untrusted', 'tsa-chain.pem'], ec.dir);
    expect(out.out).toContain('Verification: OK');
  });

  it('ESSCertIDv2 (RFC 5816) holds SHA-256 of the TSA certificate, hashAlgorithm omitted, and issuerSerial', async () => {
    const q = query(ec, ['-data', 'data.txt', '-sha256', '-cert']);
    const r = await issueTimestamp({ requestDer: q.der, tsa: tsaConfig(ec), serial: 10n, clock: fixedClock(new Date()) });
    expect(r.granted).toBe(true);
    const resp = new pkijs.TimeStampResp({ schema: asn1js.fromBER(r.der).result });
    const sd = new pkijs.SignedData({ schema: resp.timeStampToken!.content });
    expect(sd.certificates).toHaveLength(2);
    const attrs = sd.signerInfos[0]!.signedAttrs!.attributes;
    const scv2 = attrs.find((a) => a.type === '1.2.840.113549.1.9.16.2.47')!.values[0] as asn1js.Sequence;
    const essId = (scv2.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
    const first = essId.valueBlock.value[0] as asn1js.OctetString;
    expect(first).toBeInstanceOf(asn1js.OctetString);
    expect(Buffer.from(first.valueBlock.valueHexView).toString('hex')).toBe(createHash('sha256').update(ec.der('tsa')).digest('hex'));
    expect(attrs.map((a) => a.type).sort()).toEqual(['1.2.840.113549.1.9.16.2.47', '1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4', '1.2.840.113549.1.9.5'].sort());
  });
});

describe('SM2 TSA (SM3 digest, SM2-with-SM3 1.2.156.10197.1.501)', () => {
  it('openssl cms -verify accepts the token (empty SM2 id, as OpenSSL 3.0 uses); openssl ts cannot do SM2 at all', async () => {
    const q = query(sm2, ['-data', 'data.txt', '-sm3', '-cert']);
    const r = save(sm2, await timestamp({ requestDer: q.der, tsa: tsaConfig(sm2, {}, new Uint8Array(0)), serial: 11n, clock: fixedClock(new Date()) }));
    openssl(['ts', '-reply', '-in', r, '-token_out', '-out', 'sm2.tok'], { cwd: sm2.dir });
    const out = opensslAll(['cms', '-verify', '-inform', 'DER', '-in', 'sm2.tok', '-CAfile', 'root.pem', '-certfile', 'issuing.pem', '-purpose', 'any', '-out', 'tst.der'], sm2.dir);
    expect(out.out).toContain('Verification successful');
    const text = opensslAll(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'sm2.tok'], sm2.dir).out;
    expect(text).toContain('algorithm: sm3');
    expect(text).toContain('algorithm: SM2-with-SM3');
    // OpenSSL 3.0's PKCS7 layer (used by `openssl ts`) has no SM2: "signing not supported for this key type"
    expect(opensslAll(['ts', '-verify', '-data', 'data.txt', '-in', r, '-CAfile', 'root.pem', '-untrusted', 'issuing.pem'], sm2.dir).out).toContain('Verification: FAILED');
  });

  it('with the GM/T 0009 default id the signature over the signed attributes verifies with Kexin verifySignature', async () => {
    const q = query(sm2, ['-data', 'data.txt', '-sm3', '-cert']);
    const der = await timestamp({ requestDer: q.der, tsa: tsaConfig(sm2), serial: 12n, clock: fixedClock(new Date()) });
    const resp = new pkijs.TimeStampResp({ schema: asn1js.fromBER(der).result });
    const sd = new pkijs.SignedData({ schema: resp.timeStampToken!.content });
    const si = sd.signerInfos[0]!;
    expect(si.digestAlgorithm.algorithmId).toBe('1.2.156.10197.1.401');
    expect(si.signatureAlgorithm.algorithmId).toBe('1.2.156.10197.1.501');
    const signedAttrs = new Uint8Array(si.signedAttrs!.encodedValue);
    signedAttrs[0] = 0x31; // [0] IMPLICIT → SET OF for the signature input (RFC 5652 §5.4)
    expect(verifySignature(sm2.signer('tsa').publicKeySpki, 'SM2-SM3', signedAttrs, new Uint8Array(si.signature.valueBlock.valueHexView))).toBe(true);
    const tst = new Uint8Array(sd.encapContentInfo.eContent!.valueBlock.valueHexView);
    const md = si.signedAttrs!.attributes.find((a) => a.type === '1.2.840.113549.1.9.4')!.values[0] as asn1js.OctetString;
    expect(Buffer.from(md.valueBlock.valueHexView).toString('hex')).toBe(createHash('sm3').update(tst).digest('hex'));
  });
});

describe('rejections are TimeStampResps with PKIStatus rejection and a PKIFailureInfo', () => {
  const rejected = async (p: TestPki, requestDer: Uint8Array, tsa = tsaConfig(p)) => {
    const r = await issueTimestamp({ requestDer, tsa, serial: 1n, clock: fixedClock(new Date()) });
    expect(r.granted).toBe(false);
    return { r, ...statusOf(r.der) };
  };
  const handMade = (oid: string, imprintLength: number) =>
    new Uint8Array(new asn1js.Sequence({
      value: [new asn1js.Integer({ value: 1 }), new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid })] }), new asn1js.OctetString({ valueHex: new Uint8Array(imprintLength) })] })],
    }).toBER());

  it('MD5, SHA-1 and a made-up OID → badAlg (bit 0), shown by openssl', async () => {
    for (const der of [query(ec, ['-data', 'data.txt', '-md5']).der, query(ec, ['-data', 'data.txt', '-sha1']).der, handMade('1.2.3.4.5.6', 32)]) {
      const { status, failBits } = await rejected(ec, der);
      expect(status).toBe(2);
      expect(failBits).toEqual([PKI_FAILURE_INFO.badAlg]);
    }
    const r = save(ec, await timestamp({ requestDer: query(ec, ['-data', 'data.txt', '-md5']).der, tsa: tsaConfig(ec), serial: 1n, clock: fixedClock(new Date()) }));
    const text = opensslAll(['ts', '-reply', '-in', r, '-text'], ec.dir).out;
    expect(text).toContain('Status: Rejected.');
    expect(text).toContain('Failure info: unrecognized or unsupported algorithm identifier');
  });

  it('imprint of the wrong length → badDataFormat; unaccepted policy → unacceptedPolicy; an accepted one is used', async () => {
    expect((await rejected(ec, handMade('2.16.840.1.101.3.4.2.1', 20))).failBits).toEqual([PKI_FAILURE_INFO.badDataFormat]);
    const q = query(ec, ['-data', 'data.txt', '-sha256', '-tspolicy', '1.2.3.4.5']);
    expect((await rejected(ec, q.der)).failBits).toEqual([PKI_FAILURE_INFO.unacceptedPolicy]);
    const ok = await issueTimestamp({ requestDer: q.der, tsa: tsaConfig(ec, { acceptedPolicies: ['1.2.3.4.5'] }), serial: 2n, clock: fixedClock(new Date()) });
    expect(ok.granted).toBe(true);
    expect(opensslAll(['ts', '-reply', '-in', save(ec, ok.der), '-text'], ec.dir).out).toContain('Policy OID: 1.2.3.4.5');
  });

  it('a nonce over 32 octets → badRequest; request extensions → unacceptedExtension; hash parameters other than NULL → badAlg', async () => {
    const mi = (params?: Uint8Array) => tlv(0x30, tlv(0x30, oid('2.16.840.1.101.3.4.2.1'), ...(params ? [params] : [])), tlv(0x04, new Uint8Array(32)));
    const req = (...rest: Uint8Array[]) => tlv(0x30, integer(1), mi(), ...rest);
    expect((await rejected(ec, req(tlv(0x02, Uint8Array.from([1, ...new Uint8Array(32)]))))).failBits).toEqual([PKI_FAILURE_INFO.badRequest]);
    expect((await rejected(ec, req(tlv(0xa0, tlv(0x30, oid('1.2.3'), tlv(0x04, Uint8Array.of(5))))))).failBits).toEqual([PKI_FAILURE_INFO.unacceptedExtension]);
    expect((await rejected(ec, tlv(0x30, integer(1), mi(tlv(0x02, Uint8Array.of(1)))))).failBits).toEqual([PKI_FAILURE_INFO.badAlg]);
    expect((await rejected(ec, tlv(0x30, integer(2), mi()))).failBits).toEqual([PKI_FAILURE_INFO.badDataFormat]);
    const ok = await issueTimestamp({ requestDer: tlv(0x30, integer(1), mi(Uint8Array.of(0x05, 0x00)), tlv(0x02, Uint8Array.of(0x80, 1))), tsa: tsaConfig(ec), serial: 4n, clock: fixedClock(new Date()) });
    expect(ok.granted).toBe(true); // NULL parameters tolerated; a negative nonce is echoed as received
  });

  it('garbage, empty, truncated and trailing bytes → badDataFormat, never an exception', async () => {
    const good = query(ec, ['-data', 'data.txt', '-sha256', '-cert']).der;
    for (const der of [new Uint8Array(0), new TextEncoder().encode('hello'), good.subarray(0, 20), Uint8Array.from([...good, 0, 0]), new Uint8Array(randomBytes(64))]) {
      expect((await rejected(ec, der)).failBits).toEqual([PKI_FAILURE_INFO.badDataFormat]);
      expect(() => parseTimeStampReq(der)).toThrow(TsaRejection);
    }
  });

  it('a TSA signer that does not match the TSA certificate → systemFailure, not an exception', async () => {
    const q = query(ec, ['-data', 'data.txt', '-sha256']);
    const errors: unknown[] = [];
    const r = await issueTimestamp({ requestDer: q.der, tsa: tsaConfig(ec, { signer: ec.signer('ocsp') }), serial: 3n, clock: fixedClock(new Date()), onError: (e) => errors.push(e) });
    expect(r).toMatchObject({ granted: false, failInfo: 'systemFailure' });
    expect(errors).toHaveLength(1);
  });

  it('fuzz: 2500 mutated requests give only granted or rejected TimeStampResps', async () => {
    const seeds = [query(ec, ['-data', 'data.txt', '-sha256', '-cert']).der, query(ec, ['-data', 'data.txt', '-sha512', '-no_nonce', '-tspolicy', POLICY]).der];
    const tsa = tsaConfig(ec);
    const clock = fixedClock(new Date());
    let rnd = 987654321;
    const next = () => (rnd = (rnd * 1103515245 + 12345) >>> 0);
    const tally = { granted: 0, rejected: 0 };
    for (let i = 0; i < 2500; i++) {
      const m = Uint8Array.from(seeds[i % 2]!);
      for (let f = 0, k = 1 + (next() % 4); f < k; f++) {
        const pos = next() % m.length;
        m[pos] = next() % 2 ? next() & 0xff : m[pos]! ^ (1 << (next() % 8));
      }
      const input = next() % 10 === 0 ? m.subarray(0, next() % m.length) : m;
      const r = await issueTimestamp({ requestDer: input, tsa, serial: BigInt(i + 1), clock });
      const s = statusOf(r.der);
      expect([0, 2]).toContain(s.status);
      tally[r.granted ? 'granted' : 'rejected']++;
    }
    expect(tally.granted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  }, 180_000);
});
