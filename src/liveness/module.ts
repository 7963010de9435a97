/**
 * The face module: loads the networks once at start (ONNX from `<dataDir>/models/manifest.json`,
 * built by `kexin models build`), creates the engine and the face service, and contributes the
 * face routes. Without built models the service still starts; face routes answer 503
 * `FACE_MODELS_MISSING` and a warning is logged.
 */
import { faceRoutes } from '../api/face/routes.ts';
import type { ServiceContext, ServiceModule } from '../service.ts';
import type { ChallengeConfig } from './challenge.ts';
import { createFaceEngine, type FaceEngineOptions } from './faceEngine.ts';
import type { FaceModels } from './faceModels.ts';
import { createFaceService, type FaceService } from './faceService.ts';
import { loadOnnxFaceModels } from './onnxFaceModels.ts';
import type { LockoutPolicy } from './sessions.ts';
import { createTemplateCipher, loadOrCreateTemplateKey } from './templateCipher.ts';
import { KexinError } from '../errors.ts';

export interface FaceModuleOptions {
  /** Where the networks come from (default: ONNX Runtime over `<dataDir>/models`). */
  readonly loadModels?: (ctx: ServiceContext) => Promise<FaceModels>;
  readonly thresholds?: FaceEngineOptions['thresholds'];
  readonly sessionTtlMs?: number;
  readonly lockout?: LockoutPolicy;
  readonly challenge?: Partial<ChallengeConfig>;
  /** Embed every k-th challenge frame (see sessions.ts). */
  readonly embedEvery?: number;
  /** Receives the service once started (tests, the CLI). */
  readonly onStarted?: (service: FaceService) => void;
}

export function createFaceModule(options: FaceModuleOptions = {}): ServiceModule {
  return {
    name: 'face',
    async start(ctx) {
      const cipher = createTemplateCipher(loadOrCreateTemplateKey(ctx.config.dataDir));
      let models: FaceModels | undefined;
      try {
        models = await (options.loadModels ?? ((c) => loadOnnxFaceModels(c.config.dataDir)))(ctx);
      } catch (err) {
        if (!(err instanceof KexinError) || err.code !== 'FACE_MODELS_MISSING') throw err;
        ctx.logger.warn({ code: err.code }, 'face models not built; face routes will answer 503 (run `kexin models build`)');
      }
      let service: FaceService | undefined;
      if (models) {
        const engine = createFaceEngine({ models, clock: ctx.clock, thresholds: options.thresholds });
        service = createFaceService({
          engine, pool: ctx.db.pool, clock: ctx.clock, cipher, modelId: models.backend, testMode: ctx.config.testMode,
          sessionTtlMs: options.sessionTtlMs, lockout: options.lockout, challenge: options.challenge, embedEvery: options.embedEvery,
        });
        options.onStarted?.(service);
        ctx.logger.info({ backend: models.backend }, 'face models loaded');
      }
      const loaded = models;
      return { routes: [faceRoutes({ service })], stop: async () => { await loaded?.dispose(); } };
    },
  };
}

/** The face module with default options: what `kexin serve` registers. */
export const faceModule: ServiceModule = createFaceModule();
