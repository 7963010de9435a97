/**
 * The face engine: image bytes → analysis (detection, 468 landmarks, quality, embedding) and
 * face-to-face comparison. Domain logic only: no HTTP, no storage. Results are frozen plain data.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { alignFace } from './align.ts';
import type { FivePoints } from './align.ts';
import { decodeImage } from './decodeImage.ts';
import type { DecodeOptions } from './decodeImage.ts';
import { detectFace } from './detectFace.ts';
import type { DetectOptions } from './detectFace.ts';
import { embedFace } from './embed.ts';
import { faceFeatures } from './faceFeatures.ts';
import type { FaceFeatures } from './faceFeatures.ts';
import type { FaceModels } from './faceModels.ts';
import type { Box, Point, RgbImage } from './image.ts';
import { MESH, eyeCentres, faceLandmarks } from './landmarks.ts';
import type { Landmarks } from './landmarks.ts';
import { assessPassiveLiveness } from './passiveLiveness.ts';
import type { PassiveLivenessResult } from './passiveLiveness.ts';
import { assessQuality } from './quality.ts';
import type { QualityReport } from './quality.ts';
import { cosineSimilarity } from './similarity.ts';
import { DEFAULT_THRESHOLDS } from './thresholds.ts';
import type { FaceThresholds, QualityThresholds } from './thresholds.ts';

export type FaceStatus = 'OK' | 'NO_FACE' | 'MULTIPLE_FACES';

export interface StageTimings {
  readonly decode: number;
  readonly detect: number;
  readonly landmarks: number;
  readonly align: number;
  readonly embed: number;
  readonly passive: number;
}

export interface FaceAnalysis {
  readonly status: FaceStatus;
  /** Working-image size (after EXIF rotation and downscaling); all coordinates refer to it. */
  readonly width: number;
  readonly height: number;
  /** Number of detected faces (other than the subject) ignored by the one-face rule. */
  readonly ignoredFaces: number;
  /** `MULTIPLE_FACES`: how many competing faces. */
  readonly faceCount: number;
  readonly box: Box | null;
  readonly detectionScore: number | null;
  /** 468 mesh points (x, y), working-image pixels. */
  readonly landmarks: readonly Point[] | null;
  readonly fivePoints: FivePoints | null;
  readonly features: FaceFeatures | null;
  readonly quality: QualityReport | null;
  /** Unit-length embedding (512-d with the default fr_feature embedder). */
  readonly embedding: readonly number[] | null;
  /** Only when requested (`analyze(img, { passive: true })`). */
  readonly passive: PassiveLivenessResult | null;
  /** SHA-256 of the input bytes (hex). */
  readonly sha256: string;
  readonly analyzedAt: Date;
  readonly timingsMs: StageTimings;
}

export interface CompareReason {
  /** Which input: `a` or `b`. */
  readonly image: 'a' | 'b';
  /** `NO_FACE`, `MULTIPLE_FACES` or a quality reason code. */
  readonly code: string;
  readonly value?: number;
  readonly threshold?: number;
}

/** Which calibrated threshold a comparison is decided at (thresholds.ts). */
export type OperatingPoint = 'unattended' | 'assisted';

export interface CompareResult {
  /** True iff both images hold exactly one face, pass quality (unless disabled) and score ≥ threshold. */
  readonly match: boolean;
  /** Cosine similarity of the embeddings; null when either image has no usable face. */
  readonly score: number | null;
  readonly threshold: number;
  /** `unattended` → `thresholds.match` (FAR ≤ 0.1 %), `assisted` → `thresholds.matchAssisted` (FAR ≤ 1 %). */
  readonly operatingPoint: OperatingPoint;
  readonly quality: { readonly a: QualityReport | null; readonly b: QualityReport | null };
  readonly reasons: readonly CompareReason[];
}

/** Per-frame features for the active challenge (see challenge.ts). */
export interface FrameFeatures {
  readonly status: FaceStatus;
  readonly earLeft: number;
  readonly earRight: number;
  readonly mar: number;
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
  /** Mesh points normalised to the face (inter-eye distance = 1, eye midpoint at origin); for motion checks. */
  readonly shape: readonly number[] | null;
  readonly embedding: readonly number[] | null;
  readonly sha256: string;
}

export interface AnalyzeOptions {
  /** Compute the embedding (default true). */
  readonly embed?: boolean;
  /** Run the passive liveness networks (default false). */
  readonly passive?: boolean;
}

