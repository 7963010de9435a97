/**
 * Status lists on the issuing side: entry allocation, and publication as signed `statuslist+jwt`
 * (draft-ietf-oauth-status-list §5.1) at `GET /ecard/status/:listId`, cacheable for `ttl` seconds.
 *
 * Allocation: entry n of the global sequence goes to list ⌊n / 2^20⌋ + 1 at index
 * (n · 0x9E3779B1 mod 2^32) mod 2^20 — a bijection on each list's indices (odd multiplier, power-of-two
 * size), so consecutive claims land far apart and an index says nothing about when or in what order
 * a card was claimed (the draft's herd-privacy advice); nothing is locked on the hot path.
 *
 * Publication: a list is re-signed when its `version` (bumped in the transaction of any status change)
 * differs from the one cached, or when the cached token is older than half its TTL; so a suspension
 * reaches an offline verifier that refreshes every TTL within one TTL.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../clock.ts';
import type { Tx } from '../db/transaction.ts';
import { ecardErrors } from './ecardErrors.ts';
import { signCompactJws } from './formats/jws.ts';
import { compressStatusBits, packStatusBits, type StatusBitsPerEntry } from './formats/statusList.ts';
import type { IssuerSigner } from './issuerKeys.ts';

export const STATUS_LIST_SIZE = 1 << 20;
export const STATUS_BITS: StatusBitsPerEntry = 2;
const SPREAD = 0x9e3779b1;

export const statusListUri = (baseUrl: string, listId: number) => `${baseUrl}/ecard/status/${listId}`;

export function entryPosition(n: number): { readonly listId: number; readonly idx: number } {
  return { listId: Math.floor(n / STATUS_LIST_SIZE) + 1, idx: (Math.imul(n % STATUS_LIST_SIZE, SPREAD) >>> 0) % STATUS_LIST_SIZE };
}

export interface StatusAllocator {
  /** A fresh entry (outside any transaction: sequences are not transactional anyway). */
  allocate(): Promise<{ readonly listId: number; readonly idx: number; readonly uri: string }>;
}

/** Sequence values fetched at once: one round trip per block, not per claim. */
export const ALLOCATION_BLOCK = 64;

export function createStatusAllocator(deps: { readonly pool: pg.Pool; readonly baseUrl: string; readonly clock: Clock }): StatusAllocator {
  const known = new Set<number>();
  const block: number[] = [];
  let refill: Promise<void> | undefined;
  const fill = async () => {
    const rows = (await deps.pool.query<{ n: string }>("SELECT nextval('ecard_status_entry_seq') AS n FROM generate_series(1, $1)", [ALLOCATION_BLOCK])).rows;
    block.push(...rows.map((r) => Number(r.n)));
  };
  return {
    async allocate() {
      while (block.length === 0) {
        refill ??= fill().finally(() => { refill = undefined; });
        await refill;
      }
      const { listId, idx } = entryPosition(block.shift()!);
      if (!known.has(listId)) {
        await deps.pool.query('INSERT INTO ecard_status_lists (id, bits, size, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [listId, STATUS_BITS, STATUS_LIST_SIZE, deps.clock.now()]);
        known.add(listId);
      }
      return { listId, idx, uri: statusListUri(deps.baseUrl, listId) };
    },
  };
}

/** Marks lists changed, in the transaction that changed them. */
export async function touchStatusLists(tx: Tx, listIds: Iterable<number>): Promise<void> {
  const ids = [...new Set(listIds)];
  if (ids.length) await tx.query('UPDATE ecard_status_lists SET version = version + 1 WHERE id = ANY($1::int[])', [ids]);
}

export interface PublishedStatusList {
  readonly jwt: string;
  readonly etag: string;
  readonly issuedAt: Date;
  /** Seconds a cache may keep it from now. */
  readonly maxAge: number;
}

export interface StatusListOptions {
  /** `ttl` claim and HTTP max-age, seconds (default 300). */
  readonly ttlSeconds?: number;
  /** `exp` − `iat`, seconds (default 86,400): after that a cached list is no evidence at all. */
  readonly validitySeconds?: number;
}

/** Builds the signed token for a list from its entries (also what the benchmark times). */
export async function signStatusList(input: {
  readonly issuer: IssuerSigner; readonly iss: string; readonly uri: string; readonly size: number; readonly entries: Iterable<readonly [number, number]>;
  readonly iat: number; readonly ttl: number; readonly exp: number;
}): Promise<string> {
  const lst = compressStatusBits(packStatusBits(STATUS_BITS, input.size, input.entries));
  const header = { typ: 'statuslist+jwt', kid: input.issuer.kid, x5c: [input.issuer.certificate, ...input.issuer.chain.slice(0, -1)].map((c) => Buffer.from(c).toString('base64')) };
  return signCompactJws(header, { iss: input.iss, sub: input.uri, iat: input.iat, exp: input.exp, ttl: input.ttl, status_list: { bits: STATUS_BITS, lst } }, input.issuer.alg, input.issuer.sign);
}

export function createStatusListPublisher(deps: { readonly pool: pg.Pool; readonly issuer: IssuerSigner; readonly clock: Clock; readonly baseUrl: string; readonly iss: string } & StatusListOptions) {
  const ttl = deps.ttlSeconds ?? 300;
  const validity = deps.validitySeconds ?? 86_400;
  const cache = new Map<number, { version: string; published: Omit<PublishedStatusList, 'maxAge'> }>();
  const building = new Map<number, Promise<Omit<PublishedStatusList, 'maxAge'>>>();

  async function build(listId: number, version: string, size: number) {
    const rows = (await deps.pool.query<{ idx: number; status: number }>('SELECT idx, status FROM ecard_credentials WHERE list_id = $1 AND status <> 0', [listId])).rows;
    const iat = Math.floor(deps.clock.now().getTime() / 1000);
    const jwt = await signStatusList({ issuer: deps.issuer, iss: deps.iss, uri: statusListUri(deps.baseUrl, listId), size, entries: rows.map((r) => [r.idx, r.status] as const), iat, ttl, exp: iat + validity });
    const published = { jwt, etag: `"${createHash('sha256').update(jwt).digest('base64url').slice(0, 27)}"`, issuedAt: new Date(iat * 1000) };
    cache.set(listId, { version, published });
    return published;
  }

  return {
    ttl,
    async get(listId: number): Promise<PublishedStatusList> {
      if (!Number.isSafeInteger(listId) || listId < 1 || listId > 2 ** 31 - 1) throw ecardErrors.statusListNotFound();
      const row = (await deps.pool.query<{ version: string; size: number }>('SELECT version::text AS version, size FROM ecard_status_lists WHERE id = $1', [listId])).rows[0];
      if (!row) throw ecardErrors.statusListNotFound();
      const now = deps.clock.now().getTime();
      const cached = cache.get(listId);
      let published = cached && cached.version === row.version && now - cached.published.issuedAt.getTime() < (ttl * 1000) / 2 ? cached.published : undefined;
      if (!published) {
        let p = building.get(listId);
        if (!p) {
          p = build(listId, row.version, row.size).finally(() => building.delete(listId));
          building.set(listId, p);
        }
        published = await p;
      }
      const age = Math.max(0, Math.floor((now - published.issuedAt.getTime()) / 1000));
      return { ...published, maxAge: Math.max(0, ttl - age) };
    },
  };
}

export type StatusListPublisher = ReturnType<typeof createStatusListPublisher>;
