/**
 * /pki routes: authorise, validate, call the CA service. Public: CA certificates, CRLs, OCSP, TSA and
 * certificate lookup; operator token: issuance, revocation, external-CA ceremonies.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ModuleOptions } from '../app.ts';
import { actorOf } from '../auth.ts';
import type { CaService } from '../../ca/caServiceTypes.ts';
import { REVOCATION_REASONS } from '../../ca/revocation.ts';
import { KexinError } from '../../errors.ts';

const OCSP_BODY_LIMIT = 16 * 1024;
const TSA_BODY_LIMIT = 16 * 1024;
const PEM_MAX = 64 * 1024;

const problem = { type: 'object', additionalProperties: true, properties: { type: { type: 'string' }, code: { type: 'string' } } } as const;
const caView = {
  type: 'object',
  required: ['id', 'name', 'algorithm', 'role', 'certificatePem', 'chainPem'],
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, algorithm: { type: 'string' }, role: { enum: ['root', 'issuing'] },
    state: { enum: ['pending', 'active'] }, certificatePem: { type: ['string', 'null'] }, chainPem: { type: ['string', 'null'] },
  },
} as const;
const issued = {
  type: 'object', required: ['serial', 'certificatePem', 'chainPem'],
  properties: { serial: { type: 'string' }, certificatePem: { type: 'string' }, chainPem: { type: 'string' } },
} as const;
const certView = {
  type: 'object',
  required: ['serial', 'caId', 'profile', 'subject', 'status', 'certificatePem', 'chainPem', 'notBefore', 'notAfter'],
  properties: {
    ...issued.properties, caId: { type: 'string' }, profile: { type: 'string' }, subject: { type: 'string' },
    notBefore: { type: 'string' }, notAfter: { type: 'string' }, status: { enum: ['valid', 'revoked', 'hold'] },
    revokedAt: { type: ['string', 'null'] }, revocationReason: { type: ['string', 'null'] },
  },
} as const;
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' } } } as const;
const serialParam = { type: 'object', required: ['serial'], properties: { serial: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

/** base64url or base64 (RFC 6960 Appendix A.1 GET: the DER request, base64, URL-encoded). */
function decodeOcspGetParam(raw: string): Uint8Array | undefined {
  const s = decodeURIComponent(raw);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s) || s.length > 4096) return undefined;
  return new Uint8Array(Buffer.from(s.replaceAll('-', '+').replaceAll('_', '/'), 'base64'));
}

