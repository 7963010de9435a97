/**
 * Active liveness challenge: decide whether a sequence of video frames shows the server-chosen
 * actions, in order, performed by one live person. Pure: no I/O, no clock, no models — it consumes
 * per-frame features (`FaceEngine.frameFeatures`) with capture times.
 *
 * Actions and their state machines (baselines = medians over the first `baselineFrames` frames with
 * a face; each action starts searching where the previous one completed, so actions must happen in
 * the given order; other movements in between are tolerated):
 * - `blink`: mean eye aspect ratio (EAR) first ≥ `open` × baseline, then ≤ `closed` × baseline for at
 *   least one frame, then back ≥ `open` × baseline. Long closures count (elderly users blink slowly).
 * - `open_mouth`: mouth aspect ratio (MAR) rises to ≥ baseline + `mouth.delta` (and ≥ `mouth.min`).
 * - `turn_left` / `turn_right`: LEFT AND RIGHT ARE THE SUBJECT'S OWN. `turn_left` = the subject turns
 *   their head to their left, which in an unmirrored camera image moves the nose towards the image's
 *   right edge (yaw > 0 in faceFeatures.ts). Starts near the baseline yaw (within `turn.neutral`°), then
 *   yaw − baseline ≥ `turn.deg` (left) or ≤ −`turn.deg` (right). Clients must send unmirrored frames.
 * - `nod`: pitch leaves the baseline by ≥ `nod.deg` (either direction) and comes back within
 *   `nod.deg`/2 of it.
 *
 * Frame plausibility: ≥ `minFrames` frames; capture times strictly increasing and within
 * `maxDurationMs`; no two frames byte-identical (SHA-256); not a still: the largest similarity-
 * normalised landmark displacement from the first frame (in inter-eye distances) must reach
 * `minMotion` — a photo moved in front of the camera keeps its 2-D shape; a face at most
 * `maxMissingFraction` of frames without a face, and no frame with several faces.
 * Same person: every frame with |yaw − baseline| ≤ `samePerson.maxYawDeg` that carries an embedding
 * must have cosine similarity ≥ `samePerson.threshold` to the first embedded frame, except the
 * `samePerson.outliers` lowest (default 1) when there are more frames than that plus one.
 */
import { cosineSimilarity } from './similarity.ts';
import { SAME_PERSON_IN_SESSION } from './thresholds.ts';
import type { FrameFeatures } from './faceEngine.ts';

export type ChallengeAction = 'blink' | 'open_mouth' | 'turn_left' | 'turn_right' | 'nod';
export const CHALLENGE_ACTIONS: readonly ChallengeAction[] = Object.freeze(['blink', 'open_mouth', 'turn_left', 'turn_right', 'nod']);

/** One frame: what `FaceEngine.frameFeatures` returns (shape, embedding and hash optional) plus the capture time. */
export type ChallengeFrame = {
  /** Capture time in ms (any epoch; only differences matter). */
  readonly t: number;
} & Omit<FrameFeatures, 'shape' | 'embedding' | 'sha256'> & Partial<Pick<FrameFeatures, 'shape' | 'embedding' | 'sha256'>>;

export interface ChallengeConfig {
  readonly minFrames: number;
  readonly maxDurationMs: number;
  readonly baselineFrames: number;
  readonly maxMissingFraction: number;
  readonly minMotion: number;
  readonly blink: { readonly closed: number; readonly open: number };
  readonly mouth: { readonly delta: number; readonly min: number };
  readonly turn: { readonly deg: number; readonly neutral: number };
  readonly nod: { readonly deg: number };
  /**
   * `outliers`: how many of the lowest frame scores are disregarded when there are more than `outliers + 1`
   * (one motion-blurred frame must not fail a live session; a swapped face has to pass on all the others).
   */
  readonly samePerson: { readonly threshold: number; readonly maxYawDeg: number; readonly outliers: number };
}

export const DEFAULT_CHALLENGE_CONFIG: ChallengeConfig = Object.freeze({
  minFrames: 10,
  maxDurationMs: 30_000,
  baselineFrames: 3,
  maxMissingFraction: 0.25,
  minMotion: 0.02,
  blink: Object.freeze({ closed: 0.6, open: 0.8 }),
  mouth: Object.freeze({ delta: 0.2, min: 0.25 }),
  turn: Object.freeze({ deg: 15, neutral: 10 }),
  nod: Object.freeze({ deg: 10 }),
  // Calibrated separately from 1:1 verification, see thresholds.ts.
  samePerson: Object.freeze({ threshold: SAME_PERSON_IN_SESSION, maxYawDeg: 20, outliers: 1 }),
});

export interface ChallengeCheck {
  /** `frames`, `timestamps`, `distinct_frames`, `face_present`, `motion`, `same_person`, or `action[i]:NAME`. */
  readonly name: string;
  readonly passed: boolean;
  /** The measured value the decision was made on. */
  readonly score: number;
  readonly threshold: number;
  /** Machine-readable reason when failed, `OK` when passed. */
  readonly reason: string;
}

