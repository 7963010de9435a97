/**
 * The real Kexin service with the e-card modules (no face networks), for the browser test: listens on
 * PORT, prints one JSON line `{"url": ...}` when ready, stops on SIGTERM. A child process, so the
 * browser test drives it over real HTTP like a channel, a holder's phone and a pharmacy would.
 */
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { auditModule, caModule, ecardModule, personsModule } from '../../src/modules.ts';
import { startService } from '../../src/service/startService.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';

const config = loadConfig(process.env);
const svc = await startService(config, {
  logger: createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr),
  openKeyStore: async () => createMemoryKeyStore(),
  modules: [auditModule(), caModule(), personsModule(), ecardModule()],
  announceToken: () => {},
});
process.stdout.write(`${JSON.stringify({ url: svc.url })}\n`);
const stop = () => { void svc.stop().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
