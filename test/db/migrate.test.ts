import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { listMigrations, migrate } from '../../src/db/migrate.ts';
import { createTestDatabase, dropDatabase, freshDatabaseUrl, tempDir, type TestDatabase } from '../support/database.ts';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db?.close(); });

  // Runners can overlap only on a server several processes share; the embedded database has one connection.
  it.skipIf(!process.env.DATABASE_URL)('two runners on an empty PostgreSQL database apply each migration exactly once between them', async () => {
    const url = await freshDatabaseUrl();
    const empty: Database = await openDatabase({ url, dataDir: tempDir() });
    try {
      const [a, b] = await Promise.all([migrate(empty.pool), migrate(empty.pool)]);
      const all = listMigrations().map((m) => `${m.version}_${m.name}`);
      expect([...a.applied, ...b.applied].sort()).toEqual([...all].sort());
      expect(a.applied.filter((m) => b.applied.includes(m))).toEqual([]);
      const rows = (await empty.pool.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
      expect(rows).toEqual(listMigrations().map((m) => m.version));
    } finally {
      await empty.close();
      if (url) await dropDatabase(url);
    }
  });

  it('are recorded, and running them again applies nothing', async () => {
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
