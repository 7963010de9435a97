/**
 * The authorization server's signing keys: ES256 keys created in Kexin's key store (they never leave
 * it), each certified by Kexin's CA under the `token-signer` profile so relying parties can follow
 * `x5c` to Kexin's root. Rotation without downtime, as a schedule of states:
 *
 *   next     — published in the JWKS, not yet signing (relying parties and other processes learn it)
 *   active   — signing (exactly one)
 *   retiring — published, no longer signing, until every token it signed has expired
 *   retired  — gone from the JWKS
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type pg from 'pg';
import type { Logger } from 'pino';
import { appendAudit } from '../../audit/auditLog.ts';
import type { Clock } from '../../clock.ts';
import { signerFor, type KeyStore } from '../../crypto/keyStore.ts';
import { withTransaction } from '../../db/transaction.ts';
import { buildCsr } from '../../ca/buildCsr.ts';
import { pemToDer } from '../../ca/pem.ts';
import { announce } from '../identityEvents.ts';

/** How long a key signs before the next one takes over. */
export const SIGNING_KEY_LIFETIME_MS = 30 * 24 * 3600_000;
/** How long a new key is published before it signs (relying parties refresh their JWKS meanwhile). */
export const PUBLISH_AHEAD_MS = 3600_000;
/** Access tokens live this long (RFC 9068 tokens are checked offline: keep them short). */
export const ACCESS_TOKEN_TTL_SECONDS = 600;
/** Clock skew allowed between Kexin and relying parties. */
export const CLOCK_SKEW_SECONDS = 60;

export const TOKEN_SIGNING_ALG = 'ES256';

/** Issues the `token-signer` certificate for a CSR: Kexin's CA, as a port (the CA is another module). */
export type TokenSignerCertifier = (csrPem: string) => Promise<{ certificatePem: string; chainPem: string }>;

export type SigningKeyState = 'next' | 'active' | 'retiring';

export interface PublishedKey {
  readonly kid: string;
  /** The key-store id of the private key. */
  readonly keyId: string;
  readonly state: SigningKeyState;
  readonly publicKey: KeyObject;
  /** Public JWK with kid, alg, use and x5c (leaf first, then the chain to the root). */
  readonly jwk: JWK;
}

export interface SigningKeySet {
  /** The one key that signs now. */
  readonly active: PublishedKey;
  /** Every key a token may be verified with: active, next and retiring. */
  readonly published: readonly PublishedKey[];
  /** Changes whenever a key or a state changes. */
  readonly version: string;
}

export interface SigningKeysDeps {
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly keyStore: KeyStore;
  readonly certify: TokenSignerCertifier;
  readonly logger: Logger;
}

interface KeyRow {
  kid: string; key_id: string; certificate: Buffer; chain: Buffer[]; state: SigningKeyState | 'retired';
  created_at: Date; activated_at: Date | null; unpublish_after: Date | null;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

async function publishedKey(row: KeyRow): Promise<PublishedKey> {
  const publicKey = new X509Certificate(row.certificate).publicKey;
  return { kid: row.kid, keyId: row.key_id, state: row.state as SigningKeyState, publicKey, jwk: await jwkOf(publicKey, row.kid, [row.certificate, ...row.chain]) };
}

async function jwkOf(publicKey: KeyObject, kid: string, certificates: readonly Uint8Array[]): Promise<JWK> {
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  return Object.freeze({ kty, crv, x, y, kid, alg: TOKEN_SIGNING_ALG, use: 'sig', x5c: certificates.map(b64) }) as JWK;
}

export interface SigningKeys {
  /** The current set (read afresh). Creates the first key when there is none. */
  load(): Promise<SigningKeySet>;
  /**
   * One step of the schedule at `clock.now()`: publish a next key when the active one nears the end
   * of its life (or now, with `force`), promote it once it has been published for PUBLISH_AHEAD_MS,
   * retire keys whose tokens have all expired. Returns whether anything changed.
   */
  rotate(opts?: { force?: boolean }): Promise<boolean>;
}

export function createSigningKeys(deps: SigningKeysDeps): SigningKeys {
  const { pool, clock, keyStore } = deps;

  const rows = async (q: pg.Pool | pg.PoolClient) =>
    (await q.query<KeyRow>(`SELECT kid, key_id, certificate, chain, state, created_at, activated_at, unpublish_after
      FROM token_signing_keys WHERE state <> 'retired' ORDER BY created_at`)).rows;

  /** A new key in the store with its token-signer certificate (the CA records and audits the issuance). */
  const mintKey = async () => {
    const key = await keyStore.createKey('ECDSA-P256', `token-signer-${clock.now().toISOString().slice(0, 10)}`);
    const csr = await buildCsr({ signer: signerFor(keyStore, key, 'ECDSA-SHA256'), subject: [{ type: 'C', value: 'CN' }, { type: 'O', value: 'Kexin 可信' }, { type: 'CN', value: 'Kexin authorization server token signer' }] });
    const issued = await deps.certify(csr.pem);
    const certificate = pemToDer(issued.certificatePem, 'CERTIFICATE')[0]!;
    const chain = pemToDer(issued.chainPem, 'CERTIFICATE');
    const publicKey = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
    const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK);
    return { kid, keyId: key.id, certificate: Buffer.from(certificate), chain: chain.map((c) => Buffer.from(c)) };
  };

