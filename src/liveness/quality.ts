/**
 * Capture-quality checks. Each failing check yields a stable reason code with the measured value and
 * the threshold it failed, so a client can tell the user what to fix.
 *
 * Sharpness and exposure are measured on the ArcFace-aligned 112×112 crop (central 80×88 region:
 * eyes, nose, mouth, cheeks — little background, and a fixed scale so numbers compare across photos).
 */
import type { FaceFeatures } from './faceFeatures.ts';
import type { RgbImage } from './image.ts';
import { luminance } from './image.ts';
import type { QualityThresholds } from './thresholds.ts';

export type QualityReasonCode = 'FACE_TOO_SMALL' | 'BLURRY' | 'TOO_DARK' | 'OVEREXPOSED' | 'POSE_YAW' | 'POSE_PITCH' | 'POSE_ROLL' | 'EYES_CLOSED';

export interface QualityReason {
  readonly code: QualityReasonCode;
  readonly value: number;
  readonly threshold: number;
  /** `min`: value must be ≥ threshold; `max`: value must be ≤ threshold (absolute value for angles). */
  readonly kind: 'min' | 'max';
}

export interface QualityMeasures {
  readonly interEye: number;
  readonly sharpness: number;
  readonly meanLuminance: number;
  readonly clippedHigh: number;
  readonly clippedLow: number;
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
  readonly eyeOpen: number;
}

export interface QualityReport {
  readonly ok: boolean;
  readonly measures: QualityMeasures;
  readonly reasons: readonly QualityReason[];
}

const REGION = { x0: 16, x1: 96, y0: 24, y1: 112 } as const;

/** Variance of the 4-neighbour Laplacian over the central region of a luminance image. */
export function laplacianVariance(lum: Float32Array, width: number, height: number, region = { x0: 1, x1: width - 1, y0: 1, y1: height - 1 }): number {
  let s = 0, ss = 0, n = 0;
  for (let y = Math.max(1, region.y0); y < Math.min(height - 1, region.y1); y++) {
    for (let x = Math.max(1, region.x0); x < Math.min(width - 1, region.x1); x++) {
      const i = y * width + x;
      const l = lum[i - 1] + lum[i + 1] + lum[i - width] + lum[i + width] - 4 * lum[i];
      s += l; ss += l * l; n++;
    }
  }
  if (n === 0) return 0;
  const m = s / n;
  return ss / n - m * m;
}

export function exposure(lum: Float32Array, width: number, region = REGION): { mean: number; clippedHigh: number; clippedLow: number } {
  let s = 0, hi = 0, lo = 0, n = 0;
  for (let y = region.y0; y < region.y1; y++) for (let x = region.x0; x < region.x1; x++) {
    const v = lum[y * width + x];
    s += v; n++;
    if (v >= 250) hi++;
    if (v <= 5) lo++;
  }
  return { mean: s / n, clippedHigh: hi / n, clippedLow: lo / n };
}

export function assessQuality(aligned: RgbImage, features: FaceFeatures, t: QualityThresholds): QualityReport {
  const lum = luminance(aligned);
  const sharpness = laplacianVariance(lum, aligned.width, aligned.height, REGION);
  const ex = exposure(lum, aligned.width);
  const measures: QualityMeasures = {
    interEye: features.interEye,
    sharpness,
    meanLuminance: ex.mean,
    clippedHigh: ex.clippedHigh,
    clippedLow: ex.clippedLow,
    yaw: features.yaw,
    pitch: features.pitch,
    roll: features.roll,
    eyeOpen: Math.min(features.earLeft, features.earRight),
  };
  const reasons: QualityReason[] = [];
  const min = (code: QualityReasonCode, value: number, threshold: number) => { if (!(value >= threshold)) reasons.push({ code, value, threshold, kind: 'min' }); };
  const max = (code: QualityReasonCode, value: number, threshold: number) => { if (!(value <= threshold)) reasons.push({ code, value, threshold, kind: 'max' }); };
  min('FACE_TOO_SMALL', measures.interEye, t.minInterEyePx);
  min('BLURRY', sharpness, t.minSharpness);
  min('TOO_DARK', ex.mean, t.minMeanLuminance);
  if (ex.mean > t.maxMeanLuminance) max('OVEREXPOSED', ex.mean, t.maxMeanLuminance);
  else max('OVEREXPOSED', ex.clippedHigh, t.maxClippedFraction);
  max('POSE_YAW', Math.abs(features.yaw), t.maxYawDeg);
  max('POSE_PITCH', Math.abs(features.pitch - t.pitchOffsetDeg), t.maxPitchDeg);
  max('POSE_ROLL', Math.abs(features.roll), t.maxRollDeg);
  min('EYES_CLOSED', measures.eyeOpen, t.minEyeAspectRatio);
  return Object.freeze({ ok: reasons.length === 0, measures: Object.freeze(measures), reasons: Object.freeze(reasons.map((r) => Object.freeze(r))) });
}
