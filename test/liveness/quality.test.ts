import { describe, expect, it } from 'vitest';
import { assessQuality, exposure, laplacianVariance } from '../../src/liveness/quality.ts';
import { DEFAULT_QUALITY_THRESHOLDS } from '../../src/liveness/thresholds.ts';
import type { FaceFeatures } from '../../src/liveness/faceFeatures.ts';

const frontal: FaceFeatures = { yaw: 0, pitch: DEFAULT_QUALITY_THRESHOLDS.pitchOffsetDeg, roll: 0, earLeft: 0.3, earRight: 0.3, mar: 0.05, interEye: 80 };
function crop(fn: (x: number, y: number) => number) {
  const data = new Uint8Array(112 * 112 * 3);
  for (let y = 0; y < 112; y++) for (let x = 0; x < 112; x++) { const v = fn(x, y); data.set([v, v, v], (y * 112 + x) * 3); }
  return { data, width: 112, height: 112 };
}

describe('quality', () => {
  it('variance of Laplacian: zero on flat images, large on a checkerboard', () => {
    expect(laplacianVariance(new Float32Array(100).fill(7), 10, 10)).toBe(0);
    const cb = new Float32Array(100).map((_, i) => ((i % 10) + Math.floor(i / 10)) % 2 ? 255 : 0);
    expect(laplacianVariance(cb, 10, 10)).toBeGreaterThan(1e5);
  });
  it('exposure: mean and clipped fractions', () => {
    const e = exposure(new Float32Array(112 * 112).fill(255), 112);
    expect(e.mean).toBe(255);
    expect(e.clippedHigh).toBe(1);
  });
  it('a good capture passes; each failing check names its code, value and threshold', () => {
    const textured = crop((x, y) => 100 + ((x * 7 + y * 13) % 40));
    expect(assessQuality(textured, frontal, DEFAULT_QUALITY_THRESHOLDS).reasons).toEqual([]);
    const bad = assessQuality(crop(() => 10), { ...frontal, yaw: 50, pitch: 60, roll: -45, earLeft: 0.05, earRight: 0.3, interEye: 12 }, DEFAULT_QUALITY_THRESHOLDS);
    expect(bad.ok).toBe(false);
    expect(bad.reasons.map((r) => r.code).sort()).toEqual(['BLURRY', 'EYES_CLOSED', 'FACE_TOO_SMALL', 'POSE_PITCH', 'POSE_ROLL', 'POSE_YAW', 'TOO_DARK']);
    const yaw = bad.reasons.find((r) => r.code === 'POSE_YAW')!;
    expect([yaw.value, yaw.threshold, yaw.kind]).toEqual([50, DEFAULT_QUALITY_THRESHOLDS.maxYawDeg, 'max']);
    expect(assessQuality(crop((x) => (x % 2 ? 255 : 245)), frontal, DEFAULT_QUALITY_THRESHOLDS).reasons.map((r) => r.code)).toContain('OVEREXPOSED');
  });
});
