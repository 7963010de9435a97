/**
 * Seal routes (issue 8 §5). Scopes: `seal:admin` (create, suspend, resume, cancel), `seal:apply:<id>`
 * (apply that seal; the break-glass operator token holds every scope). Public, no token: seal status
 * and image, verification of PDFs and detached signatures, registered documents, printed-copy codes,
 * the print keys, and the verification page. PDFs and files up to 100 MB stream to a temp file.
 */
import { existsSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KexinError } from '../../errors.ts';
import { PADES_LEVELS } from '../../signing/pdf/padesSign.ts';
import { SEAL_KINDS } from '../../signing/seals/sealKinds.ts';
import { sealView } from '../../signing/seals/sealService.ts';
import type { SigningService } from '../../signing/signingService.ts';
import { reportHtml, summary } from '../../signing/verify/report.ts';
import type { RoutePlugin } from '../app.ts';
import { actorOf, requireScope } from '../auth/requireScope.ts';
import { problemResponses } from '../schemas.ts';
import { bodyToTempFile, cleanupTempBodies, type TempBody } from './tempBody.ts';
import { fileSource } from '../../signing/pdf/source.ts';

/** Largest PDF or file accepted for sealing or verification. */
export const FILE_BODY_LIMIT = 100 * 1024 * 1024;
const JSON_RECORD_LIMIT = 1024 * 1024;
/** `{data, signature}` in base64: data up to ~16 MB this way (larger files: the CLI, or a PDF). */
const DETACHED_JSON_LIMIT = 24 * 1024 * 1024;
const IMAGE_B64_MAX = Math.ceil((1024 * 1024 * 4) / 3) + 4;

const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
const JSQR = fileURLToPath(new URL('../../../node_modules/jsqr/dist/jsQR.js', import.meta.url));
const UI_FILES = new Set(['/verify.html', '/verify.js', '/verify.css']);
const PAGE_CSP = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const SealId = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const SealParams = Type.Object({ id: SealId });
const DocParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z-]+$' }) });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

