/**
 * The face module: converts the networks on first start if needed and loads them once (ONNX from
 * `<dataDir>/models/manifest.json`), creates the engine and the face service, and contributes the
 * face routes. If the models cannot be loaded the service still starts; face routes answer 503
 * `FACE_MODELS_MISSING` and a warning is logged.
 */
import { faceRoutes } from './routes.ts';
import type { ServiceContext, ServiceModule } from '../../service.ts';
import type { ChallengeConfig } from '../../liveness/challenge.ts';
import { createFaceEngine, type FaceEngineOptions } from '../../liveness/faceEngine.ts';
import type { FaceModels } from '../../liveness/faceModels.ts';
import { createFaceService, type FaceService } from '../../liveness/faceService.ts';
import { loadOnnxFaceModels } from '../../liveness/onnxFaceModels.ts';
import type { LockoutPolicy } from '../../liveness/sessions.ts';
import { createTemplateCipher, loadOrCreateTemplateKey } from '../../liveness/templateCipher.ts';
import { KexinError } from '../../errors.ts';
import { buildModels } from '../../liveness/models/buildModels.ts';

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

/**
 * The default networks: converted into `<dataDir>/models` on first start (or when the converter or a
 * source model changed — `buildModels` compares hashes and is a no-op otherwise), then loaded once.
 */
async function buildAndLoadModels(ctx: ServiceContext): Promise<FaceModels> {
  const result = await buildModels(ctx.config.dataDir);
  if (result.built.length) ctx.logger.info({ built: result.built }, 'face models converted to ONNX');
  return loadOnnxFaceModels(ctx.config.dataDir);
}

const REAP_INTERVAL_MS = 5 * 60_000;

export function createFaceModule(options: FaceModuleOptions = {}): ServiceModule {
  return {
    name: 'face',
    async start(ctx) {
      const cipher = createTemplateCipher(loadOrCreateTemplateKey(ctx.config.dataDir));
      let models: FaceModels | undefined;
      try {
        models = await (options.loadModels ?? buildAndLoadModels)(ctx);
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
      // Sessions a previous process left mid-evaluation end now, and then every few minutes.
      let reaping: Promise<void> = Promise.resolve();
      const reap = () => {
        if (!service) return;
        reaping = service.sessions.reapInterrupted().then((n) => {
          if (n) ctx.logger.warn({ sessions: n }, 'face sessions interrupted mid-evaluation were ended as expired');
        }, (err: unknown) => ctx.logger.error({ err }, 'reaping interrupted face sessions failed'));
      };
      reap();
      const timer = setInterval(reap, REAP_INTERVAL_MS);
      timer.unref();
      const loaded = models;
      return {
        routes: [faceRoutes({ service })],
        stop: async () => {
          clearInterval(timer);
          await reaping; // before the pool closes
          await loaded?.dispose();
        },
      };
    },
  };
}

/** The face module with default options: what `kexin serve` registers. */
export const faceModule: ServiceModule = createFaceModule();
