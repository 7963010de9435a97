/**
 * The seal API through the whole service (app.inject): scopes before bodies, streamed PDFs, the
 * registry and its printed-copy code read back from the rendered page (pdftoppm + jsQR), detached
 * CAdES / SES_Signature / JAdES verified, and bad input answered with problems, never a 500.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import jsQRModule from 'jsqr';
import * as jose from 'jose';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizationCredentials } from '../../src/api/auth/authenticator.ts';
import { auditModule, caModule, signingModule } from '../../src/modules.ts';
import type { ServiceModule } from '../../src/service/serviceModule.ts';
import { runOk, write } from '../support/tools.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { OWNER } from './support/harness.ts';
import { makePdf } from './support/pdfs.ts';

/** `Authorization: Test <scope> …` → a client holding those scopes (stands in for an OAuth token). */
const testClients: ServiceModule = {
  name: 'test-clients',
  async start() {
    return {
      authenticators: [{
        name: 'test',
        async authenticate(request: FastifyRequest) {
          const cred = authorizationCredentials(request, 'Test');
          if (typeof cred !== 'string' || cred === 'invalid') return undefined;
          return { clientId: 'archive-system', kind: 'client' as const, scopes: new Set(cred.split(' ')), allScopes: false, method: 'access_token' as const };
        },
      }],
    };
  },
};

