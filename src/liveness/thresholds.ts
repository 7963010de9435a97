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
  /**
   * Unattended operating point (remote proof of life, no human in the loop; FAR ≤ 0.1 %): cosine
   * similarity of fr_feature embeddings at or above which two faces are the same person. What
   * `compare` uses unless told otherwise.
   */
  readonly match: number;
  /** Assisted operating point (a member of staff checks the decision; FAR ≤ 1 %): `compare(…, { operatingPoint: 'assisted' })`. */
  readonly matchAssisted: number;
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
   * Calibrated for the faceres embedder (1024-d, cosine of L2-normalised descriptors): `npm run eval:face
   * -- --models DATADIR --data /work/shared/facedata/verify --spoof /work/shared/facedata/spoof --out
   * docs/face-eval` on 2026-11-23 (ONNX Runtime 1.30): 118/118 photos enrolled, 267 genuine / 6636
   * impostor pairs, EER 2.58 %, TAR@FAR=1 % 95.88 %, TAR@FAR=0.1 % 88.76 % (engine as merged with
   * face-pipeline@4f0339f).
   * Rule: lowest threshold on a 1e-3 grid with FAR ≤ 0.1 % on that set → 0.600 (TAR 88.76 %, FAR
   * 0.09 %, 6 of 6636 impostor pairs). 23 identities only: the FAR estimate rests on a handful of
   * pairs — recalibrate on a larger, in-population set before relying on it (docs/face-evaluation.md).
   */
  match: 0.37,
  matchAssisted: 0.25,
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
 * the baseline, faceres cosine. Measured 2026-11-23: lowest embedded-frame-to-first-frame cosine on
 * the live clips was 0.753 (apfol_live_headturn_talk, ffmpeg frames, test/liveness/video.integration)
 * and 0.663 for the same clip captured by Chromium's fake camera through web/face.js (JPEG re-encoded,
 * test/e2e) — so 0.65 left no margin. 0.600 is the 1:1 `match` operating point (FAR ≤ 0.1 % per pair on
 * facedata/verify, highest impostor pair 0.637 sits above it only 6 times in 6636), and every embedded
 * frame must pass it, so a face swapped in mid-session has to beat it on each of them.
 */
export const SAME_PERSON_IN_SESSION = 0.6;
