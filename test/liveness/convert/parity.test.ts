/**
 * Parity: every shipped TFJS catalog model (plus blazeface-front, for converter coverage of a second detector
 * graph) converted to ONNX and run in onnxruntime-node must match the original TFJS graph model run
 * by @tensorflow/tfjs (pure-JS CPU backend, loaded from disk) on the same inputs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { convertTfjsModel } from '../../../src/liveness/convert/convertTfjsModel.ts';
import { CATALOG, humanModelsDir, sourcePath } from '../../../src/liveness/models/catalog.ts';
import { faceImages, gradientImage, imageTensor, loadTfjs, maxAbsDiff, onnxSession, rng, runOnnx, runTfjs } from './harness.ts';

/**
 * Absolute tolerance 1e-4 for outputs of unit scale. Outputs in pixel units (facemesh mesh/contours,
 * detector box regressors, up to ~190) differ by up to ~1.7e-4 absolute: that is ~1e-6 relative, i.e.
 * a handful of float32 ulps at that magnitude (ulp(128..256) = 1.5e-5) from different summation order
 * (ORT/MLAS vs tfjs-backend-cpu), the same size as ORT's own optimized-vs-unoptimized difference. So the
 * bound applied is 1e-4 × max(1, max|reference|) — never looser than 1e-4 for unit-scale outputs — and
 * the report prints both absolute and relative figures.
 */
const TOLERANCE = 1e-4;
const RANDOM_INPUTS = 3;

const models = [
  // Models shipped as ONNX are not converted: nothing to compare. The evaluation-only TFJS embedders
  // (faceres, mobilefacenet) were checked when they were the engine's (docs/face-evaluation.md) and are
  // left out to keep CI short (faceres alone takes ~1 min in pure-JS TFJS).
  ...CATALOG.flatMap((m) => (m.format === 'tfjs' ? [{ name: m.name, path: sourcePath(m), range: m.input.range }] : [])),
  { name: 'blazeface-front', path: join(humanModelsDir(), 'blazeface-front.json'), range: [-1, 1] as [number, number] },
];

const report: string[] = [];
afterAll(() => {
  console.log(`\nparity (max abs diff ONNX vs TFJS, tolerance ${TOLERANCE}):\n${report.join('\n')}`);
});

describe('TFJS → ONNX parity', () => {
  for (const m of models) {
    it(`${m.name}`, async () => {
      const t0 = performance.now();
      const c = await convertTfjsModel(m.path);
      const convertMs = performance.now() - t0;
      const session = await onnxSession(c.onnx);
      const tfm = await loadTfjs(m.path);
      const inp = c.inputs[0];
      const dynamicBatch = inp.shape[0] < 0;
      const [, h, w] = inp.shape;
      const per = h * w * 3;
      const r = rng(42);
      const [lo, hi] = m.range;
      const cases: { label: string; batch: number; data: Float32Array }[] = [];
      for (let k = 0; k < RANDOM_INPUTS; k++) {
        // Random inputs: uniform in the model's range, and one twice as wide to exercise saturation.
        const spread = k === RANDOM_INPUTS - 1 ? 2 : 1;
        const batch = dynamicBatch && k === 0 ? 2 : 1;
        const mid = (lo + hi) / 2;
        const half = ((hi - lo) / 2) * spread;
        cases.push({ label: `random#${k}${spread > 1 ? ' (2× range)' : ''}${batch > 1 ? ' (batch 2)' : ''}`, batch, data: Float32Array.from({ length: per * batch }, () => mid + (r() * 2 - 1) * half) });
      }
      cases.push({ label: 'gradient', batch: 1, data: gradientImage(h, w, lo, hi) });
      const images = faceImages(2);
      if (images.length === 0) console.warn('parity: ../shared/facedata/verify not found — real-image inputs skipped');
      for (const img of images) cases.push({ label: `photo ${img.split('/').slice(-2).join('/')}`, batch: 1, data: await imageTensor(img, h, w, lo, hi) });

      const worst: Record<string, number> = {};
      const worstInRange: Record<string, number> = {};
      const scale: Record<string, number> = {};
      for (const cs of cases) {
        const shape = [cs.batch, h, w, 3];
        const onnxOut = await runOnnx(session, inp.name, cs.data, shape);
        const tfOut = await runTfjs(tfm, cs.data, shape, c.outputs.map((o) => o.tfName));
        c.outputs.forEach((o, i) => {
          const got = onnxOut[o.name];
          expect(got.dims.length, `${o.name} rank`).toBe(o.shape.length);
          o.shape.forEach((d, j) => expect(got.dims[j]).toBe(d < 0 ? cs.batch : d));
          const diff = maxAbsDiff(got.data, tfOut[i]);
          worst[o.name] = Math.max(worst[o.name] ?? 0, diff);
          if (!cs.label.includes('2× range')) worstInRange[o.name] = Math.max(worstInRange[o.name] ?? 0, diff);
          let mx = 0;
          for (const v of tfOut[i]) mx = Math.max(mx, Math.abs(v));
          scale[o.name] = Math.max(scale[o.name] ?? 0, mx);
        });
      }
      tfm.dispose();
      await session.release();
      report.push(
        `  ${m.name.padEnd(16)} ${(c.onnx.byteLength / 1e6).toFixed(2)} MB, converted in ${convertMs.toFixed(0)} ms, ${cases.length} inputs: ` +
          Object.entries(worst).map(([k, v]) => `${k}=${v.toExponential(2)} [in-range inputs ${worstInRange[k].toExponential(2)}] (max|ref| ${scale[k].toFixed(2)}, rel ${(v / Math.max(scale[k], 1e-30)).toExponential(1)})`).join(', '),
      );
      for (const [k, v] of Object.entries(worst)) expect(v, `${m.name}/${k} max abs diff`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, scale[k]));
    }, 5 * 60_000); // TFJS runs these networks in pure JavaScript: faceres (224×224) alone takes ~1 min on a loaded 2-core host
  }
});
