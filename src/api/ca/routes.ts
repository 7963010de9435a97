/**
 * /pki routes: authorise, validate, call the CA service. Public: CA certificates, CRLs, OCSP, TSA and
 * certificate lookup. Scopes: `ca:issue` (or `ca:issue:<profile>` for one profile), `ca:revoke`,
 * `ca:admin` (external-CA ceremonies).
 */
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { CaService, OcspAnswer } from '../../ca/caServiceTypes.ts';
import { REVOCATION_REASONS } from '../../ca/revocation.ts';
import { KexinError } from '../../errors.ts';
import type { RoutePlugin } from '../app.ts';
import { actorOf, assertScope, requireScope, requireScopeFamily } from '../auth/requireScope.ts';
import { problemResponses } from '../schemas.ts';

const OCSP_BODY_LIMIT = 16 * 1024;
const TSA_BODY_LIMIT = 16 * 1024;
const PEM_MAX = 64 * 1024;

const CaId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
const CaView = Type.Object({
  id: Type.String(), name: Type.String(), algorithm: Type.String(), role: Type.Enum(['root', 'issuing']),
  state: Type.Enum(['pending', 'active']),
  certificatePem: Type.Union([Type.String(), Type.Null()]), chainPem: Type.Union([Type.String(), Type.Null()]),
});
const Issued = Type.Object({ serial: Type.String(), certificatePem: Type.String(), chainPem: Type.String() });
const CertificateView = Type.Object({
  serial: Type.String(), certificatePem: Type.String(), chainPem: Type.String(),
  caId: Type.String(), profile: Type.String(), subject: Type.String(), notBefore: Type.String(), notAfter: Type.String(),
  status: Type.Enum(['valid', 'revoked', 'hold']),
  revokedAt: Type.Union([Type.String(), Type.Null()]), revocationReason: Type.Union([Type.String(), Type.Null()]),
});
const IdParams = Type.Object({ id: CaId });
const SerialParams = Type.Object({ serial: Type.String({ minLength: 1, maxLength: 64 }) });

const IssueBody = Type.Object({
  csr: Type.String({ minLength: 1, maxLength: PEM_MAX }),
  profile: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
  caId: Type.Optional(CaId),
}, { additionalProperties: false });
const RevokeBody = Type.Object({ reason: Type.Enum(REVOCATION_REASONS) }, { additionalProperties: false });
const ExternalCaBody = Type.Object({
  id: CaId,
  name: Type.String({ minLength: 1, maxLength: 128 }),
  algorithm: Type.Enum(['ECDSA-P256', 'ECDSA-P384', 'SM2']),
}, { additionalProperties: false });
const ImportBody = Type.Object({
  certificatePem: Type.String({ minLength: 1, maxLength: PEM_MAX }),
  chainPem: Type.Optional(Type.String({ maxLength: PEM_MAX })),
}, { additionalProperties: false });

/**
 * base64url or base64 (RFC 6960 Appendix A.1 GET: the DER request, base64, URL-encoded). The router
 * already undid the URL encoding: decoding again would turn `%25` into a URIError (a 500).
 */
function decodeOcspGetParam(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s) || s.length > 4096) return undefined;
  return new Uint8Array(Buffer.from(s.replaceAll('-', '+').replaceAll('_', '/'), 'base64'));
}

function sendOcsp(reply: FastifyReply, answer: OcspAnswer): FastifyReply {
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
}

const contentTypeOf = (header: string | undefined) => header?.split(';')[0]?.trim().toLowerCase();

