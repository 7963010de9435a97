/** Real photos from facedata/verify through the ONNX pipeline (skipped when facedata is absent). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine } from '../../src/liveness/faceEngine.ts';
import type { FaceEngine } from '../../src/liveness/faceEngine.ts';
import { openRealFaceModels } from '../support/realFaceModels.ts';

const VERIFY = path.resolve(import.meta.dirname, '../../../shared/facedata/verify');
const has = existsSync(path.join(VERIFY, 'barack_obama'));
if (!has && process.env.CI) throw new Error(`[photos.integration] ${VERIFY} is missing; CI must run the real-photo tests`);
if (!has) console.warn(`[photos.integration] skipped: ${VERIFY} not present (facedata is kept outside the repository)`);

describe.skipIf(!has)('face engine on real photos', () => {
  let real: Awaited<ReturnType<typeof openRealFaceModels>> | undefined, engine: FaceEngine;
  beforeAll(async () => {
    real = await openRealFaceModels();
    engine = createFaceEngine({ models: real.models });
  }, 120_000);
  afterAll(async () => { await real?.close(); });
  const photo = (p: string) => readFileSync(path.join(VERIFY, p));

  it('finds the one subject despite a logo false positive; a WebP photo decodes', async () => {
    const a = await engine.analyze(photo('barack_obama/3.jpg'));
    expect(a.status).toBe('OK');
    expect(a.landmarks).toHaveLength(468);
    expect(a.quality!.ok).toBe(true);
    const w = await engine.analyze(photo('scarlett_johansson/3.webp'));
    expect(w.status).toBe('OK');
  });
  it('reports a turned face as POSE_YAW with value and threshold', async () => {
    const a = await engine.analyze(photo('kevin_sussman/5.png'));
    const r = a.quality!.reasons.find((x) => x.code === 'POSE_YAW')!;
    expect(Math.abs(r.value)).toBeGreaterThan(r.threshold);
  });
  it('compare: an image matches itself, two different people do not at the calibrated threshold', async () => {
    const [a1, b1] = await Promise.all(['stock_model_a/1.jpg', 'barack_obama/1.jpg'].map((p) => engine.analyze(photo(p))));
    const c = await engine.compare(a1, a1);
    expect(c.match).toBe(true);
    expect(c.score).toBeCloseTo(1, 6);
    const d = await engine.compare(a1, b1);
    expect(d.match).toBe(false);
    expect(d.score).toBeLessThan(d.threshold);
  });
});
