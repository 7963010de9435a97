/** Embedding input conventions and the test-time flip, on a recording fake network. */
import { describe, expect, it } from 'vitest';
import { ARCFACE_TEMPLATE, applyAffine } from '../../src/liveness/align.ts';
import type { FivePoints } from '../../src/liveness/align.ts';
import { embedFace, embeddingCropTransform, embeddingInput, mirrorTensor } from '../../src/liveness/embed.ts';
import { DEFAULT_EMBEDDER, EMBEDDERS } from '../../src/liveness/faceModels.ts';
import type { FaceModels } from '../../src/liveness/faceModels.ts';
import type { Point } from '../../src/liveness/image.ts';

const W = 200, H = 160;
// A colour image whose red channel grows to the right and blue channel downwards.
const img = { width: W, height: H, data: Uint8Array.from({ length: W * H * 3 }, (_, i) => { const p = Math.floor(i / 3), c = i % 3; return c === 0 ? Math.round(((p % W) / (W - 1)) * 255) : c === 2 ? Math.round((Math.floor(p / W) / (H - 1)) * 255) : 100; }) };
// The ArcFace template scaled ×1.5 and moved: a face the crop must bring back onto the template.
const five: FivePoints = (() => {
  const p = ARCFACE_TEMPLATE.map(([x, y]) => [x * 1.5 + 20, y * 1.5 + 5] as Point);
  return { leftEye: p[0], rightEye: p[1], nose: p[2], mouthLeft: p[3], mouthRight: p[4] };
})();

describe('fr_feature embedding input', () => {
  const spec = EMBEDDERS.fr_feature;
  it('is the default: ArcFace 112×112 template, BGR, (v − 127) / 128, flip', () => {
    expect(DEFAULT_EMBEDDER).toBe('fr_feature');
    expect(spec).toMatchObject({ size: 112, dims: 512, bgr: true, mean: [127, 127, 127], scale: 1 / 128, crop: { kind: 'arcface', zoom: 1 }, flip: true });
  });
  it('maps the five points onto the template and feeds BGR in the model range', () => {
    const m = embeddingCropTransform(spec, five, []);
    const src = [five.leftEye, five.rightEye, five.nose, five.mouthLeft, five.mouthRight];
    src.forEach((p, i) => { const q = applyAffine(m, p); expect(q[0]).toBeCloseTo(ARCFACE_TEMPLATE[i][0], 6); expect(q[1]).toBeCloseTo(ARCFACE_TEMPLATE[i][1], 6); });
    const t = embeddingInput(img, five, [], 'fr_feature');
    expect(t).toHaveLength(112 * 112 * 3);
    // Red rises to the right of the image, so the fed channel 2 (red, in BGR order) is larger on the
    // right of the crop than on its left; channel 1 is the constant green 100.
    const at = (x: number, y: number, c: number) => t[(y * 112 + x) * 3 + c];
    expect(at(100, 56, 2)).toBeGreaterThan(at(10, 56, 2));
    expect(at(56, 100, 0)).toBeGreaterThan(at(56, 10, 0)); // blue (fed first) grows downwards
    expect(at(56, 56, 1)).toBeCloseTo((100 - 127) / 128, 5);
    let lo = Infinity, hi = -Infinity;
    for (const v of t) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(lo).toBeGreaterThanOrEqual(-127 / 128 - 1e-6);
    expect(hi).toBeLessThanOrEqual(1 + 1e-6);
  });
  it('mirrors a tensor left–right', () => {
    const t = Float32Array.from({ length: 3 * 2 * 3 }, (_, i) => i);
    expect(Array.from(mirrorTensor(t, 3, 2))).toEqual([6, 7, 8, 3, 4, 5, 0, 1, 2, 15, 16, 17, 12, 13, 14, 9, 10, 11]);
  });
  it('embeds the crop and its mirror image and normalises their sum', async () => {
    const inputs: Float32Array[] = [];
    const models = {
      embedder: 'fr_feature',
      embed: async (x: Float32Array) => { inputs.push(x); const o = new Float32Array(512); o[0] = inputs.length === 1 ? 3 : 1; o[1] = inputs.length === 1 ? 0 : 2; return o; },
    } as unknown as FaceModels;
    const e = await embedFace(models, img, five, []);
    expect(inputs).toHaveLength(2);
    expect(Array.from(inputs[1])).toEqual(Array.from(mirrorTensor(inputs[0], 112, 112)));
    // (3, 0) + (1, 2) = (4, 2) → unit length
    expect(e[0]).toBeCloseTo(4 / Math.hypot(4, 2), 6);
    expect(e[1]).toBeCloseTo(2 / Math.hypot(4, 2), 6);
  });
  it('rejects a descriptor of the wrong length', async () => {
    const models = { embedder: 'fr_feature', embed: async () => new Float32Array(128) } as unknown as FaceModels;
    await expect(embedFace(models, img, five, [])).rejects.toThrow(/expected 512/);
  });
});
