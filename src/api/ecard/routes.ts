/**
 * /ecard routes: authorise (scope before the body is read), validate (TypeBox), call the e-card
 * service, map errors. No e-card logic here.
 *
 * Scopes: `ecard:admin` (holders, card states, channels, family), `ecard:claim` (nonce, claim — a
 * channel claims only into itself), `ecard:verify` (online verification). Public: the status lists
 * (cacheable), the trust bundle offline verifiers load, and the holder/verifier page.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Type } from '@fastify/type-provider-typebox';
import fastifyStatic from '@fastify/static';
import type { FastifyRequest } from 'fastify';
import type { CaService } from '../../ca/caServiceTypes.ts';
import { KexinError } from '../../errors.ts';
import type { Caller } from '../../ecard/cards.ts';
import type { EcardService } from '../../ecard/ecardService.ts';
import { imageBytes } from '../face/base64.ts';
import type { RoutePlugin } from '../app.ts';
import { hasScope } from '../auth/principal.ts';
import { actorOf, requireScope } from '../auth/requireScope.ts';
import { problemResponses } from '../schemas.ts';
import {
  CardView, ChannelHolding, ChannelParams, ClaimBody, ClaimResult, FamilyBody, FamilyMember, FamilyParams, HOLDER_BODY_LIMIT, HolderBody,
  HolderCreated, HolderView, IdParams, NonceResult, ReissueBody, RevokeBody, StatusParams, SuspendBody, TrustBundle, VerificationResult, VerifyBody,
} from './schemas.ts';

const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
const UI_FILES = new Set(['/ecard.html', '/ecard.js', '/ecard.css']);
const require = createRequire(import.meta.url);
/** Third-party browser code, served from the installed packages (nothing is fetched at run time). */
const VENDOR: Record<string, { file: string; type: string }> = {
  'jsQR.js': { file: require.resolve('jsqr/dist/jsQR.js'), type: 'text/javascript' },
  'uqr.mjs': { file: require.resolve('uqr').replace(/index\.cjs$/, 'index.mjs'), type: 'text/javascript' },
  // Kexin's own holder library: the same file the tests and the CLI use.
  'ecard-holder.js': { file: fileURLToPath(new URL('../../ecard/holder/ecardHolder.js', import.meta.url)), type: 'text/javascript' },
};
/** The page: camera and canvas from this origin only; no inline script; never framed. */
const PAGE_CSP = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The principal as the e-card module sees it. */
function callerOf(request: FastifyRequest): Caller {
  const p = request.principal!;
  return { actor: actorOf(request), clientId: p.kind === 'client' ? p.clientId : undefined, attests: p.kind === 'operator' || hasScope(p, 'ecard:admin') };
}

