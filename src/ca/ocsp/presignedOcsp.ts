/**
 * The RFC 5019 hot path: a per-(issuer, serial, CertID hash) cache of pre-signed OCSP responses.
 *
 * - A request with exactly one CertID and no nonce is answered from the cache; the responder signs
 *   only on a miss or when the cached response is within `refreshBeforeSeconds` of its nextUpdate.
 *   Concurrent misses for the same key share one signing.
 * - `invalidate(issuerId, serial)` drops every cached response for that certificate: call it on
 *   revoke, hold and release — and on issuance, because `unknown` answers are cached too (otherwise
 *   random-serial floods would force a signature per request).
 * - Requests with a nonce or several CertIDs are signed fresh and are not cacheable; error responses
 *   (malformedRequest, unauthorized, …) are never cached and not marked cacheable.
 * - The HTTP layer gets what RFC 5019 §6 asks for: ETag (SHA-256 of the response), max-age (seconds
 *   until nextUpdate), Last-Modified (thisUpdate).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import { type OcspAnswer, type OcspLookup, prepareResponders, respond, selectResponder } from './buildOcspResponse.ts';
import { ocspErrorResponse } from './ocspErrorResponse.ts';
import type { OcspResponderConfig, PreparedResponder } from './ocspResponder.ts';
import { type ParsedOcspRequest, parseOcspRequest } from './parseOcspRequest.ts';

export interface OcspCacheOptions {
  readonly responders: readonly (OcspResponderConfig | PreparedResponder)[];
  readonly lookup: OcspLookup;
  readonly clock: Clock;
  /** nextUpdate − thisUpdate of every response (e.g. 86400; RFC 5019 suggests hours to days). */
  readonly validitySeconds: number;
  /** Re-sign a cached response once it is this close to nextUpdate (must be < validitySeconds). */
  readonly refreshBeforeSeconds: number;
  /** Cached responses kept at most (oldest dropped first); default 100 000. */
  readonly maxEntries?: number;
  readonly onError?: (error: unknown) => void;
}

export interface CachedOcspAnswer {
  readonly der: Uint8Array;
  /** May an HTTP cache keep it (RFC 5019 §6)? Only for single-CertID, nonce-free, successful answers. */
  readonly cacheable: boolean;
  /** Strong ETag, quoted: `"<hex SHA-256 of der>"`. */
  readonly etag?: string;
  /** Seconds until nextUpdate (for Cache-Control: max-age), never negative. */
  readonly maxAge?: number;
  /** thisUpdate (for Last-Modified). */
  readonly lastModified?: Date;
  /** Served from the pre-signed cache without signing. */
  readonly fromCache: boolean;
}

export interface OcspResponseCache {
  answer(requestDer: Uint8Array): Promise<CachedOcspAnswer>;
  /** Drops the cached responses for one certificate; `serial` in any form `canonicalSerial` takes. */
  invalidate(issuerId: string, serial: string): void;
  /** Drops everything (e.g. responder certificate rotated). */
  clear(): void;
  readonly size: number;
}

interface Entry {
  readonly answer: OcspAnswer;
  readonly etag: string;
}

/** Like `canonicalSerial` but never throws (an odd input simply matches nothing). */
function canonical(serial: string): string {
  const s = serial.trim().toLowerCase().replace(/^0x/, '').replaceAll(':', '');
  return /^[0-9a-f]{1,40}$/.test(s) ? s.padStart(40, '0') : s;
}

