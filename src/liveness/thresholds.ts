/**
 * Default operating thresholds of the face engine. Values marked "calibrated" come from
 * `npm run eval:face` runs on the internal evaluation set (see docs/face-evaluation.md).
 */

export interface QualityThresholds {
  readonly minInterEyePx: number;
  readonly minSharpness: number;
  readonly minMeanLuminance: number;
  readonly maxMeanLuminance: number;
  readonly maxClippedFraction: number;
  readonly maxYawDeg: number;
  readonly maxPitchDeg: number;
  /** Pitch the mesh reports for a frontal face (the forehead–chin line of the mesh is not vertical). */
  readonly pitchOffsetDeg: number;
  readonly maxRollDeg: number;
  readonly minEyeAspectRatio: number;
}

export interface FaceThresholds {
  /** Cosine similarity at or above which two faces are the same person. */
  readonly match: number;
  readonly quality: QualityThresholds;
  /** Passive liveness: combined score at or above which a capture counts as live. */
  readonly passiveLive: number;
}

export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = Object.freeze({
  minInterEyePx: 28,
  minSharpness: 15,
  minMeanLuminance: 45,
  maxMeanLuminance: 220,
  maxClippedFraction: 0.2,
  maxYawDeg: 30,
  maxPitchDeg: 30,
  pitchOffsetDeg: 0,
  maxRollDeg: 30,
  minEyeAspectRatio: 0.12,
});

export const DEFAULT_THRESHOLDS: FaceThresholds = Object.freeze({
  match: 0.5,
  quality: DEFAULT_QUALITY_THRESHOLDS,
  passiveLive: 0.5,
});