  /** Inserts a minted key as `state` unless another process got there first; true when inserted. */
  const record = async (minted: Awaited<ReturnType<typeof mintKey>>, state: 'next' | 'active'): Promise<boolean> => {
    return withTransaction(pool, async (tx) => {
      await tx.query('LOCK TABLE token_signing_keys IN EXCLUSIVE MODE');
      const current = await rows(tx);
      if (current.some((r) => r.state === state)) return false;
      const now = clock.now();
      await tx.query(
        `INSERT INTO token_signing_keys (kid, key_id, algorithm, certificate, chain, state, created_at, activated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [minted.kid, minted.keyId, TOKEN_SIGNING_ALG, minted.certificate, minted.chain, state, now, state === 'active' ? now : null],
      );
      await appendAudit(tx, { actor: 'system', action: 'identity.signing-key.create', subject: minted.kid, details: { keyId: minted.keyId, state, algorithm: TOKEN_SIGNING_ALG } }, clock);
      await announce(tx, { keys: true });
      return true;
    });
  };

  const toSet = async (list: KeyRow[]): Promise<SigningKeySet | undefined> => {
    const published = await Promise.all(list.map(publishedKey));
    const active = published.find((k) => k.state === 'active');
    if (!active) return undefined;
    // Active first: whoever picks "the first key" signs with the right one.
    published.sort((a, b) => (a.state === 'active' ? -1 : b.state === 'active' ? 1 : 0));
    return Object.freeze({ active, published: Object.freeze(published), version: published.map((k) => `${k.kid}:${k.state}`).join(',') });
  };

  return {
    async load() {
      let set = await toSet(await rows(pool));
      if (set) return set;
      const minted = await mintKey();
      if (!(await record(minted, 'active'))) deps.logger.warn({ kid: minted.kid }, 'another process created the first token signing key; this one stays unused');
      set = await toSet(await rows(pool));
      if (!set) throw new Error('no active token signing key after creating one');
      return set;
    },

    async rotate(opts = {}) {
      const now = clock.now().getTime();
      const current = await rows(pool);
      const active = current.find((r) => r.state === 'active');
      const next = current.find((r) => r.state === 'next');
      let changed = false;
      const due = active && (opts.force || now >= active.activated_at!.getTime() + SIGNING_KEY_LIFETIME_MS - PUBLISH_AHEAD_MS);
      if (due && !next) {
        changed = await record(await mintKey(), 'next');
      }
      changed = (await withTransaction(pool, async (tx) => {
        await tx.query('LOCK TABLE token_signing_keys IN EXCLUSIVE MODE');
        const list = await rows(tx);
        const a = list.find((r) => r.state === 'active');
        const n = list.find((r) => r.state === 'next');
        const at = clock.now();
        let did = false;
        // A next key exists only because a rotation was due or asked for: it signs once it has been
        // published long enough for relying parties to have fetched it.
        if (n && a && at.getTime() >= n.created_at.getTime() + PUBLISH_AHEAD_MS) {
          const unpublish = new Date(at.getTime() + (ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS) * 1000);
          await tx.query(`UPDATE token_signing_keys SET state = 'retiring', deactivated_at = $2, unpublish_after = $3 WHERE kid = $1`, [a.kid, at, unpublish]);
          await tx.query(`UPDATE token_signing_keys SET state = 'active', activated_at = $2 WHERE kid = $1`, [n.kid, at]);
          await appendAudit(tx, { actor: 'system', action: 'identity.signing-key.activate', subject: n.kid, details: { previous: a.kid, previousUnpublishedAfter: unpublish.toISOString() } }, clock);
          did = true;
        }
        for (const r of list) {
          if (r.state === 'retiring' && r.unpublish_after && at >= r.unpublish_after) {
            await tx.query(`UPDATE token_signing_keys SET state = 'retired' WHERE kid = $1`, [r.kid]);
            await appendAudit(tx, { actor: 'system', action: 'identity.signing-key.retire', subject: r.kid }, clock);
            did = true;
          }
        }
        if (did) await announce(tx, { keys: true });
        return did;
      })) || changed;
      return changed;
    },
  };
}
