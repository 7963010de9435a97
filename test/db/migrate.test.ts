import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMigrations, migrate } from '../../src/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('are recorded and safe to run again, also from two runners at once', async () => {
    const [a, b] = await Promise.all([migrate(db.pool), migrate(db.pool)]);
    expect(a.applied).toEqual([]);
    expect(b.applied).toEqual([]);
    const rows = (await db.pool.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
    expect(rows).toEqual(listMigrations().map((m) => m.version));
  });

  it('refuse a migration whose file changed after it was applied', async () => {
    const changed = listMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'x' } : m));
    await expect(migrate(db.pool, changed)).rejects.toThrow(/changed after it was applied/);
  });
});
