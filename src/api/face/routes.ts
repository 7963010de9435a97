/**
 * Face routes (authorise, validate, call the face service; no face logic here).
 *
 * Authorisation:
 * - scopes: `face:verify` (POST /face/verify, /face/liveness), `face:enrol` (POST /face/templates),
 *   `face:session` (POST /face/sessions, GET /face/sessions/:id).
 * - capability (session id + nonce, returned once by POST /face/sessions): POST /face/sessions/:id/frames
 *   (nonce in the body) and GET /face/sessions/:id (nonce in the `X-Face-Nonce` header). This is what
 *   lets the citizen's browser or kiosk page submit its own frames without holding any credential of
 *   the channel: the channel back-end creates the session and hands the page the id and nonce.
 * - the page itself (web/face.html and its script/style) is public, under /face/ui/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyRequest } from 'fastify';
import { KexinError } from '../../errors.ts';
import type { FaceService } from '../../liveness/faceService.ts';
import type { RoutePlugin } from '../app.ts';
import { actorOf, ensureScope, requireScope } from '../auth/requireScope.ts';
import { imageBytes } from './base64.ts';
import {
  BODY_LIMITS, CreateSessionBody, createSessionResponse, FramesBody, framesResponse, getSessionResponse, LivenessBody,
  livenessResponse, SessionParams, TemplateBody, templateResponse, VerifyBody, verifyResponse,
} from './schemas.ts';

const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
const UI_FILES = new Set(['/face.html', '/face.js', '/face.css']);

/** The page: camera + canvas only from this origin; no inline script; never framed. */
const PAGE_CSP = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The face API. `service` is undefined when the models could not be loaded: every face route answers 503. */
export function faceRoutes(service: FaceService | undefined): RoutePlugin {
  const svc = (): FaceService => {
    if (!service) throw new KexinError('FACE_MODELS_MISSING', 'face models are not loaded on this instance', 503);
    return service;
  };
  const sessionScope = requireScope('face:session');
  /** The nonce header, unless other credentials are presented (then they must grant `face:session`). */
  const nonceOrSessionScope = async (request: FastifyRequest) => {
    if (request.headers.authorization !== undefined || request.headers['x-face-nonce'] === undefined) {
      await ensureScope(request, 'face:session');
    }
  };

  return {
    name: 'face',
    plugin: async (app) => {
      app.post('/face/verify', { onRequest: requireScope('face:verify'), bodyLimit: BODY_LIMITS.twoImages, schema: { body: VerifyBody, response: verifyResponse } }, async (request) => {
        const b = request.body;
        const probe = imageBytes(b.probe, 'probe');
        return b.reference !== undefined
          ? svc().verify({ probe, reference: imageBytes(b.reference, 'reference') }, actorOf(request))
          : svc().verify({ probe, subjectId: b.subjectId! }, actorOf(request));
      });

      app.post('/face/templates', { onRequest: requireScope('face:enrol'), bodyLimit: BODY_LIMITS.oneImage, schema: { body: TemplateBody, response: templateResponse } }, async (request, reply) => {
        const r = await svc().enrolTemplate({ subjectId: request.body.subjectId, image: imageBytes(request.body.image, 'image') }, actorOf(request));
        return reply.code(201).send(r);
      });

      app.post('/face/liveness', { onRequest: requireScope('face:verify'), bodyLimit: BODY_LIMITS.oneImage, schema: { body: LivenessBody, response: livenessResponse } }, async (request) =>
        svc().passiveLiveness(imageBytes(request.body.image, 'image'), actorOf(request)));

      app.post('/face/sessions', { onRequest: sessionScope, schema: { body: CreateSessionBody, response: createSessionResponse } }, async (request, reply) => {
        const b = request.body ?? {};
        const created = await svc().sessions.create({ subjectId: b.subjectId, testActions: b.testActions }, actorOf(request));
        return reply.code(201).header('cache-control', 'no-store').send(created);
      });

      app.post('/face/sessions/:id/frames', { bodyLimit: BODY_LIMITS.frames, schema: { params: SessionParams, body: FramesBody, response: framesResponse } }, async (request) => {
        const { id } = request.params;
        const frames = request.body.frames.map((f, i) => ({ image: imageBytes(f.image, `frames[${i}].image`), capturedAt: f.capturedAt }));
        return svc().sessions.submitFrames(id, { nonce: request.body.nonce, frames }, `face-session:${id}`);
      });

      app.get('/face/sessions/:id', { onRequest: nonceOrSessionScope, schema: { params: SessionParams, response: getSessionResponse, security: [{ faceNonce: [] }, { bearer: ['face:session'] }] } }, async (request, reply) => {
        const nonce = request.principal ? undefined : String(request.headers['x-face-nonce']);
        reply.header('cache-control', 'no-store');
        return svc().sessions.get(request.params.id, nonce);
      });

      if (existsSync(WEB_DIR)) {
        await app.register(fastifyStatic, {
          root: WEB_DIR,
          prefix: '/face/ui/',
          decorateReply: false,
          index: false,
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
