/**
 * Checks the detector conventions documented in the catalog on real photos (../shared/facedata/verify,
 * skipped when absent): the anchor layout decodes to a plausible face box, and the input range.
 * Measured (23 portrait photos, face-detector = facemesh-detection-short): best-anchor sigmoid score
 * min/median 0.748/0.894 with x/127.5-1 ([-1,1], MediaPipe), 0.751/0.900 with human's x/127.5-0.5,
 * 0.754/0.897 with [0,1] — the detector is insensitive to the choice; Kexin uses MediaPipe's [-1,1].
 * blazeface-front gives the same scores: it is the same network with float32 weights and 4 split outputs.
 */
import { describe, expect, it } from 'vitest';
import { convertTfjsModel } from '../../../src/liveness/convert/convertTfjsModel.ts';
import sharp from 'sharp';
import { CATALOG, FACE_DETECTOR_ANCHORS, FACEMESH_LANDMARKS as L, sourcePath } from '../../../src/liveness/models/catalog.ts';
import type { TfjsCatalogModel } from '../../../src/liveness/models/catalog.ts';
import { faceImages, gradientImage, imageTensor, onnxSession, runOnnx } from './harness.ts';

function anchors(): [number, number][] {
  const out: [number, number][] = [];
  for (const l of FACE_DETECTOR_ANCHORS.layers)
    for (let y = 0; y < l.grid; y++) for (let x = 0; x < l.grid; x++) for (let k = 0; k < l.perCell; k++) out.push([(x + 0.5) * l.stride, (y + 0.5) * l.stride]);
  return out;
}

