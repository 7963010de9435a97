import type { Config } from '../config.ts';
import type { RunningCaService } from '../ca/caService.ts';
import { createLogger } from '../logger.ts';
import { openConfiguredKeyStore, serviceModules } from '../modules.ts';
import { startService, type ServiceContext } from '../service/startService.ts';
import type { ServiceModule } from '../service/serviceModule.ts';
import { need, type Services } from '../service/services.ts';

export interface LocalContext {
  readonly ctx: ServiceContext;
  readonly services: Services;
  readonly ca: RunningCaService;
}

/** Opens the data dir in this process (no HTTP listener), runs `fn`, and closes everything. */
/** `modules`: the ones the command needs (default: all of `kexin serve`'s). */
export async function withLocalContext<T>(config: Config, fn: (l: LocalContext) => Promise<T>, modules: ServiceModule[] = serviceModules()): Promise<T> {
  const svc = await startService(config, {
    // stderr: stdout carries the command's own output (JSON, PEM) for scripts.
    logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr),
    openKeyStore: openConfiguredKeyStore,
    modules,
    listen: false,
  });
  try {
    return await fn({ ctx: svc.ctx, services: svc.services, ca: need(svc.services, 'ca') });
  } finally {
    await svc.stop();
  }
}
