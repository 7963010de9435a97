/** Boots the whole service in-process on a fresh database, with `app.inject` for requests. */
import { loadConfig } from '../../src/config.ts';
import { createMemoryKeyStore } from './memoryKeyStore.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService, type ServiceModule } from '../../src/service/startService.ts';
import type { Clock } from '../../src/clock.ts';
import { freshDatabaseUrl, tempDir } from './database.ts';

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
  const url = await freshDatabaseUrl();
  if (url) env.DATABASE_URL = url;
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
