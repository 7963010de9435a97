/**
 * The real Kexin service with the CA and seal modules, for the verification-page browser test:
 * listens on PORT (0 = any), prints one JSON line `{"url": ...}` when ready, stops on SIGTERM.
 */
import { loadConfig } from '../../src/config.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { createLogger } from '../../src/logger.ts';
import { auditModule, caModule, signingModule } from '../../src/modules.ts';
import { startService } from '../../src/service/startService.ts';

const config = loadConfig(process.env);
const svc = await startService(config, {
  logger: createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr),
  openKeyStore: async () => createMemoryKeyStore(),
  modules: [auditModule(), caModule(), signingModule()],
  announceToken: () => {},
});
process.stdout.write(`${JSON.stringify({ url: svc.url })}\n`);
const stop = () => { void svc.stop().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
