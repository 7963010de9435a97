/**
 * The one PostgreSQL pool. With a DATABASE_URL it is a real server; without, an embedded PGlite under
 * the data directory served through pglite-socket, so the same `pg` code path runs either way.
 *
 * PGlite is one session underneath, and pglite-socket interleaves the protocol messages of concurrent
 * connections: one query's Bind can run against another's Parse and return the other's rows
 * (electric-sql/pglite#1046, reproduced in test/db/database.test.ts). So the embedded pool holds a
 * single connection: whole queries and whole transactions take turns. Code inside a transaction must
 * therefore use only that transaction's client (see transaction.ts), on either database.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export interface Database {
  readonly pool: pg.Pool;
  readonly kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

// int8 as bigint-safe strings by default; numeric counts we convert explicitly.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export async function openDatabase(opts: { url?: string | undefined; dataDir: string; /** PostgreSQL server only; the embedded pool has one. */ maxConnections?: number }): Promise<Database> {
  const max = opts.maxConnections ?? 10;
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max });
    pool.on('error', () => { /* idle client errors surface on next use */ });
    await pool.query('SELECT 1');
    return { pool, kind: 'postgres', close: () => pool.end() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dir = join(opts.dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create(dir);
  // A little headroom over the pool's one connection, for a reconnect while the old socket closes.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 3 });
  await server.start();
  const [host, port] = server.getServerConn().split(':');
  const pool = new pg.Pool({ host, port: Number(port), user: 'postgres', database: 'postgres', max: 1 });
  pool.on('error', () => { /* surfaced on next use */ });
  return {
    pool,
    kind: 'pglite',
    async close() {
      await pool.end();
      await server.stop();
      await db.close();
    },
  };
}
