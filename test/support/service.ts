/** Boots the whole service in-process on a fresh database, with `app.inject` for requests. */
import { loadConfig } from '../../src/config.ts';
import { createMemoryKeyStore } from './memoryKeyStore.ts';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService, type ServiceModule } from '../../src/service/startService.ts';
import type { Clock } from '../../src/clock.ts';
import { freshDatabaseUrl, tempDir } from './database.ts';
import { freePort } from './spawnService.ts';

export const TEST_TOKEN = 'test-operator-token-0123456789';

export interface TestService extends RunningService {
  readonly auth: { authorization: string };
}

/**
 * `listen: true` serves HTTP on a free port of 127.0.0.1 (for clients that need a socket, such as
 * openid-client), and `tls: true` adds the HTTPS listener for mutual TLS on another.
 */
export async function startTestService(opts: { modules?: ServiceModule[]; clock?: Clock; env?: Record<string, string>; listen?: boolean; tls?: boolean } = {}): Promise<TestService> {
  const env: Record<string, string | undefined> = {
    KEXIN_DATA_DIR: tempDir(),
    KEXIN_BOOTSTRAP_TOKEN: TEST_TOKEN,
    NODE_ENV: 'test',
    ...(opts.listen ? { HOST: '127.0.0.1', PORT: String(await freePort()) } : {}),
    ...(opts.listen && opts.tls ? { KEXIN_TLS_PORT: String(await freePort()) } : {}),
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
    listen: opts.listen ?? false,
    announceToken: () => {},
  });
  return { ...svc, auth: { authorization: `Bearer ${TEST_TOKEN}` } };
}
