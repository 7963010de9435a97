import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/transaction.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('the database pool', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db?.close(); });

  // pglite-socket interleaves protocol messages of concurrent connections (electric-sql/pglite#1046):
  // one query's Bind could run against another's Parse and return its rows.
  it('concurrent queries of different shapes each get their own rows, also beside a transaction', async () => {
    const queries = Array.from({ length: 300 }, async (_, i) => {
      if (i % 3 === 0) {
        const r = await db.pool.query<{ n: number }>('SELECT $1::int + 1 AS n', [i]);
        expect(r.rows).toEqual([{ n: i + 1 }]);
      } else if (i % 3 === 1) {
        const r = await db.pool.query<{ t: string; k: number }>('SELECT $1::text AS t, 7 AS k', [`q${i}`]);
        expect(r.rows).toEqual([{ t: `q${i}`, k: 7 }]);
      } else {
        const r = await withTransaction(db.pool, (tx) => tx.query<{ s: string }>('SELECT $1::text || $2::text AS s', ['tx', String(i)]));
        expect(r.rows).toEqual([{ s: `tx${i}` }]);
      }
    });
    await Promise.all(queries);
  });
});
