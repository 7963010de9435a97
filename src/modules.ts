/**
 * The service's composition: which key store the configuration names, and the modules in start order.
 * `serve`, `init` and the local CLI all assemble Kexin here, so they never drift apart.
 */
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { KeyStore } from './crypto/keyStore.ts';
import { createKeyStore } from './crypto/createKeyStore.ts';
import { resolveFilePassphrase } from './crypto/fileKeyStore.ts';
import { auditModule } from './api/audit/module.ts';
import { createCaModule } from './api/ca/module.ts';
import { faceModule } from './api/face/module.ts';
import type { CaService } from './ca/caServiceTypes.ts';
import type { ServiceModule } from './service.ts';

export async function openConfiguredKeyStore(config: Config, logger: Logger): Promise<KeyStore> {
  const keys = config.keys;
  if (keys.backend === 'pkcs11') return createKeyStore(keys);
  const log = { warn: (message: string) => logger.warn(message) };
  const passphrase = await resolveFilePassphrase({ dir: keys.dir, configured: keys.passphrase, logger: log });
  return createKeyStore({ backend: 'file', dir: keys.dir, passphrase, logger: log });
}

export function serviceModules(): { list: ServiceModule[]; ca: () => CaService } {
  const ca = createCaModule();
  return { list: [auditModule, ca.module, faceModule], ca: ca.service };
}
