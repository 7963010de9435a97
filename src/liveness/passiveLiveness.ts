/**
 * Passive (single-image) liveness: two small presentation-attack networks used as AUXILIARY signals,
 * plus capture-quality cues. This is not a certified PAD; it is one input to the decision next to
 * the active challenge (challenge.ts).
 *
 * Both networks take an axis-aligned square crop around the face mesh (side = 1.2 × the larger mesh
 * extent), RGB in [0, 1]: `antispoof` at 128×128 (one output), `liveness` at 32×32 (two softmax
 * outputs). Which output means "live" was established on labelled data (facedata/spoof), see
 * `PASSIVE_CALIBRATION` and docs/face-evaluation.md.
 */
import { similarity, warpAffineToTensor } from './align.ts';
import { MODEL_INPUTS } from './faceModels.ts';
import type { FaceModels } from './faceModels.ts';
import type { RgbImage } from './image.ts';
import type { Landmarks } from './landmarks.ts';
import type { QualityReport } from './quality.ts';

export type PassiveReasonCode = 'ANTISPOOF_LOW' | 'LIVENESS_LOW' | 'QUALITY_INSUFFICIENT';

export interface PassiveReason {
  readonly code: PassiveReasonCode;
  readonly value: number;
  readonly threshold: number;
}

export interface PassiveLivenessResult {
  readonly live: boolean;
  /** Combined live-ness score in [0, 1] (higher = more likely live). */
  readonly score: number;
  readonly threshold: number;
  /** The two network signals mapped so that higher = live, each in [0, 1]. */
  readonly signals: { readonly antispoof: number; readonly liveness: number };
  readonly reasons: readonly PassiveReason[];
}

export interface PassiveCalibration {
  /** Whether the antispoof output grows with live-ness (else it is a spoof probability). */
  readonly antispoofLiveIsHigh: boolean;
  /** Softmax index of the liveness network's live class. */
  readonly livenessLiveIndex: 0 | 1;
  readonly weightAntispoof: number;
  readonly weightLiveness: number;
}

/**
 * Output semantics, measured (not assumed) on facedata/spoof (46 live / 52 spoof, mostly face crops
 * cut from live-vs-replay videos), run of 2026-11-23, see docs/face-evaluation.md:
 * - antispoof (single sigmoid output): mean output 0.527 on live vs 0.626 on spoof; taking the output
 *   itself as "live" gives AUC 0.296, i.e. the output behaves as a SPOOF probability and
 *   1 − output is the live signal (AUC 0.704; 0.701 in the final run).
 * - liveness (2-way softmax): index 0 as "live" gives AUC 0.452, index 1 gives 0.548 (final run 0.520) — no usable
 *   separation on this set either way. Index 1 is taken as "live" (the better side) but its weight is
 *   0: it is reported in `signals` for monitoring and does not move the decision.
 */
export const PASSIVE_CALIBRATION: PassiveCalibration = Object.freeze({
  antispoofLiveIsHigh: false,
  livenessLiveIndex: 1,
  weightAntispoof: 1,
  weightLiveness: 0,
});

export const PASSIVE_CROP_SCALE = 1.2;

/**
 * Smallest face (inter-eye distance, px) the passive check vouches for: the bar `FACE_TOO_SMALL` used
 * before the matcher's own bar was lowered to 16 px (thresholds.ts) — the passive networks look at
 * texture (moiré, print dots), which a 16-px face does not show.
 */
export const PASSIVE_MIN_INTER_EYE_PX = 28;

/** Square axis-aligned face crop as a model input tensor. */
export function passiveCrop(img: RgbImage, lm: Landmarks, size: number, scale: number, offset: number): Float32Array {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [x, y] of lm.points) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  const side = PASSIVE_CROP_SCALE * Math.max(x1 - x0, y1 - y0);
  const s = size / side;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const c = (size - 1) / 2;
  return warpAffineToTensor(img, similarity(s, 0, c - s * cx, c - s * cy), size, size, scale, offset);
}

export interface PassiveSignals { readonly antispoofRaw: number; readonly livenessRaw: readonly number[] }

export async function passiveSignals(models: FaceModels, img: RgbImage, lm: Landmarks): Promise<PassiveSignals> {
  const a = MODEL_INPUTS.antispoof, l = MODEL_INPUTS.liveness;
  const [antispoofRaw, live] = await Promise.all([
    models.antispoof(passiveCrop(img, lm, a.size, a.scale, a.offset)),
    models.liveness(passiveCrop(img, lm, l.size, l.scale, l.offset)),
  ]);
  return { antispoofRaw, livenessRaw: Array.from(live) };
}

export function combinePassive(sig: PassiveSignals, quality: QualityReport | null, threshold: number, cal: PassiveCalibration = PASSIVE_CALIBRATION): PassiveLivenessResult {
  const clamp = (v: number) => (Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0);
  const antispoof = clamp(cal.antispoofLiveIsHigh ? sig.antispoofRaw : 1 - sig.antispoofRaw);
  const liveness = clamp(sig.livenessRaw[cal.livenessLiveIndex]);
  const wsum = cal.weightAntispoof + cal.weightLiveness;
  const score = (cal.weightAntispoof * antispoof + cal.weightLiveness * liveness) / wsum;
  const reasons: PassiveReason[] = [];
  if (score < threshold) {
    if (cal.weightAntispoof > 0 && antispoof < threshold) reasons.push({ code: 'ANTISPOOF_LOW', value: antispoof, threshold });
    if (cal.weightLiveness > 0 && liveness < threshold) reasons.push({ code: 'LIVENESS_LOW', value: liveness, threshold });
  }
  // A face we cannot see well (blur, exposure, size) cannot be vouched for: blur and moiré are the
  // typical replay artefacts the networks would need to see. The size bar is the passive check's own
  // (PASSIVE_MIN_INTER_EYE_PX): matching works on smaller faces than texture analysis does.
  const blocking: { value: number; threshold: number }[] = quality?.reasons.filter((r) => r.code === 'BLURRY' || r.code === 'TOO_DARK' || r.code === 'OVEREXPOSED') ?? [];
  if (quality && !(quality.measures.interEye >= PASSIVE_MIN_INTER_EYE_PX)) blocking.push({ value: quality.measures.interEye, threshold: PASSIVE_MIN_INTER_EYE_PX });
  for (const r of blocking) reasons.push({ code: 'QUALITY_INSUFFICIENT', value: r.value, threshold: r.threshold });
  const live = score >= threshold && blocking.length === 0;
  return Object.freeze({ live, score, threshold, signals: Object.freeze({ antispoof, liveness }), reasons: Object.freeze(reasons.map((r) => Object.freeze(r))) });
}

export async function assessPassiveLiveness(models: FaceModels, img: RgbImage, lm: Landmarks, quality: QualityReport | null, threshold: number): Promise<PassiveLivenessResult> {
  return combinePassive(await passiveSignals(models, img, lm), quality, threshold);
}