export function caRoutes(ca: CaService): RoutePlugin {
  return {
    name: 'ca',
    plugin: async (app) => {
      for (const type of ['application/ocsp-request', 'application/timestamp-query']) {
        app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: Math.max(OCSP_BODY_LIMIT, TSA_BODY_LIMIT) }, (_req, body, done) => done(null, body));
      }

      app.get('/pki/cas', { schema: { response: { 200: Type.Object({ cas: Type.Array(CaView) }) } } }, async () => ({ cas: await ca.listCas() }));

      app.get('/pki/cas/:id/cert', { schema: { params: IdParams, produces: ['application/pkix-cert'], response: problemResponses(400, 404) } }, async (req, reply) => {
        const der = await ca.caCertificateDer(req.params.id);
        return reply.type('application/pkix-cert').header('cache-control', 'public, max-age=86400').send(Buffer.from(der));
      });

      app.get('/pki/cas/:id/crl', { schema: { params: IdParams, produces: ['application/pkix-crl'], response: problemResponses(400, 404) } }, async (req, reply) => {
        const der = await ca.crlDer(req.params.id);
        return reply.type('application/pkix-crl').header('cache-control', 'public, max-age=300').send(Buffer.from(der));
      });

      app.post('/pki/ocsp', { bodyLimit: OCSP_BODY_LIMIT, schema: { consumes: ['application/ocsp-request'], produces: ['application/ocsp-response'] } }, async (req, reply) => {
        if (contentTypeOf(req.headers['content-type']) !== 'application/ocsp-request') {
          throw new KexinError('UNSUPPORTED_MEDIA_TYPE', 'OCSP requests are application/ocsp-request', 415);
        }
        return sendOcsp(reply, await ca.ocsp(new Uint8Array(req.body as Buffer)));
      });

      app.get('/pki/ocsp/*', { schema: { produces: ['application/ocsp-response'] } }, async (req, reply) => {
        const der = decodeOcspGetParam((req.params as { '*': string })['*']);
        return sendOcsp(reply, await ca.ocsp(der ?? new Uint8Array(0)));
      });

      app.post('/pki/tsa', { bodyLimit: TSA_BODY_LIMIT, schema: { consumes: ['application/timestamp-query'], produces: ['application/timestamp-reply'] } }, async (req, reply) => {
        if (contentTypeOf(req.headers['content-type']) !== 'application/timestamp-query') {
          throw new KexinError('UNSUPPORTED_MEDIA_TYPE', 'time-stamp queries are application/timestamp-query', 415);
        }
        const der = await ca.timestamp(new Uint8Array(req.body as Buffer));
        return reply.type('application/timestamp-reply').header('cache-control', 'no-store').send(Buffer.from(der));
      });

      app.get('/pki/tsa/certificate', { schema: { produces: ['application/x-pem-file'] } }, async (_req, reply) => reply.type('application/x-pem-file').send(await ca.tsaCertificatePem()));

      app.post('/pki/certificates', {
        // `ca:issue` (any profile an API caller may get) or `ca:issue:<profile>` (that one only).
        onRequest: requireScopeFamily('ca:issue', 'ca:issue:{profile}'),
        schema: { body: IssueBody, response: { 201: Issued, ...problemResponses(400, 401, 403, 404, 422) } },
      }, async (req, reply) => {
        assertScope(req, 'ca:issue', `ca:issue:${req.body.profile}`);
        return reply.code(201).send(await ca.issue(req.body, actorOf(req)));
      });

      app.get('/pki/certificates/:serial', { schema: { params: SerialParams, response: { 200: CertificateView, ...problemResponses(400, 404) } } },
        async (req) => ca.getCertificate(req.params.serial));

      app.post('/pki/certificates/:serial/revoke', {
        onRequest: requireScope('ca:revoke'),
        schema: { params: SerialParams, body: RevokeBody, response: { 200: CertificateView, ...problemResponses(400, 401, 403, 404, 409) } },
      }, async (req) => ca.revoke(req.params.serial, req.body.reason, actorOf(req)));

      app.post('/pki/cas', {
        onRequest: requireScope('ca:admin'),
        schema: { body: ExternalCaBody, response: { 201: Type.Object({ id: Type.String(), csrPem: Type.String() }), ...problemResponses(400, 401, 403, 409) } },
      }, async (req, reply) => reply.code(201).send(await ca.requestExternalCa(req.body, actorOf(req))));

      app.post('/pki/cas/:id/import', {
        onRequest: requireScope('ca:admin'),
        schema: { params: IdParams, body: ImportBody, response: { 200: CaView, ...problemResponses(400, 401, 403, 404, 409, 422) } },
      }, async (req) => ca.importExternalCa({ id: req.params.id, ...req.body }, actorOf(req)));
    },
  };
}
