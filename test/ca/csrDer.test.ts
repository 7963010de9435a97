/**
 * The strict DER CSR reader with hand-built CSRs: DER strictness (lengths, trailing bytes), directory
 * string decoding, SAN parsing, RSA-PSS parameters, and the Ed25519 and SM2 paths through buildCsr.
 */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { OID } from '../../src/crypto/algorithmIdentifiers.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { signerFor } from '../../src/crypto/keyStore.ts';
import { KexinError } from '../../src/errors.ts';
import { buildCsr } from '../../src/ca/buildCsr.ts';
import { X509_OID } from '../../src/ca/certificate.ts';
import { checkCsr } from '../../src/ca/checkCsr.ts';
import { integer, oid, tlv } from '../../src/crypto/der.ts';
import { parseCsr } from '../../src/ca/parseCsr.ts';
import { ATTRIBUTE_OIDS, PROFILES } from '../../src/ca/profiles.ts';

function failure(f: () => unknown): KexinError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KexinError);
    return e as KexinError;
  }
  throw new Error('expected a KexinError');
}
const code = (f: () => unknown) => failure(f).code;

const SEQ = 0x30;
const NULL = Uint8Array.of(0x05, 0x00);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bytes = (tag: number, b: ArrayLike<number>) => tlv(tag, Uint8Array.from(b));
/** A Name with one attribute per RDN. */
const name = (...atvs: [string, Uint8Array][]) => tlv(SEQ, ...atvs.map(([type, value]) => tlv(0x31, tlv(SEQ, oid(type), value))));
const cn = (value: Uint8Array) => name([ATTRIBUTE_OIDS.CN, value]);

/** attributes [0] holding an extensionRequest with one subjectAltName of these GeneralNames. */
function sanRequest(...generalNames: Uint8Array[]): Uint8Array {
  const san = tlv(SEQ, oid(X509_OID.subjectAltName), tlv(0x04, tlv(SEQ, ...generalNames)));
  return tlv(0xa0, tlv(SEQ, oid(X509_OID.extensionRequest), tlv(0x31, tlv(SEQ, san))));
}

interface Key {
  readonly spki: Uint8Array;
  readonly algorithm: Uint8Array;
  sign(tbs: Uint8Array): Uint8Array;
}

function p256(): Key {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { spki: spkiOf(publicKey), algorithm: tlv(SEQ, oid(OID.ecdsaWithSha256)), sign: (tbs) => sign('sha256', tbs, privateKey) };
}
const spkiOf = (k: KeyObject) => new Uint8Array(k.export({ type: 'spki', format: 'der' }));

function csr(key: Key, subject: Uint8Array, attributes: Uint8Array = tlv(0xa0)): Uint8Array {
  const tbs = tlv(SEQ, integer(0), subject, key.spki, attributes);
  return tlv(SEQ, tbs, key.algorithm, tlv(0x03, Uint8Array.of(0), key.sign(tbs)));
}

