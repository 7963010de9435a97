/** Full CRLs checked by OpenSSL (`openssl crl -CAfile`, `pkeyutl` for SM2) and GnuTLS (`certtool --verify-crl`). */
import { beforeAll, describe, expect, it } from 'vitest';
import * as pkijs from 'pkijs';
import { buildCrl, type CrlEntry } from '../../src/ca/buildCrl.ts';
import { REASON_CODES, reasonName, type ReasonName } from '../../src/ca/revocationReasons.ts';
import { strictBer } from '../../src/ca/certificate.ts';
import { buildHierarchy, NOW, openssl, run, tempDir, write, type Hierarchy } from './support/pki.ts';

const reasons = (Object.keys(REASON_CODES) as ReasonName[]).filter((r) => r !== 'removeFromCRL');
const entries: CrlEntry[] = [
  ...reasons.map((reason, i) => ({ serial: (0x1000 + i).toString(16), revokedAt: new Date(NOW.getTime() - 60_000 * (i + 1)), reason })),
  { serial: '00112233445566778899aabbccddeeff001122', revokedAt: NOW }, // no reason code; leading zero octet dropped (minimal INTEGER)
];
const OPENSSL_REASON: Record<string, string> = {
  unspecified: 'Unspecified', keyCompromise: 'Key Compromise', cACompromise: 'CA Compromise', affiliationChanged: 'Affiliation Changed',
  superseded: 'Superseded', cessationOfOperation: 'Cessation Of Operation', certificateHold: 'Certificate Hold',
  privilegeWithdrawn: 'Privilege Withdrawn', aACompromise: 'AA Compromise',
};

describe('revocation reasons', () => {
  it('names ↔ RFC 5280 codes (7 unused)', () => {
    expect(REASON_CODES.keyCompromise).toBe(1);
    expect(REASON_CODES.removeFromCRL).toBe(8);
    expect(REASON_CODES.aACompromise).toBe(10);
    expect(reasonName(6)).toBe('certificateHold');
    expect(reasonName(7)).toBeUndefined();
  });
});

for (const kind of ['ECDSA', 'SM2'] as const) {
  describe(`${kind} CRL`, () => {
    let h: Hierarchy;
    let crl: Uint8Array;
    const dir = tempDir();
    beforeAll(async () => {
      h = (await buildHierarchy(kind)).hierarchy;
      crl = await buildCrl({ issuer: h.issuing.certificate.der, signer: h.issuing.signer, crlNumber: 42n, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + 86_400_000), entries });
    });

    it('openssl crl -text lists v2, AKI, CRL number and every reason', () => {
      const text = openssl(['crl', '-inform', 'DER', '-in', write(dir, 'crl.der', crl), '-noout', '-text']);
      expect(text).toContain('Version 2 (0x1)');
      expect(text).toMatch(/X509v3 CRL Number:\s+42/);
      expect(text).toContain('X509v3 Authority Key Identifier');
      for (const r of reasons) expect(text).toContain(OPENSSL_REASON[r]);
      expect(text).toContain('Serial Number: 112233445566778899AABBCCDDEEFF001122');
      expect(text.match(/Serial Number:/g)).toHaveLength(entries.length);
    });

    it('signature verifies with OpenSSL', () => {
      const chain = write(dir, 'chain.pem', h.issuing.certificate.pem + h.root.certificate.pem);
      const crlFile = write(dir, 'crl.der', crl);
      if (kind === 'ECDSA') {
        const r = run('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', chain, '-noout']);
        expect(r.out).toContain('verify OK');
      } else {
        // `openssl crl` in 3.0 has no distid option and checks SM2 with an empty ID: "verify failure".
        expect(run('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', chain, '-noout']).out).toContain('verify failure');
        // So verify the signature itself: TBS and signature cut out by asn1parse, checked by pkeyutl with the default ID.
        const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', crlFile]);
        const depth1 = parsed.split('\n').filter((l) => l.includes('d=1'));
        const sigOffset = depth1[depth1.length - 1]!.split(':')[0]!.trim();
        openssl(['asn1parse', '-inform', 'DER', '-in', crlFile, '-strparse', depth1[0]!.split(':')[0]!.trim(), '-noout', '-out', `${dir}/tbs.der`]);
        openssl(['asn1parse', '-inform', 'DER', '-in', crlFile, '-strparse', sigOffset, '-noout', '-out', `${dir}/sig.der`]);
        openssl(['x509', '-in', write(dir, 'iss.pem', h.issuing.certificate.pem), '-pubkey', '-noout', '-out', `${dir}/pub.pem`]);
        const ok = run('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', `${dir}/pub.pem`, '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', `${dir}/tbs.der`, '-sigfile', `${dir}/sig.der`]);
        expect(ok.out).toContain('Signature Verified Successfully');
      }
    });

    if (kind === 'ECDSA') {
      it('GnuTLS certtool --verify-crl', () => {
        const pem = openssl(['crl', '-inform', 'DER', '-in', write(dir, 'crl.der', crl)]);
        const r = run('certtool', ['--verify-crl', '--load-ca-certificate', write(dir, 'iss.pem', h.issuing.certificate.pem), '--infile', write(dir, 'crl.pem', pem)]);
        expect(r.out).toContain('Verified');
        expect(r.code).toBe(0);
      });
    }

    it('removeFromCRL, duplicates and inverted times are refused', async () => {
      const base = { issuer: h.issuing.certificate.der, signer: h.issuing.signer, crlNumber: 1n, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + 1000) };
      await expect(buildCrl({ ...base, entries: [{ serial: '01', revokedAt: NOW, reason: 'removeFromCRL' }] })).rejects.toMatchObject({ code: 'CA_CRL_INVALID' });
      await expect(buildCrl({ ...base, entries: [{ serial: '01', revokedAt: NOW }, { serial: '0001', revokedAt: NOW }] })).rejects.toMatchObject({ code: 'CA_CRL_INVALID' });
      await expect(buildCrl({ ...base, nextUpdate: NOW, entries: [] })).rejects.toMatchObject({ code: 'CA_CRL_INVALID' });
      await expect(buildCrl({ ...base, signer: h.root.signer, entries: [] })).rejects.toMatchObject({ code: 'CA_SIGNER_MISMATCH' });
    });

    it('an empty CRL omits revokedCertificates and still verifies structurally', async () => {
      const empty = await buildCrl({ issuer: h.issuing.certificate.der, signer: h.issuing.signer, crlNumber: 43n, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + 1000), entries: [] });
      const parsed = new pkijs.CertificateRevocationList({ schema: strictBer(empty) });
      expect(parsed.revokedCertificates).toBeUndefined();
      expect(openssl(['crl', '-inform', 'DER', '-in', write(dir, 'e.der', empty), '-noout', '-text'])).toContain('No Revoked Certificates');
    });
  });
}
