/**
 * The assembly layer's unit: a module's start-up (domain, in `src/<module>`) paired with its routes
 * (`src/api/<module>/routes.ts`). Modules start in order; each may use the services of those started
 * before it (`services`), and registers its own there.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { KeyStore } from '../crypto/keyStore.ts';
import type { DataKeys } from '../crypto/dataKeys.ts';
import type { Database } from '../db/database.ts';
import type { RoutePlugin } from '../api/app.ts';
import type { Authenticator } from '../api/auth/authenticator.ts';
import type { Services } from './services.ts';

/** Everything a module needs from the running process. */
export interface ServiceContext {
  readonly config: Config;
  readonly db: Database;
  readonly keyStore: KeyStore;
  /** Data keys for encryption at rest and keyed hashes, wrapped by the key store. */
  readonly dataKeys: DataKeys;
  readonly logger: Logger;
  readonly clock: Clock;
}

export interface StartedModule {
  readonly routes?: readonly RoutePlugin[];
  /** Credentials this module can verify (e.g. OAuth access tokens), appended to the chain. */
  readonly authenticators?: readonly Authenticator[];
  stop?(): Promise<void>;
}

export interface ServiceModule {
  readonly name: string;
  start(ctx: ServiceContext, services: Services): Promise<StartedModule>;
}
