/** Boots the whole service in-process on a fresh database, with `app.inject` for requests. */
import { loadConfig } from '../../src/config.ts';
import { createMemoryKeyStore } from '../../src/crypto/memoryKeyStore.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService, type ServiceModule } from '../../src/service.ts';
import type { Clock } from '../../src/clock.ts';
import { tempDir } from './database.ts';

export const TEST_TOKEN = 'test-operator-token-0123456789';

export interface TestService extends RunningService {
  readonly auth: { authorization: string };
}

export async function startTestService(opts: { modules?: ServiceModule[]; clock?: Clock; env?: Record<string, string> } = {}): Promise<TestService> {
  const env: Record<string, string | undefined> = {
    KEXIN_DATA_DIR: tempDir(),
    KEXIN_BOOTSTRAP_TOKEN: TEST_TOKEN,
    NODE_ENV: 'test',
    ...opts.env,
  };
  if (process.env.DATABASE_URL) env.DATABASE_URL = await freshDatabaseUrl(process.env.DATABASE_URL);
  const config = loadConfig(env);
  const svc = await startService(config, {
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    openKeyStore: async () => createMemoryKeyStore(),
    modules: opts.modules ?? [],
    clock: opts.clock,
    listen: false,
  });
  return { ...svc, auth: { authorization: `Bearer ${TEST_TOKEN}` } };
}

/** A new, empty database on the real server for one service instance. */
async function freshDatabaseUrl(base: string): Promise<string> {
  const { default: pg } = await import('pg');
  const name = `kexin_s_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
