import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/auditLog.ts';
import { createCaService } from '../../src/ca/caService.ts';
import { lastCrl } from '../../src/ca/caStore.ts';
import { initialiseHierarchy } from '../../src/ca/hierarchy.ts';
import { fixedClock } from '../../src/clock.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('CRLs are republished before nextUpdate', () => {
  let db: TestDatabase;
  const clock = fixedClock('2026-11-23T00:00:00Z');
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('leaves a fresh CRL alone, republishes past half-life with a higher number, never goes back', async () => {
    const deps = { pool: db.pool, keyStore: createMemoryKeyStore(), clock, logger: createLogger('silent'), publicUrl: 'http://127.0.0.1:8080', crlValiditySeconds: 3600 };
    await initialiseHierarchy(deps);
    const ca = await createCaService(deps);
    await ca.refreshCrls();
    const first = (await lastCrl(db.pool, 'ecdsa-issuing-1'))!;
    expect(first.nextUpdate.getTime() - first.thisUpdate.getTime()).toBe(3600_000);

    clock.advance(20 * 60_000); // a third of the lifetime: nothing to do
    await ca.refreshCrls();
    expect((await lastCrl(db.pool, 'ecdsa-issuing-1'))!.crlNumber).toBe(first.crlNumber);

    clock.advance(15 * 60_000); // past half-life
    await ca.refreshCrls();
    const second = (await lastCrl(db.pool, 'ecdsa-issuing-1'))!;
    expect(second.crlNumber).toBe(first.crlNumber + 1n);
    expect(second.thisUpdate.getTime()).toBe(clock.now().getTime());
    expect(second.nextUpdate.getTime()).toBeGreaterThan(first.nextUpdate.getTime());
    expect((await verifyAuditChain(db.pool)).ok).toBe(true);
  });
});
