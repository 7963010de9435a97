/**
 * Where a verifier learns a credential's status. Offline: `createStatusListCache`, fed with signed
 * status list JWTs fetched whenever convenient (every TTL); online: the service answers from its
 * database. Either way the answer says as of when it holds.
 */
import type { Clock } from '../../clock.ts';
import { decodeJsonPart } from '../formats/jsonPart.ts';
import { decodeStatusBits, STATUS, type StatusBits } from '../formats/statusList.ts';
import { findIssuer, type TrustedIssuer } from './trustedIssuers.ts';
import type { ReasonCode } from './reasons.ts';

export type CardState = 'valid' | 'suspended' | 'revoked' | 'unknown';

export type StatusAnswer =
  | { readonly state: Exclude<CardState, 'unknown'>; readonly asOf: Date; readonly stale: boolean }
  | { readonly state: 'unknown'; readonly reason: ReasonCode; readonly asOf: Date | null };

/** Port: the status of entry `idx` of the list at `uri`. */
export interface StatusSource {
  status(uri: string, idx: number): StatusAnswer | Promise<StatusAnswer>;
}

export function stateOf(value: number): Exclude<CardState, 'unknown'> | undefined {
  return value === STATUS.VALID ? 'valid' : value === STATUS.SUSPENDED ? 'suspended' : value === STATUS.INVALID ? 'revoked' : undefined;
}

interface CachedList {
  readonly bits: StatusBits;
  readonly iat: number;
  readonly exp: number | undefined;
  readonly ttl: number | undefined;
}

export type IngestResult =
  | { readonly ok: true; readonly uri: string; readonly iat: string; readonly size: number; readonly ttl: number | null }
  | { readonly ok: false; readonly reason: 'MALFORMED' | 'ISSUER_UNKNOWN' | 'ISSUER_SIGNATURE_INVALID' | 'STATUS_LIST_EXPIRED' | 'STATUS_LIST_OLDER' };

export interface StatusListCache extends StatusSource {
  /** Verifies a `statuslist+jwt` from a trusted issuer and keeps it (replacing an older one for the same uri). */
  ingest(jwt: string): IngestResult;
  readonly uris: () => readonly string[];
}

/** Lists kept at once: a verifier follows a handful of lists, not thousands. */
export const MAX_CACHED_LISTS = 256;
export const MAX_STATUS_JWT_LENGTH = 24 * 1024 * 1024;


export function createStatusListCache(deps: { readonly issuers: readonly TrustedIssuer[]; readonly clock: Clock }): StatusListCache {
  const lists = new Map<string, CachedList>();

  function ingest(jwt: string): IngestResult {
    if (typeof jwt !== 'string' || jwt.length > MAX_STATUS_JWT_LENGTH) return { ok: false, reason: 'MALFORMED' };
    const parts = jwt.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'MALFORMED' };
    const header = decodeJsonPart(parts[0]);
    if (!header || header.typ !== 'statuslist+jwt') return { ok: false, reason: 'MALFORMED' };
    const x5c = Array.isArray(header.x5c) && typeof header.x5c[0] === 'string' ? new Uint8Array(Buffer.from(header.x5c[0], 'base64')) : undefined;
    const issuer = findIssuer(deps.issuers, x5c ? { certificate: x5c } : { kid: header.kid });
    if (!issuer || header.alg !== issuer.alg.jose) return { ok: false, reason: 'ISSUER_UNKNOWN' };
    if (!/^[A-Za-z0-9_-]+$/.test(parts[2]!) || !issuer.verify(Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), Buffer.from(parts[2]!, 'base64url'))) {
      return { ok: false, reason: 'ISSUER_SIGNATURE_INVALID' };
    }
    const payload = decodeJsonPart(parts[1]);
    const sl = payload?.status_list as Record<string, unknown> | undefined;
    if (!payload || typeof payload.sub !== 'string' || !Number.isSafeInteger(payload.iat) || !sl || typeof sl !== 'object') return { ok: false, reason: 'MALFORMED' };
    const exp = payload.exp === undefined ? undefined : Number.isSafeInteger(payload.exp) ? (payload.exp as number) : NaN;
    const ttl = payload.ttl === undefined ? undefined : Number.isSafeInteger(payload.ttl) && (payload.ttl as number) > 0 ? (payload.ttl as number) : NaN;
    if (Number.isNaN(exp) || Number.isNaN(ttl)) return { ok: false, reason: 'MALFORMED' };
    if (exp !== undefined && exp * 1000 < deps.clock.now().getTime()) return { ok: false, reason: 'STATUS_LIST_EXPIRED' };
    const bits = decodeStatusBits(sl.bits, sl.lst);
    if (!bits) return { ok: false, reason: 'MALFORMED' };
    const previous = lists.get(payload.sub);
    if (previous && previous.iat > (payload.iat as number)) return { ok: false, reason: 'STATUS_LIST_OLDER' };
    if (!previous && lists.size >= MAX_CACHED_LISTS) lists.delete(lists.keys().next().value!);
    lists.set(payload.sub, { bits, iat: payload.iat as number, exp, ttl });
    return { ok: true, uri: payload.sub, iat: new Date((payload.iat as number) * 1000).toISOString(), size: bits.size, ttl: ttl ?? null };
  }

  function status(uri: string, idx: number): StatusAnswer {
    const list = lists.get(uri);
    if (!list) return { state: 'unknown', reason: 'STATUS_UNAVAILABLE', asOf: null };
    const now = deps.clock.now().getTime();
    const asOf = new Date(list.iat * 1000);
    if (list.exp !== undefined && list.exp * 1000 < now) return { state: 'unknown', reason: 'STATUS_LIST_EXPIRED', asOf };
    const value = list.bits.get(idx);
    const state = value === undefined ? undefined : stateOf(value);
    if (!state) return { state: 'unknown', reason: 'STATUS_UNAVAILABLE', asOf };
    return { state, asOf, stale: list.ttl !== undefined && (list.iat + list.ttl) * 1000 < now };
  }

  return Object.freeze({ ingest, status, uris: () => [...lists.keys()] });
}