export function createOcspResponseCache(options: OcspCacheOptions): OcspResponseCache {
  const { lookup, clock, validitySeconds, refreshBeforeSeconds, onError } = options;
  if (!(validitySeconds > 0) || !(refreshBeforeSeconds >= 0) || refreshBeforeSeconds >= validitySeconds) {
    throw new RangeError('need validitySeconds > refreshBeforeSeconds >= 0');
  }
  const maxEntries = options.maxEntries ?? 100_000;
  const responders = prepareResponders(options.responders);
  /** `${issuerId}|${serial}` → (CertID hash OID → entry). */
  const cache = new Map<string, Map<string, Entry>>();
  const inflight = new Map<string, Promise<Entry>>();
  const inflightPerCert = new Map<string, number>();
  /** Bumped by invalidate while a signing for that certificate is under way, so its result is not stored. */
  const generation = new Map<string, number>();
  let count = 0;

  const finish = (a: OcspAnswer, fromCache: boolean, cacheable: boolean, etag?: string): CachedOcspAnswer => {
    if (a.responseStatus !== 'successful' || !cacheable) return { der: a.der, cacheable: false, fromCache: false };
    const now = clock.now().getTime();
    const maxAge = a.nextUpdate ? Math.max(0, Math.floor((a.nextUpdate.getTime() - now) / 1000)) : 0;
    return { der: a.der, cacheable: true, etag: etag ?? etagOf(a.der), maxAge, lastModified: a.thisUpdate, fromCache };
  };

  const fresh = (parsed: ParsedOcspRequest) => respond({ request: parsed, responders, lookup, clock, nextUpdateSeconds: validitySeconds, onError });

  const evictIfFull = () => {
    while (count >= maxEntries && cache.size > 0) {
      const [k, m] = cache.entries().next().value as [string, Map<string, Entry>];
      count -= m.size;
      cache.delete(k);
    }
  };

  async function answer(requestDer: Uint8Array): Promise<CachedOcspAnswer> {
    let parsed: ParsedOcspRequest;
    try {
      parsed = parseOcspRequest(requestDer);
    } catch (e) {
      onError?.(e);
      return { der: ocspErrorResponse('malformedRequest'), cacheable: false, fromCache: false };
    }
    if (parsed.requests.length !== 1 || parsed.nonce !== undefined) return finish(await fresh(parsed), false, false);
    const selected = selectResponder(parsed, responders);
    if (!selected) return { der: ocspErrorResponse('unauthorized'), cacheable: false, fromCache: false };
    const { certId } = parsed.requests[0]!;
    const certKey = `${selected.responder.issuerId}|${certId.serialNumber}`;
    const slotKey = `${certKey}|${certId.hashAlgorithmOid}`;
    const hit = cache.get(certKey)?.get(certId.hashAlgorithmOid);
    const now = clock.now().getTime();
    if (hit && hit.answer.nextUpdate && now < hit.answer.nextUpdate.getTime() - refreshBeforeSeconds * 1000 && now >= hit.answer.thisUpdate!.getTime()) {
      return finish(hit.answer, true, true, hit.etag);
    }
    let pending = inflight.get(slotKey);
    if (!pending) {
      const gen = generation.get(certKey) ?? 0;
      inflightPerCert.set(certKey, (inflightPerCert.get(certKey) ?? 0) + 1);
      pending = (async () => {
        const a = await fresh(parsed);
        if (a.responseStatus !== 'successful') return { answer: a, etag: '' };
        const entry: Entry = { answer: a, etag: etagOf(a.der) };
        if ((generation.get(certKey) ?? 0) === gen) {
          let m = cache.get(certKey);
          if (!m) {
            evictIfFull();
            cache.set(certKey, (m = new Map()));
          }
          if (!m.has(certId.hashAlgorithmOid)) count++;
          m.set(certId.hashAlgorithmOid, entry);
        }
        return entry;
      })().finally(() => {
        inflight.delete(slotKey);
        const n = (inflightPerCert.get(certKey) ?? 1) - 1;
        if (n <= 0) {
          inflightPerCert.delete(certKey);
          generation.delete(certKey);
        } else inflightPerCert.set(certKey, n);
      });
      inflight.set(slotKey, pending);
    }
    const entry = await pending;
    return finish(entry.answer, false, true, entry.etag || undefined); // finish() marks errors uncacheable
  }

  return {
    answer,
    invalidate(issuerId, serial) {
      const certKey = `${issuerId}|${canonical(serial)}`;
      if (inflightPerCert.has(certKey)) generation.set(certKey, (generation.get(certKey) ?? 0) + 1);
      const m = cache.get(certKey);
      if (m) {
        count -= m.size;
        cache.delete(certKey);
      }
    },
    clear() {
      for (const k of inflightPerCert.keys()) generation.set(k, (generation.get(k) ?? 0) + 1);
      cache.clear();
      count = 0;
    },
    get size() {
      return count;
    },
  };
}

function etagOf(der: Uint8Array): string {
  return `"${createHash('sha256').update(der).digest('hex')}"`;
}
