import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/auditLog.ts';
import { fixedClock } from '../../src/clock.ts';
import { CHALLENGE_ACTIONS } from '../../src/liveness/challenge.ts';
import { createFaceService, type FaceService } from '../../src/liveness/faceService.ts';
import { maskSubject } from '../../src/liveness/maskSubject.ts';
import { randomActions } from '../../src/liveness/sessions.ts';
import { createTemplateCipher } from '../../src/liveness/templateCipher.ts';
import { dataKeyFromBytes } from '../../src/crypto/dataKeys.ts';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/database.ts';
import { createScriptedEngine, personEmbedding, scriptedFrames } from './scriptedEngine.ts';

const ID_NUMBER = '110101195001011234';

describe('maskSubject', () => {
  it('masks ID-number-like subject ids to first 3 + last 4, leaves opaque ids', () => {
    expect(maskSubject(ID_NUMBER)).toBe('110***********1234');
    expect(maskSubject('11010119500101123X')).toBe('110***********123X');
    expect(maskSubject('user-7f3a')).toBe('user-7f3a');
    expect(maskSubject('acct:123456789')).toBe('acc*******6789');
  });
});

describe('template cipher', () => {
  it('round-trips embeddings bound to the subject, and only under its own data key', () => {
    const c = createTemplateCipher(dataKeyFromBytes('face-template', randomBytes(32)));
    const emb = personEmbedding(3);
    const sealed = c.seal('alice', emb);
    expect(Array.from(c.open('alice', sealed))).toEqual(emb);
    expect(() => c.open('bob', sealed)).toThrow();
    expect(() => createTemplateCipher(dataKeyFromBytes('face-template', randomBytes(32))).open('alice', sealed)).toThrow();
    const tampered = { ...sealed, ciphertext: Buffer.from(sealed.ciphertext) };
    tampered.ciphertext[0]! ^= 1;
    expect(() => c.open('alice', tampered)).toThrow();
  });
});

describe('random challenge actions', () => {
  it('are 2 or 3 distinct known actions, and vary', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const a = randomActions();
      expect(a.length === 2 || a.length === 3).toBe(true);
      expect(new Set(a).size).toBe(a.length);
      for (const x of a) expect(CHALLENGE_ACTIONS).toContain(x);
      seen.add(a.join(','));
    }
    expect(seen.size).toBeGreaterThan(20);
  });
});

