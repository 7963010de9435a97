/**
 * The photos a pension office holds, on real faces (facedata/verify) through the ONNX pipeline: a
 * 112 × 112 tight crop and a 102 × 126 strongly compressed ID-style portrait cut from one photo are
 * found (also when printed small on a scanned card), pass quality and match ANOTHER photo of the same
 * person at the unattended operating point;
 * a reference too small to trust says so (FACE_TOO_SMALL) instead of scoring silently.
 * Skipped when facedata is absent; fails when CI is set (the evaluation data must be there).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine } from '../../src/liveness/faceEngine.ts';
import type { FaceAnalysis, FaceEngine } from '../../src/liveness/faceEngine.ts';
import { openRealFaceModels } from '../support/realFaceModels.ts';

const VERIFY = path.resolve(import.meta.dirname, '../../../shared/facedata/verify');
const has = existsSync(path.join(VERIFY, 'barack_obama'));
if (!has && process.env.CI) throw new Error(`[smallFaces.integration] ${VERIFY} is missing; CI must run the real-photo tests`);
if (!has) console.warn(`[smallFaces.integration] skipped: ${VERIFY} not present (facedata is kept outside the repository)`);

/** Square crop around the mesh (side × k), resized to `w × h`, JPEG at `quality`. */
async function cropFromMesh(bytes: Buffer, a: FaceAnalysis, w: number, h: number, k: number, quality: number): Promise<Buffer> {
  const xs = a.landmarks!.map((p) => p[0]), ys = a.landmarks!.map((p) => p[1]);
  const scale = (await sharp(bytes).rotate().metadata()).width! / a.width;
  const cx = ((Math.min(...xs) + Math.max(...xs)) / 2) * scale, cy = ((Math.min(...ys) + Math.max(...ys)) / 2) * scale;
  const side = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) * scale * k;
  const cw = side, ch = (side * h) / w;
  return sharp(bytes).rotate().extract({ left: Math.round(cx - cw / 2), top: Math.round(cy - ch / 2), width: Math.round(cw), height: Math.round(ch) })
    .resize(w, h, { kernel: 'lanczos3', fit: 'fill' }).jpeg({ quality }).toBuffer();
}

describe.skipIf(!has)('small and tight reference photos', () => {
  let real: Awaited<ReturnType<typeof openRealFaceModels>> | undefined, engine: FaceEngine;
  const photo = (p: string) => readFileSync(path.join(VERIFY, p));
  const originals: Record<string, FaceAnalysis> = {};
  beforeAll(async () => {
    real = await openRealFaceModels();
    engine = createFaceEngine({ models: real.models });
    for (const p of ['barack_obama/1.jpg', 'barack_obama/4.jpg', 'jennifer_aniston/3.jpg']) originals[p] = await engine.analyze(photo(p));
  }, 120_000);
  afterAll(async () => { await real?.close(); });

  it('a 112 × 112 tight crop and a 102 × 126 JPEG-q20 portrait match another photo of the same person, not someone else', async () => {
    const src = photo('barack_obama/4.jpg');
    const tight = await cropFromMesh(src, originals['barack_obama/4.jpg'], 112, 112, 1.05, 75);
    const idStyle = await cropFromMesh(src, originals['barack_obama/4.jpg'], 102, 126, 1.9, 20);
    for (const small of [tight, idStyle]) {
      const ref = await engine.analyze(small);
      expect(ref.status).toBe('OK');
      expect(ref.quality!.ok, JSON.stringify(ref.quality!.reasons)).toBe(true);
      const same = await engine.compare(originals['barack_obama/1.jpg'], ref);
      expect(same.operatingPoint).toBe('unattended');
      expect(same.threshold).toBe(engine.thresholds.match);
      expect(same.match, `score ${same.score}`).toBe(true);
      const other = await engine.compare(originals['jennifer_aniston/3.jpg'], ref);
      expect(other.match, `score ${other.score}`).toBe(false);
      expect(other.score!).toBeLessThan(engine.thresholds.matchAssisted);
    }
  });

  it('the ID-style portrait on a scanned 1000 × 630 card is found by the window search and matches', async () => {
    const idStyle = await cropFromMesh(photo('barack_obama/4.jpg'), originals['barack_obama/4.jpg'], 102, 126, 1.9, 20);
    const card = await sharp({ create: { width: 1000, height: 630, channels: 3, background: { r: 200, g: 215, b: 230 } } })
      .composite([{ input: idStyle, left: 60, top: 158 }]).jpeg({ quality: 85 }).toBuffer();
    const ref = await engine.analyze(card);
    expect(ref.status).toBe('OK');
    expect(ref.box!.x).toBeGreaterThan(50);
    expect(ref.box!.x + ref.box!.width).toBeLessThan(170);
    const same = await engine.compare(originals['barack_obama/1.jpg'], ref);
    expect(same.match, `score ${same.score} ${JSON.stringify(same.reasons)}`).toBe(true);
    // Challenge frames do not pay for the window search: the same card as a frame has no face.
    expect((await engine.frameFeatures(card, { embed: false })).status).toBe('NO_FACE');
  });

  it('a reference too small to trust is refused with FACE_TOO_SMALL (value and threshold), not scored silently', async () => {
    const tiny = await cropFromMesh(photo('barack_obama/4.jpg'), originals['barack_obama/4.jpg'], 32, 32, 1.05, 75);
    const ref = await engine.analyze(tiny);
    expect(ref.status).toBe('OK');
    const r = await engine.compare(originals['barack_obama/1.jpg'], ref);
    expect(r.match).toBe(false);
    const reason = r.reasons.find((x) => x.code === 'FACE_TOO_SMALL')!;
    expect(reason.image).toBe('b');
    expect(reason.threshold).toBe(engine.thresholds.quality.minInterEyePx);
    expect(reason.value!).toBeLessThan(reason.threshold!);
  });

  it('the assisted operating point decides at its own, lower threshold', async () => {
    const r = await engine.compare(originals['barack_obama/1.jpg'], originals['barack_obama/4.jpg'], { operatingPoint: 'assisted' });
    expect(r.operatingPoint).toBe('assisted');
    expect(r.threshold).toBe(engine.thresholds.matchAssisted);
    expect(engine.thresholds.matchAssisted).toBeLessThan(engine.thresholds.match);
    expect(r.match).toBe(true);
  });
});