export interface ChallengeResult {
  readonly passed: boolean;
  readonly checks: readonly ChallengeCheck[];
}

type PartialConfig = { readonly [K in keyof ChallengeConfig]?: ChallengeConfig[K] extends object ? Partial<ChallengeConfig[K]> : ChallengeConfig[K] };

export function challengeConfig(overrides: PartialConfig = {}): ChallengeConfig {
  const d = DEFAULT_CHALLENGE_CONFIG;
  const o = overrides;
  return Object.freeze({
    ...d, ...o,
    blink: Object.freeze({ ...d.blink, ...o.blink }),
    mouth: Object.freeze({ ...d.mouth, ...o.mouth }),
    turn: Object.freeze({ ...d.turn, ...o.turn }),
    nod: Object.freeze({ ...d.nod, ...o.nod }),
    samePerson: Object.freeze({ ...d.samePerson, ...o.samePerson }),
  }) as ChallengeConfig;
}

const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const check = (name: string, passed: boolean, score: number, threshold: number, reason: string): ChallengeCheck => Object.freeze({ name, passed, score, threshold, reason: passed ? 'OK' : reason });

interface Baseline { ear: number; mar: number; yaw: number; pitch: number }
interface ActionOutcome { done: boolean; endIndex: number; score: number; threshold: number; reason: string }

const ear = (f: ChallengeFrame) => (f.earLeft + f.earRight) / 2;

/** Run one action's state machine over frames[start..]; returns where it completed. */
export function detectAction(action: ChallengeAction, frames: readonly ChallengeFrame[], start: number, base: Baseline, c: ChallengeConfig): ActionOutcome {
  const ok = (f: ChallengeFrame) => f.status === 'OK' && Number.isFinite(f.yaw);
  switch (action) {
    case 'blink': {
      let state: 'wait_open' | 'wait_closed' | 'wait_reopen' = 'wait_open';
      let minRatio = Infinity;
      for (let i = start; i < frames.length; i++) {
        const f = frames[i];
        if (!ok(f)) continue;
        const r = ear(f) / base.ear;
        if (state !== 'wait_open') minRatio = Math.min(minRatio, r);
        if (state === 'wait_open' && r >= c.blink.open) state = 'wait_closed';
        else if (state === 'wait_closed' && r <= c.blink.closed) state = 'wait_reopen';
        else if (state === 'wait_reopen' && r >= c.blink.open) return { done: true, endIndex: i, score: minRatio, threshold: c.blink.closed, reason: 'OK' };
      }
      return { done: false, endIndex: frames.length, score: Number.isFinite(minRatio) ? minRatio : NaN, threshold: c.blink.closed, reason: state === 'wait_reopen' ? 'EYES_NOT_REOPENED' : 'NO_BLINK' };
    }
    case 'open_mouth': {
      const need = Math.max(base.mar + c.mouth.delta, c.mouth.min);
      let best = -Infinity;
      for (let i = start; i < frames.length; i++) {
        const f = frames[i];
        if (!ok(f)) continue;
        best = Math.max(best, f.mar);
        if (f.mar >= need) return { done: true, endIndex: i, score: f.mar, threshold: need, reason: 'OK' };
      }
      return { done: false, endIndex: frames.length, score: best, threshold: need, reason: 'MOUTH_NOT_OPENED' };
    }
    case 'turn_left':
    case 'turn_right': {
      const sign = action === 'turn_left' ? 1 : -1;
      let neutral = false, best = -Infinity;
      for (let i = start; i < frames.length; i++) {
        const f = frames[i];
        if (!ok(f)) continue;
        const d = sign * (f.yaw - base.yaw);
        if (!neutral) { if (Math.abs(f.yaw - base.yaw) <= c.turn.neutral) neutral = true; else continue; }
        best = Math.max(best, d);
        if (d >= c.turn.deg) return { done: true, endIndex: i, score: d, threshold: c.turn.deg, reason: 'OK' };
      }
      return { done: false, endIndex: frames.length, score: best, threshold: c.turn.deg, reason: neutral ? 'TURN_NOT_SEEN' : 'NO_NEUTRAL_START' };
    }
    case 'nod': {
      let away = false, best = 0;
      for (let i = start; i < frames.length; i++) {
        const f = frames[i];
        if (!ok(f)) continue;
        const d = Math.abs(f.pitch - base.pitch);
        best = Math.max(best, d);
        if (!away && d >= c.nod.deg) away = true;
        else if (away && d <= c.nod.deg / 2) return { done: true, endIndex: i, score: best, threshold: c.nod.deg, reason: 'OK' };
      }
      return { done: false, endIndex: frames.length, score: best, threshold: c.nod.deg, reason: away ? 'HEAD_NOT_RETURNED' : 'NO_NOD' };
    }
    default:
      return { done: false, endIndex: frames.length, score: NaN, threshold: NaN, reason: 'UNKNOWN_ACTION' };
  }
}

