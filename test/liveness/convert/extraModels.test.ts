/**
 * Wider converter coverage: other small human-models graphs Kexin does not use (one random input in
 * [0, 1] each), same tolerance rule as parity.test.ts. Measured once by hand for heavier ones too
 * (blazeface/-back 256², gear 198², faceres 224², mobileface, handskeleton): all within ~1e-6
 * relative, as were facemesh-detection-full (192², 2304 anchors), blazepose-detector and
 * handlandmark-lite. Models that do NOT convert (explicit MODEL_UNSUPPORTED_OP): centernet
 * (FloorMod), efficientpose/handdetect/meet/selfie (Conv2DBackpropInput), faceboxes (TensorArray),
 * facemesh-attention (Fill), movenet-* (FloorDiv), nanodet (SplitV), rvm (bool weights).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { convertTfjsModel } from '../../../src/liveness/convert/convertTfjsModel.ts';
import { humanModelsDir } from '../../../src/liveness/models/catalog.ts';
import { loadTfjs, maxAbsDiff, onnxSession, rng, runOnnx, runTfjs } from './harness.ts';

describe('extra human-models graphs', () => {
  for (const name of ['iris', 'emotion', 'age', 'gender']) {
    it(name, async () => {
      const path = join(humanModelsDir(), `${name}.json`);
      const c = await convertTfjsModel(path);
      const s = await onnxSession(c.onnx);
      const tfm = await loadTfjs(path);
      const shape = c.inputs[0].shape.map((d) => (d < 0 ? 1 : d));
      const r = rng(3);
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r());
      const o = await runOnnx(s, c.inputs[0].name, x, shape);
      const t = await runTfjs(tfm, x, shape, c.outputs.map((v) => v.tfName));
      c.outputs.forEach((out, i) => {
        let mx = 0;
        for (const v of t[i]) mx = Math.max(mx, Math.abs(v));
        expect(maxAbsDiff(o[out.name].data, t[i]), `${name}/${out.name}`).toBeLessThanOrEqual(1e-4 * Math.max(1, mx));
      });
      tfm.dispose();
      await s.release();
    });
  }
});
