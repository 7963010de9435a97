/**
 * Group commit: writes submitted while a transaction is in flight are queued and committed together in
 * the next one. Each write still commits in a transaction together with everything it belongs with
 * (e.g. a certificate and its audit row), but a burst of N writes costs one BEGIN…COMMIT, one lock of the
 * audit head and one WAL flush instead of N — the difference between a CA that issues at the speed of
 * its disk and one that issues at the speed of its CPU.
 *
 * `submit` resolves only after the transaction holding the write has committed. If a batch fails, its
 * writes are retried one transaction each, so one bad write fails alone and the others still land.
 */
import type pg from 'pg';
import { countGroupCommitFallback, observeGroupCommitBatch, setQueueDepth } from '../observability/metrics.ts';
import { withTransaction, type Tx } from './transaction.ts';

export interface GroupCommit<T> {
  /** Resolves once `item` is committed; rejects with the error of its own transaction. */
  submit(item: T): Promise<void>;
}

export interface GroupCommitOptions {
  /** For metrics: queue depth `group-commit:<name>` and batch sizes (default `unnamed`). */
  readonly name?: string;
  /** Most writes in one transaction (bounds statement size and the time the audit head is locked). */
  readonly maxBatch?: number;
}

interface Pending<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export function createGroupCommit<T>(pool: pg.Pool, write: (tx: Tx, items: readonly T[]) => Promise<void>, opts: GroupCommitOptions = {}): GroupCommit<T> {
  const maxBatch = opts.maxBatch ?? 64;
  const name = opts.name ?? 'unnamed';
  const queueName = `group-commit:${name}`;
  const queue: Pending<T>[] = [];
  let flushing = false;

  const commitAlone = async (p: Pending<T>) => {
    try {
      await withTransaction(pool, (tx) => write(tx, [p.item]));
      p.resolve();
    } catch (err) {
      p.reject(err);
    }
  };

  // One batch in flight at a time: batches serialise on the audit head lock anyway, and while one
  // commits the next one fills up.
  const flush = async () => {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        setQueueDepth(queueName, queue.length);
        observeGroupCommitBatch(name, batch.length);
        if (batch.length === 1) {
          await commitAlone(batch[0]!);
          continue;
        }
        try {
          await withTransaction(pool, (tx) => write(tx, batch.map((p) => p.item)));
          for (const p of batch) p.resolve();
        } catch {
          countGroupCommitFallback(name);
          for (const p of batch) await commitAlone(p);
        }
      }
    } finally {
      flushing = false;
    }
  };

  return {
    submit(item) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        setQueueDepth(queueName, queue.length);
        if (!flushing) void flush();
      });
    },
  };
}