export interface FaceEngineOptions {
  readonly models: FaceModels;
  readonly clock?: Clock;
  readonly thresholds?: Partial<Omit<FaceThresholds, 'quality'>> & { readonly quality?: Partial<QualityThresholds> };
  readonly detect?: DetectOptions;
  readonly decode?: DecodeOptions;
  /** Second facemesh pass on a crop re-centred from the first mesh (default true; more accurate, one more inference). */
  readonly refineLandmarks?: boolean;
  /** Override the embedding network's input normalisation (v * scale + offset, RGB order); for calibration runs. */
  readonly embeddingNormalization?: { readonly scale: number; readonly offset: number };
}

export interface CompareOptions {
  /** Count quality failures as non-match (default true). */
  readonly requireQuality?: boolean;
  /** Default `unattended`; `assisted` only where a member of staff confirms the decision. */
  readonly operatingPoint?: OperatingPoint;
}

export interface FaceEngine {
  readonly thresholds: FaceThresholds;
  analyze(image: Uint8Array, options?: AnalyzeOptions): Promise<FaceAnalysis>;
  /** Analyse (or take pre-computed analyses of) two images and compare them. */
  compare(a: Uint8Array | FaceAnalysis, b: Uint8Array | FaceAnalysis, options?: CompareOptions): Promise<CompareResult>;
  /** Features of one video frame for the active challenge. */
  /**
   * Features of one video frame for the active challenge. `embed` (default true) can be switched off
   * for frames the session does not need for the same-person check; `refineLandmarks` (default false:
   * frames are many and the challenge works on baseline-relative changes) adds the second mesh pass.
   */
  frameFeatures(frame: Uint8Array, options?: { readonly embed?: boolean; readonly refineLandmarks?: boolean }): Promise<FrameFeatures>;
  /** Similarity of two embeddings (cosine). */
  similarity(a: ArrayLike<number>, b: ArrayLike<number>): number;
}

export function fivePointsFromMesh(points: readonly Point[]): FivePoints {
  const eyes = eyeCentres(points);
  // Template order is image-left first: the subject's right eye / right mouth corner.
  return { leftEye: eyes.right, rightEye: eyes.left, nose: points[MESH.noseTip], mouthLeft: points[MESH.mouthRight], mouthRight: points[MESH.mouthLeft] };
}

/** Face shape normalised for similarity-invariant motion comparison. */
export function normalisedShape(points: readonly Point[]): number[] {
  const eyes = eyeCentres(points);
  const cx = (eyes.left[0] + eyes.right[0]) / 2, cy = (eyes.left[1] + eyes.right[1]) / 2;
  const dx = eyes.left[0] - eyes.right[0], dy = eyes.left[1] - eyes.right[1];
  const d2 = dx * dx + dy * dy || 1;
  // rotate + scale so that the eye vector becomes (1, 0)
  const a = dx / d2, b = -dy / d2;
  const out: number[] = new Array(points.length * 2);
  for (let i = 0; i < points.length; i++) {
    const x = points[i][0] - cx, y = points[i][1] - cy;
    out[2 * i] = a * x - b * y;
    out[2 * i + 1] = b * x + a * y;
  }
  return out;
}