describe('seal API', () => {
  let svc: TestService;
  let sealId: string;
  let sm2SealId: string;
  const dir = mkdtempSync(join(tmpdir(), 'kexin-seal-api-'));
  const json = (r: { body: string }) => JSON.parse(r.body);

  beforeAll(async () => {
    svc = await startTestService({ modules: [auditModule(), caModule(), signingModule(), testClients], env: { KEXIN_PUBLIC_URL: 'https://kexin.example.gov.cn' } });
    const created = await svc.app.inject({ method: 'POST', url: '/seals', headers: svc.auth, payload: { owner: OWNER, kind: 'business', name: '社会保险业务专用章', algorithm: 'ECDSA' } });
    expect(created.statusCode, created.body).toBe(201);
    sealId = json(created).id;
    sm2SealId = json(await svc.app.inject({ method: 'POST', url: '/seals', headers: svc.auth, payload: { owner: OWNER, kind: 'legal-name', name: OWNER.name, algorithm: 'SM2' } })).id;
  });
  afterAll(async () => { await svc?.stop(); });

  it('seal:admin creates; a client with seal:apply:<other> is refused before its body is read; public status and image', async () => {
    const denied = await svc.app.inject({ method: 'POST', url: '/seals', headers: { authorization: `Test seal:apply:${sealId}` }, payload: { owner: OWNER, kind: 'business', name: 'x', algorithm: 'ECDSA' } });
    expect(denied.statusCode).toBe(403);
    const other = await svc.app.inject({ method: 'POST', url: `/seals/${sealId}/apply/pdf`, headers: { authorization: `Test seal:apply:${sm2SealId}`, 'content-type': 'application/pdf', 'content-length': String(200 * 1024 * 1024) }, payload: 'x' });
    expect([other.statusCode, json(other).code]).toEqual([403, 'AUTH_SCOPE_MISSING']);
    const anon = await svc.app.inject({ method: 'POST', url: `/seals/${sealId}/suspend` });
    expect(anon.statusCode).toBe(401);
    const status = json(await svc.app.inject({ method: 'GET', url: `/seals/${sealId}/status` }));
    expect(status).toMatchObject({ id: sealId, status: 'active', certificates: [{ role: 'cms', status: 'valid' }] });
    const image = await svc.app.inject({ method: 'GET', url: `/seals/${sealId}/image.png` });
    expect(image.headers['content-type']).toBe('image/png');
    expect((await sharp(image.rawPayload).metadata()).density).toBe(400);
    const bad = await svc.app.inject({ method: 'POST', url: '/seals', headers: svc.auth, payload: { owner: { name: 'X', creditCode: '111100000000133773' }, kind: 'business', name: '章', algorithm: 'ECDSA' } });
    expect([bad.statusCode, json(bad).code]).toEqual([400, 'SEAL_REQUEST_INVALID']);
  });

  it('apply/pdf with seal:apply:<id>: the sealed PDF streams back; its printed QR verifies offline and against the registry; the kept original downloads', async () => {
    const pdf = makePdf({ pages: 1 });
    const res = await svc.app.inject({ method: 'POST', url: `/seals/${sealId}/apply/pdf?level=B-LTA&page=1&x=150&y=40&qr=true`, headers: { authorization: `Test seal:apply:${sealId}`, 'content-type': 'application/pdf' }, payload: pdf });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const sealed = res.rawPayload;
    expect(sealed.subarray(0, pdf.length).equals(pdf)).toBe(true);
    const docId = res.headers['x-kexin-document-id'] as string;

    const v = await svc.app.inject({ method: 'POST', url: '/verify/pdf', headers: { 'content-type': 'application/pdf' }, payload: sealed });
    expect(json(v)).toMatchObject({ indication: 'TOTAL_PASSED', modificationLevel: 'LTA_UPDATES', report: { verdict: { zh: expect.stringContaining('有效') } } });
    const html = await svc.app.inject({ method: 'POST', url: '/verify/pdf?format=html', headers: { 'content-type': 'application/pdf' }, payload: sealed });
    expect(html.body).toMatch(/有效[\s\S]*Valid[\s\S]*data:image\/png;base64,[\s\S]*width:40mm/);

    // The printed copy: render the page, read the QR, check its JWS with the published key.
    const file = write(dir, 'sealed.pdf', sealed);
    // Only the page's lower-left corner, where the block is (300 dpi; A4 is 3508 px high).
    execFileSync('pdftoppm', ['-r', '300', '-f', '1', '-l', '1', '-x', '0', '-y', '2900', '-W', '1100', '-H', '608', '-png', file, join(dir, 'page')]);
    const { data, info } = await sharp(join(dir, 'page-1.png')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const jsQR = jsQRModule as unknown as (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null;
    const qr = jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height);
    expect(qr?.data).toMatch(new RegExp(`^https://kexin\\.example\\.gov\\.cn/verify/documents/${docId}#`));
    const jws = qr!.data.split('#')[1]!;
    const jwks = jose.createLocalJWKSet(json(await svc.app.inject({ method: 'GET', url: '/verify/keys' })));
    const { payload } = await jose.compactVerify(jws, jwks);
    const claims = JSON.parse(Buffer.from(payload).toString());
    expect(claims).toMatchObject({ d: docId, n: pdf.length, h: createHash('sha256').update(pdf).digest('base64url') });
    expect(json(await svc.app.inject({ method: 'POST', url: '/verify/print', payload: { code: jws } }))).toMatchObject({ valid: true, document: { id: docId } });

    const doc = json(await svc.app.inject({ method: 'GET', url: `/verify/documents/${claims.c}` }));
    expect(doc).toMatchObject({ id: docId, kept: true, level: 'B-LTA', seals: [{ id: sealId, status: 'active' }] });
    const page = await svc.app.inject({ method: 'GET', url: `/verify/documents/${docId}`, headers: { accept: 'text/html' } });
    expect(page.body).toContain('下载原件');
    const download = await svc.app.inject({ method: 'GET', url: `/verify/documents/${docId}/file` });
    expect(download.rawPayload.equals(sealed)).toBe(true);
  });

  it('detached CAdES (openssl cms -verify), GB/T 38540 SES_Signature and JAdES verify; a changed byte fails', async () => {
    const data = Buffer.from('社保档案 archive package '.repeat(1000));
    const cades = await svc.app.inject({ method: 'POST', url: `/seals/${sealId}/apply/detached?format=cades&level=B-T`, headers: { ...svc.auth, 'content-type': 'application/octet-stream' }, payload: data });
    expect(cades.statusCode, cades.body).toBe(200);
    const cas = json(await svc.app.inject({ method: 'GET', url: '/pki/cas' })).cas as { role: string; certificatePem: string }[];
    const roots = write(dir, 'roots.pem', cas.filter((c) => c.role === 'root').map((c) => c.certificatePem).join(''));
    expect(runOk('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', write(dir, 'sig.p7s', cades.rawPayload), '-content', write(dir, 'data.bin', data), '-CAfile', roots, '-purpose', 'any', '-out', '/dev/null'])).toContain('Verification successful');
    const ses = await svc.app.inject({ method: 'POST', url: `/seals/${sm2SealId}/apply/detached?format=gbt38540&level=B-T&filename=archive.zip`, headers: { ...svc.auth, 'content-type': 'application/zip' }, payload: data });
    expect(ses.statusCode, ses.body).toBe(200);
    const record = Buffer.from(JSON.stringify({ personId: 'P-0001', month: '2026-11', amount: 3120.5 }));
    const jades = await svc.app.inject({ method: 'POST', url: `/seals/${sealId}/apply/json?level=B-T`, headers: { ...svc.auth, 'content-type': 'application/json' }, payload: record });
    expect(jades.statusCode, jades.body).toBe(200);
    // An independent JOSE implementation accepts the JWS with its x5c key.
    const jws = JSON.parse(jades.body);
    const x5c = JSON.parse(Buffer.from(jws.protected, 'base64url').toString()).x5c[0];
    await jose.flattenedVerify(jws, await jose.importX509(`-----BEGIN CERTIFICATE-----\n${x5c}\n-----END CERTIFICATE-----`, 'ES256'), { crit: { sigT: true } });
    for (const [signature, content] of [[cades.rawPayload, data], [ses.rawPayload, data], [Buffer.from(jades.body), record]] as const) {
      const ok = json(await svc.app.inject({ method: 'POST', url: '/verify/detached', payload: { data: content.toString('base64'), signature: Buffer.from(signature).toString('base64') } }));
      expect(ok.indication, JSON.stringify(ok.signatures[0].reasons)).toBe('TOTAL_PASSED');
      const changed = Buffer.from(content);
      changed[10] ^= 1;
      const bad = json(await svc.app.inject({ method: 'POST', url: '/verify/detached', payload: { data: changed.toString('base64'), signature: Buffer.from(signature).toString('base64') } }));
      expect(bad).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'HASH_FAILURE' });
    }
  });

  it('bad input is a problem, never a 500: not a PDF, truncated PDF, oversized body, unknown seal, wrong media type', async () => {
    const notPdf = await svc.app.inject({ method: 'POST', url: '/verify/pdf', headers: { 'content-type': 'application/pdf' }, payload: 'hello' });
    expect([notPdf.statusCode, json(notPdf).code]).toEqual([422, 'VERIFY_PDF_UNREADABLE']);
    const truncated = makePdf().subarray(0, 400);
    expect((await svc.app.inject({ method: 'POST', url: `/seals/${sealId}/apply/pdf?level=B-B`, headers: { ...svc.auth, 'content-type': 'application/pdf' }, payload: truncated })).statusCode).toBe(422);
    const big = await svc.app.inject({ method: 'POST', url: '/verify/pdf', headers: { 'content-type': 'application/pdf', 'content-length': String(101 * 1024 * 1024) }, payload: 'x' });
    expect(big.statusCode).toBe(413);
    const unknown = await svc.app.inject({ method: 'POST', url: '/seals/00000000-0000-4000-8000-000000000000/apply/pdf', headers: { ...svc.auth, 'content-type': 'application/pdf' }, payload: makePdf() });
    expect([unknown.statusCode, json(unknown).code]).toEqual([404, 'SEAL_NOT_FOUND']);
    const garbage = await svc.app.inject({ method: 'POST', url: '/verify/detached', payload: { data: 'AAAA', signature: 'AAAA' } });
    expect(garbage.statusCode).toBe(400);
    expect((await svc.app.inject({ method: 'GET', url: '/verify/documents/NOPE-NOPE' })).statusCode).toBe(404);
  });

  it('suspend, resume and cancel through the API; a cancelled seal cannot be applied', async () => {
    const id = json(await svc.app.inject({ method: 'POST', url: '/seals', headers: svc.auth, payload: { owner: OWNER, kind: 'internal', name: '档案室章', algorithm: 'ECDSA' } })).id;
    expect(json(await svc.app.inject({ method: 'POST', url: `/seals/${id}/suspend`, headers: svc.auth })).status).toBe('suspended');
    expect(json(await svc.app.inject({ method: 'POST', url: `/seals/${id}/resume`, headers: svc.auth })).status).toBe('active');
    expect(json(await svc.app.inject({ method: 'POST', url: `/seals/${id}/cancel`, headers: svc.auth })).status).toBe('cancelled');
    const r = await svc.app.inject({ method: 'POST', url: `/seals/${id}/apply/pdf`, headers: { ...svc.auth, 'content-type': 'application/pdf' }, payload: makePdf() });
    expect([r.statusCode, json(r).code], r.body).toEqual([409, 'SEAL_NOT_ACTIVE']);
    writeFileSync(join(dir, 'done'), '');
  });
});
