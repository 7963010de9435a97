/** An RSA-3072 hierarchy signing with RSA-PSS-SHA256 (RFC 4055 parameters), checked by OpenSSL and GnuTLS. */
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { signerFor } from '../../src/crypto/keyStore.ts';
import { buildCsr } from '../../src/ca/buildCsr.ts';
import { createIssuingCa, createRootCa } from '../../src/ca/createHierarchy.ts';
import { newSerial, prepareCertificate, signCertificate } from '../../src/ca/issueCertificate.ts';
import { BASE_URL, NOW, openssl, run, tempDir, write } from './support/pki.ts';

describe('RSA-3072 / RSA-PSS hierarchy', () => {
  it('root → issuing → server verifies with openssl and certtool', async () => {
    const keyStore = createMemoryKeyStore();
    const clock = fixedClock(NOW);
    const root = await createRootCa({ keyStore, algorithm: 'RSA-3072', name: 'Kexin RSA Root', clock, validityYears: 20 });
    const rootCa = { certificate: root.certificate.der, signer: root.signer, caId: 'root-rsa' };
    const iss = await createIssuingCa({ keyStore, root: rootCa, algorithm: 'RSA-3072', name: 'Kexin RSA Issuing', clock, baseUrl: BASE_URL, validityYears: 5 });
    const lk = await keyStore.createKey('RSA-2048', 'srv');
    const csr = await buildCsr({ signer: signerFor(keyStore, lk, 'RSA-PKCS1-SHA256'), subject: 'rsa.kexin.example.cn', dnsNames: ['rsa.kexin.example.cn'] });
    const leaf = await signCertificate(prepareCertificate({ csr: csr.der, profile: 'server', issuer: { certificate: iss.certificate.der, caId: 'issuing-rsa' }, serial: newSerial(), clock, baseUrl: BASE_URL }), iss.signer);
    const dir = tempDir();
    const r = run('openssl', ['verify', '-x509_strict', '-CAfile', write(dir, 'root.pem', root.certificate.pem), '-untrusted', write(dir, 'iss.pem', iss.certificate.pem), write(dir, 'leaf.pem', leaf.pem)]);
    expect(r.out, r.out).toContain('leaf.pem: OK');
    expect(openssl(['x509', '-noout', '-text', '-in', `${dir}/leaf.pem`])).toMatch(/Signature Algorithm: rsassaPss[\s\S]*Salt Length: 0x20/);
    const g = run('certtool', ['--verify', '--load-ca-certificate', `${dir}/root.pem`, '--infile', write(dir, 'chain.pem', leaf.pem + iss.certificate.pem)]);
    expect(g.out, g.out).toContain('Chain verification output: Verified.');
  });
});
