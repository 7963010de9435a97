/**
 * Per-client token buckets, in process memory: `rate` requests per second on average, bursts up to
 * `burst`. Keys can come from attackers (claimed client ids), so the table is bounded: past
 * `MAX_BUCKETS` the least recently used bucket is dropped (it refills as if idle — a flood of fresh
 * keys can reset a bucket, never grow memory). With several processes each keeps its own buckets, so
 * a client's effective limit is the per-process limit times the number of processes.
 */

export const MAX_BUCKETS = 100_000;

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one request from `key`'s bucket, or says how long until one is available. */
  take(key: string, ratePerSecond: number, burst: number): RateDecision;
  /** Gives one back (the request it was taken for turned out not to count). */
  refund(key: string, burst: number): void;
  /** Whether `key` has a request left, without taking it (for budgets charged only afterwards). */
  check(key: string, ratePerSecond: number, burst: number): RateDecision;
  /** Takes one even if none is left (the bucket goes into debt): charging after the fact. */
  charge(key: string, ratePerSecond: number, burst: number): void;
}

export function createRateLimiter(now: () => number = () => performance.now()): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const bucket = (key: string, ratePerSecond: number, burst: number) => {
    const t = now();
    let b = buckets.get(key);
    if (b) {
      buckets.delete(key); // re-inserted below: Map order is recency
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * ratePerSecond);
      b.at = t;
    } else {
      if (buckets.size >= MAX_BUCKETS) buckets.delete(buckets.keys().next().value!);
      b = { tokens: burst, at: t };
    }
    buckets.set(key, b);
    return b;
  };
  return {
    take(key, ratePerSecond, burst) {
      const b = bucket(key, ratePerSecond, burst);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / ratePerSecond)) };
    },
    refund(key, burst) {
      const b = buckets.get(key);
      if (b) b.tokens = Math.min(burst, b.tokens + 1);
    },
    check(key, ratePerSecond, burst) {
      const b = bucket(key, ratePerSecond, burst);
      return b.tokens >= 1 ? { ok: true } : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / ratePerSecond)) };
    },
    charge(key, ratePerSecond, burst) {
      // Debt is bounded: one burst's worth below zero at most.
      const b = bucket(key, ratePerSecond, burst);
      b.tokens = Math.max(-burst, b.tokens - 1);
    },
  };
}
