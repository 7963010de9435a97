/**
 * Face routes (authorise, validate, call the face service; no face logic here).
 *
 * Authentication:
 * - operator bearer token: POST /face/verify, /face/templates, /face/liveness, /face/sessions.
 * - capability (session id + nonce, returned once by POST /face/sessions): POST /face/sessions/:id/frames
 *   (nonce in the body) and GET /face/sessions/:id (nonce in the `X-Face-Nonce` header, or an
 *   operator token). This is what lets the citizen's browser or kiosk page submit its own frames
 *   without holding an operator token: the channel back-end creates the session and hands the page
 *   the id and nonce.
 * - the page itself (web/face.html and its script/style) is public, under /face/ui/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KexinError } from '../../errors.ts';
import type { FaceService } from '../../liveness/faceService.ts';
import type { ModuleOptions, ModulePlugin } from '../app.ts';
import { actorOf } from '../auth.ts';
import { imageBytes } from './base64.ts';
import {
  BODY_LIMITS, createSessionBody, createSessionResponse, framesBody, framesResponse, getSessionResponse, livenessBody,
  livenessResponse, sessionParams, templateBody, templateResponse, verifyBody, verifyResponse,
} from './schemas.ts';

const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
const UI_FILES = new Set(['/face.html', '/face.js', '/face.css']);

/** The page: camera + canvas only from this origin; no inline script; never framed. */
const PAGE_CSP = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface FaceRoutesDeps {
  /** Undefined when the models could not be loaded: every face route answers 503. */
  readonly service: FaceService | undefined;
}

/** The face API as a module plugin. */
export function faceRoutes(deps: FaceRoutesDeps): ModulePlugin {
  const svc = (): FaceService => {
    if (!deps.service) throw new KexinError('FACE_MODELS_MISSING', 'face models are not loaded on this instance', 503);
    return deps.service;
  };
  /** The nonce header unless an operator token is presented (then the operator check runs). */
  const capabilityOrOperator = (opts: ModuleOptions) => async (request: FastifyRequest, reply: unknown) => {
    if (request.headers.authorization !== undefined || request.headers['x-face-nonce'] === undefined) {
      await (opts.operatorOnly as (r: FastifyRequest, p: unknown) => Promise<void>)(request, reply);
    }
  };

  return {
    name: 'face',
    plugin: async (app: FastifyInstance, opts: ModuleOptions) => {
      app.post('/face/verify', { onRequest: opts.operatorOnly, bodyLimit: BODY_LIMITS.twoImages, schema: { body: verifyBody, response: verifyResponse } }, async (request) => {
        const b = request.body as { probe: string; reference?: string; subjectId?: string };
        const probe = imageBytes(b.probe, 'probe');
        return b.reference !== undefined
          ? svc().verify({ probe, reference: imageBytes(b.reference, 'reference') }, actorOf(request))
          : svc().verify({ probe, subjectId: b.subjectId! }, actorOf(request));
      });

      app.post('/face/templates', { onRequest: opts.operatorOnly, bodyLimit: BODY_LIMITS.oneImage, schema: { body: templateBody, response: templateResponse } }, async (request, reply) => {
        const b = request.body as { subjectId: string; image: string };
        const r = await svc().enrolTemplate({ subjectId: b.subjectId, image: imageBytes(b.image, 'image') }, actorOf(request));
        return reply.code(201).send(r);
      });

      app.post('/face/liveness', { onRequest: opts.operatorOnly, bodyLimit: BODY_LIMITS.oneImage, schema: { body: livenessBody, response: livenessResponse } }, async (request) => {
        const b = request.body as { image: string };
        return svc().passiveLiveness(imageBytes(b.image, 'image'), actorOf(request));
      });

      app.post('/face/sessions', { onRequest: opts.operatorOnly, schema: { body: createSessionBody, response: createSessionResponse } }, async (request, reply) => {
        const b = (request.body ?? {}) as { subjectId?: string; testActions?: string[] };
        const created = await svc().sessions.create({ subjectId: b.subjectId, testActions: b.testActions }, actorOf(request));
        return reply.code(201).header('cache-control', 'no-store').send(created);
      });

      app.post('/face/sessions/:id/frames', { bodyLimit: BODY_LIMITS.frames, schema: { params: sessionParams, body: framesBody, response: framesResponse } }, async (request) => {
        const { id } = request.params as { id: string };
        const b = request.body as { nonce: string; frames: { image: string; capturedAt: number }[] };
        const frames = b.frames.map((f, i) => ({ image: imageBytes(f.image, `frames[${i}].image`), capturedAt: f.capturedAt }));
        return svc().sessions.submitFrames(id, { nonce: b.nonce, frames }, request.operator ? actorOf(request) : `face-session:${id}`);
      });

      app.get('/face/sessions/:id', { onRequest: capabilityOrOperator(opts), schema: { params: sessionParams, response: getSessionResponse } }, async (request, reply) => {
        const { id } = request.params as { id: string };
        const nonce = request.operator ? undefined : String(request.headers['x-face-nonce']);
        reply.header('cache-control', 'no-store');
        return svc().sessions.get(id, nonce);
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