const deepFreeze = <T>(o: T): T => {
  if (o && typeof o === 'object' && !ArrayBuffer.isView(o) && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
};

export function createFaceEngine(options: FaceEngineOptions): FaceEngine {
  const { models } = options;
  const clock = options.clock ?? systemClock;
  const thresholds: FaceThresholds = deepFreeze({
    ...DEFAULT_THRESHOLDS,
    ...options.thresholds,
    quality: { ...DEFAULT_THRESHOLDS.quality, ...options.thresholds?.quality },
  });
  const refine = options.refineLandmarks ?? true;

  interface Core { img: RgbImage; status: FaceStatus; ignored: number; count: number; det?: { box: Box; score: number }; lm?: Landmarks; t: Record<keyof StageTimings, number> }

  /** `tiles`: also search windows for a small face in a large image (references, probes — not challenge frames). */
  async function core(bytes: Uint8Array, refineMesh = refine, tiles = false): Promise<Core> {
    const t = { decode: 0, detect: 0, landmarks: 0, align: 0, embed: 0, passive: 0 };
    let t0 = performance.now();
    const img = await decodeImage(bytes, options.decode);
    t.decode = performance.now() - t0; t0 = performance.now();
    const det = await detectFace(models, img, { tiles, ...options.detect });
    t.detect = performance.now() - t0; t0 = performance.now();
    if (det.status === 'NO_FACE') return { img, status: 'NO_FACE', ignored: 0, count: 0, t };
    if (det.status === 'MULTIPLE_FACES') return { img, status: 'MULTIPLE_FACES', ignored: 0, count: det.count, t };
    const lm = await faceLandmarks(models, img, det.face, refineMesh);
    t.landmarks = performance.now() - t0;
    return { img, status: 'OK', ignored: det.ignoredFaces, count: 1, det: { box: det.face.box, score: det.face.score }, lm, t };
  }

  async function analyze(bytes: Uint8Array, opts: AnalyzeOptions = {}): Promise<FaceAnalysis> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const c = await core(bytes, refine, true);
    const base = { width: c.img.width, height: c.img.height, ignoredFaces: c.ignored, faceCount: c.count, sha256, analyzedAt: clock.now() };
    if (c.status !== 'OK' || !c.lm || !c.det) {
      return deepFreeze({ ...base, status: c.status, box: null, detectionScore: null, landmarks: null, fivePoints: null, features: null, quality: null, embedding: null, passive: null, timingsMs: c.t });
    }
    let t0 = performance.now();
    const five = fivePointsFromMesh(c.lm.points);
    const aligned = alignFace(c.img, five);
    const features = faceFeatures(c.lm);
    const quality = assessQuality(aligned.image, features, thresholds.quality);
    c.t.align = performance.now() - t0; t0 = performance.now();
    const embedding = opts.embed === false ? null : Array.from(await embedFace(models, c.img, five, c.lm.points, options.embeddingNormalization));
    c.t.embed = performance.now() - t0; t0 = performance.now();
    const passive = opts.passive ? await assessPassiveLiveness(models, c.img, c.lm, quality, thresholds.passiveLive) : null;
    c.t.passive = performance.now() - t0;
    return deepFreeze({
      ...base,
      status: 'OK' as const,
      box: { ...c.det.box },
      detectionScore: c.det.score,
      landmarks: c.lm.points.map((p) => [p[0], p[1]] as Point),
      fivePoints: five,
      features,
      quality,
      embedding,
      passive,
      timingsMs: c.t,
    });
  }

  async function compare(a: Uint8Array | FaceAnalysis, b: Uint8Array | FaceAnalysis, opts: CompareOptions = {}): Promise<CompareResult> {
    const requireQuality = opts.requireQuality ?? true;
    const [fa, fb] = await Promise.all([a, b].map((x) => (x instanceof Uint8Array ? analyze(x) : Promise.resolve(x))));
    const reasons: CompareReason[] = [];
    for (const [tag, f] of [['a', fa], ['b', fb]] as const) {
      if (f.status !== 'OK') reasons.push({ image: tag, code: f.status });
      else if (requireQuality) for (const r of f.quality?.reasons ?? []) reasons.push({ image: tag, code: r.code, value: r.value, threshold: r.threshold });
      if (f.status === 'OK' && !f.embedding) reasons.push({ image: tag, code: 'NO_EMBEDDING' });
    }
    const score = fa.embedding && fb.embedding ? cosineSimilarity(fa.embedding, fb.embedding) : null;
    const operatingPoint = opts.operatingPoint ?? 'unattended';
    const threshold = operatingPoint === 'assisted' ? thresholds.matchAssisted : thresholds.match;
    const match = score !== null && reasons.length === 0 && score >= threshold;
    return deepFreeze({ match, score, threshold, operatingPoint, quality: { a: fa.quality, b: fb.quality }, reasons });
  }

  async function frameFeatures(frame: Uint8Array, opts: { readonly embed?: boolean; readonly refineLandmarks?: boolean } = {}): Promise<FrameFeatures> {
    const sha256 = createHash('sha256').update(frame).digest('hex');
    const c = await core(frame, opts.refineLandmarks ?? false);
    if (c.status !== 'OK' || !c.lm) {
      return deepFreeze({ status: c.status, earLeft: NaN, earRight: NaN, mar: NaN, yaw: NaN, pitch: NaN, roll: NaN, shape: null, embedding: null, sha256 });
    }
    const f = faceFeatures(c.lm);
    let embedding: number[] | null = null;
    if (opts.embed !== false) embedding = Array.from(await embedFace(models, c.img, fivePointsFromMesh(c.lm.points), c.lm.points, options.embeddingNormalization));
    return deepFreeze({ status: 'OK' as const, earLeft: f.earLeft, earRight: f.earRight, mar: f.mar, yaw: f.yaw, pitch: f.pitch, roll: f.roll, shape: normalisedShape(c.lm.points), embedding, sha256 });
  }

  return Object.freeze({ thresholds, analyze, compare, frameFeatures, similarity: cosineSimilarity });
}
