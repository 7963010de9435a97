/**
 * A CA (ECDSA and SM2 hierarchies, TSA) on a fresh test database with the memory key store, and the
 * signing module's service keys: what the seal tests build on. One per test file.
 */
import { createCaService, type RunningCaService } from '../../../src/ca/caService.ts';
import { initialiseHierarchy } from '../../../src/ca/hierarchy.ts';
import { fixedClock } from '../../../src/clock.ts';
import { createMemoryKeyStore } from '../../../src/crypto/memoryKeyStore.ts';
import type { KeyStore } from '../../../src/crypto/keyStore.ts';
import { createLogger } from '../../../src/logger.ts';
import { ensureServiceKeys, type SigningServiceKey, type ServiceKeyPurpose } from '../../../src/signing/serviceKeys.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

export const MAKER = { name: '某某市人力资源和社会保障局', creditCode: '111100000000133772' };
export const OWNER = { name: '某某市社会保险事业管理中心', creditCode: '12440300MB2C12345Y' };

export interface CaHarness {
  readonly db: TestDatabase;
  readonly keyStore: KeyStore;
  readonly ca: RunningCaService;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly serviceKeys: Partial<Record<ServiceKeyPurpose, SigningServiceKey>>;
  close(): Promise<void>;
}

/** `start`: the frozen clock's start (default: an hour ago, so external tools accept the certificates). */
export async function startCaHarness(start = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000)): Promise<CaHarness> {
  const db = await createTestDatabase();
  const keyStore = createMemoryKeyStore();
  const clock = fixedClock(start);
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const deps = { pool: db.pool, keyStore, clock, logger, publicUrl: 'http://127.0.0.1:8080' };
  await initialiseHierarchy(deps);
  const ca = await createCaService(deps);
  const serviceKeys = await ensureServiceKeys({ pool: db.pool, keyStore, ca, clock, logger, maker: MAKER });
  return {
    db, keyStore, ca, clock, serviceKeys,
    async close() {
      await ca.close();
      await db.close();
    },
  };
}
