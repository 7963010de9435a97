/**
 * `POST /ecard/verify`: the offline verifier, run by the service with the freshest answers it has —
 * the credential's status read from the database (as of now, not as of the last published list) and a
 * database replay guard shared by every process — and audited with its result, all in one transaction.
 */
import type pg from 'pg';
import { appendAudit } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import { withTransaction, type Tx } from '../db/transaction.ts';
import type { Caller } from './cards.ts';
import type { Purpose } from './formats/dynamicQr.ts';
import { createOfflineVerifier, createVerifiedTokenCache, type EcardVerification, type PresentationExpectations } from './verifier/offlineVerifier.ts';
import type { ReplayGuard } from './verifier/replayGuard.ts';
import { stateOf, type StatusSource } from './verifier/statusSource.ts';
import type { TrustedIssuer } from './verifier/trustedIssuers.ts';

export type VerifyRequest =
  | { readonly qr: string; readonly purpose?: Purpose | undefined }
  | { readonly presentation: string; readonly audience: string; readonly nonce: string; readonly requiredClaims?: readonly string[] | undefined };

function databaseStatus(tx: Tx, baseUrl: string, clock: Clock): StatusSource {
  const prefix = `${baseUrl}/ecard/status/`;
  return {
    async status(uri, idx) {
      const listId = uri.startsWith(prefix) && /^\d{1,9}$/.test(uri.slice(prefix.length)) ? Number(uri.slice(prefix.length)) : undefined;
      const now = clock.now();
      if (listId === undefined) return { state: 'unknown', reason: 'STATUS_UNAVAILABLE', asOf: null };
      const row = (await tx.query<{ status: number }>('SELECT status FROM ecard_credentials WHERE list_id = $1 AND idx = $2', [listId, idx])).rows[0];
      const state = row ? stateOf(row.status) : undefined;
      return state ? { state, asOf: now, stale: false } : { state: 'unknown', reason: 'STATUS_UNAVAILABLE', asOf: now };
    },
  };
}

function databaseReplayGuard(tx: Tx): ReplayGuard {
  return {
    async firstUse(key, expiresAt, now) {
      // Expired keys are dead weight; the expiry index makes this sweep cheap.
      await tx.query('DELETE FROM ecard_qr_seen WHERE expires_at < $1', [now]);
      const r = await tx.query('INSERT INTO ecard_qr_seen (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, expiresAt]);
      return r.rowCount === 1 ? 'first' : 'replayed';
    },
  };
}

export function createOnlineVerification(deps: { readonly pool: pg.Pool; readonly clock: Clock; readonly baseUrl: string; readonly issuers: () => readonly TrustedIssuer[] }) {
  const verifiedTokens = createVerifiedTokenCache();
  return async function verify(req: VerifyRequest, caller: Caller): Promise<EcardVerification> {
    return withTransaction(deps.pool, async (tx) => {
      const verifier = createOfflineVerifier({ issuers: deps.issuers(), clock: deps.clock, status: databaseStatus(tx, deps.baseUrl, deps.clock), replay: databaseReplayGuard(tx), verifiedTokens });
      const result = 'qr' in req
        ? await verifier.verifyQr(req.qr, { purpose: req.purpose })
        : await verifier.verifyPresentation(req.presentation, { audience: req.audience, nonce: req.nonce, requiredClaims: req.requiredClaims } satisfies PresentationExpectations);
      await appendAudit(tx, {
        actor: caller.actor, action: 'ecard.verify', subject: result.card.ref ? `card-ref:${result.card.ref}` : undefined,
        details: { format: result.format, valid: result.valid, reasons: result.reasons, purpose: result.purpose, state: result.card.state, issuer: result.issuer?.kid ?? null, disclosed: Object.keys(result.disclosed) },
      }, deps.clock);
      return result;
    });
  };
}
