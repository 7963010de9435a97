import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { fixedClock } from '../../src/clock.ts';
import { decodeDetections, detectFace, detectorInput, iou, nonMaxSuppression } from '../../src/liveness/detectFace.ts';
import { createFaceEngine } from '../../src/liveness/faceEngine.ts';
import { EMBEDDING_SIZE } from '../../src/liveness/faceModels.ts';
import { createFakeFaceModels, encodeDetections } from '../support/fakeFaceModels.ts';
import type { FakeDetection } from '../support/fakeFaceModels.ts';
import { combinePassive } from '../../src/liveness/passiveLiveness.ts';
import type { PassiveCalibration } from '../../src/liveness/passiveLiveness.ts';
import { KexinError } from '../../src/errors.ts';

const MESH = Float32Array.from(JSON.parse(readFileSync(new URL('./fixtures/mesh-frontal.json', import.meta.url), 'utf8')).mesh as number[]);

/** Deterministic textured RGB image (noise + gradient), so sharpness/exposure are realistic. */
async function noiseJpeg(w: number, h: number, seed = 1): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) & 0x7fffffff; data[i] = 60 + ((s >> 8) % 120) + Math.floor((i / data.length) * 20); }
  return sharp(data, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
}
const face = (cx: number, cy: number, side: number, score = 0.95): FakeDetection => ({ cx, cy, w: side, h: side, score });

describe('detector decoding and the one-face rule', () => {
  it('maps a detection back to image coordinates through the letterbox', () => {
    const img = { data: new Uint8Array(256 * 128 * 3), width: 256, height: 128 };
    const { map } = detectorInput(img);
    // 256×128 → scale 0.5, image occupies rows 32..96 of the 128×128 input
    const [d] = decodeDetections(encodeDetections([face(64, 64, 40)]), map, 0.5);
    expect(d.score).toBeCloseTo(0.95, 5);
    expect(d.box.width).toBeCloseTo(80, 5);
    expect(d.box.x + d.box.width / 2).toBeCloseTo(127.5, 4); // centre of the image in pixel-centre coordinates
    expect(d.box.y + d.box.height / 2).toBeCloseTo(63.5, 4);
  });
  it('merges overlapping detections (weighted NMS)', () => {
    const img = { data: new Uint8Array(128 * 128 * 3), width: 128, height: 128 };
    const { map } = detectorInput(img);
    const dets = decodeDetections(encodeDetections([face(60, 60, 40, 0.9), face(62, 61, 42, 0.8), face(20, 100, 16, 0.9)]), map, 0.5);
    const merged = nonMaxSuppression(dets, 0.3);
    expect(merged).toHaveLength(2);
    expect(iou(merged[0].box, merged[0].box)).toBe(1);
  });
  const img = { data: new Uint8Array(128 * 128 * 3), width: 128, height: 128 };
  it('ignores a small background face, a weak large false positive; NO_FACE when empty', async () => {
    const bg = await detectFace(createFakeFaceModels({ detections: [face(64, 64, 60), face(110, 20, 20, 0.9)] }), img);
    expect(bg.status).toBe('OK');
    if (bg.status === 'OK') { expect(bg.ignoredFaces).toBe(1); expect(bg.face.box.width).toBeCloseTo(60, 3); }
    const logo = await detectFace(createFakeFaceModels({ detections: [face(40, 40, 40), face(90, 80, 70, 0.6)] }), img);
    expect(logo.status).toBe('OK');
    if (logo.status === 'OK') expect(logo.face.box.width).toBeCloseTo(40, 3);
    expect((await detectFace(createFakeFaceModels({ detections: [] }), img)).status).toBe('NO_FACE');
  });
  it('reports MULTIPLE_FACES for two comparable confident faces', async () => {
    const r = await detectFace(createFakeFaceModels({ detections: [face(35, 64, 40), face(95, 64, 30, 0.9)] }), img);
    expect(r.status).toBe('MULTIPLE_FACES');
  });
  it('retries a weak first pass on a padded image (tight crops)', async () => {
    const models = createFakeFaceModels({ detections: (_x, call) => (call === 0 ? [face(64, 64, 120, 0.55)] : [face(64, 64, 80, 0.9)]) });
    const r = await detectFace(models, img);
    expect(models.calls.detect).toBe(2);
    expect(r.status).toBe('OK');
    if (r.status === 'OK') expect(r.face.score).toBeCloseTo(0.9, 5);
  });
});

