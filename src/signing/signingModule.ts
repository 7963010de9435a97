/**
 * The signing module's start-up and background work: its key ceremony (seal makers, print key), the
 * worker pool that analyses PDFs off the event loop, and the B-LTA archive renewal timer.
 */
import { availableParallelism } from 'node:os';
import { createSigningService, type SigningDeps, type SigningService } from './signingService.ts';
import { createAnalyzePool } from './verify/workerPool.ts';

/** How often kept B-LTA documents are checked for a due archive time-stamp. */
const RENEWAL_INTERVAL_MS = 6 * 3600_000;

export interface SigningModuleDeps extends Omit<SigningDeps, 'maker' | 'regionCode' | 'analyzePool'> {
  readonly seals: { readonly makerName: string; readonly makerCreditCode: string; readonly regionCode: string };
}

export async function startSigning(deps: SigningModuleDeps): Promise<{ service: SigningService; stop(): Promise<void> }> {
  // One worker per spare core (at least one): the event loop keeps a core to itself.
  const analyzePool = createAnalyzePool({ workers: Math.max(1, Math.min(4, availableParallelism() - 1)) });
  const service = await createSigningService({
    pool: deps.pool, keyStore: deps.keyStore, ca: deps.ca, clock: deps.clock, logger: deps.logger, publicUrl: deps.publicUrl,
    maker: { name: deps.seals.makerName, creditCode: deps.seals.makerCreditCode }, regionCode: deps.seals.regionCode, analyzePool,
  });
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = service.renewArchives().then((r) => {
      if (r.length) deps.logger.info({ renewed: r.filter((x) => x.renewed).length, failed: r.filter((x) => !x.renewed).length }, 'archive time-stamps renewed');
    }, (err: unknown) => deps.logger.error({ err }, 'archive renewal failed'));
  }, RENEWAL_INTERVAL_MS);
  timer.unref();
  return {
    service,
    async stop() {
      clearInterval(timer);
      await renewing;
      await analyzePool.close();
    },
  };
}
