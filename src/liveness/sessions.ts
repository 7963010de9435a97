/**
 * Active-liveness challenge sessions (table `face_sessions`), single use:
 *
 *   create (random 2–3 actions, nonce, 60 s) → submit all frames in ONE request → claim
 *   (pending → processing, short transaction) → evaluate outside any transaction (inference takes
 *   seconds; the embedded database is one connection) → record passed/failed + audit, one transaction.
 *
 * The session id and nonce together are the capability for submitting frames and reading the
 * status; only SHA-256(nonce) is stored. A second submission is `FACE_SESSION_USED` (409), a late
 * one `FACE_SESSION_EXPIRED` (410), a wrong nonce `FACE_NONCE_INVALID` (403). Too many failed
 * sessions of one subject lock it (`FACE_SUBJECT_LOCKED`, 423) until the window has passed.
 *
 * A session whose evaluation never finished (the process died mid-way) would stay `processing`
 * forever: `reapInterrupted` ends such sessions as `expired` — not `failed`, since the citizen did
 * nothing wrong and must not move towards a lockout — with an audit row.
 */
import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { appendAudit } from '../audit/auditLog.ts';
import { countFaceDecision } from '../observability/metrics.ts';
import type { Clock } from '../clock.ts';
import { withTransaction, type Tx } from '../db/transaction.ts';
import { KexinError } from '../errors.ts';
import { CHALLENGE_ACTIONS, evaluateChallenge, type ChallengeAction, type ChallengeCheck, type ChallengeConfig, type ChallengeFrame } from './challenge.ts';
import type { FaceEngine } from './faceEngine.ts';
import { faceErrors } from './faceErrors.ts';
import { maskSubject } from './maskSubject.ts';
import type { TemplateStore } from './templates.ts';

export interface LockoutPolicy {
  /** Failed sessions within `windowMs` that lock the subject. */
  readonly maxFailures: number;
  readonly windowMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = Object.freeze({ maxFailures: 5, windowMs: 15 * 60_000 });
export const DEFAULT_SESSION_TTL_MS = 60_000;
/** Frames per submission (≈ 3 actions × 4 s × 10 fps, with headroom). */
export const MAX_FRAMES = 150;

export type SessionState = 'pending' | 'processing' | 'passed' | 'failed' | 'expired';

export interface SessionCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly score: number | null;
  readonly threshold: number | null;
  readonly reason: string;
}

/** The recorded decision of a session. */
export interface SessionResult {
  readonly passed: boolean;
  /** Reason codes of the failed checks. */
  readonly reasons: readonly string[];
  readonly checks: readonly SessionCheck[];
  readonly frames: number;
  /** Passive liveness of one frontal frame: recorded, advisory only (not part of `passed`). */
  readonly passive: { readonly live: boolean; readonly score: number | null; readonly threshold: number } | null;
  readonly model: string;
  readonly evaluatedAt: string;
}

export interface SessionView {
  readonly id: string;
  readonly state: SessionState;
  readonly actions: readonly ChallengeAction[];
  /** Masked subject id, or null. */
  readonly subject: string | null;
  readonly expiresAt: string;
  readonly attempts: number;
  readonly result: SessionResult | null;
}

export interface CreatedSession {
  readonly id: string;
  /** Shown once: the capability for submitting frames and reading status. */
  readonly nonce: string;
  readonly actions: readonly ChallengeAction[];
  readonly expiresAt: string;
}

export interface SubmittedFrame {
  readonly image: Uint8Array;
  /** Client capture time, ms. */
  readonly capturedAt: number;
}

/** What a consumed session proves, for the consumer's own records. */
export interface SessionEvidence {
  readonly sessionId: string;
  readonly passedAt: string;
  readonly actions: readonly ChallengeAction[];
  readonly model: string;
}

