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
  const url = (await freshDatabaseUrl())!;
  const db = await openDatabase({ url, dataDir });
  await migrate(db.pool);
  return {
    ...db,
    url,
    dataDir,
    async close() {
      await db.close();
      await dropDatabase(url);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A new, empty database of its own on the real server when DATABASE_URL is set (CI's second run),
 * so tests never see each other's rows; undefined on the embedded database. `dropDatabase` removes it.
 */
export async function freshDatabaseUrl(): Promise<string | undefined> {
  const base = process.env.DATABASE_URL;
  if (!base) return undefined;
  // Named after the test run (globalSetup drops the run's databases at the end) or the benchmark.
  const name = `kexin_t_${process.env.KEXIN_TEST_RUN ?? 'bench'}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database `freshDatabaseUrl` made (closing whatever still connects to it). */
export async function dropDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
