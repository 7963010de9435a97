import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import { startService } from '../service/startService.ts';
import { openConfiguredKeyStore, serviceModules } from '../modules.ts';
import { answerClusterMetricsRequests, clusterMetrics } from '../observability/metrics.ts';
import { startMetricsListener, type MetricsListener } from '../observability/metricsListener.ts';

/** `kexin serve`: run until SIGINT/SIGTERM, then stop cleanly. */
export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  if (config.workers > 1 && cluster.isPrimary) return supervise(config, logger);
  if (cluster.isWorker && config.metricsListener) answerClusterMetricsRequests();
  const svc = await startService(config, { logger, openKeyStore: openConfiguredKeyStore, modules: serviceModules() });
  await untilSignal(logger, () => svc.stop());
  // A worker's IPC channel to the primary would keep it alive after everything else closed.
  if (cluster.isWorker) cluster.worker?.disconnect();
}

/** Resolves once a SIGINT or SIGTERM has been handled by `stop`; further signals are ignored, not fatal. */
function untilSignal(logger: Logger, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop().finally(resolve);
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });
}

/** More worker deaths than this within a minute is a crash loop: stop rather than spin. */
const MAX_RESTARTS_PER_MINUTE = 5;
const RESTART_DELAY_MS = 1000;

/**
 * KEXIN_WORKERS > 1 (PostgreSQL only): this process first initialises what must not be raced —
 * migrations, keys and a generated key passphrase, the CA hierarchy, face models, the template key —
 * then runs that many workers sharing the port (node:cluster) and replaces a worker that dies. Each
 * worker is a whole service; their OCSP caches stay true through the database's NOTIFY.
 */
async function supervise(config: Config, logger: Logger): Promise<void> {
  const { withLocalContext } = await import('./localContext.ts');
  await withLocalContext(config, async () => {});

  const alive = new Set<number>();
  const deaths: number[] = [];
  let stopping = false;
  let failed = false;
  let listening = 0;
  let metrics: MetricsListener | undefined;

  const fork = () => {
    if (stopping) return;
    const w = cluster.fork();
    alive.add(w.id);
  };

  await new Promise<void>((resolve) => {
    const stopAll = () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      if (alive.size === 0) resolve();
    };
    cluster.on('listening', (_w, address) => {
      if (++listening === config.workers) logger.info({ workers: config.workers, port: address.port }, 'kexin ready');
    });
    cluster.on('exit', (w, code, signal) => {
      alive.delete(w.id);
      if (stopping) {
        if (alive.size === 0) resolve();
        return;
      }
      const now = Date.now();
      deaths.push(now);
      while (deaths[0]! < now - 60_000) deaths.shift();
      if (deaths.length > MAX_RESTARTS_PER_MINUTE) {
        logger.fatal({ deaths: deaths.length }, 'workers keep dying; stopping');
        failed = true;
        stopAll();
        return;
      }
      logger.error({ worker: w.process.pid, code, signal }, 'worker died; starting another');
      setTimeout(fork, RESTART_DELAY_MS);
    });
    let signalled = false;
    const onSignal = (signal: string) => {
      if (signalled) return;
      signalled = true;
      logger.info({ signal }, 'shutting down workers');
      stopAll();
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    for (let i = 0; i < config.workers; i++) fork();
    // One scrape of the primary's metrics listener sums every worker's metrics.
    if (config.metricsListener) {
      const { collect, contentType } = clusterMetrics();
      void startMetricsListener(config.metricsListener, collect, contentType).then((l) => {
        metrics = l;
        logger.info({ url: l.url }, 'metrics listener ready');
      }, (err: unknown) => {
        logger.fatal({ err }, 'metrics listener failed to start; stopping');
        failed = true;
        stopAll();
      });
    }
  });
  await metrics?.close();
  if (failed) process.exitCode = 1;
}
