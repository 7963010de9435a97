/**
 * Operator bearer tokens. Only SHA-256 hashes are stored (tokens are 256-bit random, so a plain hash is
 * enough); lookups compare hashes in constant time.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { appendAudit } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import { withTransaction } from '../db/transaction.ts';
import { announce } from './identityEvents.ts';

export interface Operator {
  readonly id: string;
  readonly name: string;
}

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export function generateToken(): string {
  return `kx_${randomBytes(32).toString('base64url')}`;
}

export interface OperatorTokenRegistry {
  /** The operator a presented token belongs to, or undefined. */
  authenticate(token: string): Operator | undefined;
  /** Accept a process-local token (the CLI's, written 0600 in the data dir) for this process's life. */
  addEphemeral(token: string, operator: Operator): void;
  reload(): Promise<void>;
}

export async function createOperatorTokenRegistry(pool: pg.Pool): Promise<OperatorTokenRegistry> {
  let entries: { hash: Buffer; operator: Operator }[] = [];
  const ephemeral: { hash: Buffer; operator: Operator }[] = [];
  const reload = async () => {
    const rows = (await pool.query<{ id: string; name: string; token_hash: Buffer }>('SELECT id, name, token_hash FROM operator_tokens WHERE revoked_at IS NULL')).rows;
    entries = rows.map((r) => ({ hash: r.token_hash, operator: Object.freeze({ id: r.id, name: r.name }) }));
  };
  await reload();
  return {
    authenticate(token) {
      const h = hashToken(token);
      let found: Operator | undefined;
      // Visit every entry: the time taken does not depend on which one matched.
      for (const e of [...entries, ...ephemeral]) if (timingSafeEqual(e.hash, h)) found = e.operator;
      return found;
    },
    addEphemeral(token, operator) {
      ephemeral.push({ hash: hashToken(token), operator });
    },
    reload,
  };
}

/**
 * First initialisation of a data dir: records the instance and its first operator token (the
 * configured bootstrap token, else a generated one returned so the caller can print it once).
 */
export async function initialiseInstance(pool: pg.Pool, opts: { bootstrapToken: string | undefined; clock: Clock }): Promise<{ created: boolean; generatedToken?: string }> {
  return withTransaction(pool, async (tx) => {
    await tx.query('LOCK TABLE instance IN EXCLUSIVE MODE');
    const existing = await tx.query('SELECT 1 FROM instance');
    if (existing.rowCount) return { created: false };
    const token = opts.bootstrapToken ?? generateToken();
    const id = randomUUID();
    await tx.query('INSERT INTO instance (initialised_at) VALUES ($1)', [opts.clock.now()]);
    await tx.query('INSERT INTO operator_tokens (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)', [id, 'bootstrap', hashToken(token), opts.clock.now()]);
    await appendAudit(tx, { actor: 'system', action: 'operator.token.create', subject: id, details: { name: 'bootstrap', source: opts.bootstrapToken ? 'KEXIN_BOOTSTRAP_TOKEN' : 'generated' } }, opts.clock);
    return opts.bootstrapToken ? { created: true } : { created: true, generatedToken: token };
  });
}

/**
 * `kexin operator rotate`: every stored operator token is revoked and one new token takes their place
 * (returned to be shown once) — also how break-glass access comes back after `disable`. One
 * transaction with its audit row; other processes reload on the NOTIFY.
 */
export async function rotateOperatorTokens(pool: pg.Pool, opts: { actor: string; clock: Clock }): Promise<{ id: string; token: string; revoked: string[] }> {
  const token = generateToken();
  const id = randomUUID();
  const revoked = await withTransaction(pool, async (tx) => {
    const now = opts.clock.now();
    const gone = (await tx.query<{ id: string }>('UPDATE operator_tokens SET revoked_at = $1 WHERE revoked_at IS NULL RETURNING id', [now])).rows.map((r) => r.id);
    await tx.query('INSERT INTO operator_tokens (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)', [id, 'rotated', hashToken(token), now]);
    await appendAudit(tx, { actor: opts.actor, action: 'operator.token.rotate', subject: id, details: { revoked: gone } }, opts.clock);
    await announce(tx, { operators: true });
    return gone;
  });
  return { id, token, revoked };
}

/**
 * `kexin operator disable`: every stored operator token is revoked; there is no break-glass bearer
 * token any more until `rotate`. The local CLI's process token (0600 in the data dir, valid while the
 * service that wrote it runs) is not stored and keeps working: whoever can read it can read the key
 * store and the database too, so revoking it would protect nothing.
 */
export async function disableOperatorTokens(pool: pg.Pool, opts: { actor: string; clock: Clock }): Promise<{ revoked: string[] }> {
  const revoked = await withTransaction(pool, async (tx) => {
    const gone = (await tx.query<{ id: string }>('UPDATE operator_tokens SET revoked_at = $1 WHERE revoked_at IS NULL RETURNING id', [opts.clock.now()])).rows.map((r) => r.id);
    await appendAudit(tx, { actor: opts.actor, action: 'operator.token.disable', details: { revoked: gone } }, opts.clock);
    await announce(tx, { operators: true });
    return gone;
  });
  return { revoked };
}
