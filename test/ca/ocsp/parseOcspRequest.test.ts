/** Strict DER walking of OCSPRequests built by hand: what is malformed and what is merely unknown. */
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { respond } from '../../../src/ca/ocsp/buildOcspResponse.ts';
import { decodeOid, oid, readTlv, tlv } from '../../../src/crypto/der.ts';
import { parseOcspRequest, OID_OCSP_NONCE } from '../../../src/ca/ocsp/parseOcspRequest.ts';
import { KexinError } from '../../../src/errors.ts';

const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const octets = (b: Uint8Array) => tlv(0x04, b);
const certId = (alg: string, serial: number[]) => seq(seq(oid(alg), Uint8Array.of(0x05, 0x00)), octets(new Uint8Array(20)), octets(new Uint8Array(20)), tlv(0x02, Uint8Array.from(serial)));
const nonceExt = (extnValue: Uint8Array) => tlv(0xa2, seq(seq(oid(OID_OCSP_NONCE), octets(extnValue))));
const ocspReq = (certIds: Uint8Array[], ...rest: Uint8Array[]) => seq(seq(seq(...certIds.map((c) => seq(c))), ...rest));

describe('parseOcspRequest', () => {
  it('canonicalises serials like the CA store (40 hex digits) and flags negative or over-long ones', () => {
    const p = parseOcspRequest(ocspReq([certId('1.3.14.3.2.26', [0x00, 0x80, 0x01]), certId('1.3.14.3.2.26', [0x80]), certId('1.3.14.3.2.26', new Array(21).fill(1))]));
    expect(p.requests.map((r) => [r.certId.serialNumber, r.certId.serialInRange])).toEqual([
      ['8001'.padStart(40, '0'), true],
      ['80', false],
      ['01'.repeat(21), false],
    ]);
    expect(p.requests[0]!.certId.hashAlgorithm).toBe('sha1');
  });

  it('unknown hash algorithm is not malformed', () => {
    const p = parseOcspRequest(ocspReq([certId('1.2.3.4', [1])]));
    expect(p.requests[0]!.certId).toMatchObject({ hashAlgorithm: undefined, hashAlgorithmOid: '1.2.3.4' });
  });

  it('nonce: OCTET STRING form and raw form, 1..32 octets; 33 octets or two nonces are malformed', () => {
    const c = certId('2.16.840.1.101.3.4.2.1', [1]);
    expect(parseOcspRequest(ocspReq([c], nonceExt(octets(new Uint8Array(32).fill(7))))).nonce).toEqual(new Uint8Array(32).fill(7));
    expect(parseOcspRequest(ocspReq([c], nonceExt(Uint8Array.of(1, 2, 3)))).nonce).toEqual(Uint8Array.of(1, 2, 3));
    expect(() => parseOcspRequest(ocspReq([c], nonceExt(octets(new Uint8Array(33)))))).toThrow(KexinError);
    const two = tlv(0xa2, seq(seq(oid(OID_OCSP_NONCE), octets(octets(Uint8Array.of(1)))), seq(oid(OID_OCSP_NONCE), octets(octets(Uint8Array.of(2))))));
    expect(() => parseOcspRequest(ocspReq([c], two))).toThrow(/two nonce/);
  });

  it('rejects non-DER lengths, no requests, more than 20, version ≠ v1', () => {
    const good = ocspReq([certId('1.3.14.3.2.26', [1])]);
    const indefinite = Uint8Array.from([0x30, 0x80, ...good.subarray(2), 0, 0]);
    const nonMinimal = Uint8Array.from([0x30, 0x81, good[1]!, ...good.subarray(2)]);
    for (const bad of [indefinite, nonMinimal, ocspReq([]), ocspReq(Array.from({ length: 21 }, () => certId('1.3.14.3.2.26', [1])))]) {
      expect(() => parseOcspRequest(bad)).toThrow(expect.objectContaining({ code: 'OCSP_MALFORMED_REQUEST' }));
    }
    const v2 = seq(seq(tlv(0xa0, tlv(0x02, Uint8Array.of(1))), seq(seq(certId('1.3.14.3.2.26', [1])))));
    expect(() => parseOcspRequest(v2)).toThrow(/version/);
    const v1explicit = seq(seq(tlv(0xa0, tlv(0x02, Uint8Array.of(0))), seq(seq(certId('1.3.14.3.2.26', [1])))));
    expect(parseOcspRequest(v1explicit).requests).toHaveLength(1);
  });

  it('der helpers: OID round trip, length forms', () => {
    for (const o of ['1.2.840.113549.1.9.16.2.47', '2.999.1', '1.2.156.10197.1.501', '0.9.2342']) expect(decodeOid(readTlv(oid(o)).content)).toBe(o);
    const big = tlv(0x04, new Uint8Array(300));
    expect(Array.from(big.subarray(0, 4))).toEqual([0x04, 0x82, 0x01, 0x2c]);
    expect(readTlv(big).content.length).toBe(300);
  });

  it('respond() answers a hand-made malformed request with status 1', async () => {
    const ans = await respond({ request: ocspReq([]), responders: [], lookup: () => ({ status: 'good' }), clock: fixedClock(new Date()) });
    expect(ans.responseStatus).toBe('malformedRequest');
  });
});