const CreateSealBody = Type.Object({
  owner: Type.Object({ name: Text(128), creditCode: Type.String({ pattern: '^[0-9A-Z]{18}$' }) }, { additionalProperties: false }),
  kind: Type.Enum(SEAL_KINDS),
  name: Text(64),
  algorithm: Type.Enum(['ECDSA', 'SM2']),
  holderName: Type.Optional(Text(32)),
  /** base64 PNG or SVG with transparency. */
  image: Type.Optional(Type.String({ minLength: 4, maxLength: IMAGE_B64_MAX, pattern: '^[A-Za-z0-9+/]+={0,2}$' })),
  imageSizeMm: Type.Optional(Type.Object({ width: Type.Integer({ minimum: 10, maximum: 80 }), height: Type.Integer({ minimum: 10, maximum: 80 }) }, { additionalProperties: false })),
  stampCode: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const SealView = Type.Object({
  id: Type.String(), esId: Type.String(), kind: Type.String(), name: Type.String(),
  owner: Type.Object({ name: Type.String(), creditCode: Type.String() }), holderName: Type.Union([Type.String(), Type.Null()]),
  algorithm: Type.String(), status: Type.String(), validStart: Type.String(), validEnd: Type.String(),
  imageSizeMm: Type.Object({ width: Type.Integer(), height: Type.Integer() }),
  certificatePem: Type.String(), chainPem: Type.String(),
  certificates: Type.Array(Type.Object({ role: Type.String(), serial: Type.String(), certificatePem: Type.String() })),
});
const SealStatus = Type.Object({
  id: Type.String(), esId: Type.String(), status: Type.String(), statusChangedAt: Type.String(), validStart: Type.String(), validEnd: Type.String(),
  certificates: Type.Array(Type.Object({
    role: Type.String(), serial: Type.String(), status: Type.String(), notAfter: Type.String(),
    revokedAt: Type.Union([Type.String(), Type.Null()]), revocationReason: Type.Union([Type.String(), Type.Null()]),
  })),
});

const Bool = Type.Enum(['true', 'false', '1', '0']);
/** Millimetres on a page (query strings are not coerced: numbers arrive as text). */
const Mm = Type.String({ pattern: '^[0-9]{1,4}(\\.[0-9]{1,2})?$' });
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const ApplyPdfQuery = Type.Object({
  level: Type.Optional(Type.Enum(PADES_LEVELS)),
  page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$' })),
  x: Type.Optional(Mm),
  y: Type.Optional(Mm),
  qr: Type.Optional(Bool),
  qrX: Type.Optional(Mm),
  qrY: Type.Optional(Mm),
  certify: Type.Optional(Type.Enum(['1', '2', '3'])),
  keep: Type.Optional(Bool),
  reason: Type.Optional(Text(200)),
  location: Type.Optional(Text(200)),
}, { additionalProperties: false });
const ApplyDetachedQuery = Type.Object({
  format: Type.Optional(Type.Enum(['cades', 'gbt38540'])),
  level: Type.Optional(Type.Enum(['B-B', 'B-T'])),
  filename: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x20-\\x7e]+$' })),
}, { additionalProperties: false });
const ApplyJsonQuery = Type.Object({ level: Type.Optional(Type.Enum(['B-B', 'B-T'])) }, { additionalProperties: false });

const B64 = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[A-Za-z0-9+/]+={0,2}$' });
const VerifyDetachedBody = Type.Object({ data: B64(DETACHED_JSON_LIMIT), signature: B64(4 * 1024 * 1024) }, { additionalProperties: false });
const PrintBody = Type.Object({ code: Type.String({ minLength: 10, maxLength: 4096, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' }) }, { additionalProperties: false });

/** The validation result: typed at the top, the rest as the domain result (frozen data) has it. */
const Validation = Type.Object({
  indication: Type.String(), subIndication: Type.Optional(Type.String()), modificationLevel: Type.String(),
  signatures: Type.Array(Type.Object({}, { additionalProperties: true })),
  report: Type.Object({}, { additionalProperties: true }),
}, { additionalProperties: true });

const bool = (v: string | undefined) => (v === undefined ? undefined : v === 'true' || v === '1');
const wantsHtml = (req: FastifyRequest) => (req.query as { format?: string } | undefined)?.format === 'html' || /text\/html/.test(req.headers.accept ?? '') && !/application\/json/.test(req.headers.accept ?? '');

export function signingRoutes(signing: SigningService): RoutePlugin {
  return {
    name: 'signing',
    plugin: async (app) => {
      // PDFs and files to seal or verify: streamed to a temp file (see tempBody.ts), never buffered.
      cleanupTempBodies(app);
      app.addContentTypeParser(['application/pdf', 'application/octet-stream'], (req, payload, done) => {
        bodyToTempFile(req, payload, FILE_BODY_LIMIT).then((b) => done(null, b), (e: Error) => done(e, undefined));
      });
      app.addContentTypeParser('*', (req, payload, done) => {
        bodyToTempFile(req, payload, FILE_BODY_LIMIT).then((b) => done(null, b), (e: Error) => done(e, undefined));
      });
      const tempBody = (req: FastifyRequest): TempBody => {
        const b = req.body as TempBody | undefined;
        if (!b || typeof b.path !== 'string') throw new KexinError('UNSUPPORTED_MEDIA_TYPE', 'send the file as the request body (application/pdf or application/octet-stream)', 415);
        return b;
      };
      const sealScope = (req: FastifyRequest) => `seal:apply:${(req.params as { id: string }).id}`;

      app.post('/seals', {
        onRequest: requireScope('seal:admin'), bodyLimit: IMAGE_B64_MAX + 16 * 1024,
        schema: { body: CreateSealBody, response: { 201: SealView, ...problemResponses(400, 401, 403, 409, 503) } },
      }, async (req, reply) => {
        const { image, ...rest } = req.body;
        const seal = await signing.createSeal({ ...rest, image: image ? new Uint8Array(Buffer.from(image, 'base64')) : undefined }, actorOf(req));
        return reply.code(201).header('location', `/seals/${seal.id}`).send(seal);
      });

      app.get('/seals/:id', { schema: { params: SealParams, response: { 200: SealView, ...problemResponses(400, 404) } } },
        async (req) => sealView(await signing.seals.getSeal(req.params.id)));

      app.get('/seals/:id/status', { schema: { params: SealParams, response: { 200: SealStatus, ...problemResponses(400, 404) } } }, async (req, reply) => {
        reply.header('cache-control', 'no-cache');
        return signing.seals.sealStatus(req.params.id);
      });

      app.get('/seals/:id/image.png', { schema: { params: SealParams, response: problemResponses(400, 404) } }, async (req, reply) => {
        const seal = await signing.seals.getSeal(req.params.id);
        return reply.type('image/png').header('cache-control', 'public, max-age=3600')
          .header('x-seal-size-mm', `${seal.image.widthMm}x${seal.image.heightMm}`).send(Buffer.from(seal.image.png));
      });

      for (const action of ['suspend', 'resume', 'cancel'] as const) {
        app.post(`/seals/:id/${action}`, {
          onRequest: requireScope('seal:admin'),
          schema: { params: SealParams, response: { 200: SealView, ...problemResponses(400, 401, 403, 404, 409) } },
        }, async (req) => sealView(await signing.seals[action]((req.params as { id: string }).id, actorOf(req))));
      }

      app.post('/seals/:id/apply/pdf', {
        onRequest: requireScope(sealScope),
        schema: { params: SealParams, querystring: ApplyPdfQuery, response: problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 502, 503) },
      }, async (req, reply) => {
        const body = tempBody(req);
        const q = req.query;
        const src = fileSource(body.path);
        let result;
        try {
          result = await signing.applyPdf(req.params.id, src, {
            level: q.level ?? 'B-T', page: num(q.page), x: num(q.x), y: num(q.y), qr: bool(q.qr), qrX: num(q.qrX), qrY: num(q.qrY),
            certify: num(q.certify) as 1 | 2 | 3 | undefined, keep: bool(q.keep), reason: q.reason, location: q.location,
          }, actorOf(req));
        } finally {
          src.close();
        }
        const updates = result.updates;
        const stream = Readable.from((async function* () {
          for await (const chunk of createReadStream(body.path)) yield chunk as Buffer;
          for (const u of updates) yield u;
        })());
        return reply.type('application/pdf')
          .header('content-length', String(result.document.outputLength))
          .header('x-kexin-document-id', result.document.id)
          .header('x-kexin-verification-code', result.document.code)
          .header('location', `/verify/documents/${result.document.id}`)
          .send(stream);
      });

      app.post('/seals/:id/apply/detached', {
        onRequest: requireScope(sealScope),
        schema: { params: SealParams, querystring: ApplyDetachedQuery, response: problemResponses(400, 401, 403, 404, 409, 413, 415, 502) },
      }, async (req, reply) => {
        const body = tempBody(req);
        const format = req.query.format ?? 'cades';
        const src = fileSource(body.path);
        try {
          const r = await signing.applyDetached(req.params.id, src, format, req.query.level ?? 'B-T', actorOf(req), req.query.filename);
          return reply.type(format === 'cades' ? 'application/pkcs7-signature' : 'application/octet-stream')
            .header('x-kexin-document-id', r.document.id).send(Buffer.from(r.signature));
        } finally {
          src.close();
        }
      });

      // JSON records are sealed byte for byte as sent: this route reads its body as raw bytes.
      await app.register(async (sub) => {
        sub.removeContentTypeParser('application/json');
        sub.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: JSON_RECORD_LIMIT }, (_req, body, done) => done(null, body));
        sub.post('/seals/:id/apply/json', {
          onRequest: requireScope(sealScope), bodyLimit: JSON_RECORD_LIMIT,
          schema: { params: SealParams, querystring: ApplyJsonQuery, response: problemResponses(400, 401, 403, 404, 409, 413, 415) },
        }, async (req, reply) => {
          if (!Buffer.isBuffer(req.body)) throw new KexinError('UNSUPPORTED_MEDIA_TYPE', 'JSON records are sent as application/json', 415);
          const params = req.params as { id: string };
          const query = req.query as { level?: 'B-B' | 'B-T' };
          const r = await signing.applyJson(params.id, new Uint8Array(req.body), query.level ?? 'B-T', actorOf(req));
          return reply.type('application/jose+json').header('x-kexin-document-id', r.document.id).send(r.jws);
        });
      });

      const sendValidation = (req: FastifyRequest, reply: FastifyReply, v: Awaited<ReturnType<SigningService['verifyPdf']>>) => {
        reply.header('cache-control', 'no-store');
        if (wantsHtml(req)) return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'").send(reportHtml(v));
        return reply.send({ ...v, report: summary(v) });
      };

      app.post('/verify/pdf', {
        schema: { querystring: Type.Object({ format: Type.Optional(Type.Enum(['json', 'html'])) }), response: { 200: Validation, ...problemResponses(400, 413, 415, 422, 503) } },
      }, async (req, reply) => {
        const body = tempBody(req);
        return sendValidation(req, reply, await signing.verifyPdf({ path: body.path }));
      });

      app.post('/verify/detached', {
        bodyLimit: Math.ceil(DETACHED_JSON_LIMIT * 1.4),
        schema: { body: VerifyDetachedBody, querystring: Type.Object({ format: Type.Optional(Type.Enum(['json', 'html'])) }), response: { 200: Validation, ...problemResponses(400, 413, 415) } },
      }, async (req, reply) => sendValidation(req, reply, await signing.verifyDetached(
        new Uint8Array(Buffer.from(req.body.data, 'base64')), new Uint8Array(Buffer.from(req.body.signature, 'base64')))));

      app.get('/verify/documents/:id', {
        schema: { params: DocParams, querystring: Type.Object({ format: Type.Optional(Type.Enum(['json', 'html'])) }), response: problemResponses(400, 404) },
      }, async (req, reply) => {
        const doc = await signing.documentView(req.params.id);
        reply.header('cache-control', 'no-cache');
        if (!wantsHtml(req)) return reply.send(doc);
        return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'").send(documentHtml(doc));
      });

      app.get('/verify/documents/:id/file', { schema: { params: DocParams, response: problemResponses(400, 404) } }, async (req, reply) => {
        const { document, chunks } = await signing.documentFile(req.params.id);
        return reply.type('application/pdf').header('content-length', String(document.outputLength))
          .header('content-disposition', `attachment; filename="sealed-${document.code}.pdf"`).send(Readable.from(chunks));
      });

      app.post('/verify/print', { schema: { body: PrintBody, response: problemResponses(400) } }, async (req) => signing.verifyPrint(req.body.code));

      app.get('/verify/keys', async (_req, reply) => reply.header('cache-control', 'public, max-age=3600').send(await signing.printJwks()));

      // The verification page: public, no login.
      app.get('/verify', async (_req, reply) => reply.redirect('/verify/ui/verify.html'));
      app.get('/verify/ui/jsQR.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(createReadStream(JSQR)));
      if (existsSync(WEB_DIR)) {
        await app.register(fastifyStatic, {
          root: WEB_DIR, prefix: '/verify/ui/', decorateReply: false, index: false,
          allowedPath: (pathName: string) => UI_FILES.has(pathName),
          setHeaders: (res) => {
            res.header('content-security-policy', PAGE_CSP);
            res.header('x-content-type-options', 'nosniff');
            res.header('referrer-policy', 'no-referrer');
            res.header('permissions-policy', 'camera=(self)');
          },
        });
      }
    },
  };
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function documentHtml(doc: Awaited<ReturnType<SigningService['documentView']>>): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>原件核验 Original document ${esc(doc.code)}</title>
<style>body{font-family:system-ui,'WenQuanYi Micro Hei',sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}dt{font-weight:600;margin-top:.5rem}img{vertical-align:middle;margin-right:1rem}</style></head><body>
<h1>已登记的原件 Registered original</h1>
<dl><dt>核验码 Verification code</dt><dd>${esc(doc.code)}</dd><dt>盖章时间 Sealed at</dt><dd>${esc(doc.createdAt)}</dd>
<dt>格式 / 级别 Format / level</dt><dd>${esc(doc.format)} ${esc(doc.level)}</dd>
<dt>原文 SHA-256 Original (before sealing)</dt><dd><code>${esc(doc.inputSha256)}</code> (${doc.inputLength} bytes)</dd>
<dt>盖章后 SHA-256 Sealed file</dt><dd><code>${esc(doc.outputSha256)}</code> (${doc.outputLength} bytes)</dd>
<dt>印章 Seals</dt><dd>${doc.seals.map((s) => ('esId' in s ? `<p><img alt="" src="${esc(s.imageUrl)}" style="width:${s.imageSizeMm!.width}mm;height:${s.imageSizeMm!.height}mm">${esc(s.name)} — ${esc(s.owner)} — ${esc(s.esId)} — <strong>${esc(s.status)}</strong></p>` : `<p>${esc(s.id)}: ${esc(s.status)}</p>`)).join('')}</dd></dl>
${doc.downloadUrl ? `<p><a href="${esc(doc.downloadUrl)}">下载原件 Download the sealed original</a> — 与打印件比对 compare it with the printout.</p>` : '<p>原件未在本系统留存 The file itself was not kept here.</p>'}
</body></html>`;
}
