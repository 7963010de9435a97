import type pg from 'pg';

/** A client inside an open transaction: the only connection code in a transaction may use. */
export type Tx = pg.PoolClient;

/**
 * Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws, so a failure leaves
 * no partial state. `fn` must use only `tx` (another pooled connection would deadlock on PGlite).
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