export function ecardRoutes(ecard: EcardService, ca: Pick<CaService, 'listCas'>): RoutePlugin {
  const admin = requireScope('ecard:admin');
  return {
    name: 'ecard',
    plugin: async (app) => {
      app.post('/ecard/holders', {
        onRequest: admin, bodyLimit: HOLDER_BODY_LIMIT,
        schema: { body: HolderBody, response: { 201: HolderCreated, ...problemResponses(400, 401, 403, 409, 413, 422, 503) } },
      }, async (req, reply) => {
        const { photo, ...rest } = req.body;
        const created = await ecard.createHolder({ ...rest, photo: photo === undefined ? undefined : imageBytes(photo, 'photo') }, callerOf(req));
        return reply.code(201).send(created);
      });

      app.get('/ecard/holders/:id', { onRequest: admin, schema: { params: IdParams, response: { 200: HolderView, ...problemResponses(400, 401, 403, 404) } } },
        async (req) => ecard.getHolder(req.params.id));

      app.post('/ecard/claims/nonce', { onRequest: requireScope('ecard:claim'), schema: { response: { 201: NonceResult, ...problemResponses(401, 403) } } },
        async (_req, reply) => reply.code(201).header('cache-control', 'no-store').send(await ecard.claimNonce()));

      app.post('/ecard/claims', {
        onRequest: requireScope('ecard:claim'),
        schema: { body: ClaimBody, response: { 201: ClaimResult, ...problemResponses(400, 401, 403, 404, 409, 410, 422, 423) } },
      }, async (req, reply) => reply.code(201).header('cache-control', 'no-store').send(await ecard.claim(req.body, callerOf(req))));

      app.post('/ecard/verify', {
        onRequest: requireScope('ecard:verify'),
        schema: { body: VerifyBody, response: { 200: VerificationResult, ...problemResponses(400, 401, 403) } },
      }, async (req, reply) => reply.header('cache-control', 'no-store').send(await ecard.verify(req.body, callerOf(req))));

      app.get('/ecard/status/:listId', { schema: { params: StatusParams, response: problemResponses(400, 404) } }, async (req, reply) => {
        const list = await ecard.statusList(Number(req.params.listId));
        // Token Status List §8.4: cacheable with standard HTTP caching, for CDNs and offline verifiers.
        reply.header('cache-control', `public, max-age=${list.maxAge}`).header('etag', list.etag).header('last-modified', list.issuedAt.toUTCString());
        if (req.headers['if-none-match'] === list.etag) return reply.code(304).send();
        return reply.type('application/statuslist+jwt').send(list.jwt);
      });

      app.get('/ecard/trust', { schema: { response: { 200: TrustBundle } } }, async (_req, reply) => {
        const roots = (await ca.listCas()).filter((c) => c.role === 'root' && c.certificatePem).map((c) => c.certificatePem!);
        reply.header('cache-control', 'public, max-age=3600');
        return { ...ecard.trustBundle(), anchorsPem: roots.join('') };
      });

      app.get('/ecard/cards/:id', { onRequest: admin, schema: { params: IdParams, response: { 200: CardView, ...problemResponses(400, 401, 403, 404) } } },
        async (req) => ecard.getCard(req.params.id));
      app.post('/ecard/cards/:id/suspend', { onRequest: admin, schema: { params: IdParams, body: SuspendBody, response: { 200: CardView, ...problemResponses(400, 401, 403, 404, 409) } } },
        async (req) => ecard.suspend(req.params.id, req.body.reason, callerOf(req)));
      app.post('/ecard/cards/:id/resume', { onRequest: admin, schema: { params: IdParams, response: { 200: CardView, ...problemResponses(400, 401, 403, 404, 409) } } },
        async (req) => ecard.resume(req.params.id, callerOf(req)));
      app.post('/ecard/cards/:id/revoke', { onRequest: admin, schema: { params: IdParams, body: RevokeBody, response: { 200: CardView, ...problemResponses(400, 401, 403, 404, 409) } } },
        async (req) => ecard.revoke(req.params.id, req.body.reason, callerOf(req)));
      app.post('/ecard/cards/:id/reissue', { onRequest: admin, schema: { params: IdParams, body: ReissueBody, response: { 201: CardView, ...problemResponses(400, 401, 403, 404, 409) } } },
        async (req, reply) => reply.code(201).send(await ecard.reissue(req.params.id, req.body, callerOf(req))));

      app.get('/ecard/holders/:id/channels', { onRequest: admin, schema: { params: IdParams, response: { 200: Type.Object({ channels: Type.Array(ChannelHolding) }), ...problemResponses(400, 401, 403, 404) } } },
        async (req) => ({ channels: await ecard.listChannels(req.params.id) }));
      app.delete('/ecard/holders/:id/channels/:channelId', { onRequest: admin, schema: { params: ChannelParams, response: { 200: Type.Object({ withdrawn: Type.Integer() }), ...problemResponses(400, 401, 403, 404) } } },
        async (req) => ecard.withdrawChannel(req.params.id, req.params.channelId, callerOf(req)));

      app.post('/ecard/holders/:id/family', { onRequest: admin, schema: { params: IdParams, body: FamilyBody, response: { 201: FamilyMember, ...problemResponses(400, 401, 403, 404, 409) } } },
        async (req, reply) => reply.code(201).send(await ecard.addFamilyMember(req.params.id, req.body, callerOf(req))));
      app.get('/ecard/holders/:id/family', { onRequest: admin, schema: { params: IdParams, response: { 200: Type.Object({ members: Type.Array(FamilyMember) }), ...problemResponses(400, 401, 403, 404) } } },
        async (req) => ({ members: await ecard.listFamily(req.params.id) }));
      app.delete('/ecard/holders/:id/family/:memberId', { onRequest: admin, schema: { params: FamilyParams, response: { 204: Type.Null(), ...problemResponses(400, 401, 403, 404) } } },
        async (req, reply) => { await ecard.removeFamilyMember(req.params.id, req.params.memberId, callerOf(req)); return reply.code(204).send(null); });

      // The holder and verifier page, the holder library, and the two QR libraries it uses.
      const vendor = Object.fromEntries(Object.entries(VENDOR).map(([name, v]) => [name, { body: readFileSync(v.file), type: v.type }]));
      app.get('/ecard/ui/vendor/:file', { schema: { params: Type.Object({ file: Type.String({ maxLength: 32 }) }) } }, async (req, reply) => {
        const v = vendor[req.params.file];
        if (!v) throw new KexinError('NOT_FOUND', 'no such file', 404);
        return reply.type(v.type).header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff').send(v.body);
      });
      await app.register(fastifyStatic, {
        root: WEB_DIR, prefix: '/ecard/ui/', decorateReply: false, index: false,
        allowedPath: (pathName: string) => UI_FILES.has(pathName),
        setHeaders: (res) => {
          res.header('content-security-policy', PAGE_CSP);
          res.header('x-content-type-options', 'nosniff');
          res.header('referrer-policy', 'no-referrer');
          res.header('permissions-policy', 'camera=(self)');
        },
      });
    },
  };
}

