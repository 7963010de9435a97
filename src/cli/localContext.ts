import type { Config } from '../config.ts';
import type { CaService } from '../ca/caServiceTypes.ts';
import { createLogger } from '../logger.ts';
import { openConfiguredKeyStore, serviceModules } from '../modules.ts';
import { startService, type ServiceContext } from '../service.ts';

export interface LocalContext {
  readonly ctx: ServiceContext;
  readonly ca: CaService;
}

/** Opens the data dir in this process (no HTTP listener), runs `fn`, and closes everything. */
export async function withLocalContext<T>(config: Config, fn: (l: LocalContext) => Promise<T>): Promise<T> {
  const modules = serviceModules();
  const svc = await startService(config, {
    // stderr: stdout carries the command's own output (JSON, PEM) for scripts.
    logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr),
    openKeyStore: openConfiguredKeyStore,
    modules: modules.list,
    listen: false,
  });
  try {
    return await fn({ ctx: svc.ctx, ca: modules.ca() });
  } finally {
    await svc.stop();
  }
}
