/**
 * The e-card module's start-up: the issuer key and certificate (first start), the service, and a
 * sweep of expired claim nonces and seen QR codes every few minutes.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { KeyStore } from '../crypto/keyStore.ts';
import type { FaceService } from '../liveness/faceService.ts';
import type { PersonRegistry } from '../persons/personRegistry.ts';
import { createStaticChannelDirectory, type Channel, type ChannelDirectory } from './channels.ts';
import { createEcardService, type EcardService } from './ecardService.ts';
import type { CertificateIssuer, IssuerId } from './issuerKeys.ts';
import { statusListUri } from './statusLists.ts';

export interface EcardModuleDeps {
  readonly pool: pg.Pool;
  readonly keyStore: KeyStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly publicUrl: string;
  readonly ca: CertificateIssuer;
  readonly persons: PersonRegistry;
  readonly face: FaceService | undefined;
  /** The system-client registry once it lands; until then, the configured list. */
  readonly channels?: ChannelDirectory;
  readonly configuredChannels: readonly Channel[];
  readonly issuer: IssuerId;
  readonly statusListTtlSeconds: number;
}

const SWEEP_INTERVAL_MS = 5 * 60_000;
/** A status list URI longer than this pushes the dynamic QR code past version 15-M (see docs/ecard.md). */
export const MAX_STATUS_URI_LENGTH = 72;

export async function startEcard(deps: EcardModuleDeps): Promise<{ readonly service: EcardService; stop(): Promise<void> }> {
  const uri = statusListUri(deps.publicUrl.replace(/\/+$/, ''), 99_999);
  if (uri.length > MAX_STATUS_URI_LENGTH) {
    deps.logger.warn({ uri, max: MAX_STATUS_URI_LENGTH }, 'KEXIN_PUBLIC_URL is long: dynamic QR codes may need a QR version above 15');
  }
  const service = await createEcardService({
    pool: deps.pool, keyStore: deps.keyStore, clock: deps.clock, ca: deps.ca, persons: deps.persons,
    channels: deps.channels ?? createStaticChannelDirectory(deps.configuredChannels),
    face: deps.face?.sessions, publicUrl: deps.publicUrl, issuer: deps.issuer, ttlSeconds: deps.statusListTtlSeconds,
  });
  let sweeping: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const now = deps.clock.now();
    sweeping = Promise.all([
      deps.pool.query('DELETE FROM ecard_claim_nonces WHERE expires_at < $1', [now]),
      deps.pool.query('DELETE FROM ecard_qr_seen WHERE expires_at < $1', [now]),
    ]).catch((err: unknown) => deps.logger.error({ err }, 'e-card sweep failed'));
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  return { service, stop: async () => { clearInterval(timer); await sweeping; } };
}
