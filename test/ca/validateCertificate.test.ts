import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaService } from '../../src/ca/caService.ts';
import { initialiseHierarchy } from '../../src/ca/hierarchy.ts';
import { pemToDer } from '../../src/ca/pem.ts';
import { buildCsr } from '../../src/ca/buildCsr.ts';
import { fixedClock } from '../../src/clock.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { signerFor } from '../../src/crypto/keyStore.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('validateCertificate: Kexin roots, revocation from the CA records', () => {
  let db: TestDatabase;
  const clock = fixedClock('2026-11-23T08:00:00Z');
  const keyStore = createMemoryKeyStore();
  let ca: Awaited<ReturnType<typeof createCaService>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    const deps = { pool: db.pool, keyStore, clock, logger: createLogger('silent'), publicUrl: 'http://127.0.0.1:8080' };
    await initialiseHierarchy(deps);
    ca = await createCaService(deps);
  });
  afterAll(async () => { await db?.close(); });

  const issue = async (algorithm: 'ECDSA-P256' | 'SM2', name: string) => {
    const key = await keyStore.createKey(algorithm, name);
    const csr = await buildCsr({ signer: signerFor(keyStore, key, algorithm === 'SM2' ? 'SM2-SM3' : 'ECDSA-SHA256'), subject: name });
    const issued = await ca.issue({ csr: csr.pem, profile: 'person' }, 'test');
    return { serial: issued.serial, certificate: pemToDer(issued.certificatePem)[0]! };
  };
  const codes = (r: { reasons: readonly { code: string }[] }) => r.reasons.map((x) => x.code);

  for (const algorithm of ['ECDSA-P256', 'SM2'] as const) {
    it(`${algorithm}: PASSED while valid, REVOKED_NO_POE on hold, PASSED after release, REVOKED_NO_POE once revoked`, async () => {
      clock.set('2026-11-23T08:00:00Z');
      const { serial, certificate } = await issue(algorithm, `Zhang San ${algorithm}`);

      const ok = await ca.validateCertificate({ certificate });
      expect(ok.indication, JSON.stringify(ok.reasons)).toBe('PASSED');
      expect(ok.valid).toBe(true);
      expect(ok.revocationChecked).toBe(true);
      expect(ok.chain).toHaveLength(3);
      expect(ok.chain[2]!.trustAnchor).toBe(true);
      expect(ok.revocation[0]).toMatchObject({ status: 'good' });

      await ca.revoke(serial, 'certificateHold', 'test');
      const held = await ca.validateCertificate({ certificate });
      expect(held).toMatchObject({ valid: false, indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
      expect(codes(held)).toEqual(['REVOKED']);
      expect(held.revocation[0]).toMatchObject({ status: 'revoked', reason: 'certificateHold' });

      await ca.revoke(serial, 'removeFromCRL', 'test');
      const released = await ca.validateCertificate({ certificate });
      expect(released.indication).toBe('PASSED');
      expect(released.revocation[0]).toMatchObject({ status: 'good' });

      clock.advance(86400_000);
      await ca.revoke(serial, 'keyCompromise', 'test');
      const revoked = await ca.validateCertificate({ certificate });
      expect(revoked).toMatchObject({ valid: false, indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
      expect(codes(revoked)).toEqual(['REVOKED']);
      expect(revoked.revocation[0]).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
      // Validated as of a moment before the revocation, the certificate was good then.
      const before = await ca.validateCertificate({ certificate, at: new Date('2026-11-23T20:00:00Z') });
      expect(before.indication, JSON.stringify(before.reasons)).toBe('PASSED');
    });
  }

  it('a certificate nobody revoked is OUT_OF_BOUNDS_NO_POE (EXPIRED) after its notAfter, and NOT_YET_VALID before its notBefore', async () => {
    clock.set('2026-11-23T08:00:00Z');
    const { serial, certificate } = await issue('ECDSA-P256', 'Li Si');
    const { notBefore, notAfter } = await ca.getCertificate(serial);
    const expired = await ca.validateCertificate({ certificate, at: new Date(new Date(notAfter).getTime() + 1000) });
    expect(expired).toMatchObject({ valid: false, indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    expect(codes(expired)).toEqual(['EXPIRED']);
    expect(expired.revocation[0]).toMatchObject({ status: 'good' });
    // The last second of validity still passes: the bound is the certificate's, not a rounding.
    expect((await ca.validateCertificate({ certificate, at: new Date(notAfter) })).indication).toBe('PASSED');
    const early = await ca.validateCertificate({ certificate, at: new Date(new Date(notBefore).getTime() - 1000) });
    expect(early).toMatchObject({ valid: false, indication: 'INDETERMINATE', subIndication: 'NOT_YET_VALID' });
  });
});
