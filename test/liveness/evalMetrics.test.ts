import { describe, expect, it } from 'vitest';
import { equalErrorRate, ratesAt, tarAtFar } from '../../scripts/eval-face.ts';

describe('evaluation metrics', () => {
  const genuine = [0.9, 0.8, 0.7, 0.6, 0.4];
  const impostor = [0.1, 0.2, 0.3, 0.5, 0.65, 0.05, 0.15, 0.25, 0.35, 0.45];
  it('FAR/FRR at a threshold (score ≥ t accepts)', () => {
    expect(ratesAt(genuine, impostor, 0.6)).toEqual({ threshold: 0.6, far: 0.1, frr: 0.2, tar: 0.8 });
  });
  it('TAR at a FAR target uses the lowest threshold meeting it', () => {
    const r = tarAtFar(genuine, impostor, 0.1);
    expect(r.far).toBeLessThanOrEqual(0.1);
    expect(r.tar).toBe(0.8);
    expect(tarAtFar(genuine, impostor, 0).far).toBe(0);
  });
  it('EER where FAR and FRR cross', () => {
    const e = equalErrorRate(genuine, impostor);
    expect(e.eer).toBeGreaterThan(0.05);
    expect(e.eer).toBeLessThan(0.25);
    expect(equalErrorRate([0.9, 0.8], [0.1, 0.2]).eer).toBe(0);
  });
});

describe('evaluation intervals', () => {
  it('Clopper–Pearson matches published values', async () => {
    const { clopperPearson } = await import('../../scripts/face-metrics.ts');
    const [lo0, hi0] = clopperPearson(0, 10);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.3085, 3);
    const [lo, hi] = clopperPearson(5, 10);
    expect(lo).toBeCloseTo(0.1871, 3);
    expect(hi).toBeCloseTo(0.8129, 3);
    const [, hiRare] = clopperPearson(6, 6636);
    expect(hiRare).toBeCloseTo(0.00197, 4);
  });
  it('identity bootstrap is reproducible and brackets the full-set statistic', async () => {
    const { bootstrap, groupScores, tarAtFar } = await import('../../scripts/face-metrics.ts');
    const pairs: { a: string; b: string; s: number }[] = [];
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    let k = 0;
    for (const a of ids) for (const b of ids) if (a <= b) for (let r = 0; r < 4; r++) pairs.push({ a, b, s: (a === b ? 0.6 : 0.1) + ((k++ * 0.37) % 0.3) });
    const g = groupScores(pairs);
    const stat = { tar: (gen: number[], imp: number[]) => tarAtFar(gen, imp, 0.05).tar };
    const one = bootstrap(g, stat, 200, 7), two = bootstrap(g, stat, 200, 7);
    expect(one).toEqual(two);
    const full = tarAtFar(pairs.filter((p) => p.a === p.b).map((p) => p.s), pairs.filter((p) => p.a !== p.b).map((p) => p.s), 0.05).tar;
    expect(one.tar.lo).toBeLessThanOrEqual(full);
    expect(one.tar.hi).toBeGreaterThanOrEqual(full);
  });
});
