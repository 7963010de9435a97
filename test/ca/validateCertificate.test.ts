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

  for (const algorithm of ['ECDSA-P256', 'SM2'] as const) {
    it(`${algorithm}: PASSED while valid, not valid once on hold or revoked, PASSED again after release`, async () => {
      const key = await keyStore.createKey(algorithm, 'subject');
      const csr = await buildCsr({ signer: signerFor(keyStore, key, algorithm === 'SM2' ? 'SM2-SM3' : 'ECDSA-SHA256'), subject: 'Zhang San' });
      const issued = await ca.issue({ csr: csr.pem, profile: 'person' }, 'test');
      const certificate = pemToDer(issued.certificatePem)[0]!;

      const ok = await ca.validateCertificate({ certificate });
      expect(ok.indication, JSON.stringify(ok.reasons)).toBe('PASSED');
      expect(ok.revocationChecked).toBe(true);
      expect(ok.chain).toHaveLength(3);
      expect(ok.revocation[0]).toMatchObject({ status: 'good' });

      await ca.revoke(issued.serial, 'certificateHold', 'test');
      const held = await ca.validateCertificate({ certificate });
      expect(held.valid).toBe(false);
      expect(held.revocation[0]).toMatchObject({ status: 'revoked', reason: 'certificateHold' });

      await ca.revoke(issued.serial, 'removeFromCRL', 'test');
      expect((await ca.validateCertificate({ certificate })).indication).toBe('PASSED');

      await ca.revoke(issued.serial, 'keyCompromise', 'test');
      const revoked = await ca.validateCertificate({ certificate });
      expect(revoked.indication).not.toBe('PASSED');
      expect(revoked.reasons.map((r) => r.code)).toContain('REVOKED');

      clock.advance(3 * 365 * 86400_000);
      expect((await ca.validateCertificate({ certificate })).valid).toBe(false);
      clock.set('2026-11-23T08:00:00Z');
    });
  }
});
