/**
 * With DATABASE_URL (CI's second run) every test makes databases of its own on the shared server;
 * they are named after this run and all dropped when it ends, so runs do not pile up databases.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function setup(): void {
  process.env.KEXIN_TEST_RUN ??= randomBytes(4).toString('hex');
}

export async function teardown(): Promise<void> {
  const base = process.env.DATABASE_URL;
  const run = process.env.KEXIN_TEST_RUN;
  if (!base || !run) return;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    const names = (await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`kexin_t_${run}_%`])).rows;
    for (const { datname } of names) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
