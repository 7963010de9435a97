import { describe, expect, it } from 'vitest';
import { evaluateChallenge } from '../../src/liveness/challenge.ts';
import type { ChallengeAction, ChallengeFrame } from '../../src/liveness/challenge.ts';

const EMB = Array.from({ length: 192 }, (_, i) => Math.sin(i + 1));
const OTHER = Array.from({ length: 192 }, (_, i) => Math.cos(3 * i + 2));

/** A neutral face shape (a few points) that we perturb a little per frame. */
function shape(k: number, amp = 0.05): number[] {
  return Array.from({ length: 20 }, (_, i) => (i % 7) * 0.1 + amp * Math.sin(k * 0.7 + i));
}

interface Seg { n: number; ear?: number; mar?: number; yaw?: number; pitch?: number }

/** Build frames from segments (10 fps); unspecified features stay neutral. */
function series(segs: Seg[], opts: { still?: boolean; emb?: (i: number) => number[] } = {}): ChallengeFrame[] {
  const out: ChallengeFrame[] = [];
  for (const s of segs) for (let j = 0; j < s.n; j++) {
    const i = out.length;
    const ear = s.ear ?? 0.3;
    out.push({
      t: 1_000_000 + i * 100, status: 'OK', earLeft: ear, earRight: ear, mar: s.mar ?? 0.05, yaw: s.yaw ?? 0, pitch: s.pitch ?? 0, roll: 0,
      shape: opts.still ? shape(0, 0) : shape(i), embedding: opts.emb ? opts.emb(i) : EMB, sha256: `h${i}`,
    });
  }
  return out;
}

const byName = (r: ReturnType<typeof evaluateChallenge>, name: string) => r.checks.find((c) => c.name === name)!;

describe('evaluateChallenge', () => {
  const blink = series([{ n: 5 }, { n: 2, ear: 0.1 }, { n: 5 }]);
  it('passes a blink and reports every check', () => {
    const r = evaluateChallenge(['blink'], blink);
    expect(r.passed).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual(['frames', 'timestamps', 'distinct_frames', 'face_present', 'motion', 'same_person', 'action[0]:blink']);
    expect(Object.isFrozen(r)).toBe(true);
  });
  it('fails a blink when eyes never close, or never reopen', () => {
    expect(byName(evaluateChallenge(['blink'], series([{ n: 12 }])), 'action[0]:blink').reason).toBe('NO_BLINK');
    expect(byName(evaluateChallenge(['blink'], series([{ n: 6 }, { n: 6, ear: 0.1 }])), 'action[0]:blink').reason).toBe('EYES_NOT_REOPENED');
  });
  it('uses the subject’s left: turn_left = positive yaw', () => {
    const left = series([{ n: 4 }, { n: 4, yaw: 25 }, { n: 4 }]);
    expect(evaluateChallenge(['turn_left'], left).passed).toBe(true);
    expect(evaluateChallenge(['turn_right'], left).passed).toBe(false);
  });
  it('requires actions in order', () => {
    const lr = series([{ n: 4 }, { n: 3, yaw: 25 }, { n: 3 }, { n: 3, yaw: -25 }, { n: 3 }]);
    expect(evaluateChallenge(['turn_left', 'turn_right'], lr).passed).toBe(true);
    const r = evaluateChallenge(['turn_right', 'turn_left'], lr);
    expect(r.passed).toBe(false);
    expect(byName(r, 'action[0]:turn_right').passed).toBe(true);
    expect(byName(r, 'action[1]:turn_left').reason).toBe('TURN_NOT_SEEN');
  });
  it('detects open mouth and nod', () => {
    const s = series([{ n: 4 }, { n: 3, mar: 0.6 }, { n: 3 }, { n: 3, pitch: -18 }, { n: 3 }]);
    expect(evaluateChallenge(['open_mouth', 'nod'], s).passed).toBe(true);
    expect(byName(evaluateChallenge(['nod'], series([{ n: 4 }, { n: 8, pitch: -18 }])), 'action[0]:nod').reason).toBe('HEAD_NOT_RETURNED');
  });
  it('rejects too few frames, non-increasing times and duplicate frames', () => {
    expect(byName(evaluateChallenge(['blink'], blink.slice(0, 5)), 'frames').passed).toBe(false);
    const swapped = blink.map((f, i) => (i === 3 ? { ...f, t: blink[1].t } : f));
    expect(byName(evaluateChallenge(['blink'], swapped), 'timestamps').reason).toBe('TIMES_NOT_INCREASING');
    const dup = blink.map((f, i) => (i === 4 ? { ...f, sha256: blink[3].sha256 } : f));
    expect(byName(evaluateChallenge(['blink'], dup), 'distinct_frames').reason).toBe('DUPLICATE_FRAMES');
  });
  it('rejects a near-identical still (no landmark motion)', () => {
    const r = evaluateChallenge(['blink'], series([{ n: 5 }, { n: 2, ear: 0.1 }, { n: 5 }], { still: true }));
    expect(byName(r, 'motion').reason).toBe('STILL_IMAGE');
    expect(r.passed).toBe(false);
  });
  it('rejects a face swap between frames', () => {
    const r = evaluateChallenge(['blink'], series([{ n: 5 }, { n: 2, ear: 0.1 }, { n: 5 }], { emb: (i) => (i < 6 ? EMB : OTHER) }));
    expect(byName(r, 'same_person').reason).toBe('DIFFERENT_PERSON');
  });
  it('disregards one outlier frame (motion blur) but not two', () => {
    const one = evaluateChallenge(['blink'], series([{ n: 5 }, { n: 2, ear: 0.1 }, { n: 5 }], { emb: (i) => (i === 8 ? OTHER : EMB) }));
    expect(byName(one, 'same_person').passed).toBe(true);
    const two = evaluateChallenge(['blink'], series([{ n: 5 }, { n: 2, ear: 0.1 }, { n: 5 }], { emb: (i) => (i === 8 || i === 10 ? OTHER : EMB) }));
    expect(byName(two, 'same_person').reason).toBe('DIFFERENT_PERSON');
    const strict = evaluateChallenge(['blink'], series([{ n: 5 }, { n: 2, ear: 0.1 }, { n: 5 }], { emb: (i) => (i === 8 ? OTHER : EMB) }), { samePerson: { threshold: 0.248, maxYawDeg: 20, outliers: 0 } });
    expect(byName(strict, 'same_person').reason).toBe('DIFFERENT_PERSON');
  });
  it('rejects missing faces, multiple faces and unknown actions', () => {
    const missing = blink.map((f, i) => (i % 2 ? { ...f, status: 'NO_FACE' as const } : f));
    expect(byName(evaluateChallenge(['blink'], missing), 'face_present').reason).toBe('FACE_MISSING');
    const multi = blink.map((f, i) => (i === 2 ? { ...f, status: 'MULTIPLE_FACES' as const } : f));
    expect(byName(evaluateChallenge(['blink'], multi), 'face_present').reason).toBe('MULTIPLE_FACES');
    expect(evaluateChallenge(['smile' as ChallengeAction], blink).passed).toBe(false);
    expect(evaluateChallenge([], blink).passed).toBe(false);
  });
});