describe('strict DER CSR reading', () => {
  let key: Key;
  beforeAll(() => {
    key = p256();
  });

  it('returns the signed bytes, subject and SPKI as they were sent', () => {
    const subject = cn(utf8('张三'));
    const der = csr(key, subject);
    const parsed = parseCsr(der);
    expect(Buffer.from(parsed.subject)).toEqual(Buffer.from(subject));
    expect(Buffer.from(parsed.spki)).toEqual(Buffer.from(key.spki));
    const checked = checkCsr(der, PROFILES.person);
    expect(checked.subject).toEqual([{ type: 'CN', value: '张三' }]);
    expect(Buffer.from(checked.subjectDer)).toEqual(Buffer.from(subject));
    expect(Buffer.from(checked.spki)).toEqual(Buffer.from(key.spki));
    expect(checked.signatureScheme).toBe('ECDSA-SHA256');
  });

  it('non-minimal or indefinite lengths, trailing bytes and a wrong version → CA_CSR_MALFORMED', () => {
    const der = csr(key, cn(utf8('x')));
    expect(der[1]).toBe(0x81); // one length octet: re-encode it with two
    const longForm = Uint8Array.from([0x30, 0x82, 0x00, ...der.subarray(2)]);
    expect(code(() => parseCsr(longForm))).toBe('CA_CSR_MALFORMED');
    const indefinite = Uint8Array.from([0x30, 0x80, ...der.subarray(3), 0, 0]);
    expect(code(() => parseCsr(indefinite))).toBe('CA_CSR_MALFORMED');
    expect(code(() => parseCsr(Uint8Array.from([...der, 0])))).toBe('CA_CSR_MALFORMED');
    const tbs = tlv(SEQ, integer(1), cn(utf8('x')), key.spki, tlv(0xa0));
    const v2 = tlv(SEQ, tbs, key.algorithm, tlv(0x03, Uint8Array.of(0), key.sign(tbs)));
    expect(code(() => parseCsr(v2))).toBe('CA_CSR_MALFORMED');
  });

  it('decodes BMPString (UTF-16BE, surrogate pairs), UniversalString (UTF-32BE), PrintableString and IA5String', () => {
    const text = (value: Uint8Array) => checkCsr(csr(key, cn(value)), PROFILES.person).subject[0]!.value;
    expect(text(bytes(0x1e, Buffer.from('张三 𠀀', 'utf16le').swap16()))).toBe('张三 𠀀');
    expect(text(bytes(0x1c, [0, 0, 0x5f, 0x20, 0, 0, 0x4e, 0x09, 0, 1, 0xf6, 0x00]))).toBe('张三😀');
    expect(text(bytes(0x13, Buffer.from("Kexin (CA) 1-2/3:4=5?'+,.")))).toBe("Kexin (CA) 1-2/3:4=5?'+,.");
    expect(text(bytes(0x16, Buffer.from('a@b.cn')))).toBe('a@b.cn');
  });

  it.each([
    ['PrintableString with @', bytes(0x13, Buffer.from('a@b'))],
    ['IA5String above 0x7f', bytes(0x16, [0x61, 0xe9])],
    ['invalid UTF-8', bytes(0x0c, [0x61, 0xc3, 0x28])],
    ['BMPString lone surrogate', bytes(0x1e, [0xd8, 0x00, 0x00, 0x41])],
    ['UniversalString above U+10FFFF', bytes(0x1c, [0, 0x11, 0, 0])],
    ['UniversalString surrogate', bytes(0x1c, [0, 0, 0xd8, 0])],
    ['TeletexString', bytes(0x14, Buffer.from('abc'))],
  ])('%s → CA_SUBJECT_INVALID naming the attribute', (_what, value) => {
    const e = failure(() => checkCsr(csr(key, cn(value)), PROFILES.person));
    expect(e.code).toBe('CA_SUBJECT_INVALID');
    expect(e.details).toEqual({ attribute: 'CN' });
  });

  it('a BMPString of odd length is an encoding error → CA_CSR_MALFORMED', () => {
    expect(code(() => checkCsr(csr(key, cn(bytes(0x1e, [0, 0x41, 0]))), PROFILES.person))).toBe('CA_CSR_MALFORMED');
  });

  it('multi-valued and empty RDNs → CA_SUBJECT_INVALID (RDN)', () => {
    const two = tlv(SEQ, tlv(0x31, tlv(SEQ, oid(ATTRIBUTE_OIDS.O), utf8('K')), tlv(SEQ, oid(ATTRIBUTE_OIDS.CN), utf8('a'))));
    expect(failure(() => checkCsr(csr(key, two), PROFILES.staff)).details).toEqual({ attribute: 'RDN' });
    expect(failure(() => checkCsr(csr(key, tlv(SEQ, tlv(0x31))), PROFILES.staff)).details).toEqual({ attribute: 'RDN' });
  });

  it('SANs: dNSName and iPAddress (IPv4, IPv6) kept, duplicates dropped, other names ignored', () => {
    const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
    const der = csr(key, cn(utf8('kiosk')), sanRequest(
      bytes(0x82, Buffer.from('Kiosk.Example.cn')), bytes(0x82, Buffer.from('kiosk.example.cn')),
      bytes(0x87, [10, 1, 2, 3]), bytes(0x87, v6),
      bytes(0x81, Buffer.from('a@b.cn')), bytes(0x86, Buffer.from('https://x.cn/')),
    ));
    expect(checkCsr(der, PROFILES.device).san).toEqual({ dnsNames: ['kiosk.example.cn'], ipAddresses: ['10.1.2.3', '2001:db8:0:0:0:0:0:1'] });
  });

  it('SAN errors: a 5-byte iPAddress → CA_SAN_INVALID; an unknown GeneralName or a broken extension → CA_CSR_MALFORMED', () => {
    expect(code(() => checkCsr(csr(key, cn(utf8('k')), sanRequest(bytes(0x87, [1, 2, 3, 4, 5]))), PROFILES.device))).toBe('CA_SAN_INVALID');
    expect(code(() => checkCsr(csr(key, cn(utf8('k')), sanRequest(bytes(0x89, [1]))), PROFILES.device))).toBe('CA_CSR_MALFORMED');
    const broken = tlv(0xa0, tlv(SEQ, oid(X509_OID.extensionRequest), tlv(0x31, tlv(SEQ, tlv(SEQ, oid(X509_OID.subjectAltName))))));
    expect(code(() => checkCsr(csr(key, cn(utf8('k')), broken), PROFILES.device))).toBe('CA_CSR_MALFORMED');
  });
});

