/**
 * The e-card API over the whole service in-process (`app.inject`): scopes before bodies, schemas and
 * limits, problem documents, the cacheable status list, the trust bundle, and the page's files. The
 * face module runs the real pipeline on fake networks, so a reference photo really becomes an
 * encrypted template. Domain behaviour in depth: test/ecard.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../src/audit/auditLog.ts';
import { auditModule, caModule, ecardModule, faceModule, personsModule } from '../../../src/modules.ts';
import * as holder from '../../../src/ecard/holder/ecardHolder.js';
import { createFakeFaceModels } from '../../support/fakeFaceModels.ts';
import { idNumber } from '../../support/idNumbers.ts';
import { startTestService, type TestService } from '../../support/service.ts';

const MESH = Float32Array.from(JSON.parse(readFileSync(new URL('../../liveness/fixtures/mesh-frontal.json', import.meta.url), 'utf8')).mesh as number[]);

describe('e-card routes', () => {
  let svc: TestService;
  let photo: string;
  beforeAll(async () => {
    svc = await startTestService({
      modules: [auditModule(), caModule(), faceModule({ loadModels: async () => createFakeFaceModels({ detections: [{ cx: 64, cy: 64, w: 50, h: 50, score: 0.95 }], mesh: MESH }), thresholds: { quality: { minInterEyePx: 10 } } }), personsModule(), ecardModule()],
      env: { KEXIN_PUBLIC_URL: 'https://kexin.example.gov.cn', KEXIN_ECARD_CHANNELS: 'hrss-app:hrss:掌上人社;icbc:bank:ICBC Mobile' },
    });
    const raw = Buffer.alloc(320 * 320 * 3);
    let s = 7;
    for (let i = 0; i < raw.length; i++) { s = (s * 1103515245 + 12345) & 0x7fffffff; raw[i] = 60 + ((s >> 8) % 120); }
    photo = (await sharp(raw, { raw: { width: 320, height: 320, channels: 3 } }).jpeg().toBuffer()).toString('base64');
  });
  afterAll(async () => { await svc?.stop(); });

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = svc.auth) =>
    svc.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const problem = (res: { statusCode: number; headers: Record<string, unknown>; json(): { type: string; code: string } }, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code, type: `urn:kexin:problem:${code.toLowerCase().replaceAll('_', '-')}` });
  };
  const holderBody = (n: number, extra: Record<string, unknown> = {}) => ({ name: `持卡人${n}`, idNumber: idNumber(n), cardNumber: `C0000${String(n).padStart(4, '0')}`, region: '440305', ...extra });
  async function claim(holderId: string, channelId = 'hrss-app') {
    const device = await holder.generateDeviceKey();
    const jwk = await holder.deviceJwk(device.publicKey);
    const { nonce } = (await call('POST', '/ecard/claims/nonce')).json();
    const proof = await holder.signClaimProof({ privateKey: device.privateKey, jwk, audience: 'https://kexin.example.gov.cn/ecard', nonce });
    return { res: await call('POST', '/ecard/claims', { holderId, channelId, deviceJwk: jwk, proof }), device };
  }

  it('asks who is calling before reading the body; status lists and the trust bundle are public', async () => {
    for (const [method, url] of [['POST', '/ecard/holders'], ['POST', '/ecard/claims'], ['POST', '/ecard/claims/nonce'], ['POST', '/ecard/verify'], ['GET', '/ecard/holders/00000000-0000-4000-8000-000000000000/channels']] as const) {
      problem(await call(method, url, { junk: 'x'.repeat(10) }, {}), 401, 'AUTH_REQUIRED');
    }
    const trust = await call('GET', '/ecard/trust', undefined, {});
    expect(trust.statusCode).toBe(200);
    expect(trust.json()).toMatchObject({ issuers: [{ alg: 'ES256', certificatePem: expect.stringContaining('BEGIN CERTIFICATE') }], anchorsPem: expect.stringContaining('BEGIN CERTIFICATE'), statusListTtl: 300 });
    problem(await call('GET', '/ecard/status/999', undefined, {}), 404, 'ECARD_STATUS_LIST_NOT_FOUND');
    problem(await call('GET', '/ecard/status/abc', undefined, {}), 400, 'REQUEST_INVALID');
  });

  it('creates a holder with a reference photo enrolled as an encrypted template, and refuses bad holders', async () => {
    const res = await call('POST', '/ecard/holders', holderBody(1, { photo }));
    expect(res.statusCode).toBe(201);
    const { holderId, card } = res.json();
    expect(card).toMatchObject({ state: 'active', cardNumberMasked: 'C000*0001' });
    const view = (await call('GET', `/ecard/holders/${holderId}`)).json();
    expect(view.holder).toMatchObject({ templateEnrolled: true, idNumberMasked: `4403**********${idNumber(1).slice(-4)}`, photoSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await svc.ctx.db.pool.query('SELECT count(*)::int AS n FROM face_templates WHERE subject_id = $1', [holderId])).rows[0].n).toBe(1);
    const bad = idNumber(2).slice(0, 17) + (idNumber(2)[17] === '0' ? '1' : '0');
    problem(await call('POST', '/ecard/holders', holderBody(2, { idNumber: bad })), 400, 'PERSON_ID_NUMBER_CHECKSUM');
    problem(await call('POST', '/ecard/holders', holderBody(2, { region: '990000' })), 400, 'PERSON_REGION_PROVINCE');
    problem(await call('POST', '/ecard/holders', holderBody(2, { extra: 1 })), 400, 'REQUEST_INVALID');
    problem(await call('POST', '/ecard/holders', holderBody(2, { photo: 'not base64!' })), 422, 'FACE_IMAGE_INVALID');
    problem(await call('POST', '/ecard/holders', holderBody(2, { photo: Buffer.from('not an image at all').toString('base64') })), 422, 'FACE_IMAGE_INVALID');
    problem(await svc.app.inject({ method: 'POST', url: '/ecard/holders', headers: { ...svc.auth, 'content-type': 'application/json' }, payload: `{"photo":"${'A'.repeat(9 * 1024 * 1024)}"}` }), 413, 'REQUEST_TOO_LARGE');
    expect((await svc.ctx.db.pool.query('SELECT count(*)::int AS n FROM persons')).rows[0].n).toBe(1);
  });

  it('claims through the API, verifies a QR code online once, and publishes a cacheable status list', async () => {
    const { holderId, card } = (await call('POST', '/ecard/holders', holderBody(3))).json();
    problem((await claim(holderId, 'unknown-channel')).res, 422, 'ECARD_CHANNEL_UNKNOWN');
    const { res, device } = await claim(holderId);
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({ cardId: card.id, evidence: 'operator', channel: { id: 'hrss-app', class: 'hrss' }, statusList: { id: 1, uri: 'https://kexin.example.gov.cn/ecard/status/1' } });
    const qr = await holder.makeDynamicQr({ cardToken: c.cardToken, privateKey: device.privateKey, purpose: 'medical' });
    const v = await call('POST', '/ecard/verify', { qr, purpose: 'medical' });
    expect(v.json()).toMatchObject({ valid: true, format: 'qr', purpose: 'medical', card: { state: 'valid' } });
    expect((await call('POST', '/ecard/verify', { qr })).json()).toMatchObject({ valid: false, reasons: ['NONCE_REPLAYED'] });
    expect((await call('POST', '/ecard/verify', { qr: 'KX1:garbage' })).json()).toMatchObject({ valid: false, reasons: ['MALFORMED'] });
    problem(await call('POST', '/ecard/verify', { qr, presentation: 'x' }), 400, 'REQUEST_INVALID');

    const list = await call('GET', '/ecard/status/1', undefined, {});
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-type']).toMatch(/^application\/statuslist\+jwt/);
    expect(list.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
    expect((await call('GET', '/ecard/status/1', undefined, { 'if-none-match': String(list.headers.etag) })).statusCode).toBe(304);

    // Suspension: the online verifier sees it at once, the published list changes (new ETag).
    expect((await call('POST', `/ecard/cards/${card.id}/suspend`, { reason: 'lost' })).json()).toMatchObject({ state: 'suspended' });
    const qr2 = await holder.makeDynamicQr({ cardToken: c.cardToken, privateKey: device.privateKey });
    expect((await call('POST', '/ecard/verify', { qr: qr2 })).json()).toMatchObject({ valid: false, reasons: ['CARD_SUSPENDED'] });
    expect((await call('GET', '/ecard/status/1', undefined, {})).headers.etag).not.toBe(list.headers.etag);
    problem(await call('POST', `/ecard/cards/${card.id}/suspend`, {}), 409, 'ECARD_TRANSITION_REFUSED');
    expect((await call('POST', `/ecard/cards/${card.id}/resume`)).json()).toMatchObject({ state: 'active' });
    problem(await call('POST', `/ecard/cards/${card.id}/revoke`, { reason: 'stolen' }), 400, 'REQUEST_INVALID');

    expect((await call('GET', `/ecard/holders/${holderId}/channels`)).json().channels).toMatchObject([{ channelId: 'hrss-app', name: '掌上人社' }]);
    expect((await call('DELETE', `/ecard/holders/${holderId}/channels/hrss-app`)).json()).toEqual({ withdrawn: 1 });
    problem(await call('DELETE', `/ecard/holders/${holderId}/channels/hrss-app`), 404, 'ECARD_CHANNEL_NOT_HELD');
    const reissued = await call('POST', `/ecard/cards/${card.id}/reissue`, { cardNumber: 'D00000003' });
    expect(reissued.statusCode).toBe(201);
    expect(reissued.json()).toMatchObject({ state: 'active', replaces: card.id });
  });

  it('records family management with consent', async () => {
    const a = (await call('POST', '/ecard/holders', holderBody(4))).json();
    const b = (await call('POST', '/ecard/holders', holderBody(5))).json();
    const added = await call('POST', `/ecard/holders/${a.holderId}/family`, { memberId: b.holderId, relation: 'parent', consent: { method: 'signed_form', reference: 'F-2026-0001' } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ relation: 'parent', consent: { method: 'signed_form', recordedBy: expect.stringMatching(/^operator:/) } });
    expect((await call('GET', `/ecard/holders/${a.holderId}/family`)).json().members).toHaveLength(1);
    expect((await call('DELETE', `/ecard/holders/${a.holderId}/family/${b.holderId}`)).statusCode).toBe(204);
    problem(await call('POST', `/ecard/holders/${a.holderId}/family`, { memberId: a.holderId, relation: 'parent', consent: { method: 'counter', reference: 'x' } }), 400, 'PERSON_FAMILY_SELF');
  });

  it('serves the holder/verifier page, the holder library and the QR libraries, with a strict CSP', async () => {
    for (const path of ['/ecard/ui/ecard.html', '/ecard/ui/ecard.js', '/ecard/ui/ecard.css']) {
      const r = await call('GET', path, undefined, {});
      expect(r.statusCode, path).toBe(200);
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    }
    for (const path of ['/ecard/ui/vendor/jsQR.js', '/ecard/ui/vendor/uqr.mjs', '/ecard/ui/vendor/ecard-holder.js']) expect((await call('GET', path, undefined, {})).statusCode, path).toBe(200);
    expect((await call('GET', '/ecard/ui/vendor/other.js', undefined, {})).statusCode).toBe(404);
    expect((await call('GET', '/ecard/ui/../../package.json', undefined, {})).statusCode).toBe(404);
    expect((await verifyAuditChain(svc.ctx.db.pool)).ok).toBe(true);
  });
});
