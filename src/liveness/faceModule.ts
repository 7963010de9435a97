/**
 * The face engine's start-up and background work: converts the networks on first start if needed and
 * loads them once (ONNX from `<dataDir>/models/manifest.json`), creates the engine and the face service,
 * and reaps sessions a dead process left mid-evaluation. If the models cannot be loaded the service is
 * `undefined` (face routes answer 503 `FACE_MODELS_MISSING`) and a warning is logged.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { KexinError } from '../errors.ts';
import type { ChallengeConfig } from './challenge.ts';
import { createFaceEngine, type FaceEngineOptions } from './faceEngine.ts';
import type { FaceModels } from './faceModels.ts';
import { createFaceService, type FaceService } from './faceService.ts';
import { buildModels } from './models/buildModels.ts';
import { loadOnnxFaceModels } from './onnxFaceModels.ts';
import type { LockoutPolicy } from './sessions.ts';
import type { TemplateCipher } from './templateCipher.ts';

export interface FaceModuleDeps {
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly testMode: boolean;
  /** Encrypts reference templates at rest. */
  readonly cipher: TemplateCipher;
}

export interface FaceModuleOptions {
  /** Where the networks come from (default: ONNX Runtime over `<dataDir>/models`). */
  readonly loadModels?: (dataDir: string, logger: Logger) => Promise<FaceModels>;
  readonly thresholds?: FaceEngineOptions['thresholds'];
  readonly sessionTtlMs?: number;
  readonly lockout?: LockoutPolicy;
  readonly challenge?: Partial<ChallengeConfig>;
  /** Embed every k-th challenge frame (see sessions.ts). */
  readonly embedEvery?: number;
}

export interface StartedFace {
  /** Undefined when the models could not be loaded. */
  readonly service: FaceService | undefined;
  stop(): Promise<void>;
}

/**
 * The default networks: converted into `<dataDir>/models` on first start (or when the converter or a
 * source model changed — `buildModels` compares hashes and is a no-op otherwise), then loaded once.
 */
export async function buildAndLoadModels(dataDir: string, logger: Logger): Promise<FaceModels> {
  const result = await buildModels(dataDir);
  if (result.built.length) logger.info({ built: result.built }, 'face models converted to ONNX');
  return loadOnnxFaceModels(dataDir);
}

const REAP_INTERVAL_MS = 5 * 60_000;

export async function startFace(deps: FaceModuleDeps, options: FaceModuleOptions = {}): Promise<StartedFace> {
  const { logger } = deps;
  let models: FaceModels | undefined;
  try {
    models = await (options.loadModels ?? buildAndLoadModels)(deps.dataDir, logger);
  } catch (err) {
    if (!(err instanceof KexinError) || err.code !== 'FACE_MODELS_MISSING') throw err;
    logger.warn({ code: err.code }, 'face models not built; face routes will answer 503 (run `kexin models build`)');
  }
  let service: FaceService | undefined;
  if (models) {
    const engine = createFaceEngine({ models, clock: deps.clock, thresholds: options.thresholds });
    service = createFaceService({
      engine, pool: deps.pool, clock: deps.clock, cipher: deps.cipher, modelId: models.backend, testMode: deps.testMode,
      sessionTtlMs: options.sessionTtlMs, lockout: options.lockout, challenge: options.challenge, embedEvery: options.embedEvery,
    });
    logger.info({ backend: models.backend }, 'face models loaded');
  }
  // Sessions a previous process left mid-evaluation end now, and then every few minutes.
  let reaping: Promise<void> = Promise.resolve();
  const reap = () => {
    if (!service) return;
    reaping = service.sessions.reapInterrupted().then((n) => {
      if (n) logger.warn({ sessions: n }, 'face sessions interrupted mid-evaluation were ended as expired');
    }, (err: unknown) => logger.error({ err }, 'reaping interrupted face sessions failed'));
  };
  reap();
  const timer = setInterval(reap, REAP_INTERVAL_MS);
  timer.unref();
  const loaded = models;
  return {
    service,
    async stop() {
      clearInterval(timer);
      await reaping; // before the pool closes
      await loaded?.dispose();
    },
  };
}