export interface SessionService {
  create(input: { readonly subjectId?: string; readonly testActions?: readonly string[] }, actor: string): Promise<CreatedSession>;
  submitFrames(id: string, input: { readonly nonce: string; readonly frames: readonly SubmittedFrame[] }, actor: string): Promise<SessionView>;
  /** With `nonce`: checked (capability access); without: the caller is an authenticated operator. */
  get(id: string, nonce?: string): Promise<SessionView>;
  lockedUntil(subjectId: string, db?: pg.Pool | Tx): Promise<Date | undefined>;
  /** Ends sessions stuck in `processing` well past their expiry; returns how many. */
  reapInterrupted(): Promise<number>;
  /**
   * Uses a passed session as evidence, once, inside the caller's transaction (so a refused claim or
   * certification leaves the session unused): it must have passed, belong to `subjectId`, have passed
   * within `maxAgeMs`, and not have been used before. Audited with `purpose`.
   */
  consume(tx: Tx, id: string, expect: { readonly subjectId: string; readonly maxAgeMs: number; readonly purpose: string }, actor: string): Promise<SessionEvidence>;
}

/** Longer than any evaluation can take (≤ MAX_FRAMES frames of inference), counted from expiry. */
export const INTERRUPTED_AFTER_MS = 10 * 60_000;

export interface SessionDeps {
  readonly engine: FaceEngine;
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly templates: TemplateStore;
  /** Model backend description, recorded with decisions. */
  readonly modelId: string;
  /** `Config.testMode`: allows pinned challenge actions. */
  readonly testMode: boolean;
  /** Session lifetime (default 60 s). */
  readonly sessionTtlMs?: number;
  readonly lockout?: LockoutPolicy;
  readonly challenge?: Partial<ChallengeConfig>;
  /**
   * Embed every k-th frame (always the first) for the same-person and template checks (default
   * `DEFAULT_EMBED_EVERY`). The embedding network is the most expensive stage; at 8 fps, k = 3 still
   * checks identity ≈ 3 times a second, so a swapped face has to vanish within ≈ 0.4 s.
   */
  readonly embedEvery?: number;
}

export const DEFAULT_EMBED_EVERY = 3;

interface Row {
  id: string; subject_id: string | null; nonce_hash: Buffer; actions: ChallengeAction[]; pinned: boolean; state: SessionState;
  attempts: number; result: SessionResult | null; expires_at: Date;
}

const hashNonce = (nonce: string) => createHash('sha256').update(nonce, 'utf8').digest();
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 2 or 3 distinct actions, uniformly shuffled with the CSPRNG (Fisher–Yates). */
export function randomActions(): ChallengeAction[] {
  const pool = [...CHALLENGE_ACTIONS];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, 2 + randomInt(2));
}

function pinnedActions(raw: readonly string[]): ChallengeAction[] {
  if (raw.length < 1 || raw.length > 3) throw faceErrors.actionsInvalid('testActions must hold 1 to 3 actions');
  if (new Set(raw).size !== raw.length) throw faceErrors.actionsInvalid('testActions must be distinct');
  for (const a of raw) if (!CHALLENGE_ACTIONS.includes(a as ChallengeAction)) throw faceErrors.actionsInvalid(`unknown action ${a}`);
  return raw as ChallengeAction[];
}

function view(r: Row, now: Date): SessionView {
  const state: SessionState = r.state === 'pending' && now > r.expires_at ? 'expired' : r.state;
  return Object.freeze({
    id: r.id, state, actions: r.actions, subject: r.subject_id === null ? null : maskSubject(r.subject_id),
    expiresAt: r.expires_at.toISOString(), attempts: r.attempts, result: r.result,
  });
}

