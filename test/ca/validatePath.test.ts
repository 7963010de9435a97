/** Path validation outcomes: ETSI-style indications, never a boolean. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { signerFor, type KeyStore } from '../../src/crypto/keyStore.ts';
import { buildCsr } from '../../src/ca/buildCsr.ts';
import { buildPlan, newSerial, prepareCertificate, signCertificate, type CertificatePlan } from '../../src/ca/issueCertificate.ts';
import { keyIdentifier, parseCertificate, serialHex, spkiDer } from '../../src/ca/certificate.ts';
import { buildNameDer } from '../../src/ca/names.ts';
import { PROFILES } from '../../src/ca/profiles.ts';
import { validatePath, type RevocationSource, type RevocationStatus } from '../../src/ca/validatePath.ts';
import { BASE_URL, buildHierarchy, NOW, run, tempDir, write, type Hierarchy } from './support/pki.ts';
import { fixedClock } from '../../src/clock.ts';

const DAY = 86_400_000;

function memoryRevocation(map: Map<string, RevocationStatus>): RevocationSource {
  return { status: (cert) => map.get(serialHex(cert)) ?? { status: 'good', source: 'memory' } };
}

function factsOf(der: Uint8Array) {
  const c = parseCertificate(der);
  return { name: new Uint8Array(c.subject.toSchema().toBER()), spki: spkiDer(c), keyId: keyIdentifier(c.subjectPublicKeyInfo), notBefore: c.notBefore.value, notAfter: c.notAfter.value, caId: 'x' };
}

describe('validatePath', () => {
  let h: Hierarchy;
  let store: KeyStore;
  let leaf: Uint8Array;
  let base: { intermediates: Uint8Array[]; trustAnchors: Uint8Array[]; at: Date };
  const dir = tempDir();

  beforeAll(async () => {
    h = (await buildHierarchy('ECDSA')).hierarchy;
    store = createMemoryKeyStore();
    const k = await store.createKey('ECDSA-P256', 'leaf');
    const csr = await buildCsr({ signer: signerFor(store, k, 'ECDSA-SHA256'), subject: [{ type: 'CN', value: '赵六' }] });
    leaf = (await signCertificate(prepareCertificate({ csr: csr.der, profile: 'person', issuer: h.issuingCa, serial: newSerial(), clock: fixedClock(NOW), baseUrl: BASE_URL }), h.issuing.signer)).der;
    base = { intermediates: [h.issuing.certificate.der], trustAnchors: [h.root.certificate.der], at: new Date(NOW.getTime() + DAY) };
  });

  it('PASSED, frozen, leaf first; revocation checked when a source is given', async () => {
    const r = await validatePath({ leaf, ...base, revocation: memoryRevocation(new Map()), requiredKeyUsage: ['digitalSignature', 'nonRepudiation'] });
    expect(r).toMatchObject({ valid: true, indication: 'PASSED', revocationChecked: true });
    expect(r.chain.map((c) => c.trustAnchor)).toEqual([false, false, true]);
    expect(r.chain[0]!.subject).toBe('CN=赵六');
    expect(r.revocation).toHaveLength(2);
    expect(Object.isFrozen(r) && Object.isFrozen(r.chain) && Object.isFrozen(r.reasons)).toBe(true);
  });

  it('expired / not yet valid', async () => {
    const late = await validatePath({ leaf, ...base, at: new Date(NOW.getTime() + 800 * DAY) });
    expect(late).toMatchObject({ valid: false, indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    expect(late.reasons[0]).toMatchObject({ code: 'EXPIRED', certIndex: 0 });
    const early = await validatePath({ leaf, ...base, at: new Date(NOW.getTime() - DAY) });
    expect(early.subIndication).toBe('NOT_YET_VALID');
  });

  it('no anchor → NO_CERTIFICATE_CHAIN_FOUND; missing intermediate too', async () => {
    const other = (await buildHierarchy('ECDSA')).hierarchy;
    expect((await validatePath({ leaf, ...base, trustAnchors: [other.root.certificate.der] })).subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
    expect((await validatePath({ leaf, ...base, intermediates: [] })).subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
  });

  it('tampered signature → CERTIFICATE_CHAIN_GENERAL_FAILURE (and openssl agrees)', async () => {
    const bad = Uint8Array.from(leaf);
    bad[bad.length - 3]! ^= 0x40;
    const r = await validatePath({ leaf: bad, ...base });
    expect(r).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE' });
    expect(r.reasons.map((x) => x.code)).toContain('SIGNATURE_INVALID');
    const pem = (d: Uint8Array) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(d).toString('base64')}\n-----END CERTIFICATE-----\n`;
    const o = run('openssl', ['verify', '-CAfile', write(dir, 'r.pem', h.root.certificate.pem), '-untrusted', write(dir, 'i.pem', h.issuing.certificate.pem), write(dir, 'bad.pem', pem(bad))]);
    expect(o.code).not.toBe(0);
    expect(o.out).toMatch(/certificate signature failure/);
  });

  it('malformed leaf → FAILED / FORMAT_FAILURE', async () => {
    const r = await validatePath({ leaf: leaf.subarray(0, 100), ...base });
    expect(r).toMatchObject({ valid: false, indication: 'FAILED', subIndication: 'FORMAT_FAILURE' });
  });

  it('revocation: revoked leaf, revoked later than `at`, unknown, revoked CA, throwing source', async () => {
    const leafSerial = serialHex(parseCertificate(leaf));
    const issSerial = serialHex(parseCertificate(h.issuing.certificate.der));
    const revokedAt = new Date(NOW.getTime() + DAY / 2);
    const src = (m: [string, RevocationStatus][]) => memoryRevocation(new Map(m));
    const r1 = await validatePath({ leaf, ...base, revocation: src([[leafSerial, { status: 'revoked', revokedAt, reason: 'keyCompromise', source: 'crl#1' }]]) });
    expect(r1).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
    expect(r1.revocation[0]).toMatchObject({ status: 'revoked', reason: 'keyCompromise', certIndex: 0 });
    const r2 = await validatePath({ leaf, ...base, at: new Date(NOW.getTime() + DAY / 4), revocation: src([[leafSerial, { status: 'revoked', revokedAt, reason: 'keyCompromise', source: 'crl#1' }]]) });
    expect(r2.indication).toBe('PASSED');
    const r3 = await validatePath({ leaf, ...base, revocation: src([[leafSerial, { status: 'unknown', source: 'ocsp timeout' }]]) });
    expect(r3.subIndication).toBe('TRY_LATER');
    const r4 = await validatePath({ leaf, ...base, revocation: src([[issSerial, { status: 'revoked', revokedAt: NOW, reason: 'cACompromise', source: 'arl' }]]) });
    expect(r4.subIndication).toBe('REVOKED_CA_NO_POE');
    const r5 = await validatePath({ leaf, ...base, revocation: { status: () => { throw new Error('db down'); } } });
    expect(r5.subIndication).toBe('TRY_LATER');
  });

  it('required EKU / key usage missing → CHAIN_CONSTRAINTS_FAILURE', async () => {
    const r = await validatePath({ leaf, ...base, requiredEku: ['1.3.6.1.5.5.7.3.1'] });
    expect(r).toMatchObject({ subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    expect(r.reasons[0]).toMatchObject({ code: 'EKU_MISSING', certIndex: 0 });
    expect((await validatePath({ leaf, ...base, requiredKeyUsage: ['keyEncipherment'] })).reasons[0]!.code).toBe('KEY_USAGE_MISSING');
    expect((await validatePath({ leaf: h.ocsp.certificate.der, ...base, requiredEku: ['1.3.6.1.5.5.7.3.9'] })).valid).toBe(true);
  });

  async function leafPlan(issuerDer: Uint8Array, profile = PROFILES.person): Promise<CertificatePlan> {
    const k = await store.createKey('ECDSA-P256', 'x');
    return buildPlan({ profile, subjectName: buildNameDer('x'), spki: k.publicKeySpki, serial: newSerial(), now: NOW, issuer: factsOf(issuerDer), baseUrl: BASE_URL });
  }

  it('certificate issued by a non-CA → NOT_CA and keyCertSign missing (openssl agrees)', async () => {
    const bogus = await signCertificate(await leafPlan(h.ocsp.certificate.der), h.ocsp.signer);
    const r = await validatePath({ leaf: bogus.der, ...base, intermediates: [h.ocsp.certificate.der, h.issuing.certificate.der] });
    expect(r.subIndication).toBe('CHAIN_CONSTRAINTS_FAILURE');
    expect(r.reasons.map((x) => x.code)).toEqual(expect.arrayContaining(['NOT_CA', 'KEY_USAGE_KEYCERTSIGN_MISSING']));
    const o = run('openssl', ['verify', '-CAfile', write(dir, 'r.pem', h.root.certificate.pem), '-untrusted', write(dir, 'u.pem', h.issuing.certificate.pem + h.ocsp.certificate.pem), write(dir, 'b.pem', bogus.pem)]);
    expect(o.code).not.toBe(0);
    expect(o.out).toMatch(/invalid CA certificate/);
  });

  it('pathLen 0 on the issuing CA forbids a CA below it → PATH_LENGTH_EXCEEDED (openssl agrees)', async () => {
    const sk = await store.createKey('ECDSA-P256', 'sub');
    const sub = await signCertificate(buildPlan({ profile: PROFILES['issuing-ca'], subjectName: buildNameDer('sub-ca'), spki: sk.publicKeySpki, serial: newSerial(), now: NOW, issuer: factsOf(h.issuing.certificate.der), baseUrl: BASE_URL }), h.issuing.signer);
    const deep = await signCertificate(await leafPlan(sub.der), signerFor(store, sk, 'ECDSA-SHA256'));
    const r = await validatePath({ leaf: deep.der, ...base, intermediates: [sub.der, h.issuing.certificate.der] });
    expect(r.subIndication).toBe('CHAIN_CONSTRAINTS_FAILURE');
    expect(r.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'PATH_LENGTH_EXCEEDED', certIndex: 2 })]));
    const o = run('openssl', ['verify', '-CAfile', write(dir, 'r.pem', h.root.certificate.pem), '-untrusted', write(dir, 'u2.pem', h.issuing.certificate.pem + sub.pem), write(dir, 'd.pem', deep.pem)]);
    expect(o.out).toMatch(/path length constraint exceeded/);
  });

  it('unknown critical extension → CHAIN_CONSTRAINTS_FAILURE', async () => {
    const plan = await leafPlan(h.issuing.certificate.der);
    const withCrit = { ...plan, extensions: [...plan.extensions, { oid: '1.2.3.4.5', critical: true, value: new Uint8Array([5, 0]) }] };
    const c = await signCertificate(withCrit, h.issuing.signer);
    const r = await validatePath({ leaf: c.der, ...base });
    expect(r.reasons.map((x) => x.code)).toContain('UNKNOWN_CRITICAL_EXTENSION');
    expect(run('openssl', ['verify', '-CAfile', write(dir, 'r.pem', h.root.certificate.pem), '-untrusted', write(dir, 'i.pem', h.issuing.certificate.pem), write(dir, 'c.pem', c.pem)]).out).toMatch(/unhandled critical extension/);
  });

  it('a trust anchor given as the leaf passes on its own', async () => {
    const r = await validatePath({ leaf: h.root.certificate.der, trustAnchors: [h.root.certificate.der], at: base.at });
    expect(r.valid).toBe(true);
    expect(r.chain).toHaveLength(1);
  });
});