describe('face sessions (scripted engine, real challenge evaluator, real database)', () => {
  let db: TestDatabase;
  let svc: FaceService;
  let prodSvc: FaceService;
  const clock = fixedClock('2026-11-23T08:00:00Z');
  const cipher = createTemplateCipher(dataKeyFromBytes('face-template', randomBytes(32)));
  beforeAll(async () => {
    db = await createTestDatabase();
    const deps = { engine: createScriptedEngine(), pool: db.pool, clock, cipher, modelId: 'scripted', lockout: { maxFailures: 3, windowMs: 15 * 60_000 } };
    svc = createFaceService({ ...deps, testMode: true });
    prodSvc = createFaceService({ ...deps, testMode: false });
  });
  afterAll(async () => { await db?.close(); });

  it('passes a session whose frames show the pinned actions, once', async () => {
    const s = await svc.sessions.create({ testActions: ['blink', 'turn_left'] }, 'operator:t');
    expect(s.actions).toEqual(['blink', 'turn_left']);
    expect(new Date(s.expiresAt).getTime() - clock.now().getTime()).toBe(60_000);
    const v = await svc.sessions.submitFrames(s.id, { nonce: s.nonce, frames: scriptedFrames(['blink', 'turn_left']) }, 'face-session');
    expect(v.state).toBe('passed');
    expect(v.result!.passed).toBe(true);
    expect(v.result!.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['frames', 'timestamps', 'motion', 'same_person', 'action[0]:blink', 'action[1]:turn_left']));
    expect(v.result!.passive).toMatchObject({ live: true });
    // single use
    await expect(svc.sessions.submitFrames(s.id, { nonce: s.nonce, frames: scriptedFrames(['blink', 'turn_left']) }, 'x')).rejects.toMatchObject({ code: 'FACE_SESSION_USED', status: 409 });
    expect((await svc.sessions.get(s.id, s.nonce)).state).toBe('passed');
  });

  it('fails actions that were not performed, out of order, or by another person', async () => {
    const s = await svc.sessions.create({ testActions: ['blink', 'open_mouth'] }, 'operator:t');
    const v = await svc.sessions.submitFrames(s.id, { nonce: s.nonce, frames: scriptedFrames(['blink', 'nod']) }, 'x');
    expect(v.state).toBe('failed');
    expect(v.result!.reasons).toContain('MOUTH_NOT_OPENED');

    const s2 = await svc.sessions.create({ testActions: ['turn_right', 'blink'] }, 'operator:t');
    const v2 = await svc.sessions.submitFrames(s2.id, { nonce: s2.nonce, frames: scriptedFrames(['turn_right', 'blink'], { swapAt: 8 }) }, 'x');
    expect(v2.result!.reasons).toEqual(['DIFFERENT_PERSON']);

    const s3 = await svc.sessions.create({ testActions: ['blink'] }, 'operator:t');
    const frames = scriptedFrames(['blink']);
    [frames[3], frames[4]] = [frames[4]!, frames[3]!];
    const v3 = await svc.sessions.submitFrames(s3.id, { nonce: s3.nonce, frames }, 'x');
    expect(v3.result!.reasons).toEqual(['TIMES_NOT_INCREASING']);
  });

  it('refuses a wrong nonce without consuming the session, and an expired session', async () => {
    const s = await svc.sessions.create({ testActions: ['nod'] }, 'operator:t');
    await expect(svc.sessions.submitFrames(s.id, { nonce: 'x'.repeat(43), frames: scriptedFrames(['nod']) }, 'x')).rejects.toMatchObject({ code: 'FACE_NONCE_INVALID' });
    await expect(svc.sessions.get(s.id, 'y'.repeat(43))).rejects.toMatchObject({ code: 'FACE_NONCE_INVALID' });
    expect((await svc.sessions.get(s.id)).state).toBe('pending');
    clock.advance(61_000);
    expect((await svc.sessions.get(s.id)).state).toBe('expired');
    await expect(svc.sessions.submitFrames(s.id, { nonce: s.nonce, frames: scriptedFrames(['nod']) }, 'x')).rejects.toMatchObject({ code: 'FACE_SESSION_EXPIRED', status: 410 });
    await expect(svc.sessions.submitFrames(s.id, { nonce: s.nonce, frames: scriptedFrames(['nod']) }, 'x')).rejects.toMatchObject({ code: 'FACE_SESSION_EXPIRED' });
    await expect(svc.sessions.get('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'FACE_SESSION_NOT_FOUND', status: 404 });
  });

  it('refuses pinned actions outside test mode', async () => {
    await expect(prodSvc.sessions.create({ testActions: ['blink'] }, 'operator:t')).rejects.toMatchObject({ code: 'FACE_TEST_ACTIONS_FORBIDDEN', status: 403 });
    const s = await prodSvc.sessions.create({}, 'operator:t');
    expect(s.actions.length).toBeGreaterThanOrEqual(2);
  });

  it('checks the enrolled template and locks a subject after repeated failures', async () => {
    const subject = ID_NUMBER;
    const sealed = cipher.seal(subject, personEmbedding(0));
    const { withTransaction } = await import('../../src/db/transaction.ts');
    await withTransaction(db.pool, (tx) => svc.templates.store(tx, subject, sealed, 'scripted', clock.now()));
    const ok = await svc.sessions.create({ subjectId: subject, testActions: ['blink'] }, 'operator:t');
    const v = await svc.sessions.submitFrames(ok.id, { nonce: ok.nonce, frames: scriptedFrames(['blink']) }, 'x');
    expect(v.state).toBe('passed');
    expect(v.subject).toBe('110***********1234');
    expect(v.result!.checks.find((c) => c.name === 'template_match')).toMatchObject({ passed: true });
    for (let i = 0; i < 3; i++) {
      const s = await svc.sessions.create({ subjectId: subject, testActions: ['blink'] }, 'operator:t');
      const r = await svc.sessions.submitFrames(s.id, { nonce: s.nonce, frames: scriptedFrames(['blink'], { person: 1 }) }, 'x');
      expect(r.result!.reasons).toContain('TEMPLATE_MISMATCH');
    }
    await expect(svc.sessions.create({ subjectId: subject }, 'operator:t')).rejects.toMatchObject({ code: 'FACE_SUBJECT_LOCKED', status: 423 });
    clock.advance(15 * 60_000 + 1);
    await expect(svc.sessions.create({ subjectId: subject }, 'operator:t')).resolves.toMatchObject({ id: expect.any(String) });
  });

  it('audits every decision with scores, masked subjects, and no images or embeddings', async () => {
    const rows = (await db.pool.query<{ action: string; subject: string | null; details: Record<string, unknown> }>("SELECT action, subject, details FROM audit_log WHERE action LIKE 'face.%' ORDER BY seq")).rows;
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['face.session.create', 'face.session.pass', 'face.session.fail', 'face.session.expire']) expect(actions).toContain(a);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(ID_NUMBER);
    expect(text).not.toContain('"ear"'); // frame content
    const fail = rows.find((r) => r.action === 'face.session.fail')!;
    expect((fail.details.checks as { score: unknown; threshold: unknown }[]).every((c) => 'score' in c && 'threshold' in c)).toBe(true);
    expect((await verifyAuditChain(db.pool)).ok).toBe(true);
  });
});

