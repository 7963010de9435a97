/**
 * The CA's start-up and background work: the hierarchy ceremony on first start, the CRL refresh timer,
 * and (on a shared PostgreSQL) the LISTEN that keeps OCSP caches true across processes.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { KeyStore } from '../crypto/keyStore.ts';
import { listen, type ChannelHandlers } from '../db/notifications.ts';
import { createCaService, type RunningCaService } from './caService.ts';
import { initialiseHierarchy } from './hierarchy.ts';

/** How often due CRLs are looked for (each is republished at half its lifetime). */
const CRL_CHECK_INTERVAL_MS = 5 * 60_000;

export interface CaModuleDeps {
  readonly pool: pg.Pool;
  readonly keyStore: KeyStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Base URL written into certificates (CDP, AIA). */
  readonly publicUrl: string;
  /** Set when other processes may share the database (a PostgreSQL server, not the embedded one). */
  readonly databaseUrl: string | undefined;
}

export interface StartedCa {
  readonly service: RunningCaService;
  stop(): Promise<void>;
}

export async function startCa(deps: CaModuleDeps): Promise<StartedCa> {
  const { databaseUrl, logger } = deps;
  const caDeps = {
    pool: deps.pool, keyStore: deps.keyStore, clock: deps.clock, logger, publicUrl: deps.publicUrl,
    subscribe: databaseUrl ? (channel: string, handlers: ChannelHandlers) => listen(databaseUrl, channel, handlers, logger) : undefined,
  };
  await initialiseHierarchy(caDeps);
  const ca = await createCaService(caDeps);
  await ca.refreshCrls();
  const timer = setInterval(() => {
    ca.refreshCrls().catch((err: unknown) => logger.error({ err }, 'CRL refresh failed'));
  }, CRL_CHECK_INTERVAL_MS);
  timer.unref();
  return {
    service: ca,
    async stop() {
      clearInterval(timer);
      await ca.close();
    },
  };
}
