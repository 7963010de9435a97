/**
 * Verification metrics for `npm run eval:face`: FAR/FRR at a threshold, EER, TAR at a FAR target,
 * binomial (Clopper–Pearson) intervals and an identity-level bootstrap.
 *
 * Convention: a pair is accepted when score ≥ threshold (as `FaceEngine.compare` does).
 */

export interface Rates { threshold: number; far: number; frr: number; tar: number }

export function ratesAt(genuine: readonly number[], impostor: readonly number[], t: number): Rates {
  let fa = 0, fr = 0;
  for (const s of impostor) if (s >= t) fa++;
  for (const s of genuine) if (s < t) fr++;
  const far = fa / impostor.length, frr = fr / genuine.length;
  return { threshold: t, far, frr, tar: 1 - frr };
}

export function equalErrorRate(genuine: readonly number[], impostor: readonly number[]): { eer: number; threshold: number } {
  // Sweep the merged, sorted scores once: O(n log n) instead of one pass per candidate.
  const g = [...genuine].sort((a, b) => a - b), im = [...impostor].sort((a, b) => a - b);
  const cands = [...new Set([...g, ...im])].sort((a, b) => a - b);
  let gi = 0, ii = 0, best = { eer: 1, threshold: 0, gap: Infinity };
  for (const t of cands) {
    while (gi < g.length && g[gi] < t) gi++;
    while (ii < im.length && im[ii] < t) ii++;
    const frr = gi / g.length, far = (im.length - ii) / im.length;
    const gap = Math.abs(far - frr);
    if (gap < best.gap) best = { eer: (far + frr) / 2, threshold: t, gap };
  }
  return { eer: best.eer, threshold: best.threshold };
}

/** Lowest threshold (exact, from the score set) with FAR ≤ target, and the rates there. */
export function thresholdForFar(impostor: readonly number[], target: number): number {
  const imp = [...impostor].sort((a, b) => b - a);
  const allowed = Math.floor(target * imp.length + 1e-9); // impostor scores allowed at or above t
  return allowed >= imp.length ? -1 : imp[allowed] + 1e-9; // strictly above the (allowed+1)-th highest
}

export function tarAtFar(genuine: readonly number[], impostor: readonly number[], target: number): Rates {
  return ratesAt(genuine, impostor, thresholdForFar(impostor, target));
}

/** Regularised incomplete beta I_x(a, b) (continued fraction, Numerical Recipes §6.4). */
function betaInc(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lgamma = (z: number): number => {
    const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
    let y = z, tmp = z + 5.5, ser = 1.000000000190015;
    tmp -= (z + 0.5) * Math.log(tmp);
    for (const k of c) ser += k / ++y;
    return -tmp + Math.log((2.5066282746310005 * ser) / z);
  };
  const front = Math.exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  const cf = (xx: number, aa: number, bb: number): number => {
    let c = 1, d = 1 - ((aa + bb) * xx) / (aa + 1);
    if (Math.abs(d) < 1e-300) d = 1e-300;
    d = 1 / d;
    let h = d;
    for (let m = 1; m <= 300; m++) {
      const m2 = 2 * m;
      let num = (m * (bb - m) * xx) / ((aa + m2 - 1) * (aa + m2));
      d = 1 + num * d; if (Math.abs(d) < 1e-300) d = 1e-300; c = 1 + num / c; if (Math.abs(c) < 1e-300) c = 1e-300; d = 1 / d; h *= d * c;
      num = (-(aa + m) * (aa + bb + m) * xx) / ((aa + m2) * (aa + m2 + 1));
      d = 1 + num * d; if (Math.abs(d) < 1e-300) d = 1e-300; c = 1 + num / c; if (Math.abs(c) < 1e-300) c = 1e-300; d = 1 / d;
      const del = d * c; h *= del;
      if (Math.abs(del - 1) < 1e-12) break;
    }
    return h;
  };
  return x < (a + 1) / (a + b + 2) ? (front * cf(x, a, b)) / a : 1 - (front * cf(1 - x, b, a)) / b;
}

