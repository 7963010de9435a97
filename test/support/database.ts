/**
 * Test databases: a fresh embedded PGlite per call by default; with DATABASE_URL set (CI's second
 * run), a fresh schema on that real server, so both paths run the same tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';

export interface TestDatabase extends Database {
  /** Connection string usable by a child process (the service under test). */
  readonly url: string | undefined;
  readonly dataDir: string;
}

export function tempDir(prefix = 'kexin-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A migrated database of the kind this test run targets. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = tempDir();
  const base = process.env.DATABASE_URL;
  if (!base) {
    const db = await openDatabase({ dataDir });
    await migrate(db.pool);
    return { ...db, url: undefined, dataDir, close: async () => { await db.close(); rmSync(dataDir, { recursive: true, force: true }); } };
  }
  // A database of its own per test file on the real server: tests never see each other's rows.
  const name = `kexin_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), dataDir });
  await migrate(db.pool);
  return {
    ...db,
    url: url.toString(),
    dataDir,
    async close() {
      await db.close();
      const a = new pg.Client({ connectionString: base });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
