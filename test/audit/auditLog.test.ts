import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, appendAuditEntries, verifyAuditChain } from '../../src/audit/auditLog.ts';
import { fixedClock } from '../../src/clock.ts';
import { withTransaction } from '../../src/db/transaction.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('audit log', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('chains rows and verifies', async () => {
    const clock = fixedClock('2026-11-23T08:00:00.123Z');
    for (let i = 0; i < 5; i++) {
      await withTransaction(db.pool, (tx) => appendAudit(tx, { actor: 'system', action: 'test.event', subject: `s${i}`, details: { i, nested: { b: 1, a: [1, 'x'] } } }, clock));
    }
    expect(await verifyAuditChain(db.pool)).toEqual({ ok: true, rows: 5 });
  });

  it('a rolled-back change leaves no audit row', async () => {
    await expect(withTransaction(db.pool, async (tx) => {
      await appendAudit(tx, { actor: 'system', action: 'test.rolledback' });
      throw new Error('boom');
    })).rejects.toThrow('boom');
    const n = await db.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'test.rolledback'");
    expect(n.rows[0].n).toBe(0);
    expect((await verifyAuditChain(db.pool)).ok).toBe(true);
  });

  it('concurrent appenders never fork the chain', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => withTransaction(db.pool, (tx) => appendAudit(tx, { actor: 'system', action: 'test.concurrent', details: { i } }))));
    const v = await verifyAuditChain(db.pool);
    expect(v.ok).toBe(true);
    expect(v.rows).toBe(13);
  });

  it('appends several entries under one lock, in order, and the chain verifies', async () => {
    const before = (await verifyAuditChain(db.pool)).rows;
    const records = await withTransaction(db.pool, (tx) => appendAuditEntries(tx, Array.from({ length: 600 }, (_, i) => ({ actor: 'system', action: 'test.batch', subject: `b${i}`, details: { i } }))));
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 600 }, (_, i) => before + 1 + i));
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    const stored = await db.pool.query("SELECT subject FROM audit_log WHERE action = 'test.batch' ORDER BY seq");
    expect(stored.rows.map((r) => r.subject)).toEqual(Array.from({ length: 600 }, (_, i) => `b${i}`));
    expect(await verifyAuditChain(db.pool)).toEqual({ ok: true, rows: before + 600 });
    await withTransaction(db.pool, (tx) => appendAuditEntries(tx, []));
    expect((await verifyAuditChain(db.pool)).rows).toBe(before + 600);
  });

  it('refuses updates and deletes', async () => {
    await expect(db.pool.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM audit_log WHERE seq = 2')).rejects.toThrow(/append-only/);
  });

  it('reports the first broken link when a row is tampered with behind the trigger', async () => {
    await db.pool.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
    await db.pool.query(`UPDATE audit_log SET details = '{"i": 99}' WHERE seq = 3`);
    await db.pool.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
    expect(await verifyAuditChain(db.pool)).toEqual({ ok: false, rows: 2, firstBroken: { seq: 3, reason: 'hash-mismatch' } });
  });
});