/** Evaluate a challenge. `actions` is the server-chosen sequence; frames in capture order. */
export function evaluateChallenge(actions: readonly ChallengeAction[], frames: readonly ChallengeFrame[], overrides: PartialConfig = {}): ChallengeResult {
  const c = challengeConfig(overrides);
  const checks: ChallengeCheck[] = [];
  const n = frames.length;
  checks.push(check('frames', n >= c.minFrames, n, c.minFrames, 'TOO_FEW_FRAMES'));

  let increasing = true;
  for (let i = 1; i < n; i++) if (!(frames[i].t > frames[i - 1].t)) increasing = false;
  const duration = n > 1 ? frames[n - 1].t - frames[0].t : 0;
  checks.push(check('timestamps', increasing && Number.isFinite(duration) && duration <= c.maxDurationMs, duration, c.maxDurationMs, increasing ? 'SESSION_TOO_LONG' : 'TIMES_NOT_INCREASING'));

  const digests = frames.map((f) => f.sha256).filter((d): d is string => typeof d === 'string');
  const dupes = digests.length - new Set(digests).size;
  checks.push(check('distinct_frames', dupes === 0, dupes, 0, 'DUPLICATE_FRAMES'));

  const multi = frames.filter((f) => f.status === 'MULTIPLE_FACES').length;
  const missing = frames.filter((f) => f.status !== 'OK').length;
  const missingFrac = n ? missing / n : 1;
  checks.push(check('face_present', multi === 0 && missingFrac <= c.maxMissingFraction, missingFrac, c.maxMissingFraction, multi ? 'MULTIPLE_FACES' : 'FACE_MISSING'));

  const good = frames.filter((f) => f.status === 'OK' && Number.isFinite(f.yaw));
  // Landmark motion: max over frames of the mean point displacement from the first frame.
  const shapes = good.map((f) => f.shape).filter((s): s is readonly number[] => Array.isArray(s) && s.length > 0);
  let motion = NaN;
  if (shapes.length >= 2) {
    motion = 0;
    const s0 = shapes[0];
    for (let k = 1; k < shapes.length; k++) {
      const s = shapes[k];
      let d = 0;
      for (let i = 0; i < s.length; i += 2) d += Math.hypot(s[i] - s0[i], s[i + 1] - s0[i + 1]);
      motion = Math.max(motion, d / (s.length / 2));
    }
  }
  checks.push(check('motion', motion >= c.minMotion, motion, c.minMotion, Number.isNaN(motion) ? 'NO_SHAPES' : 'STILL_IMAGE'));

  let base: Baseline | null = null;
  if (good.length >= c.baselineFrames) {
    const b = good.slice(0, c.baselineFrames);
    base = { ear: median(b.map(ear)), mar: median(b.map((f) => f.mar)), yaw: median(b.map((f) => f.yaw)), pitch: median(b.map((f) => f.pitch)) };
  }

  // Same person across frames.
  const embedded = good.filter((f) => Array.isArray(f.embedding) && f.embedding.length > 0);
  if (embedded.length >= 2 && base) {
    const ref = embedded[0].embedding!;
    const scores = embedded.slice(1).filter((f) => Math.abs(f.yaw - base.yaw) <= c.samePerson.maxYawDeg).map((f) => cosineSimilarity(ref, f.embedding!)).sort((a, b) => a - b);
    const worst = scores.length === 0 ? 1 : scores[scores.length > c.samePerson.outliers + 1 ? c.samePerson.outliers : 0];
    checks.push(check('same_person', worst >= c.samePerson.threshold, worst, c.samePerson.threshold, 'DIFFERENT_PERSON'));
  } else {
    checks.push(check('same_person', false, NaN, c.samePerson.threshold, 'NO_EMBEDDINGS'));
  }

  // Actions, in order.
  if (actions.length === 0) checks.push(check('actions', false, 0, 1, 'NO_ACTIONS'));
  let start = 0;
  actions.forEach((a, i) => {
    const name = `action[${i}]:${a}`;
    if (!CHALLENGE_ACTIONS.includes(a)) { checks.push(check(name, false, NaN, NaN, 'UNKNOWN_ACTION')); start = good.length; return; }
    if (!base || base.ear <= 0) { checks.push(check(name, false, NaN, NaN, 'NO_BASELINE')); return; }
    const r = detectAction(a, good, start, base, c);
    checks.push(check(name, r.done, r.score, r.threshold, r.reason));
    start = r.done ? r.endIndex + 1 : good.length;
  });

  return Object.freeze({ passed: checks.every((k) => k.passed), checks: Object.freeze(checks) });
}