describe('face detector conventions', () => {
  const images = faceImages(8);
  it.skipIf(images.length === 0)('real portraits: high score, box decoded with the documented anchors lies on the face', async () => {
    const det = CATALOG.find((m): m is TfjsCatalogModel => m.role === 'detector' && m.format === 'tfjs')!;
    const c = await convertTfjsModel(sourcePath(det));
    const s = await onnxSession(c.onnx);
    const a = anchors();
    expect(a.length).toBe(FACE_DETECTOR_ANCHORS.count);
    const size = FACE_DETECTOR_ANCHORS.inputSize;
    const best = async (x: Float32Array) => {
      const o = (await runOnnx(s, det.input.name, x, [1, size, size, 3])).objects.data;
      let bi = 0;
      for (let i = 1; i < a.length; i++) if (o[i * 17] > o[bi * 17]) bi = i;
      const r = o.subarray(bi * 17, bi * 17 + 17);
      return { score: 1 / (1 + Math.exp(-r[0])), cx: a[bi][0] + r[1], cy: a[bi][1] + r[2], w: r[3], h: r[4], kp: Array.from({ length: 6 }, (_, k) => [a[bi][0] + r[5 + 2 * k], a[bi][1] + r[6 + 2 * k]]) };
    };
    for (const img of images) {
      const b = await best(await imageTensor(img, size, size, -1, 1));
      expect(b.score, img).toBeGreaterThan(0.6);
      // Portrait photos: the face is roughly central and large.
      expect(b.cx).toBeGreaterThan(size * 0.2);
      expect(b.cx).toBeLessThan(size * 0.8);
      expect(b.cy).toBeGreaterThan(size * 0.15);
      expect(b.cy).toBeLessThan(size * 0.85);
      expect(b.w).toBeGreaterThan(size * 0.2);
      // Keypoints (eyes, nose, mouth) fall inside the box; eyes above the mouth.
      for (const [x, y] of b.kp.slice(0, 4)) {
        expect(Math.abs(x - b.cx)).toBeLessThan(b.w / 2);
        expect(Math.abs(y - b.cy)).toBeLessThan(b.h / 2);
      }
      // MediaPipe order: kp0 = subject's right eye = image left (unmirrored photo).
      expect(b.kp[0][0]).toBeLessThan(b.kp[1][0]);
      expect(b.kp[0][1]).toBeLessThan(b.kp[3][1]);
      expect(b.kp[1][1]).toBeLessThan(b.kp[3][1]);
    }
    const none = await best(gradientImage(size, size, -1, 1));
    expect(none.score).toBeLessThan(0.5);
    await s.release();
  });

  it.skipIf(images.length === 0)('facemesh on a detector crop in [0,1]: face flag high, landmarks in crop pixels, documented indices in place', async () => {
    const det = CATALOG.find((m): m is TfjsCatalogModel => m.role === 'detector' && m.format === 'tfjs')!;
    const fmm = CATALOG.find((m): m is TfjsCatalogModel => m.role === 'landmarks' && m.format === 'tfjs')!;
    const ds = await onnxSession((await convertTfjsModel(sourcePath(det))).onnx);
    const fs = await onnxSession((await convertTfjsModel(sourcePath(fmm))).onnx);
    const a = anchors();
    for (const img of images.slice(0, 4)) {
      const meta = await sharp(img).metadata();
      const W = meta.width!;
      const H = meta.height!;
      const o = (await runOnnx(ds, det.input.name, await imageTensor(img, 128, 128, -1, 1), [1, 128, 128, 3])).objects.data;
      let bi = 0;
      for (let i = 1; i < a.length; i++) if (o[i * 17] > o[bi * 17]) bi = i;
      const cx = ((a[bi][0] + o[bi * 17 + 1]) * W) / 128;
      const cy = ((a[bi][1] + o[bi * 17 + 2]) * H) / 128;
      const side = Math.max((o[bi * 17 + 3] * W) / 128, (o[bi * 17 + 4] * H) / 128) * 1.2;
      const left = Math.max(0, Math.round(cx - side / 2));
      const top = Math.max(0, Math.round(cy - side / 2));
      const sz = Math.min(Math.round(side), W - left, H - top);
      const raw = await sharp(img).removeAlpha().extract({ left, top, width: sz, height: sz }).resize(192, 192, { fit: 'fill' }).raw().toBuffer();
      const x = Float32Array.from(raw, (v) => v / 255);
      const r = await runOnnx(fs, fmm.input.name, x, [1, 192, 192, 3]);
      expect(r.output_faceflag.data[0], img).toBeGreaterThan(0.9);
      const p = (i: number) => [r.output_mesh.data[3 * i], r.output_mesh.data[3 * i + 1]];
      for (let i = 0; i < 468; i++) {
        const [px, py] = p(i);
        expect(px).toBeGreaterThan(-20);
        expect(px).toBeLessThan(212);
        expect(py).toBeGreaterThan(-20);
        expect(py).toBeLessThan(212);
      }
      expect(p(L.rightEyeOuter)[0]).toBeLessThan(p(L.rightEyeInner)[0]);
      expect(p(L.rightEyeInner)[0]).toBeLessThan(p(L.leftEyeInner)[0]);
      expect(p(L.leftEyeInner)[0]).toBeLessThan(p(L.leftEyeOuter)[0]);
      expect(p(L.mouthRightCorner)[0]).toBeLessThan(p(L.mouthLeftCorner)[0]);
      expect(p(L.forehead)[1]).toBeLessThan(p(L.midwayBetweenEyes)[1]);
      expect(p(L.midwayBetweenEyes)[1]).toBeLessThan(p(L.noseTip)[1]);
      expect(p(L.noseTip)[1]).toBeLessThan(p(L.upperLipInner)[1]);
      expect(p(L.upperLipInner)[1]).toBeLessThanOrEqual(p(L.lowerLipInner)[1]);
      expect(p(L.lowerLipInner)[1]).toBeLessThan(p(L.chin)[1]);
      expect(p(L.rightEyeUpperLid)[1]).toBeLessThan(p(L.rightEyeLowerLid)[1]);
      expect(p(L.leftEyeUpperLid)[1]).toBeLessThan(p(L.leftEyeLowerLid)[1]);
    }
    await ds.release();
    await fs.release();
  });
});