/** Inverse of I_x(a, b) in x by bisection. */
function betaInv(p: number, a: number, b: number): number {
  let lo = 0, hi = 1;
  for (let i = 0; i < 100; i++) { const mid = (lo + hi) / 2; if (betaInc(mid, a, b) < p) lo = mid; else hi = mid; }
  return (lo + hi) / 2;
}

/**
 * Exact (Clopper–Pearson) two-sided interval for k successes in n trials. Assumes independent trials:
 * pairs sharing a photo or an identity are not, so this is narrower than the truth — see `bootstrap`.
 */
export function clopperPearson(k: number, n: number, confidence = 0.95): [number, number] {
  const alpha = 1 - confidence;
  const lo = k === 0 ? 0 : betaInv(alpha / 2, k, n - k + 1);
  const hi = k === n ? 1 : betaInv(1 - alpha / 2, k + 1, n - k);
  return [lo, hi];
}

/** Scores grouped by identity: genuine pairs within an identity, impostor pairs between two. */
export interface GroupedScores {
  readonly ids: readonly string[];
  readonly genuine: ReadonlyMap<string, readonly number[]>;
  /** Key `a\u0000b` with a < b. */
  readonly impostor: ReadonlyMap<string, readonly number[]>;
}

export function groupScores(pairs: readonly { a: string; b: string; s: number }[]): GroupedScores {
  const genuine = new Map<string, number[]>(), impostor = new Map<string, number[]>(), ids = new Set<string>();
  for (const { a, b, s } of pairs) {
    ids.add(a); ids.add(b);
    if (a === b) { const l = genuine.get(a) ?? []; l.push(s); genuine.set(a, l); continue; }
    const k = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    const l = impostor.get(k) ?? []; l.push(s); impostor.set(k, l);
  }
  return { ids: [...ids].sort(), genuine, impostor };
}

/** Small deterministic PRNG (mulberry32) so bootstrap intervals are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapInterval { readonly lo: number; readonly hi: number }

/**
 * Identity-level bootstrap (resample identities with replacement; a drawn identity brings all its
 * genuine pairs and its impostor pairs with every other drawn identity), `rounds` times. Returns the
 * 2.5–97.5 % percentile interval of each statistic. Accounts for the pairs' dependence on shared
 * identities, which binomial intervals ignore.
 */
export function bootstrap(g: GroupedScores, stats: Record<string, (genuine: number[], impostor: number[]) => number>, rounds = 1000, seed = 1): Record<string, BootstrapInterval> {
  const rnd = prng(seed);
  const values: Record<string, number[]> = Object.fromEntries(Object.keys(stats).map((k) => [k, []]));
  const n = g.ids.length;
  for (let r = 0; r < rounds; r++) {
    const drawn = Array.from({ length: n }, () => g.ids[Math.floor(rnd() * n)]);
    const gen: number[] = [], imp: number[] = [];
    for (let i = 0; i < n; i++) {
      for (const s of g.genuine.get(drawn[i]) ?? []) gen.push(s);
      for (let j = i + 1; j < n; j++) {
        const a = drawn[i], b = drawn[j];
        if (a === b) continue;
        for (const s of g.impostor.get(a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`) ?? []) imp.push(s);
      }
    }
    if (gen.length === 0 || imp.length === 0) continue;
    for (const [k, f] of Object.entries(stats)) values[k].push(f(gen, imp));
  }
  const out: Record<string, BootstrapInterval> = {};
  for (const [k, v] of Object.entries(values)) {
    v.sort((a, b) => a - b);
    out[k] = { lo: v[Math.floor(0.025 * (v.length - 1))], hi: v[Math.ceil(0.975 * (v.length - 1))] };
  }
  return out;
}
