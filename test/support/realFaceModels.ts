/**
 * The production networks for tests on real faces: ONNX Runtime over `$KEXIN_FACE_DATA/models` when that
 * holds a manifest, else built by `buildModels` (convert + copy, a few seconds) into a temporary data
 * dir that `close` removes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FaceModels } from '../../src/liveness/faceModels.ts';

export async function openRealFaceModels(): Promise<{ models: FaceModels; close: () => Promise<void> }> {
  let data = process.env.KEXIN_FACE_DATA;
  let built: string | undefined;
  if (!data || !existsSync(path.join(data, 'models', 'manifest.json'))) {
    built = mkdtempSync(path.join(os.tmpdir(), 'kexin-face-models-'));
    await (await import('../../src/liveness/models/buildModels.ts')).buildModels(built);
    data = built;
  }
  const models = await (await import('../../src/liveness/onnxFaceModels.ts')).loadOnnxFaceModels(data);
  return {
    models,
    close: async () => {
      await models.dispose();
      if (built) rmSync(built, { recursive: true, force: true });
    },
  };
}
