/**
 * PostgreSQL LISTEN/NOTIFY between Kexin processes sharing one database, for in-memory caches that
 * another process's commit makes stale (e.g. a pre-signed OCSP answer after a revocation elsewhere).
 *
 * A NOTIFY sent inside a transaction is delivered only if and when it commits. A listener that lost
 * its connection may have missed messages, so it reports a gap on reconnect and the cache drops
 * everything — stale answers are worse than a few extra signatures.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Tx } from './transaction.ts';

export interface ChannelHandlers {
  readonly onMessage: (payload: string) => void;
  /** Messages may have been missed (the connection dropped and came back). */
  readonly onGap: () => void;
}

export interface Listener {
  close(): Promise<void>;
}

/** Inside `tx`: delivered to every listener (this process included) once `tx` commits. */
export async function notify(tx: Tx, channel: string, payload: string): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/** Listens on `channel` over a dedicated connection, reconnecting with backoff until closed. */
export async function listen(connectionString: string, channel: string, handlers: ChannelHandlers, logger: Logger): Promise<Listener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new TypeError(`bad channel name ${channel}`);
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString });
    c.on('notification', (n) => {
      if (n.channel === channel) handlers.onMessage(n.payload ?? '');
    });
    c.on('error', (err) => logger.warn({ err, channel }, 'notification connection failed'));
    c.on('end', () => {
      if (closed || client !== c) return;
      client = undefined;
      handlers.onGap();
      schedule();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (err) {
      await c.end().catch(() => {});
      throw err;
    }
    client = c;
    retryMs = RETRY_MIN_MS;
  };

  const schedule = () => {
    timer = setTimeout(() => {
      connect().then(() => {
        logger.info({ channel }, 'notification connection restored');
        handlers.onGap(); // whatever was sent while we were away is lost
      }, (err: unknown) => {
        logger.warn({ err, channel, retryMs }, 'notification reconnect failed');
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        if (!closed) schedule();
      });
    }, retryMs);
    timer.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
