/**
 * The CA's OCSP responder: delegated responder keys from the service-key table, certificate status
 * from the certificate table, and the RFC 5019 pre-signed cache in front — the hot path does not sign.
 * After a revocation commits, `invalidate` drops that certificate's cached answer.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { logFailure } from '../logger.ts';
import type { Clock } from '../clock.ts';
import { signerFor, type KeyStore } from '../crypto/keyStore.ts';
import { defaultScheme } from '../crypto/signatures.ts';
import * as store from './caStore.ts';
import type { CertificateStatusAnswer } from './ocsp/buildOcspResponse.ts';
import { createOcspResponseCache, type CachedOcspAnswer, type OcspResponseCache } from './ocsp/presignedOcsp.ts';
import { ocspErrorResponse } from './ocsp/ocspErrorResponse.ts';
import type { OcspResponderConfig } from './ocsp/ocspResponder.ts';
import type { RevocationReason } from './revocation.ts';

/** Answers are valid for a day and re-signed in their last 12 hours (RFC 5019 §6: hours to days). */
const VALIDITY_SECONDS = 24 * 3600;
const REFRESH_BEFORE_SECONDS = 12 * 3600;

export interface OcspService {
  answer(requestDer: Uint8Array): Promise<CachedOcspAnswer>;
  invalidate(caId: string, serial: string): void;
  /** Drops every cached answer (e.g. after missing another process's invalidations). */
  clear(): void;
  /** Re-reads responder keys (after a new issuing CA got its responder). */
  reload(): Promise<void>;
}

export async function createOcspService(deps: { pool: pg.Pool; keyStore: KeyStore; clock: Clock; logger: Logger }): Promise<OcspService> {
  const { pool, keyStore, clock, logger } = deps;
  const lookup = async (caId: string, serial: string): Promise<CertificateStatusAnswer> => {
    const s = await store.certificateStatus(pool, caId, serial);
    if (!s) return { status: 'unknown' };
    if (s.status === 'valid') return { status: 'good' };
    return { status: 'revoked', revokedAt: s.revokedAt!, reason: (s.revocationReason ?? undefined) as RevocationReason | undefined };
  };
  const build = async (): Promise<OcspResponseCache> => {
    const responders: OcspResponderConfig[] = [];
    for (const k of (await store.activeServiceKeys(pool)).filter((s) => s.purpose === 'ocsp')) {
      const ca = await store.getCa(pool, k.caId);
      if (!ca?.certificate) continue;
      const key = await keyStore.getKey(k.keyId);
      responders.push({ issuerId: ca.id, issuerCertDer: ca.certificate, responderCertDer: k.certificate, signer: signerFor(keyStore, key, defaultScheme(key.algorithm), { purpose: 'ocsp' }) });
    }
    return createOcspResponseCache({
      responders, lookup, clock, validitySeconds: VALIDITY_SECONDS, refreshBeforeSeconds: REFRESH_BEFORE_SECONDS,
      onError: (err) => logFailure(logger, err, 'OCSP request failed'),
    });
  };
  let cache = await build();
  return {
    async answer(requestDer) {
      try {
        return await cache.answer(requestDer);
      } catch (err) {
        // Never an HTTP error: RFC 6960 §2.3 internalError.
        logger.error({ err }, 'OCSP responder failed');
        return { der: ocspErrorResponse('internalError'), cacheable: false, fromCache: false };
      }
    },
    invalidate: (caId, serial) => cache.invalidate(caId, serial),
    clear: () => cache.clear(),
    async reload() {
      cache = await build();
    },
  };
}
