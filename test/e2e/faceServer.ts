/**
 * The real Kexin service with the face module, for the browser test: listens on PORT (0 = any),
 * prints one JSON line `{"url": ...}` when ready, stops on SIGTERM. Runs as a child process so the
 * networks' CPU time never stalls the test runner.
 *
 * Networks: ONNX from `<KEXIN_DATA_DIR>/models/manifest.json` when built (`buildModels` from the
 * converter, when present, builds them); otherwise the TFJS development backend over the same
 * published graph models (slow, pure JS). FACE_E2E_BACKEND=onnx|tfjs forces one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createMemoryKeyStore } from '../support/memoryKeyStore.ts';
import { createLogger } from '../../src/logger.ts';
import type { FaceModels } from '../../src/liveness/faceModels.ts';
import { faceModule as createFaceModule } from '../../src/modules.ts';
import { loadOnnxFaceModels } from '../../src/liveness/onnxFaceModels.ts';
import { startService } from '../../src/service/startService.ts';

const config = loadConfig(process.env);
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr);

async function loadModels(): Promise<FaceModels> {
  const forced = process.env.FACE_E2E_BACKEND;
  const manifest = path.join(config.dataDir, 'models', 'manifest.json');
  if (forced !== 'tfjs' && !existsSync(manifest)) {
    const builder = new URL('../../src/liveness/models/buildModels.ts', import.meta.url);
    if (existsSync(builder)) {
      const mod = (await import(builder.href)) as { buildModels?: (dataDir: string) => Promise<unknown> };
      await mod.buildModels?.(config.dataDir);
    }
  }
  if (forced === 'onnx' || (forced !== 'tfjs' && existsSync(manifest))) return loadOnnxFaceModels(config.dataDir);
  const { loadTfjsFaceModels } = await import('../../src/liveness/tfjsFaceModels.ts');
  return loadTfjsFaceModels();
}

const models = await loadModels();
const svc = await startService(config, {
  logger,
  openKeyStore: async () => createMemoryKeyStore(),
  modules: [createFaceModule({ loadModels: async () => models })],
  announceToken: () => {},
});
process.stdout.write(`${JSON.stringify({ url: svc.url, backend: models.backend })}\n`);
const stop = () => { void svc.stop().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
