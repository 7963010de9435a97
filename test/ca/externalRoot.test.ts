/** External (qualified) root played by openssl: Kexin makes key + CSR, openssl signs, Kexin checks and issues under it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { signerFor } from '../../src/crypto/keyStore.ts';
import { buildCsr } from '../../src/ca/buildCsr.ts';
import { checkImportedCaCertificate, createIssuingCaRequest } from '../../src/ca/createHierarchy.ts';
import { newSerial, prepareCertificate, signCertificate } from '../../src/ca/issueCertificate.ts';
import { checkCsr } from '../../src/ca/checkCsr.ts';
import { PROFILES } from '../../src/ca/profiles.ts';
import { pemToDer } from '../../src/ca/pem.ts';
import { BASE_URL, openssl, run, tempDir, write } from './support/pki.ts';

const CA_EXT = '[v3_ca]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n';

for (const kind of ['ECDSA', 'SM2'] as const) {
  describe(`external root (${kind}, openssl as the qualified CA)`, () => {
    const dir = tempDir();
    const sm2 = kind === 'SM2';
    const sigArgs = sm2 ? ['-sm3', '-sigopt', 'distid:1234567812345678'] : [];
    const vfyArgs = sm2 ? ['-vfyopt', 'distid:1234567812345678'] : [];

    function externalRoot(name: string) {
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${sm2 ? 'SM2' : 'P-384'}`, '-out', `${dir}/${name}.key`]);
      openssl(['req', '-x509', '-new', '-key', `${dir}/${name}.key`, '-subj', `/C=CN/O=Qualified CA/CN=${name}`, '-days', '3650', ...sigArgs,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', `${dir}/${name}.pem`]);
      return readFileSync(`${dir}/${name}.pem`, 'utf8');
    }
    function opensslSign(csrPem: string, root: string, ext: 'v3_ca' | 'leaf', out: string) {
      write(dir, 'ext.cnf', CA_EXT);
      openssl(['x509', '-req', '-in', write(dir, `${out}.csr`, csrPem), '-CA', `${dir}/${root}.pem`, '-CAkey', `${dir}/${root}.key`, '-set_serial', '0x' + Buffer.from(newSerial()).toString('hex'),
        '-days', '1825', '-extfile', `${dir}/ext.cnf`, '-extensions', ext, ...sigArgs, ...vfyArgs, '-out', `${dir}/${out}.pem`]);
      return pemToDer(readFileSync(`${dir}/${out}.pem`, 'utf8'))[0]!;
    }

    it('CSR → openssl x509 -req -CA → checkImportedCaCertificate → issue under it → openssl verify OK', async () => {
      const rootPem = externalRoot('qroot');
      const keyStore = createMemoryKeyStore();
      const req = await createIssuingCaRequest({ keyStore, algorithm: sm2 ? 'SM2' : 'ECDSA-P256', name: [{ type: 'C', value: 'CN' }, { type: 'O', value: '可信 Kexin' }, { type: 'CN', value: `Kexin Issuing CA (qualified) ${kind}` }] });
      // openssl itself accepts the CSR Kexin signed through the key store.
      expect(run('openssl', ['req', '-verify', '-noout', ...vfyArgs, '-in', write(dir, 'req.csr', req.csrPem)]).out).toMatch(/verify OK|Certificate request self-signature verify OK/);
      const caDer = opensslSign(req.csrPem, 'qroot', 'v3_ca', 'issuing');
      const rootDer = pemToDer(rootPem)[0]!;
      const imported = await checkImportedCaCertificate({ certDer: caDer, keyInfo: req.key, chainDers: [rootDer], at: new Date() });
      expect(imported.path.valid).toBe(true);

      const leafStore = createMemoryKeyStore();
      const lk = await leafStore.createKey(sm2 ? 'SM2' : 'ECDSA-P256', 'leaf');
      const csr = await buildCsr({ signer: signerFor(leafStore, lk, sm2 ? 'SM2-SM3' : 'ECDSA-SHA256'), subject: [{ type: 'O', value: '某单位' }, { type: 'organizationIdentifier', value: '91110000600037341L' }, { type: 'CN', value: '印章' }] });
      const plan = prepareCertificate({ csr: checkCsr(csr.der, PROFILES.seal), profile: 'seal', issuer: { certificate: caDer, caId: 'qualified' }, serial: newSerial(), clock: fixedClock(new Date()), baseUrl: BASE_URL });
      const leaf = await signCertificate(plan, req.signer);
      const leafFile = write(dir, 'leaf.pem', leaf.pem);
      if (!sm2) {
        const r = run('openssl', ['verify', '-x509_strict', '-CAfile', `${dir}/qroot.pem`, '-untrusted', `${dir}/issuing.pem`, leafFile]);
        expect(r.out, r.out).toContain('leaf.pem: OK');
      } else {
        const r = run('openssl', ['verify', ...vfyArgs, '-partial_chain', '-CAfile', `${dir}/issuing.pem`, leafFile]);
        expect(r.out, r.out).toContain('leaf.pem: OK');
        expect(run('openssl', ['verify', ...vfyArgs, '-CAfile', `${dir}/qroot.pem`, `${dir}/issuing.pem`]).out).toContain('issuing.pem: OK');
      }
    });

    it('rejects a certificate for another key, a non-CA certificate, and a wrong root', async () => {
      externalRoot('qroot2');
      externalRoot('other');
      const keyStore = createMemoryKeyStore();
      const req = await createIssuingCaRequest({ keyStore, algorithm: sm2 ? 'SM2' : 'ECDSA-P256', name: 'Kexin Issuing CA' });
      const rootDer = pemToDer(readFileSync(`${dir}/qroot2.pem`, 'utf8'))[0]!;
      const otherRootDer = pemToDer(readFileSync(`${dir}/other.pem`, 'utf8'))[0]!;
      const another = await createIssuingCaRequest({ keyStore, algorithm: sm2 ? 'SM2' : 'ECDSA-P256', name: 'Someone else' });
      const wrongKey = opensslSign(another.csrPem, 'qroot2', 'v3_ca', 'wrongkey');
      await expect(checkImportedCaCertificate({ certDer: wrongKey, keyInfo: req.key, chainDers: [rootDer] })).rejects.toMatchObject({ code: 'CA_IMPORT_REJECTED' });
      const notCa = opensslSign(req.csrPem, 'qroot2', 'leaf', 'notca');
      await expect(checkImportedCaCertificate({ certDer: notCa, keyInfo: req.key, chainDers: [rootDer] })).rejects.toMatchObject({ code: 'CA_IMPORT_REJECTED' });
      const good = opensslSign(req.csrPem, 'qroot2', 'v3_ca', 'good');
      await expect(checkImportedCaCertificate({ certDer: good, keyInfo: req.key, chainDers: [otherRootDer] })).rejects.toMatchObject({ code: 'CA_IMPORT_REJECTED' });
      const accepted = await checkImportedCaCertificate({ certDer: good, keyInfo: req.key, chainDers: [rootDer] });
      expect(accepted.path).toMatchObject({ valid: true, indication: 'PASSED' });
      expect(accepted.path.chain).toHaveLength(2);
      expect(Buffer.from(accepted.der).equals(Buffer.from(good))).toBe(true);
    });
  });
}
