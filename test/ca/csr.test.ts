/** Negative paths of CSR checking and issuance, with CSRs made by openssl and by buildCsr. */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { signerFor, type Signer } from '../../src/crypto/keyStore.ts';
import { KexinError } from '../../src/errors.ts';
import { buildCsr } from '../../src/ca/buildCsr.ts';
import { checkCsr } from '../../src/ca/checkCsr.ts';
import { parseCsr } from '../../src/ca/parseCsr.ts';
import { createIssuingCa } from '../../src/ca/createHierarchy.ts';
import { newSerial, prepareCertificate, signCertificate } from '../../src/ca/issueCertificate.ts';
import { parseCertificate } from '../../src/ca/certificate.ts';
import { certificateToPem, pemToDer } from '../../src/ca/pem.ts';
import { getProfile, PROFILES } from '../../src/ca/profiles.ts';
import { BASE_URL, buildHierarchy, NOW, openssl, tempDir, type Hierarchy } from './support/pki.ts';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KexinError);
    return (e as KexinError).code;
  }
  throw new Error('expected a KexinError');
}

const dir = tempDir();
function opensslCsr(name: string, keyArgs: string[], subj: string, extra: string[] = []): string {
  openssl(['genpkey', ...keyArgs, '-out', `${dir}/${name}.key`]);
  openssl(['req', '-new', '-utf8', '-key', `${dir}/${name}.key`, '-subj', subj, '-out', `${dir}/${name}.csr`, ...extra]);
  return readFileSync(`${dir}/${name}.csr`, 'utf8');
}