describe('face sessions interrupted mid-evaluation', () => {
  let db: TestDatabase;
  const clock = fixedClock('2026-11-23T09:00:00Z');
  beforeAll(async () => { db = await createTestDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('are ended as expired (not failed: no step towards a lockout), audited, and a late decision is refused', async () => {
    const base = createScriptedEngine();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let started!: () => void;
    const evaluating = new Promise<void>((r) => { started = r; });
    // An engine whose evaluation hangs until released: the process "died" while it hung.
    const engine = { ...base, frameFeatures: async (...args: Parameters<typeof base.frameFeatures>) => { started(); await gate; return base.frameFeatures(...args); } };
    const svc = createFaceService({ engine, pool: db.pool, clock, cipher: createTemplateCipher(dataKeyFromBytes('face-template', randomBytes(32))), modelId: 'scripted', testMode: true, lockout: { maxFailures: 1, windowMs: 60 * 60_000 } });
    const s = await svc.sessions.create({ subjectId: ID_NUMBER, testActions: ['blink', 'turn_left'] }, 'operator:t');
    const submitted = svc.sessions.submitFrames(s.id, { nonce: s.nonce, frames: scriptedFrames(['blink', 'turn_left']) }, 'face-session');
    await evaluating;
    expect((await svc.sessions.get(s.id)).state).toBe('processing');

    expect(await svc.sessions.reapInterrupted()).toBe(0); // not yet: it may still be evaluating
    clock.advance(60_000 + 11 * 60_000);
    expect(await svc.sessions.reapInterrupted()).toBe(1);
    expect(await svc.sessions.reapInterrupted()).toBe(0);
    expect((await svc.sessions.get(s.id)).state).toBe('expired');
    const audit = await db.pool.query("SELECT details FROM audit_log WHERE action = 'face.session.interrupted' AND subject = $1", [`face-session:${s.id}`]);
    expect(audit.rows.map((r) => r.details)).toEqual([{ subject: maskSubject(ID_NUMBER) }]);
    expect(await svc.sessions.lockedUntil(ID_NUMBER)).toBeUndefined();

    release();
    await expect(submitted).rejects.toMatchObject({ code: 'FACE_SESSION_EXPIRED' });
    expect((await svc.sessions.get(s.id)).state).toBe('expired');
    const decisions = await db.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE action IN ('face.session.pass', 'face.session.fail') AND subject = $1", [`face-session:${s.id}`]);
    expect(decisions.rows[0].n).toBe(0);
    expect((await verifyAuditChain(db.pool)).ok).toBe(true);
  });
});
