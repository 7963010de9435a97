/**
 * A scripted `FaceEngine` for session tests: a "frame" is base64-free JSON bytes describing the
 * features the real engine would measure (eye/mouth ratios, head angles, who it is). The session
 * service and the pipeline's real challenge evaluator run unchanged on top of it; the real engine on
 * real video is exercised by test/e2e/face.browser.test.ts.
 */
import { createHash } from 'node:crypto';
import type { ChallengeAction } from '../../src/liveness/challenge.ts';
import type { FaceAnalysis, FaceEngine, FrameFeatures } from '../../src/liveness/faceEngine.ts';
import { cosineSimilarity } from '../../src/liveness/similarity.ts';
import { DEFAULT_THRESHOLDS } from '../../src/liveness/thresholds.ts';

export interface ScriptedFrame { ear: number; mar: number; yaw: number; pitch: number; person: number; n: number; face?: boolean }

export const personEmbedding = (p: number): number[] => Array.from({ length: 192 }, (_, i) => (i === p ? 1 : 0));

function parse(bytes: Uint8Array): ScriptedFrame {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as ScriptedFrame;
}

export function createScriptedEngine(): FaceEngine {
  const frameFeatures = async (bytes: Uint8Array, opts: { readonly embed?: boolean } = {}): Promise<FrameFeatures> => {
    const f = parse(bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (f.face === false) return { status: 'NO_FACE', earLeft: NaN, earRight: NaN, mar: NaN, yaw: NaN, pitch: NaN, roll: NaN, shape: null, embedding: null, sha256 };
    const shape = Array.from({ length: 936 }, (_, i) => (i % 2 ? f.ear + f.mar : (f.yaw + f.pitch) / 100));
    return { status: 'OK', earLeft: f.ear, earRight: f.ear, mar: f.mar, yaw: f.yaw, pitch: f.pitch, roll: 0, shape, embedding: opts.embed === false ? null : personEmbedding(f.person), sha256 };
  };
  const analyze = async (bytes: Uint8Array) => {
    const f = parse(bytes);
    return {
      status: 'OK', embedding: personEmbedding(f.person), quality: { ok: true, measures: {}, reasons: [] },
      passive: { live: true, score: 0.9, threshold: 0.5, signals: { antispoof: 0.9, liveness: 0.9 }, reasons: [] },
    } as unknown as FaceAnalysis;
  };
  return {
    thresholds: DEFAULT_THRESHOLDS,
    analyze,
    compare: async () => { throw new Error('not scripted'); },
    frameFeatures,
    similarity: cosineSimilarity,
  };
}

const NEUTRAL = { ear: 0.3, mar: 0.05, yaw: 0, pitch: 0 };
const SEGMENTS: Record<ChallengeAction, Partial<typeof NEUTRAL>[]> = {
  blink: [{}, { ear: 0.2 }, { ear: 0.08 }, { ear: 0.1 }, {}, {}],
  open_mouth: [{}, { mar: 0.3 }, { mar: 0.55 }, { mar: 0.3 }, {}],
  turn_left: [{}, { yaw: 10 }, { yaw: 22 }, { yaw: 10 }, {}],
  turn_right: [{}, { yaw: -10 }, { yaw: -22 }, { yaw: -10 }, {}],
  nod: [{}, { pitch: 8 }, { pitch: 16 }, { pitch: 8 }, {}],
};

/** Frames (as JSON bytes with capture times) showing `actions` performed by `person`. */
export function scriptedFrames(actions: readonly ChallengeAction[], opts: { person?: number; swapAt?: number; t0?: number } = {}): { image: Uint8Array; capturedAt: number }[] {
  const out: ScriptedFrame[] = [];
  const push = (p: Partial<typeof NEUTRAL>) => out.push({ ...NEUTRAL, ...p, person: opts.person ?? 0, n: out.length });
  for (let i = 0; i < 4; i++) push({});
  for (const a of actions) for (const s of SEGMENTS[a]) push(s);
  if (opts.swapAt !== undefined) for (let i = opts.swapAt; i < out.length; i++) out[i] = { ...out[i]!, person: 1 };
  const t0 = opts.t0 ?? 1_700_000_000_000;
  return out.map((f, i) => ({ image: Buffer.from(JSON.stringify(f)), capturedAt: t0 + i * 120 }));
}