describe('createFaceEngine', () => {
  const clock = fixedClock('2026-11-23T08:00:00Z');
  const models = createFakeFaceModels({ detections: [face(64, 64, 50)], mesh: MESH });
  const engine = createFaceEngine({ models, clock, thresholds: { quality: { minInterEyePx: 10 } } });

  it('analyzes an image into frozen data with 468 landmarks, quality and a unit embedding', async () => {
    const a = await engine.analyze(await noiseJpeg(320, 320));
    expect(a.status).toBe('OK');
    expect(a.landmarks).toHaveLength(468);
    expect(a.embedding).toHaveLength(EMBEDDING_SIZE);
    expect(Math.hypot(...a.embedding!)).toBeCloseTo(1, 5);
    expect(a.analyzedAt.toISOString()).toBe('2026-11-23T08:00:00.000Z');
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.landmarks)).toBe(true);
    expect(Object.isFrozen(a.quality)).toBe(true);
    expect(a.features!.interEye).toBeGreaterThan(10);
    // landmarks lie inside the detected box (the mesh fixture is a centred face)
    const [nx, ny] = a.landmarks![1];
    expect(nx).toBeGreaterThan(a.box!.x);
    expect(nx).toBeLessThan(a.box!.x + a.box!.width);
    expect(ny).toBeGreaterThan(a.box!.y);
    expect(ny).toBeLessThan(a.box!.y + a.box!.height);
  });
  it('compares: identical input scores 1 and matches; reasons explain failures', async () => {
    const img = await noiseJpeg(320, 320);
    const same = await engine.compare(img, img);
    expect(same.score).toBeCloseTo(1, 6);
    expect(same.threshold).toBe(engine.thresholds.match);
    expect(same.match).toBe(same.reasons.length === 0);
    const none = createFaceEngine({ models: createFakeFaceModels({ detections: [] }) });
    const r = await none.compare(img, img);
    expect(r.match).toBe(false);
    expect(r.score).toBeNull();
    expect(r.reasons.map((x) => `${x.image}:${x.code}`)).toEqual(['a:NO_FACE', 'b:NO_FACE']);
  });
  it('flags a flat grey image as blurry', async () => {
    const grey = await sharp({ create: { width: 320, height: 320, channels: 3, background: '#808080' } }).png().toBuffer();
    const a = await engine.analyze(grey);
    expect(a.quality!.reasons.map((r) => r.code)).toContain('BLURRY');
    const r = a.quality!.reasons.find((x) => x.code === 'BLURRY')!;
    expect(r.value).toBeLessThan(r.threshold);
  });
  it('turns bad input into a 4xx KexinError, never a crash', async () => {
    await expect(engine.analyze(Buffer.from('nope'))).rejects.toBeInstanceOf(KexinError);
  });
  it('gives per-frame challenge features', async () => {
    const f = await engine.frameFeatures(await noiseJpeg(320, 320, 7));
    expect(f.status).toBe('OK');
    expect(f.shape).toHaveLength(936);
    expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const k of ['earLeft', 'earRight', 'mar', 'yaw', 'pitch', 'roll'] as const) expect(Number.isFinite(f[k])).toBe(true);
  });
});

describe('combinePassive', () => {
  const cal: PassiveCalibration = { antispoofLiveIsHigh: true, livenessLiveIndex: 0, weightAntispoof: 0.5, weightLiveness: 0.5 };
  it('combines the two signals and gives reasons', () => {
    expect(combinePassive({ antispoofRaw: 0.9, livenessRaw: [0.8, 0.2] }, null, 0.5, cal).live).toBe(true);
    const r = combinePassive({ antispoofRaw: 0.1, livenessRaw: [0.2, 0.8] }, null, 0.5, cal);
    expect(r.live).toBe(false);
    expect(r.reasons.map((x) => x.code)).toEqual(['ANTISPOOF_LOW', 'LIVENESS_LOW']);
    const inv = combinePassive({ antispoofRaw: 0.1, livenessRaw: [0.2, 0.8] }, null, 0.5, { ...cal, antispoofLiveIsHigh: false, livenessLiveIndex: 1 });
    expect(inv.live).toBe(true);
  });
});
