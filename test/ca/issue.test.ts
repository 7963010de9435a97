/**
 * Both hierarchies (ECDSA P-384/P-256 and SM2) from the memory key store; one certificate per profile
 * from real CSRs (openssl req and buildCsr), verified by OpenSSL 3.0 and GnuTLS certtool.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { signerFor, type KeyAlgorithm } from '../../src/crypto/keyStore.ts';
import { defaultScheme } from '../../src/crypto/signatures.ts';
import { buildCsr } from '../../src/ca/buildCsr.ts';
import { prepareCertificate, signCertificate, newSerial } from '../../src/ca/issueCertificate.ts';
import { parseCertificate, serialHex } from '../../src/ca/certificate.ts';
import { validatePath } from '../../src/ca/validatePath.ts';
import type { ProfileName } from '../../src/ca/profiles.ts';
import type { NameInput } from '../../src/ca/names.ts';
import { BASE_URL, buildHierarchy, openssl, opensslVerify, run, tempDir, write, type Hierarchy } from './support/pki.ts';

const subjects: Record<string, NameInput> = {
  seal: [{ type: 'C', value: 'CN' }, { type: 'O', value: '福州市人力资源和社会保障局' }, { type: 'organizationIdentifier', value: '91350100M000100Y43' }, { type: 'CN', value: '福州市人社局电子印章' }],
  person: [{ type: 'C', value: 'CN' }, { type: 'CN', value: '张三' }],
  staff: [{ type: 'O', value: '福州市社保中心' }, { type: 'OU', value: '窗口' }, { type: 'CN', value: '李四' }],
  device: [{ type: 'O', value: '福州市社保中心' }, { type: 'CN', value: 'kiosk-0042' }],
  server: [{ type: 'O', value: 'Kexin' }, { type: 'CN', value: 'api.kexin.example.gov.cn' }],
  'ecard-issuer': [{ type: 'C', value: 'CN' }, { type: 'O', value: '人力资源和社会保障部' }, { type: 'CN', value: '电子社保卡签发' }],
  'token-signer': [{ type: 'O', value: 'Kexin' }, { type: 'CN', value: 'Kexin token signer' }],
};

const expected: Record<string, { ku: string; eku?: RegExp; policy: string; extra?: RegExp[] }> = {
  seal: { ku: 'Digital Signature, Non Repudiation', policy: '1.3.6.1.4.1.99999.1.1', extra: [/Subject: .*organizationIdentifier ?= ?91350100M000100Y43/] },
  person: { ku: 'Digital Signature, Non Repudiation', policy: '1.3.6.1.4.1.99999.1.2' },
  staff: { ku: 'Digital Signature', eku: /TLS Web Client Authentication/, policy: '1.3.6.1.4.1.99999.1.3' },
  device: { ku: 'Digital Signature', eku: /TLS Web Client Authentication/, policy: '1.3.6.1.4.1.99999.1.4', extra: [/IP Address:10\.1\.2\.3/] },
  server: { ku: 'Digital Signature', eku: /TLS Web Server Authentication/, policy: '1.3.6.1.4.1.99999.1.5', extra: [/DNS:api\.kexin\.example\.gov\.cn/, /IP Address:192\.0\.2\.10/] },
  'ecard-issuer': { ku: 'Digital Signature, Non Repudiation', policy: '1.3.6.1.4.1.99999.1.6' },
  'token-signer': { ku: 'Digital Signature', policy: '1.3.6.1.4.1.99999.1.7' },
  ocsp: { ku: 'Digital Signature', eku: /OCSP Signing/, policy: '1.3.6.1.4.1.99999.1.8', extra: [/OCSP No Check/] },
  tsa: { ku: 'Digital Signature, Non Repudiation', eku: /X509v3 Extended Key Usage: critical\s+Time Stamping\s*\n/, policy: '1.3.6.1.4.1.99999.1.9' },
};

const leafKeys: Record<'ECDSA' | 'SM2', Record<string, KeyAlgorithm>> = {
  ECDSA: { seal: 'ECDSA-P256', person: 'Ed25519', staff: 'RSA-2048', device: 'ECDSA-P256', server: 'ECDSA-P384', 'ecard-issuer': 'ECDSA-P256', 'token-signer': 'Ed25519' },
  SM2: { seal: 'SM2', person: 'SM2', staff: 'SM2', device: 'SM2', server: 'SM2', 'ecard-issuer': 'SM2', 'token-signer': 'SM2' },
};

function checkText(text: string, profile: string, caId: string) {
  const e = expected[profile]!;
  expect(text).toMatch(new RegExp(`X509v3 Key Usage: critical\\s+${e.ku}\\s*\\n`));
  if (e.eku) expect(text).toMatch(e.eku); else expect(text).not.toMatch(/Extended Key Usage/);
  expect(text).toContain(`Policy: ${e.policy}`);
  expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
  expect(text).toContain(`URI:${BASE_URL}/pki/cas/${caId}/crl`);
  expect(text).toContain(`OCSP - URI:${BASE_URL}/pki/ocsp`);
  expect(text).toContain(`CA Issuers - URI:${BASE_URL}/pki/cas/${caId}/cert`);
  expect(text).toContain('X509v3 Subject Key Identifier');
  expect(text).toContain('X509v3 Authority Key Identifier');
  for (const x of e.extra ?? []) expect(text).toMatch(x);
}

for (const kind of ['ECDSA', 'SM2'] as const) {
  describe(`${kind} hierarchy`, () => {
    let h: Hierarchy;
    let clock: { now(): Date };
    const dir = tempDir();
    const issued: Record<string, string> = {};

    beforeAll(async () => {
      const b = await buildHierarchy(kind);
      h = b.hierarchy;
      clock = b.clock;
      const store = createMemoryKeyStore();
      for (const profile of Object.keys(subjects)) {
        let csr: Uint8Array | string;
        if (profile === 'seal' || profile === 'server') {
          // Real openssl CSRs.
          const keyFile = `${dir}/${profile}.key`;
          if (kind === 'SM2') openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', keyFile]);
          else openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${profile === 'seal' ? 'P-256' : 'P-384'}`, '-out', keyFile]);
          const subj = profile === 'seal'
            ? '/C=CN/O=福州市人力资源和社会保障局/organizationIdentifier=91350100M000100Y43/CN=福州市人社局电子印章'
            : '/O=Kexin/CN=api.kexin.example.gov.cn';
          const args = ['req', '-new', '-utf8', '-key', keyFile, '-subj', subj, '-out', `${dir}/${profile}.csr`];
          if (profile === 'server') args.push('-addext', 'subjectAltName=DNS:api.kexin.example.gov.cn,IP:192.0.2.10,email:x@example.com');
          if (kind === 'SM2') args.push('-sm3', '-sigopt', 'distid:1234567812345678');
          openssl(args);
          csr = (await import('node:fs')).readFileSync(`${dir}/${profile}.csr`, 'utf8');
        } else {
          const alg = leafKeys[kind][profile]!;
          const key = await store.createKey(alg, profile);
          const signer = signerFor(store, key, defaultScheme(alg));
          csr = (await buildCsr({ signer, subject: subjects[profile]!, ...(profile === 'device' ? { ipAddresses: [new Uint8Array([10, 1, 2, 3])] } : {}) })).pem;
        }
        const plan = prepareCertificate({ csr, profile, issuer: h.issuingCa, serial: newSerial(), clock, baseUrl: BASE_URL });
        issued[profile] = (await signCertificate(plan, h.issuingCa.signer)).pem;
      }
      issued.ocsp = h.ocsp.certificate.pem;
      issued.tsa = h.tsa.certificate.pem;
    });

    for (const profile of [...Object.keys(subjects), 'ocsp', 'tsa'] as ProfileName[]) {
      it(`${profile}: openssl verify OK, openssl x509 -text shows the profile`, () => {
        const v = opensslVerify(dir, h, issued[profile]!);
        expect(v.out, v.out).toMatch(/leaf\.pem: OK/);
        expect(v.code).toBe(0);
        const text = openssl(['x509', '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space', '-in', write(dir, `${profile}.pem`, issued[profile]!)]);
        checkText(text, profile, h.issuingCa.caId);
        if (kind === 'SM2') {
          expect(text).toContain('Signature Algorithm: SM2-with-SM3');
          expect(text).toMatch(/ASN1 OID: SM2/);
        }
      });

      it(`${profile}: validatePath PASSED`, async () => {
        const der = parseCertificate(new Uint8Array(Buffer.from(issued[profile]!.replace(/-----[^-]+-----|\s/g, ''), 'base64')));
        const r = await validatePath({
          leaf: new Uint8Array(der.toSchema(false).toBER()), intermediates: [h.issuing.certificate.der], trustAnchors: [h.root.certificate.der], at: clock.now(),
        });
        expect(r.indication, JSON.stringify(r.reasons)).toBe('PASSED');
        expect(r.chain).toHaveLength(3);
        expect(r.chain[0]!.serial).toBe(serialHex(der));
      });
    }

    it('root and issuing CA carry CA profile extensions', () => {
      const root = openssl(['x509', '-noout', '-text', '-in', write(dir, 'r.pem', h.root.certificate.pem)]);
      expect(root).toMatch(/Basic Constraints: critical\s+CA:TRUE\s*\n/);
      expect(root).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
      expect(root).not.toContain('CRL Distribution Points');
      const iss = openssl(['x509', '-noout', '-text', '-in', write(dir, 'i.pem', h.issuing.certificate.pem)]);
      expect(iss).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      expect(iss).toContain(`URI:${BASE_URL}/pki/cas/${h.rootCa.caId}/crl`);
      if (kind === 'ECDSA') {
        expect(root).toContain('NIST CURVE: P-384');
        expect(root).toContain('ecdsa-with-SHA384');
        expect(iss).toContain('NIST CURVE: P-256');
      }
    });

    it('server: SANs are taken from the CSR, other requested SAN types are ignored', () => {
      const text = openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', write(dir, 's.pem', issued.server!)]);
      expect(text).toContain('DNS:api.kexin.example.gov.cn');
      expect(text).not.toContain('email');
    });

    if (kind === 'ECDSA') {
      it('GnuTLS certtool verifies every chain', () => {
        for (const profile of [...Object.keys(subjects), 'ocsp', 'tsa']) {
          const chain = write(dir, `chain-${profile}.pem`, issued[profile]! + h.issuing.certificate.pem);
          const root = write(dir, 'root.pem', h.root.certificate.pem);
          const r = run('certtool', ['--verify', '--load-ca-certificate', root, '--infile', chain]);
          expect(r.out, `${profile}: ${r.out}`).toMatch(/Chain verification output: Verified\. The certificate is trusted\./);
          expect(r.code).toBe(0);
        }
      });
    } else {
      it('OpenSSL 3.0 without distid checks SM2 X.509 signatures with an empty ID, so it fails (documented)', () => {
        const root = write(dir, 'root.pem', h.root.certificate.pem);
        const iss = write(dir, 'issuing.pem', h.issuing.certificate.pem);
        const r = run('openssl', ['verify', '-CAfile', root, iss]);
        expect(r.code).not.toBe(0);
        expect(r.out).toMatch(/certificate signature failure|verification failed/);
      });
    }
  });
}
