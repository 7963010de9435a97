import { describe, expect, it } from 'vitest';
import { ARCFACE_TEMPLATE, alignFace, applyAffine, invertAffine, similarity, umeyama, warpAffine } from '../../src/liveness/align.ts';
import type { Point, RgbImage } from '../../src/liveness/image.ts';

describe('umeyama', () => {
  it('recovers a known similarity exactly', () => {
    const truth = similarity(2.7, 0.6, 13.5, -4.25);
    const src: Point[] = [[1, 2], [10, -3], [5, 7], [-4, 0.5], [8, 8]];
    const dst = src.map((p) => applyAffine(truth, p));
    const m = umeyama(src, dst);
    for (let i = 0; i < 6; i++) expect(m[i]).toBeCloseTo(truth[i], 10);
  });
  it('never returns a reflection and handles rotations past 90°', () => {
    const truth = similarity(0.5, 2.9, 0, 0);
    const src: Point[] = [[0, 0], [1, 0], [0, 2], [3, 1]];
    const m = umeyama(src, src.map((p) => applyAffine(truth, p)));
    for (let i = 0; i < 6; i++) expect(m[i]).toBeCloseTo(truth[i], 10);
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThan(0);
  });
  it('is the least-squares fit for noisy points (zero-mean residual)', () => {
    const src: Point[] = [[0, 0], [10, 0], [5, 5], [2, 9], [8, 9]];
    const dst: Point[] = src.map(([x, y], i) => [x * 2 + 1 + (i % 2 ? 0.3 : -0.2), y * 2 - 1 + (i % 3 ? 0.1 : -0.25)]);
    const m = umeyama(src, dst);
    let rx = 0, ry = 0;
    src.forEach((p, i) => { const q = applyAffine(m, p); rx += q[0] - dst[i][0]; ry += q[1] - dst[i][1]; });
    expect(Math.abs(rx)).toBeLessThan(1e-9);
    expect(Math.abs(ry)).toBeLessThan(1e-9);
  });
  it('inverts affine maps', () => {
    const m = similarity(1.3, -0.4, 7, 9);
    const p = applyAffine(invertAffine(m), applyAffine(m, [3, 4]));
    expect(p[0]).toBeCloseTo(3, 10);
    expect(p[1]).toBeCloseTo(4, 10);
  });
});

/** Draw bright discs at the given points on a dark canvas. */
function canvasWithDots(w: number, h: number, points: readonly Point[], r: number): RgbImage {
  const data = new Uint8Array(w * h * 3).fill(20);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    for (const [px, py] of points) {
      if ((x - px) ** 2 + (y - py) ** 2 <= r * r) { const i = (y * w + x) * 3; data[i] = 255; data[i + 1] = 255; data[i + 2] = 255; }
    }
  }
  return { data, width: w, height: h };
}

function brightCentroid(img: RgbImage, cx: number, cy: number, rad: number): [number, number] {
  let sx = 0, sy = 0, s = 0;
  for (let y = Math.max(0, Math.floor(cy - rad)); y <= Math.min(img.height - 1, cy + rad); y++) {
    for (let x = Math.max(0, Math.floor(cx - rad)); x <= Math.min(img.width - 1, cx + rad); x++) {
      const v = Math.max(0, img.data[(y * img.width + x) * 3] - 20);
      sx += v * x; sy += v * y; s += v;
    }
  }
  return [sx / s, sy / s];
}

describe('alignFace', () => {
  it('lands the five points on the ArcFace template', () => {
    // Place the template in a 400×360 image: scaled 2.5×, rotated 25°, shifted.
    const t = similarity(2.5, (25 * Math.PI) / 180, 150, 20);
    const pts = ARCFACE_TEMPLATE.map((p) => applyAffine(t, p));
    const img = canvasWithDots(400, 360, pts, 6);
    const aligned = alignFace(img, { leftEye: pts[0], rightEye: pts[1], nose: pts[2], mouthLeft: pts[3], mouthRight: pts[4] });
    expect(aligned.residual).toBeLessThan(1e-6);
    expect([aligned.image.width, aligned.image.height]).toEqual([112, 112]);
    for (const [tx, ty] of ARCFACE_TEMPLATE) {
      const [cx, cy] = brightCentroid(aligned.image, tx, ty, 4);
      expect(Math.abs(cx - tx)).toBeLessThan(0.35);
      expect(Math.abs(cy - ty)).toBeLessThan(0.35);
    }
  });
  it('identity warp reproduces the image and outside pixels are black', () => {
    const img = canvasWithDots(20, 10, [[5, 5]], 2);
    const same = warpAffine(img, [1, 0, 0, 0, 1, 0], 20, 10);
    expect(Buffer.from(same.data).equals(Buffer.from(img.data))).toBe(true);
    const shifted = warpAffine(img, [1, 0, 100, 0, 1, 0], 20, 10);
    expect(shifted.data.every((v) => v === 0)).toBe(true);
  });
});
