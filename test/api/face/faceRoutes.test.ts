/**
 * The face API over the whole service (in-process, `app.inject`): the real engine, image decoding
 * and challenge evaluation on top of fake networks (fakeFaceModels.ts) — decisions on real faces
 * are the e2e test's job. Here: auth, schemas, limits, problem documents, hostile inputs.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../src/audit/auditLog.ts';
import { fixedClock } from '../../../src/clock.ts';
import { createFakeFaceModels, type FakeDetection } from '../../support/fakeFaceModels.ts';
import { faceModule as createFaceModule } from '../../../src/modules.ts';
import { startTestService, type TestService } from '../../support/service.ts';
import { KexinError } from '../../../src/errors.ts';
import { EMBEDDING_SIZE } from '../../../src/liveness/faceModels.ts';

const MESH = Float32Array.from(JSON.parse(readFileSync(new URL('../../liveness/fixtures/mesh-frontal.json', import.meta.url), 'utf8')).mesh as number[]);
const face: FakeDetection = { cx: 64, cy: 64, w: 50, h: 50, score: 0.95 };
const faceModule = () => createFaceModule({ loadModels: async () => createFakeFaceModels({ detections: [face], mesh: MESH }), thresholds: { quality: { minInterEyePx: 10 } } });

async function noiseJpeg(w: number, h: number, seed = 1): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) & 0x7fffffff; data[i] = 60 + ((s >> 8) % 120); }
  return sharp(data, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('face routes', () => {
  let svc: TestService;
  let jpeg: Buffer;
  beforeAll(async () => {
    svc = await startTestService({ modules: [faceModule()] });
    jpeg = await noiseJpeg(320, 320);
  });
  afterAll(async () => { await svc?.stop(); });
  const post = (url: string, payload: unknown, headers: Record<string, string> = svc.auth) => svc.app.inject({ method: 'POST', url, payload: payload as object, headers });
  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, code });
  };

  it('requires the operator token for verify, templates, liveness and session creation', async () => {
    for (const url of ['/face/verify', '/face/templates', '/face/liveness', '/face/sessions']) {
      expectProblem(await post(url, {}, {}), 401, 'AUTH_REQUIRED');
    }
  });

  it('verifies a pair and answers with score, threshold, quality and reasons', async () => {
    const res = await post('/face/verify', { probe: b64(jpeg), reference: b64(jpeg) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ threshold: expect.any(Number), quality: { probe: { passed: expect.any(Boolean) }, reference: { passed: expect.any(Boolean) } } });
    expect(body.score).toBeCloseTo(1, 5);
    expect(body.match).toBe(body.reasons.length === 0);
  });

  it('enrols an encrypted template and verifies against it by subject id', async () => {
    const enrol = await post('/face/templates', { subjectId: '110101195001011234', image: b64(jpeg) });
    expect(enrol.statusCode).toBe(201);
    expect(enrol.json()).toMatchObject({ enrolled: true, replaced: false });
    const row = (await svc.ctx.db.pool.query('SELECT ciphertext, key_id FROM face_templates')).rows[0];
    expect(row.ciphertext.length).toBe(EMBEDDING_SIZE * 4);
    const res = await post('/face/verify', { probe: b64(jpeg), subjectId: '110101195001011234' });
    expect(res.statusCode).toBe(200);
    expect(res.json().score).toBeCloseTo(1, 5);
    expectProblem(await post('/face/verify', { probe: b64(jpeg), subjectId: 'nobody' }), 404, 'FACE_TEMPLATE_NOT_FOUND');
    const audit = JSON.stringify((await svc.ctx.db.pool.query("SELECT subject, details FROM audit_log WHERE action LIKE 'face.%'")).rows);
    expect(audit).not.toContain('110101195001011234');
    expect(audit).toContain('110***********1234');
  });

  it('answers passive liveness', async () => {
    const res = await post('/face/liveness', { image: b64(jpeg) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ live: expect.any(Boolean), threshold: expect.any(Number), reasons: expect.any(Array) });
  });

  it('turns hostile images into 4xx problems, never a 500', async () => {
    expectProblem(await post('/face/liveness', { image: b64(Buffer.from('definitely not an image')) }), 422, 'FACE_IMAGE_INVALID');
    expectProblem(await post('/face/liveness', { image: b64(jpeg.subarray(0, jpeg.length >> 1)) }), 422, 'FACE_IMAGE_INVALID');
    expectProblem(await post('/face/liveness', { image: 'not base64 at all!' }), 422, 'FACE_IMAGE_INVALID');
    const bomb = await sharp({ create: { width: 20_000, height: 20_000, channels: 3, background: '#777' }, limitInputPixels: false }).png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(2_000_000);
    expectProblem(await post('/face/verify', { probe: b64(bomb), reference: b64(jpeg) }), 413, 'FACE_IMAGE_TOO_LARGE');
    expectProblem(await post('/face/liveness', { image: b64(jpeg), extra: 1 }), 400, 'REQUEST_INVALID');
    expectProblem(await post('/face/verify', { probe: b64(jpeg) }), 400, 'REQUEST_INVALID');
    expectProblem(await post('/face/verify', { probe: b64(jpeg), reference: b64(jpeg), subjectId: 'a' }), 400, 'REQUEST_INVALID');
    const huge = 'A'.repeat(30 * 1024 * 1024);
    expectProblem(await svc.app.inject({ method: 'POST', url: '/face/sessions/00000000-0000-4000-8000-000000000000/frames', headers: { 'content-type': 'application/json' }, payload: `{"nonce":"${huge}"}` }), 413, 'REQUEST_TOO_LARGE');
    expectProblem(await post('/face/liveness', { image: huge.slice(0, 9 * 1024 * 1024) }), 413, 'REQUEST_TOO_LARGE');
    expect((await svc.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('runs a session through its capability: frames, status, single use, hostile frames', async () => {
    const created = await post('/face/sessions', { testActions: ['blink', 'nod'] });
    expect(created.statusCode).toBe(201);
    const s = created.json();
    expect(s).toMatchObject({ id: expect.any(String), nonce: expect.any(String), actions: ['blink', 'nod'] });
    const url = `/face/sessions/${s.id}`;
    expectProblem(await svc.app.inject({ method: 'GET', url }), 401, 'AUTH_REQUIRED');
    expectProblem(await svc.app.inject({ method: 'GET', url, headers: { 'x-face-nonce': 'wrong-nonce-wrong-nonce' } }), 403, 'FACE_NONCE_INVALID');
    const st = await svc.app.inject({ method: 'GET', url, headers: { 'x-face-nonce': s.nonce } });
    expect(st.statusCode).toBe(200);
    expect(st.json()).toMatchObject({ state: 'pending', result: null });

    // 12 distinct frames, the same face geometry: the challenge fails (no blink, no motion) with reasons, no 500
    const frames = await Promise.all(Array.from({ length: 12 }, async (_, i) => ({ image: b64(await noiseJpeg(240, 240, i + 2)), capturedAt: 1000 + i * 100 })));
    expectProblem(await post(`${url}/frames`, { nonce: 'x'.repeat(43), frames }, {}), 403, 'FACE_NONCE_INVALID');
    const res = await post(`${url}/frames`, { nonce: s.nonce, frames }, {});
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'failed', result: { passed: false, frames: 12 } });
    expect(res.json().result.reasons).toEqual(expect.arrayContaining(['STILL_IMAGE']));
    expectProblem(await post(`${url}/frames`, { nonce: s.nonce, frames }, {}), 409, 'FACE_SESSION_USED');
    const byOperator = await svc.app.inject({ method: 'GET', url, headers: svc.auth });
    expect(byOperator.json().state).toBe('failed');

    // out-of-order capture times and an undecodable frame: failed results with their reason codes
    const s2 = (await post('/face/sessions', { testActions: ['blink'] })).json();
    const rev = (await post(`/face/sessions/${s2.id}/frames`, { nonce: s2.nonce, frames: [...frames].reverse() }, {})).json();
    expect(rev.result.reasons).toEqual(['TIMES_NOT_INCREASING']);
    const s3 = (await post('/face/sessions', { testActions: ['blink'] })).json();
    const bad = [...frames.slice(0, 5), { image: b64(jpeg.subarray(0, 100)), capturedAt: 99_999 }];
    const r3 = (await post(`/face/sessions/${s3.id}/frames`, { nonce: s3.nonce, frames: bad }, {})).json();
    expect(r3).toMatchObject({ state: 'failed', result: { reasons: ['FACE_IMAGE_INVALID'] } });

    expectProblem(await post('/face/sessions/not-a-uuid/frames', { nonce: s.nonce, frames }, {}), 400, 'REQUEST_INVALID');
    expectProblem(await post('/face/sessions/00000000-0000-4000-8000-000000000000/frames', { nonce: s.nonce, frames }, {}), 404, 'FACE_SESSION_NOT_FOUND');
    expectProblem(await post('/face/sessions', { testActions: ['blink', 'blink'] }), 400, 'FACE_ACTIONS_INVALID');
    expectProblem(await post('/face/sessions', { testActions: ['smile'] }), 400, 'REQUEST_INVALID');
    expect((await verifyAuditChain(svc.ctx.db.pool)).ok).toBe(true);
  });

  it('serves the face page with a strict CSP, and nothing else from web/', async () => {
    const page = await svc.app.inject({ method: 'GET', url: '/face/ui/face.html' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('face.js');
    expect((await svc.app.inject({ method: 'GET', url: '/face/ui/face.js' })).statusCode).toBe(200);
    expect((await svc.app.inject({ method: 'GET', url: '/face/ui/../package.json' })).statusCode).toBe(404);
  });
});

describe('face routes outside test mode', () => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService({ modules: [faceModule()], env: { NODE_ENV: 'production' } }); });
  afterAll(async () => { await svc?.stop(); });

  it('refuses pinned challenge actions', async () => {
    expect(svc.ctx.config.testMode).toBe(false);
    const res = await svc.app.inject({ method: 'POST', url: '/face/sessions', headers: svc.auth, payload: { testActions: ['blink'] } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'FACE_TEST_ACTIONS_FORBIDDEN' });
    const ok = await svc.app.inject({ method: 'POST', url: '/face/sessions', headers: svc.auth, payload: {} });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().actions.length).toBeGreaterThanOrEqual(2);
  });
});

describe('face module whose models cannot be loaded', () => {
  let svc: TestService;
  beforeAll(async () => {
    const missing = async (): Promise<never> => { throw new KexinError('FACE_MODELS_MISSING', 'no models', 503); };
    svc = await startTestService({ modules: [createFaceModule({ loadModels: missing })] });
  });
  afterAll(async () => { await svc?.stop(); });

  it('starts, and face routes answer 503 FACE_MODELS_MISSING', async () => {
    const res = await svc.app.inject({ method: 'POST', url: '/face/sessions', headers: svc.auth, payload: {} });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'FACE_MODELS_MISSING' });
  });
});

describe('face sessions over HTTP: expiry and lockout', () => {
  let svc: TestService;
  const clock = fixedClock('2026-11-23T09:00:00Z');
  beforeAll(async () => {
    svc = await startTestService({
      clock,
      modules: [createFaceModule({
        loadModels: async () => createFakeFaceModels({ detections: [face], mesh: MESH }),
        thresholds: { quality: { minInterEyePx: 10 } },
        lockout: { maxFailures: 2, windowMs: 60_000 },
      })],
    });
  });
  afterAll(async () => { await svc?.stop(); });
  const post = (url: string, payload: unknown, headers: Record<string, string> = svc.auth) => svc.app.inject({ method: 'POST', url, payload: payload as object, headers });

  it('answers 410 for an expired session and 423 for a locked subject', async () => {
    const frames = await Promise.all(Array.from({ length: 10 }, async (_, i) => ({ image: b64(await noiseJpeg(160, 160, i + 20)), capturedAt: 5000 + i * 100 })));
    const late = (await post('/face/sessions', { subjectId: 'pensioner-1' })).json();
    clock.advance(60_001);
    const gone = await post(`/face/sessions/${late.id}/frames`, { nonce: late.nonce, frames }, {});
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ code: 'FACE_SESSION_EXPIRED' });
    for (let i = 0; i < 2; i++) {
      const s = (await post('/face/sessions', { subjectId: 'pensioner-1' })).json();
      expect((await post(`/face/sessions/${s.id}/frames`, { nonce: s.nonce, frames }, {})).json().state).toBe('failed');
    }
    const locked = await post('/face/sessions', { subjectId: 'pensioner-1' });
    expect(locked.statusCode).toBe(423);
    expect(locked.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(locked.json()).toMatchObject({ code: 'FACE_SUBJECT_LOCKED', lockedUntil: expect.any(String) });
    expect((await post('/face/sessions', { subjectId: 'pensioner-2' })).statusCode).toBe(201);
    clock.advance(60_001);
    expect((await post('/face/sessions', { subjectId: 'pensioner-1' })).statusCode).toBe(201);
  });
});
