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
  // Variance of Laplacian on the aligned 112×112 crop. Observed 231..1934 on facedata/verify, p5 91 on
  // facedata/spoof (video crops); 50 only rejects clearly smeared captures. Not yet calibrated with a
  // controlled blur series.
  minSharpness: 50,
  minMeanLuminance: 45,
  maxMeanLuminance: 220,
  maxClippedFraction: 0.2,
  maxYawDeg: 30,
  maxPitchDeg: 30,
  // The mesh's forehead–chin axis reads about −7.5° (median over facedata/verify) for frontal photos.
  pitchOffsetDeg: -7,
  maxRollDeg: 30,
  minEyeAspectRatio: 0.12,
});

export const DEFAULT_THRESHOLDS: FaceThresholds = Object.freeze({
  /**
   * Calibrated: `npm run eval:face -- --data /work/shared/facedata/verify --spoof /work/shared/facedata/spoof
   * --out docs/face-eval` on 2026-11-23 (ONNX Runtime, converter face-convert@9a04f91): 118/118 photos
   * enrolled, 267 genuine / 6636 impostor pairs, EER 30.05 %, TAR@FAR=1 % 17.23 %, TAR@FAR=0.1 % 8.61 %.
   * Rule: lowest threshold (1e-6 grid) with FAR ≤ 0.1 % on that set → 0.999973 (TAR 8.24 %, FAR 0.09 %).
   * mobilefacenet's unit embeddings share one dominant direction, so all cosines sit in 0.9990–1.0000;
   * the threshold therefore needs six decimals. At this accuracy the model is NOT fit for unattended
   * 1:1 verification (see docs/face-evaluation.md) — the threshold keeps false accepts rare at the
   * price of rejecting ~91 % of genuine attempts.
   */
  match: 0.999973,
  quality: DEFAULT_QUALITY_THRESHOLDS,
  /**
   * Calibrated on facedata/spoof in the same run: combined passive score (= 1 − antispoof output)
   * AUC 0.701. Rule: keep bona-fide rejections low (score-only BPCER 10.9 % at 0.3, APCER 59.6 %), because
   * the passive check is auxiliary and the active challenge carries the liveness decision. With
   * quality gating (dark captures cannot be vouched for): APCER 48.08 %, BPCER 30.43 %.
   */
  passiveLive: 0.3,
});

/**
 * Same-person check between frames of ONE challenge session (challenge.ts), frames within ±20° yaw of
 * the baseline. Calibrated 2026-11-23: lowest frame-to-first-frame cosine on the live clips was
 * 0.999925 (apfol_live_headturn_talk, 8 fps, first 5 s) and 0.99999 (blink_frontal_live); on
 * facedata/verify impostor photo pairs, 0.9999 is exceeded by 8.42 % of pairs (genuine: 43.82 %).
 * Every swapped-in frame is compared, so a swap over k frames passes with roughly 0.084^k.
 */
export const SAME_PERSON_IN_SESSION = 0.9999;
