/** The clock is a parameter (CRL/OCSP/TSA times, expiries, challenge windows); tests freeze it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved; for tests. */
export function fixedClock(at: Date | string): Clock & { set(t: Date | string): void; advance(ms: number): void } {
  let t = new Date(at);
  return {
    now: () => new Date(t),
    set: (v) => { t = new Date(v); },
    advance: (ms) => { t = new Date(t.getTime() + ms); },
  };
}