describe('CSR checks', () => {
  let p256: Signer;
  const store = createMemoryKeyStore();
  beforeAll(async () => {
    const k = await store.createKey('ECDSA-P256', 't');
    p256 = signerFor(store, k, 'ECDSA-SHA256');
  });
  const seal = [{ type: 'C', value: 'CN' }, { type: 'O', value: '某单位' }, { type: 'organizationIdentifier', value: '91350100M000100Y43' }, { type: 'CN', value: '某单位电子印章' }] as const;

  it('accepts a good seal CSR, PEM or DER', async () => {
    const csr = await buildCsr({ signer: p256, subject: seal });
    expect(checkCsr(csr.pem, PROFILES.seal).subject.map((a) => a.type)).toEqual(['C', 'O', 'organizationIdentifier', 'CN']);
    expect(checkCsr(csr.der, PROFILES.seal).keyAlgorithm).toBe('ECDSA-P256');
  });

  it('tampered signature or tampered TBS → CA_CSR_SIGNATURE_INVALID', async () => {
    const { der } = await buildCsr({ signer: p256, subject: seal });
    const sigFlip = Uint8Array.from(der);
    sigFlip[sigFlip.length - 5]! ^= 0x01;
    expect(code(() => checkCsr(sigFlip, PROFILES.seal))).toBe('CA_CSR_SIGNATURE_INVALID');
    const tbsFlip = Uint8Array.from(der);
    const i = Buffer.from(tbsFlip).indexOf(Buffer.from('91350100M000100Y43'));
    tbsFlip[i + 17] = 0x34; // …Y44: would also fail the USCC check, but the signature is checked first
    expect(code(() => checkCsr(tbsFlip, PROFILES.seal))).toBe('CA_CSR_SIGNATURE_INVALID');
  });

  it('bad USCC check character → CA_SUBJECT_INVALID naming organizationIdentifier', async () => {
    const csr = await buildCsr({ signer: p256, subject: [...seal.slice(0, 2), { type: 'organizationIdentifier', value: '91350100M000100Y44' }, seal[3]] });
    try {
      checkCsr(csr.der, PROFILES.seal);
      throw new Error('accepted');
    } catch (e) {
      expect((e as KexinError).code).toBe('CA_SUBJECT_INVALID');
      expect((e as KexinError).details).toEqual({ attribute: 'organizationIdentifier' });
    }
  });

  it('missing or disallowed subject attributes → CA_SUBJECT_INVALID', async () => {
    const noUscc = await buildCsr({ signer: p256, subject: [{ type: 'O', value: 'x' }, { type: 'CN', value: 'y' }] });
    expect(code(() => checkCsr(noUscc.der, PROFILES.seal))).toBe('CA_SUBJECT_INVALID');
    const email = await buildCsr({ signer: p256, subject: [...seal, { type: 'emailAddress', value: 'a@b.cn' }] });
    expect(code(() => checkCsr(email.der, PROFILES.seal))).toBe('CA_SUBJECT_INVALID');
  });

  it('RSA-1024 (openssl) → CA_KEY_WEAK', () => {
    const csr = opensslCsr('rsa1024', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], '/CN=weak');
    expect(code(() => checkCsr(csr, PROFILES.person))).toBe('CA_KEY_WEAK');
  });

  it('P-192 (openssl) → CA_KEY_WEAK; secp256k1 → CA_KEY_NOT_ALLOWED; RSA-4096 → CA_KEY_NOT_ALLOWED', () => {
    const p192 = opensslCsr('p192', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-192'], '/CN=p192');
    expect(code(() => checkCsr(p192, PROFILES.person))).toBe('CA_KEY_WEAK');
    const k1 = opensslCsr('k1', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'], '/CN=k1');
    expect(code(() => checkCsr(k1, PROFILES.person))).toBe('CA_KEY_NOT_ALLOWED');
    const r4096 = opensslCsr('r4096', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096'], '/CN=big');
    expect(code(() => checkCsr(r4096, PROFILES.person))).toBe('CA_KEY_NOT_ALLOWED');
  });

  it('Ed25519 for a TLS server profile → CA_KEY_NOT_ALLOWED', async () => {
    const k = await store.createKey('Ed25519', 'ed');
    const csr = await buildCsr({ signer: signerFor(store, k, 'Ed25519'), subject: 'srv', dnsNames: ['a.example.cn'] });
    expect(code(() => checkCsr(csr.der, PROFILES.server))).toBe('CA_KEY_NOT_ALLOWED');
  });

  it('SHA-1 signed CSR → CA_CSR_ALGORITHM_UNSUPPORTED', () => {
    const csr = opensslCsr('sha1', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], '/CN=old', ['-sha1']);
    expect(code(() => checkCsr(csr, PROFILES.person))).toBe('CA_CSR_ALGORITHM_UNSUPPORTED');
  });

  it('RSA-PSS CSRs: salt = digest length accepted; OpenSSL\'s default (max) salt refused as unsupported', () => {
    const ok = opensslCsr('pss', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], '/CN=pss', ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest']);
    expect(checkCsr(ok, PROFILES.person).signatureScheme).toBe('RSA-PSS-SHA256');
    openssl(['req', '-new', '-key', `${dir}/pss.key`, '-subj', '/CN=pss', '-sigopt', 'rsa_padding_mode:pss', '-out', `${dir}/pss-max.csr`]);
    expect(code(() => checkCsr(readFileSync(`${dir}/pss-max.csr`, 'utf8'), PROFILES.person))).toBe('CA_CSR_ALGORITHM_UNSUPPORTED');
  });

  it('SM2 CSR from openssl (-sm3 -sigopt distid) verifies with the default ID; another ID fails', () => {
    const ok = opensslCsr('sm2', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2'], '/CN=张三', ['-sm3', '-sigopt', 'distid:1234567812345678']);
    expect(checkCsr(ok, PROFILES.person).keyAlgorithm).toBe('SM2');
    openssl(['req', '-new', '-key', `${dir}/sm2.key`, '-subj', '/CN=x', '-sm3', '-sigopt', 'distid:ALICE123@YAHOO.COM', '-out', `${dir}/sm2b.csr`]);
    expect(code(() => checkCsr(readFileSync(`${dir}/sm2b.csr`, 'utf8'), PROFILES.person))).toBe('CA_CSR_SIGNATURE_INVALID');
  });

  it('server without SAN → CA_SAN_REQUIRED; bad dNSName → CA_SAN_INVALID', async () => {
    const none = await buildCsr({ signer: p256, subject: 'a.example.cn' });
    expect(code(() => checkCsr(none.der, PROFILES.server))).toBe('CA_SAN_REQUIRED');
    const bad = await buildCsr({ signer: p256, subject: 'x', dnsNames: ['bad_name..cn'] });
    expect(code(() => checkCsr(bad.der, PROFILES.server))).toBe('CA_SAN_INVALID');
  });

  it('multi-valued RDN (openssl -multivalue-rdn) and a server CN missing from the SANs → CA_SUBJECT_INVALID', () => {
    const mv = opensslCsr('mv', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/C=CN/O=Kexin+CN=a', ['-multivalue-rdn']);
    expect(code(() => checkCsr(mv, PROFILES.staff))).toBe('CA_SUBJECT_INVALID');
    const srv = opensslCsr('cn', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=other.example.cn', ['-addext', 'subjectAltName=DNS:a.example.cn']);
    expect(code(() => checkCsr(srv, PROFILES.server))).toBe('CA_SUBJECT_INVALID');
  });

  it('unknown profile → CA_PROFILE_UNKNOWN; malformed input → CA_CSR_MALFORMED / CA_PEM_MALFORMED', () => {
    expect(code(() => getProfile('superuser'))).toBe('CA_PROFILE_UNKNOWN');
    expect(code(() => getProfile('__proto__'))).toBe('CA_PROFILE_UNKNOWN');
    expect(code(() => parseCsr(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])))).toBe('CA_CSR_MALFORMED');
    expect(code(() => parseCsr('-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----\n'))).toBe('CA_CSR_MALFORMED');
    expect(code(() => pemToDer('-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n'))).toBe('CA_PEM_MALFORMED');
    expect(code(() => pemToDer('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n', 'CERTIFICATE'))).toBe('CA_PEM_MALFORMED');
    expect(code(() => pemToDer('no pem here'))).toBe('CA_PEM_MALFORMED');
    expect(code(() => parseCertificate(new Uint8Array([1, 2, 3])))).toBe('CA_CERT_MALFORMED');
  });
});

describe('issuance policy', () => {
  let h: Hierarchy;
  let csrPem: string;
  beforeAll(async () => {
    h = (await buildHierarchy('ECDSA')).hierarchy;
    const store = createMemoryKeyStore();
    const k = await store.createKey('ECDSA-P256', 'leaf');
    csrPem = (await buildCsr({ signer: signerFor(store, k, 'ECDSA-SHA256'), subject: [{ type: 'C', value: 'CN' }, { type: 'CN', value: '王五' }] })).pem;
  });

  it('pemToDer reads several blocks; certificateToPem round-trips', () => {
    const two = pemToDer(`junk\n${h.root.certificate.pem}between\n${h.issuing.certificate.pem}`);
    expect(two).toHaveLength(2);
    expect(certificateToPem(two[0]!)).toBe(h.root.certificate.pem);
  });

  it('internal profiles cannot be requested', () => {
    expect(code(() => prepareCertificate({ csr: csrPem, profile: 'issuing-ca', issuer: h.issuingCa, serial: newSerial(), clock: fixedClock(NOW), baseUrl: BASE_URL }))).toBe('CA_PROFILE_INTERNAL');
    expect(code(() => prepareCertificate({ csr: csrPem, profile: 'nope', issuer: h.issuingCa, serial: newSerial(), clock: fixedClock(NOW), baseUrl: BASE_URL }))).toBe('CA_PROFILE_UNKNOWN');
  });

  it('a CSR checked for one profile cannot be issued under another', () => {
    const checked = checkCsr(csrPem, PROFILES.person);
    expect(code(() => prepareCertificate({ csr: checked, profile: 'token-signer', issuer: h.issuingCa, serial: newSerial(), clock: fixedClock(NOW), baseUrl: BASE_URL }))).toBe('CA_CSR_PROFILE_MISMATCH');
  });

  it('validity: profile maximum by default, longer requests refused', () => {
    const plan = prepareCertificate({ csr: csrPem, profile: 'person', issuer: h.issuingCa, serial: newSerial(), clock: fixedClock(NOW), baseUrl: BASE_URL });
    expect(plan.notAfter.getTime() - plan.notBefore.getTime()).toBe(PROFILES.person.maxValidityDays * 86_400_000);
    expect(Object.isFrozen(plan)).toBe(true);
    expect(code(() => prepareCertificate({ csr: csrPem, profile: 'person', issuer: h.issuingCa, serial: newSerial(), clock: fixedClock(NOW), baseUrl: BASE_URL, validityDays: 9999 }))).toBe('CA_VALIDITY_TOO_LONG');
  });

  it('validity is clamped to the issuer notAfter; an expired issuer cannot issue', async () => {
    const ks = createMemoryKeyStore();
    const shortCa = await createIssuingCa({ keyStore: ks, root: h.rootCa, algorithm: 'ECDSA-P256', name: 'short-lived', clock: fixedClock(NOW), baseUrl: BASE_URL, validityDays: 30 });
    const issuer = { certificate: shortCa.certificate.der, caId: 'short' };
    const caNotAfter = parseCertificate(shortCa.certificate.der).notAfter.value;
    const plan = prepareCertificate({ csr: csrPem, profile: 'person', issuer, serial: newSerial(), clock: fixedClock(NOW), baseUrl: BASE_URL });
    expect(plan.notAfter.getTime()).toBe(caNotAfter.getTime());
    const cert = await signCertificate(plan, shortCa.signer);
    expect(parseCertificate(cert.der).notAfter.value.getTime()).toBe(caNotAfter.getTime());
    expect(code(() => prepareCertificate({ csr: csrPem, profile: 'person', issuer, serial: newSerial(), clock: fixedClock(caNotAfter), baseUrl: BASE_URL }))).toBe('CA_ISSUER_EXPIRED');
  });

  it('a leaf certificate cannot act as issuer; the signer must hold the issuer key', async () => {
    expect(code(() => prepareCertificate({ csr: csrPem, profile: 'person', issuer: { certificate: h.ocsp.certificate.der, caId: 'x' }, serial: newSerial(), clock: fixedClock(NOW), baseUrl: BASE_URL }))).toBe('CA_ISSUER_NOT_CA');
    const plan = prepareCertificate({ csr: csrPem, profile: 'person', issuer: h.issuingCa, serial: newSerial(), clock: fixedClock(NOW), baseUrl: BASE_URL });
    await expect(signCertificate(plan, h.root.signer)).rejects.toMatchObject({ code: 'CA_SIGNER_MISMATCH' });
  });

  it('serials are 20 bytes, positive, non-zero', () => {
    for (let i = 0; i < 200; i++) {
      const s = newSerial();
      expect(s).toHaveLength(20);
      expect(s[0]! & 0x80).toBe(0);
    }
  });
});
