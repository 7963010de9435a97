/**
 * The append-only, hash-chained audit log. `appendAudit` is called with the transaction client of the
 * change it records, so the change and its audit row commit or roll back together.
 *
 * hash(n) = SHA-256( canonical JSON (RFC 8785) of {seq, at, actor, action, subject, details, prev} ),
 * where prev is hash(n-1) in hex (64 zeros for the first row).
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type pg from 'pg';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { multiRowValues } from '../db/multiRowValues.ts';
import type { Tx } from '../db/transaction.ts';

/** What happened, by whom, to what. `details` must be JSON and must never hold secrets or images. */
export interface AuditEntry {
  /** Who: `operator:<token id>`, `system`, `client:<id>`, `subject:<masked id>`. */
  readonly actor: string;
  /** Dotted verb, e.g. `ca.certificate.issue`, `face.verify`. */
  readonly action: string;
  /** The thing acted on, e.g. a certificate serial. */
  readonly subject?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly prevHash: string;
  readonly hash: string;
}

function chainHash(r: { seq: number; at: string; actor: string; action: string; subject: string | null; details: unknown; prev: string }): string {
  const text = canonicalize({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, details: r.details, prev: r.prev });
  if (text === undefined) throw new TypeError('audit entry is not serialisable');
  return createHash('sha256').update(text).digest('hex');
}

export async function appendAudit(tx: Tx, entry: AuditEntry, clock: Clock = systemClock): Promise<AuditRecord> {
  return (await appendAuditEntries(tx, [entry], clock))[0]!;
}

/** Rows per INSERT: 8 parameters each, far below PostgreSQL's 65 535 bind-parameter limit. */
const MAX_ROWS_PER_INSERT = 500;

/**
 * Appends several entries, in order, under one lock of the head: a group commit (e.g. a batch of
 * issuances) costs three statements however many rows it writes.
 */
export async function appendAuditEntries(tx: Tx, entries: readonly AuditEntry[], clock: Clock = systemClock): Promise<AuditRecord[]> {
  if (entries.length === 0) return [];
  // Row lock on the head serialises appenders until this transaction ends: the chain never forks.
  const head = (await tx.query<{ seq: string; hash: Buffer }>('SELECT seq, hash FROM audit_head WHERE id FOR UPDATE')).rows[0];
  if (!head) throw new Error('audit_head missing: migrations not applied');
  let seq = Number(head.seq);
  let prev = head.hash.toString('hex');
  const records: AuditRecord[] = [];
  for (const entry of entries) {
    seq++;
    const at = clock.now().toISOString();
    const details = JSON.parse(JSON.stringify(entry.details ?? {})) as unknown;
    const subject = entry.subject ?? null;
    const hash = chainHash({ seq, at, actor: entry.actor, action: entry.action, subject, details, prev });
    records.push(Object.freeze({ ...entry, details: details as AuditEntry['details'], seq, at, prevHash: prev, hash }));
    prev = hash;
  }
  for (let i = 0; i < records.length; i += MAX_ROWS_PER_INSERT) {
    const { sql, params } = multiRowValues(records.slice(i, i + MAX_ROWS_PER_INSERT).map((r) =>
      [r.seq, r.at, r.actor, r.action, r.subject ?? null, JSON.stringify(r.details), Buffer.from(r.prevHash, 'hex'), Buffer.from(r.hash, 'hex')]));
    await tx.query(`INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) ${sql}`, params);
  }
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id', [seq, Buffer.from(prev, 'hex')]);
  return records;
}

/** The outcome of recomputing the chain: where it first breaks, if it does. */
export interface AuditVerification {
  readonly ok: boolean;
  readonly rows: number;
  readonly firstBroken?: { readonly seq: number; readonly reason: 'hash-mismatch' | 'prev-mismatch' | 'gap' | 'head-mismatch' };
}

export async function verifyAuditChain(db: pg.Pool | Tx, batch = 5000): Promise<AuditVerification> {
  let prev = '0'.repeat(64);
  let expectedSeq = 1;
  let rows = 0;
  for (;;) {
    const res = await db.query<{ seq: string; at: Date; actor: string; action: string; subject: string | null; details: unknown; prev_hash: Buffer; hash: Buffer }>(
      'SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2',
      [expectedSeq, batch],
    );
    for (const r of res.rows) {
      const seq = Number(r.seq);
      if (seq !== expectedSeq) return Object.freeze({ ok: false, rows, firstBroken: { seq: expectedSeq, reason: 'gap' as const } });
      if (r.prev_hash.toString('hex') !== prev) return Object.freeze({ ok: false, rows, firstBroken: { seq, reason: 'prev-mismatch' as const } });
      const hash = chainHash({ seq, at: r.at.toISOString(), actor: r.actor, action: r.action, subject: r.subject, details: r.details, prev });
      if (hash !== r.hash.toString('hex')) return Object.freeze({ ok: false, rows, firstBroken: { seq, reason: 'hash-mismatch' as const } });
      prev = hash;
      expectedSeq++;
      rows++;
    }
    if (res.rows.length < batch) break;
  }
  const head = (await db.query<{ seq: string; hash: Buffer }>('SELECT seq, hash FROM audit_head WHERE id')).rows[0];
  if (!head || Number(head.seq) !== rows || head.hash.toString('hex') !== prev) {
    return Object.freeze({ ok: false, rows, firstBroken: { seq: rows + 1, reason: 'head-mismatch' as const } });
  }
  return Object.freeze({ ok: true, rows });
}