export function caRoutes(ca: CaService): FastifyPluginAsync<ModuleOptions> {
  return async (app, opts) => {
    for (const type of ['application/ocsp-request', 'application/timestamp-query']) {
      app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: Math.max(OCSP_BODY_LIMIT, TSA_BODY_LIMIT) }, (_req, body, done) => done(null, body));
    }

    app.get('/pki/cas', { schema: { response: { 200: { type: 'object', required: ['cas'], properties: { cas: { type: 'array', items: caView } } } } } },
      async () => ({ cas: await ca.listCas() }));

    app.get<{ Params: { id: string } }>('/pki/cas/:id/cert', { schema: { params: idParam, response: { 404: problem } } }, async (req, reply) => {
      const der = await ca.caCertificateDer(req.params.id);
      return reply.type('application/pkix-cert').header('cache-control', 'public, max-age=86400').send(Buffer.from(der));
    });

    app.get<{ Params: { id: string } }>('/pki/cas/:id/crl', { schema: { params: idParam, response: { 404: problem } } }, async (req, reply) => {
      const der = await ca.crlDer(req.params.id);
      return reply.type('application/pkix-crl').header('cache-control', 'public, max-age=300').send(Buffer.from(der));
    });

    const sendOcsp = async (reply: any, der: Uint8Array | undefined) => {
      const answer = der ? await ca.ocsp(der) : await ca.ocsp(new Uint8Array(0));
      reply.type('application/ocsp-response');
      if (answer.cacheable && answer.maxAge !== undefined) {
        // RFC 5019 §5: caching headers so any CDN can serve the pre-signed answer.
        reply.header('cache-control', `max-age=${answer.maxAge}, public, no-transform, must-revalidate`);
        if (answer.etag) reply.header('etag', `"${answer.etag}"`);
        if (answer.lastModified) reply.header('last-modified', answer.lastModified.toUTCString());
      } else {
        reply.header('cache-control', 'no-store');
      }
      return reply.send(Buffer.from(answer.der));
    };

    app.post('/pki/ocsp', { bodyLimit: OCSP_BODY_LIMIT }, async (req, reply) => {
      if (req.headers['content-type']?.split(';')[0]?.trim() !== 'application/ocsp-request') {
        throw new KexinError('UNSUPPORTED_MEDIA_TYPE', 'OCSP requests are application/ocsp-request', 415);
      }
      return sendOcsp(reply, new Uint8Array(req.body as Buffer));
    });

    app.get<{ Params: { '*': string } }>('/pki/ocsp/*', async (req, reply) => sendOcsp(reply, decodeOcspGetParam(req.params['*'])));

    app.post('/pki/tsa', { bodyLimit: TSA_BODY_LIMIT }, async (req, reply) => {
      if (req.headers['content-type']?.split(';')[0]?.trim() !== 'application/timestamp-query') {
        throw new KexinError('UNSUPPORTED_MEDIA_TYPE', 'time-stamp queries are application/timestamp-query', 415);
      }
      const der = await ca.timestamp(new Uint8Array(req.body as Buffer));
      return reply.type('application/timestamp-reply').header('cache-control', 'no-store').send(Buffer.from(der));
    });

    app.get('/pki/tsa/certificate', async (_req, reply) => reply.type('application/x-pem-file').send(await ca.tsaCertificatePem()));

    app.post<{ Body: { csr: string; profile: string; caId?: string } }>('/pki/certificates', {
      onRequest: opts.operatorOnly,
      schema: {
        body: {
          type: 'object', additionalProperties: false, required: ['csr', 'profile'],
          properties: { csr: { type: 'string', minLength: 1, maxLength: PEM_MAX }, profile: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' }, caId: idParam.properties.id },
        },
        response: { 201: issued, 400: problem, 401: problem, 404: problem, 422: problem },
      },
    }, async (req, reply) => reply.code(201).send(await ca.issue(req.body, actorOf(req))));

    app.get<{ Params: { serial: string } }>('/pki/certificates/:serial', { schema: { params: serialParam, response: { 200: certView, 400: problem, 404: problem } } },
      async (req) => ca.getCertificate(req.params.serial));

    app.post<{ Params: { serial: string }; Body: { reason: string } }>('/pki/certificates/:serial/revoke', {
      onRequest: opts.operatorOnly,
      schema: {
        params: serialParam,
        body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { enum: [...REVOCATION_REASONS] } } },
        response: { 200: certView, 400: problem, 401: problem, 404: problem, 409: problem },
      },
    }, async (req) => ca.revoke(req.params.serial, req.body.reason, actorOf(req)));

    app.post<{ Body: { id: string; name: string; algorithm: 'ECDSA-P256' | 'ECDSA-P384' | 'SM2' } }>('/pki/cas', {
      onRequest: opts.operatorOnly,
      schema: {
        body: {
          type: 'object', additionalProperties: false, required: ['id', 'name', 'algorithm'],
          properties: { id: idParam.properties.id, name: { type: 'string', minLength: 1, maxLength: 128 }, algorithm: { enum: ['ECDSA-P256', 'ECDSA-P384', 'SM2'] } },
        },
        response: { 201: { type: 'object', required: ['id', 'csrPem'], properties: { id: { type: 'string' }, csrPem: { type: 'string' } } }, 400: problem, 401: problem, 409: problem },
      },
    }, async (req, reply) => reply.code(201).send(await ca.requestExternalCa(req.body, actorOf(req))));

    app.post<{ Params: { id: string }; Body: { certificatePem: string; chainPem?: string } }>('/pki/cas/:id/import', {
      onRequest: opts.operatorOnly,
      schema: {
        params: idParam,
        body: {
          type: 'object', additionalProperties: false, required: ['certificatePem'],
          properties: { certificatePem: { type: 'string', minLength: 1, maxLength: PEM_MAX }, chainPem: { type: 'string', maxLength: PEM_MAX } },
        },
        response: { 200: caView, 400: problem, 401: problem, 404: problem, 409: problem, 422: problem },
      },
    }, async (req) => ca.importExternalCa({ id: req.params.id, ...req.body }, actorOf(req)));
  };
}