describe('RSA-PSS CSR parameters', () => {
  let rsa: { spki: Uint8Array; privateKey: KeyObject };
  beforeAll(() => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    rsa = { spki: spkiOf(publicKey), privateKey };
  });
  const hashId = (hashOid: string, params = true) => tlv(SEQ, oid(hashOid), ...(params ? [NULL] : []));
  function pssKey(params: Uint8Array[], hash = 'sha256', salt = 32): Key {
    return {
      spki: rsa.spki,
      algorithm: tlv(SEQ, oid(OID.rsassaPss), tlv(SEQ, ...params)),
      sign: (tbs) => sign(hash, tbs, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: salt }),
    };
  }
  const scheme = (k: Key) => checkCsr(csr(k, cn(utf8('pss'))), PROFILES.person).signatureScheme;
  const mgf1 = (hashOid: string, params?: boolean) => tlv(0xa1, tlv(SEQ, oid(OID.mgf1), hashId(hashOid, params)));

  it('SHA-256 / SHA-384 with MGF1 of the same hash and salt = digest length are accepted (NULL hash parameters optional)', () => {
    expect(scheme(pssKey([tlv(0xa0, hashId(OID.sha256)), mgf1(OID.sha256), tlv(0xa2, integer(32))]))).toBe('RSA-PSS-SHA256');
    expect(scheme(pssKey([tlv(0xa0, hashId(OID.sha256, false)), mgf1(OID.sha256, false), tlv(0xa2, integer(32)), tlv(0xa3, integer(1))]))).toBe('RSA-PSS-SHA256');
    expect(scheme(pssKey([tlv(0xa0, hashId(OID.sha384)), mgf1(OID.sha384), tlv(0xa2, integer(48))], 'sha384', 48))).toBe('RSA-PSS-SHA384');
  });

  it.each([
    ['defaults (SHA-1)', []],
    ['salt 20', [tlv(0xa0, hashId(OID.sha256)), mgf1(OID.sha256), tlv(0xa2, integer(20))]],
    ['MGF1 with another hash', [tlv(0xa0, hashId(OID.sha256)), mgf1(OID.sha1), tlv(0xa2, integer(32))]],
    ['trailerField 2', [tlv(0xa0, hashId(OID.sha256)), mgf1(OID.sha256), tlv(0xa2, integer(32)), tlv(0xa3, integer(2))]],
    ['fields out of order', [mgf1(OID.sha256), tlv(0xa0, hashId(OID.sha256)), tlv(0xa2, integer(32))]],
  ])('%s → CA_CSR_ALGORITHM_UNSUPPORTED', (_what, params) => {
    expect(code(() => scheme(pssKey(params as Uint8Array[])))).toBe('CA_CSR_ALGORITHM_UNSUPPORTED');
  });
});

describe('Ed25519 and SM2 CSRs from buildCsr', () => {
  it.each([['Ed25519', 'Ed25519'], ['SM2', 'SM2-SM3']] as const)('%s', async (algorithm, expectedScheme) => {
    const store = createMemoryKeyStore();
    const k = await store.createKey(algorithm, 'k');
    const { der } = await buildCsr({ signer: signerFor(store, k, expectedScheme), subject: [{ type: 'C', value: 'CN' }, { type: 'CN', value: '张三' }] });
    const checked = checkCsr(der, PROFILES.person);
    expect(checked).toMatchObject({ keyAlgorithm: algorithm, signatureScheme: expectedScheme, subject: [{ type: 'C', value: 'CN' }, { type: 'CN', value: '张三' }] });
    expect(Buffer.from(checked.spki)).toEqual(Buffer.from(k.publicKeySpki));
  });
});
