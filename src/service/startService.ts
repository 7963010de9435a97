/**
 * Starting and stopping the service, as an ordered list of steps:
 * data dir → (lock, if embedded) → database → migrations → key store → data keys → instance and
 * operator tokens → modules (in order) → HTTP (and HTTPS with client certificates, if configured).
 */
import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, type RoutePlugin } from '../api/app.ts';
import type { Authenticator } from '../api/auth/authenticator.ts';
import { operatorTokenAuthenticator } from '../api/auth/operatorTokenAuthenticator.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { createDataKeys } from '../crypto/dataKeys.ts';
import type { KeyStore } from '../crypto/keyStore.ts';
import { acquireDataDirLock, cliTokenPath, writeSecretFile, type DataDirLock } from '../dataDirLock.ts';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { createBreakGlassRecorder } from '../identity/breakGlass.ts';
import { createOperatorTokenRegistry, generateToken, initialiseInstance } from '../identity/operatorTokens.ts';
import { startMetricsListener } from '../observability/metricsListener.ts';
import type { ServiceContext, ServiceModule } from './serviceModule.ts';
import { need, type Services } from './services.ts';
import { startTlsListener } from './tlsListener.ts';

export type { ServiceContext, ServiceModule } from './serviceModule.ts';

export interface StartOptions {
  readonly logger: Logger;
  readonly openKeyStore: (config: Config, logger: Logger) => Promise<KeyStore>;
  readonly modules: readonly ServiceModule[];
  readonly clock?: Clock;
  /** Listen on HTTP (default true); false for in-process tests that use `app.inject`. */
  readonly listen?: boolean;
  /** Where the one-time generated bootstrap token is shown. */
  readonly announceToken?: (token: string) => void;
}

export interface RunningService {
  readonly app: FastifyInstance;
  readonly ctx: ServiceContext;
  readonly services: Services;
  readonly url: string | undefined;
  stop(): Promise<void>;
}

/** The local CLI's operator identity (its token lives as long as this process). */
const LOCAL_CLI_OPERATOR = { id: '00000000-0000-0000-0000-00000000c11c', name: 'local-cli' } as const;

export async function startService(config: Config, opts: StartOptions): Promise<RunningService> {
  const { logger } = opts;
  const clock = opts.clock ?? systemClock;
  let ready = false;
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((err) => logger.error({ err }, 'shutdown step failed'));
  };
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    let lock: DataDirLock | undefined;
    if (!config.databaseUrl) {
      lock = acquireDataDirLock(config.dataDir);
      cleanups.push(() => lock!.release());
    }
    const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    cleanups.push(() => db.close());
    const { applied } = await migrate(db.pool);
    if (applied.length) logger.info({ applied }, 'migrations applied');

    const keyStore = await opts.openKeyStore(config, logger);
    cleanups.push(() => keyStore.close());
    const dataKeys = createDataKeys({ pool: db.pool, keys: keyStore, clock });

    const init = await initialiseInstance(db.pool, { bootstrapToken: config.bootstrapToken, clock });
    if (init.generatedToken) {
      (opts.announceToken ?? ((t) => process.stdout.write(`\nOperator bearer token (shown once, store it safely):\n  ${t}\n\n`)))(init.generatedToken);
    }
    const operators = await createOperatorTokenRegistry(db.pool);
    // The local CLI's token: lives as long as this process, readable only by the data dir's owner.
    const cliToken = generateToken();
    operators.addEphemeral(cliToken, LOCAL_CLI_OPERATOR);
    const breakGlass = createBreakGlassRecorder({ pool: db.pool, clock });

    const ctx: ServiceContext = { config, db, keyStore, dataKeys, logger, clock };
    const services: Services = { operators };
    const routes: RoutePlugin[] = [];
    const authenticators: Authenticator[] = [operatorTokenAuthenticator(operators, breakGlass.record)];
    for (const m of opts.modules) {
      const started = await m.start(ctx, services);
      if (started.stop) cleanups.push(() => started.stop!());
      routes.push(...(started.routes ?? []));
      authenticators.push(...(started.authenticators ?? []));
    }

    const app = await buildApp({ logger, authenticators, isReady: () => ready, routes, http: config.http });
    cleanups.push(() => app.close());
    // In a cluster the primary serves the workers' metrics together (src/cli/serve.ts).
    if (config.metricsListener && opts.listen !== false && !cluster.isWorker) {
      const metrics = await startMetricsListener(config.metricsListener);
      cleanups.push(() => metrics.close());
      logger.info({ url: metrics.url }, 'metrics listener ready');
    }
    let url: string | undefined;
    if (opts.listen !== false) {
      await app.listen({ port: config.port, host: config.host });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
      if (config.tls) {
        const tls = await startTlsListener(app, { host: config.host, port: config.tls.port, publicUrl: config.tls.publicUrl, ca: need(services, 'ca'), logger, http: config.http });
        cleanups.push(() => tls.close());
      }
      writeSecretFile(cliTokenPath(config.dataDir), cliToken);
      lock?.publish(url);
    } else {
      await app.ready();
    }
    ready = true;
    logger.info({ url, database: db.kind, keys: keyStore.backend }, 'kexin ready');
    return { app, ctx, services, url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
