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
