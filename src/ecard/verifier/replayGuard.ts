/**
 * Replay detection for dynamic QR codes: a (card reference, nonce) pair is accepted once while the
 * code is alive. In memory for one offline terminal; the service uses a database-backed guard so that
 * every process (and every verifier calling the online API) sees the same first use.
 */
export type FirstUse = 'first' | 'replayed' | 'unavailable';

/** Port: records the pair and says whether it was new. */
export interface ReplayGuard {
  firstUse(key: string, expiresAt: Date, now: Date): FirstUse | Promise<FirstUse>;
}

/** Entries kept at once: ~60 s of codes at 10,000 scans/s on one terminal pool. */
export const MAX_REPLAY_ENTRIES = 1_000_000;

export function createMemoryReplayGuard(max = MAX_REPLAY_ENTRIES): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    firstUse(key, expiresAt, now) {
      const t = now.getTime();
      if (seen.size >= max) {
        for (const [k, exp] of seen) if (exp < t) seen.delete(k);
        if (seen.size >= max) return 'unavailable'; // fail closed: never accept unchecked
      }
      const exp = seen.get(key);
      if (exp !== undefined && exp >= t) return 'replayed';
      seen.set(key, expiresAt.getTime());
      return 'first';
    },
  };
}
