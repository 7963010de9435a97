import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEntries, verifyAuditChain } from '../../src/audit/auditLog.ts';
import { createGroupCommit } from '../../src/db/groupCommit.ts';
import { multiRowValues } from '../../src/db/multiRowValues.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('group commit', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query('CREATE TABLE gc_items (id text PRIMARY KEY)');
  });
  afterAll(async () => { await db?.close(); });

  const transactions: number[] = [];
  const writer = () => createGroupCommit<string>(db.pool, async (tx, ids) => {
    transactions.push(ids.length);
    const { sql, params } = multiRowValues(ids.map((id) => [id]));
    await tx.query(`INSERT INTO gc_items (id) ${sql}`, params);
    await appendAuditEntries(tx, ids.map((id) => ({ actor: 'system', action: 'test.group', subject: id })));
  }, { maxBatch: 16 });

  it('commits a burst in fewer transactions than writes, every write with its audit row', async () => {
    transactions.length = 0;
    const gc = writer();
    await Promise.all(Array.from({ length: 50 }, (_, i) => gc.submit(`ok-${i}`)));
    const rows = await db.pool.query("SELECT count(*)::int AS n FROM gc_items WHERE id LIKE 'ok-%'");
    expect(rows.rows[0].n).toBe(50);
    expect(transactions.reduce((a, b) => a + b, 0)).toBe(50);
    expect(transactions.length).toBeLessThan(50);
    expect(Math.max(...transactions)).toBeLessThanOrEqual(16);
    const audited = await db.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'test.group' AND subject LIKE 'ok-%'");
    expect(audited.rows[0].n).toBe(50);
    expect((await verifyAuditChain(db.pool)).ok).toBe(true);
  });

  it('a failing write fails alone: the rest of its batch still commits, and it leaves nothing', async () => {
    const gc = writer();
    await gc.submit('dup-0');
    const auditBefore = (await db.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n as number;
    const results = await Promise.allSettled(['dup-1', 'dup-0', 'dup-2', 'dup-3'].map((id) => gc.submit(id)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/duplicate key/);
    const rows = await db.pool.query("SELECT id FROM gc_items WHERE id LIKE 'dup-%' ORDER BY id");
    expect(rows.rows.map((r) => r.id)).toEqual(['dup-0', 'dup-1', 'dup-2', 'dup-3']);
    const auditAfter = (await db.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n as number;
    expect(auditAfter - auditBefore).toBe(3);
    expect((await verifyAuditChain(db.pool)).ok).toBe(true);
  });
});
