import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import { startService } from '../service.ts';
import { openConfiguredKeyStore, serviceModules } from '../modules.ts';

/** `kexin serve`: run until SIGINT/SIGTERM, then stop cleanly. */
export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const svc = await startService(config, { logger, openKeyStore: openConfiguredKeyStore, modules: serviceModules().list });
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      svc.stop().finally(resolve);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