export function createSessionService(deps: SessionDeps): SessionService {
  const { engine, pool, clock } = deps;
  const ttl = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const lockout = deps.lockout ?? DEFAULT_LOCKOUT;

  async function lockedUntil(subjectId: string, db: pg.Pool | Tx = pool): Promise<Date | undefined> {
    const since = new Date(clock.now().getTime() - lockout.windowMs);
    const rows = (await db.query<{ finished_at: Date }>(
      `SELECT finished_at FROM face_sessions WHERE subject_id = $1 AND state = 'failed' AND finished_at > $2
       ORDER BY finished_at DESC LIMIT $3`, [subjectId, since, lockout.maxFailures])).rows;
    if (rows.length < lockout.maxFailures) return undefined;
    return new Date(rows[rows.length - 1]!.finished_at.getTime() + lockout.windowMs);
  }

  async function create(input: { readonly subjectId?: string; readonly testActions?: readonly string[] }, actor: string): Promise<CreatedSession> {
    let actions: ChallengeAction[];
    if (input.testActions !== undefined) {
      // Test-only: a fixed sequence lets the browser test replay a recorded clip. Never in production.
      if (!deps.testMode) throw faceErrors.testActionsForbidden();
      actions = pinnedActions(input.testActions);
    } else {
      actions = randomActions();
    }
    const id = randomUUID();
    const nonce = randomBytes(32).toString('base64url');
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + ttl);
    await withTransaction(pool, async (tx) => {
      if (input.subjectId !== undefined) {
        const until = await lockedUntil(input.subjectId, tx);
        if (until) throw faceErrors.subjectLocked(until);
      }
      await tx.query(
        `INSERT INTO face_sessions (id, subject_id, nonce_hash, actions, pinned, state, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)`,
        [id, input.subjectId ?? null, hashNonce(nonce), JSON.stringify(actions), input.testActions !== undefined, actor, now, expiresAt],
      );
      await appendAudit(tx, {
        actor, action: 'face.session.create', subject: `face-session:${id}`,
        details: { subject: input.subjectId === undefined ? null : maskSubject(input.subjectId), actions, pinned: input.testActions !== undefined, expiresAt: expiresAt.toISOString() },
      }, clock);
    });
    return Object.freeze({ id, nonce, actions, expiresAt: expiresAt.toISOString() });
  }

  async function load(db: pg.Pool | Tx, id: string, lock: boolean): Promise<Row> {
    if (!UUID.test(id)) throw faceErrors.sessionNotFound();
    const row = (await db.query<Row>(
      `SELECT id, subject_id, nonce_hash, actions, pinned, state, attempts, result, expires_at FROM face_sessions WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id])).rows[0];
    if (!row) throw faceErrors.sessionNotFound();
    return row;
  }

  function checkNonce(row: Row, nonce: string): void {
    const got = hashNonce(nonce);
    if (got.length !== row.nonce_hash.length || !timingSafeEqual(got, row.nonce_hash)) throw faceErrors.nonceInvalid();
  }

  /** Step 1: claim the session (pending → processing), or say why not. */
  async function claim(id: string, nonce: string, actor: string): Promise<Row> {
    const outcome = await withTransaction(pool, async (tx): Promise<{ row: Row } | { error: KexinError }> => {
      const row = await load(tx, id, true);
      checkNonce(row, nonce);
      if (row.state === 'expired') return { error: faceErrors.sessionExpired() };
      if (row.state !== 'pending') return { error: faceErrors.sessionUsed(row.state) };
      const now = clock.now();
      if (now > row.expires_at) {
        // Recorded (and committed) before the refusal is thrown.
        await tx.query(`UPDATE face_sessions SET state = 'expired', attempts = attempts + 1, finished_at = $2 WHERE id = $1`, [id, now]);
        await appendAudit(tx, { actor, action: 'face.session.expire', subject: `face-session:${id}`, details: { subject: row.subject_id === null ? null : maskSubject(row.subject_id) } }, clock);
        return { error: faceErrors.sessionExpired() };
      }
      if (row.subject_id !== null) {
        const until = await lockedUntil(row.subject_id, tx);
        if (until) return { error: faceErrors.subjectLocked(until) };
      }
      await tx.query(`UPDATE face_sessions SET state = 'processing', attempts = attempts + 1 WHERE id = $1`, [id]);
      return { row: { ...row, state: 'processing', attempts: row.attempts + 1 } };
    });
    if ('error' in outcome) throw outcome.error;
    return outcome.row;
  }

  /** Step 2: per-frame features and the challenge decision; no transaction open. */
  async function evaluate(row: Row, frames: readonly SubmittedFrame[]): Promise<SessionResult> {
    const at = () => clock.now().toISOString();
    const fail = (name: string, reason: string, score: number | null = null, threshold: number | null = null): SessionResult => ({
      passed: false, reasons: [reason], checks: [{ name, passed: false, score, threshold, reason }], frames: frames.length, passive: null, model: deps.modelId, evaluatedAt: at(),
    });
    if (frames.length === 0) return fail('frames', 'TOO_FEW_FRAMES', 0);
    // Cheap checks before any inference: capture times must be finite and strictly increasing.
    for (let i = 0; i < frames.length; i++) {
      if (!Number.isFinite(frames[i]!.capturedAt) || (i > 0 && !(frames[i]!.capturedAt > frames[i - 1]!.capturedAt))) return fail('timestamps', 'TIMES_NOT_INCREASING');
    }
    const features: ChallengeFrame[] = [];
    const every = Math.max(1, Math.floor(deps.embedEvery ?? DEFAULT_EMBED_EVERY));
    for (const [i, f] of frames.entries()) {
      try {
        features.push({ t: f.capturedAt, ...(await engine.frameFeatures(f.image, { embed: i % every === 0 })) });
      } catch (err) {
        if (err instanceof KexinError && err.status < 500) return fail('frame_images', err.code);
        throw err;
      }
    }
    const verdict = evaluateChallenge(row.actions, features, deps.challenge);
    const checks: SessionCheck[] = verdict.checks.map((c: ChallengeCheck) => ({ name: c.name, passed: c.passed, score: finite(c.score), threshold: finite(c.threshold), reason: c.reason }));

    // Proof of life is for THIS subject: if a template is enrolled, frontal frames must match it.
    if (row.subject_id !== null) {
      const template = await deps.templates.load(row.subject_id);
      if (template) {
        const sims = features.filter((f) => f.status === 'OK' && f.embedding && Math.abs(f.yaw) <= 20).map((f) => engine.similarity(f.embedding!, template)).sort((a, b) => a - b);
        const median = sims.length ? sims[sims.length >> 1]! : NaN;
        const threshold = engine.thresholds.match;
        checks.push({ name: 'template_match', passed: median >= threshold, score: finite(median), threshold, reason: median >= threshold ? 'OK' : sims.length ? 'TEMPLATE_MISMATCH' : 'NO_FRONTAL_FRAME' });
      }
    }

    // Passive models on the most frontal frame: recorded as evidence, not decisive (see docs/face-threats.md).
    let passive: SessionResult['passive'] = null;
    const frontal = features.map((f, i) => ({ i, y: f.status === 'OK' ? Math.abs(f.yaw) : Infinity })).sort((a, b) => a.y - b.y)[0];
    if (frontal && Number.isFinite(frontal.y)) {
      const a = await engine.analyze(frames[frontal.i]!.image, { passive: true, embed: false });
      if (a.passive) passive = { live: a.passive.live, score: finite(a.passive.score), threshold: a.passive.threshold };
    }
    const passed = checks.every((c) => c.passed);
    return { passed, reasons: checks.filter((c) => !c.passed).map((c) => c.reason), checks, frames: frames.length, passive, model: deps.modelId, evaluatedAt: at() };
  }

  /** Step 3: record the decision with its audit row. */
  async function finish(row: Row, result: SessionResult, actor: string): Promise<SessionView> {
    return withTransaction(pool, async (tx) => {
      const now = clock.now();
      const state: SessionState = result.passed ? 'passed' : 'failed';
      const updated = await tx.query(`UPDATE face_sessions SET state = $2, result = $3, finished_at = $4 WHERE id = $1 AND state = 'processing'`, [row.id, state, JSON.stringify(result), now]);
      // Reaped as interrupted meanwhile: that ending stands, and no decision is recorded.
      if (updated.rowCount !== 1) throw faceErrors.sessionExpired();
      await appendAudit(tx, {
        actor, action: result.passed ? 'face.session.pass' : 'face.session.fail', subject: `face-session:${row.id}`,
        details: {
          subject: row.subject_id === null ? null : maskSubject(row.subject_id), actions: row.actions, pinned: row.pinned, frames: result.frames,
          checks: result.checks.map((c) => ({ name: c.name, passed: c.passed, score: c.score, threshold: c.threshold, reason: c.reason })),
          passive: result.passive, model: result.model,
        },
      }, clock);
      return view({ ...row, state, result }, now);
    });
  }

  async function submitFrames(id: string, input: { readonly nonce: string; readonly frames: readonly SubmittedFrame[] }, actor: string): Promise<SessionView> {
    if (input.frames.length > MAX_FRAMES) throw new KexinError('FACE_TOO_MANY_FRAMES', `at most ${MAX_FRAMES} frames per session`, 400);
    const row = await claim(id, input.nonce, actor);
    let result: SessionResult;
    try {
      result = await evaluate(row, input.frames);
    } catch (err) {
      // An internal failure still ends the session (single use), recorded as failed.
      await finish(row, { passed: false, reasons: ['INTERNAL_ERROR'], checks: [{ name: 'evaluation', passed: false, score: null, threshold: null, reason: 'INTERNAL_ERROR' }], frames: input.frames.length, passive: null, model: deps.modelId, evaluatedAt: clock.now().toISOString() }, actor).catch(() => {});
      throw err;
    }
    return finish(row, result, actor).then((v) => (countFaceDecision('session', v.state), v));
  }

  async function get(id: string, nonce?: string): Promise<SessionView> {
    const row = await load(pool, id, false);
    if (nonce !== undefined) checkNonce(row, nonce);
    return view(row, clock.now());
  }

  async function reapInterrupted(): Promise<number> {
    return withTransaction(pool, async (tx) => {
      const now = clock.now();
      const stuck = (await tx.query<{ id: string; subject_id: string | null }>(
        `SELECT id, subject_id FROM face_sessions WHERE state = 'processing' AND expires_at < $1 FOR UPDATE SKIP LOCKED`,
        [new Date(now.getTime() - INTERRUPTED_AFTER_MS)])).rows;
      for (const r of stuck) {
        await tx.query(`UPDATE face_sessions SET state = 'expired', finished_at = $2 WHERE id = $1`, [r.id, now]);
        await appendAudit(tx, { actor: 'system', action: 'face.session.interrupted', subject: `face-session:${r.id}`, details: { subject: r.subject_id === null ? null : maskSubject(r.subject_id) } }, clock);
      }
      return stuck.length;
    });
  }

  async function consume(tx: Tx, id: string, expect: { readonly subjectId: string; readonly maxAgeMs: number; readonly purpose: string }, actor: string): Promise<SessionEvidence> {
    if (!UUID.test(id)) throw faceErrors.sessionNotFound();
    const row = (await tx.query<Row & { finished_at: Date | null; consumed_at: Date | null }>(
      'SELECT id, subject_id, actions, state, result, finished_at, consumed_at FROM face_sessions WHERE id = $1 FOR UPDATE', [id])).rows[0];
    if (!row) throw faceErrors.sessionNotFound();
    if (row.subject_id === null || row.subject_id !== expect.subjectId) throw faceErrors.sessionSubjectMismatch();
    if (row.state !== 'passed' || !row.result?.passed || !row.finished_at) throw faceErrors.sessionNotPassed(row.state);
    if (row.consumed_at !== null) throw faceErrors.sessionConsumed();
    const now = clock.now();
    if (now.getTime() - row.finished_at.getTime() > expect.maxAgeMs) throw faceErrors.sessionStale();
    await tx.query('UPDATE face_sessions SET consumed_at = $2, consumed_for = $3 WHERE id = $1', [id, now, expect.purpose]);
    await appendAudit(tx, { actor, action: 'face.session.consume', subject: `face-session:${id}`, details: { subject: maskSubject(row.subject_id), purpose: expect.purpose } }, clock);
    return Object.freeze({ sessionId: id, passedAt: row.finished_at.toISOString(), actions: row.actions, model: row.result.model });
  }

  return Object.freeze({ create, submitFrames, get, lockedUntil, reapInterrupted, consume });
}
