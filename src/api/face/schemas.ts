/** TypeBox schemas of the face routes: bodies (closed, size-limited) and a response per status. */
import { Type } from '@fastify/type-provider-typebox';
import { MAX_FRAMES } from '../../liveness/sessions.ts';
import { problemResponses } from '../schemas.ts';

/** Base64 characters of one image (≈ 6 MB decoded). */
export const IMAGE_B64_MAX = 8 * 1024 * 1024;
/** Base64 characters of one video frame (≈ 750 kB JPEG). */
export const FRAME_B64_MAX = 1024 * 1024;
const SLACK = 64 * 1024;
export const BODY_LIMITS = Object.freeze({
  oneImage: IMAGE_B64_MAX + SLACK,
  twoImages: 2 * IMAGE_B64_MAX + SLACK,
  /** A whole challenge in one request. */
  frames: 20 * 1024 * 1024,
});

const Image = (max: number) => Type.String({ minLength: 1, maxLength: max });
/** Subject ids: opaque ids or GB 11643 ID numbers. */
const SubjectId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });
const Action = Type.Enum(['blink', 'open_mouth', 'turn_left', 'turn_right', 'nod']);
const Num = Type.Union([Type.Number(), Type.Null()]);

const Quality = Type.Union([Type.Null(), Type.Object({
  passed: Type.Boolean(),
  reasons: Type.Array(Type.Object({ code: Type.String(), value: Type.Optional(Num), threshold: Type.Optional(Num) })),
})]);

export const VerifyBody = Type.Object({
  probe: Image(IMAGE_B64_MAX),
  reference: Type.Optional(Image(IMAGE_B64_MAX)),
  subjectId: Type.Optional(SubjectId),
}, { additionalProperties: false, oneOf: [{ required: ['reference'] }, { required: ['subjectId'] }] });

export const verifyResponse = {
  200: Type.Object({
    match: Type.Boolean(), score: Num, threshold: Type.Number(),
    quality: Type.Object({ probe: Quality, reference: Quality }),
    reasons: Type.Array(Type.Object({ image: Type.String(), code: Type.String(), value: Type.Optional(Num), threshold: Type.Optional(Num) })),
  }),
  ...problemResponses(400, 401, 403, 404, 413, 422, 503),
};

export const TemplateBody = Type.Object({ subjectId: SubjectId, image: Image(IMAGE_B64_MAX) }, { additionalProperties: false });

export const templateResponse = {
  201: Type.Object({ subjectId: Type.String(), enrolled: Type.Boolean(), replaced: Type.Boolean(), quality: Quality }),
  ...problemResponses(400, 401, 403, 413, 422, 503),
};

export const LivenessBody = Type.Object({ image: Image(IMAGE_B64_MAX) }, { additionalProperties: false });

export const livenessResponse = {
  200: Type.Object({
    live: Type.Boolean(), score: Num, threshold: Type.Number(),
    reasons: Type.Array(Type.Object({ code: Type.String(), value: Type.Optional(Num), threshold: Type.Optional(Num) })),
  }),
  ...problemResponses(400, 401, 403, 413, 422, 503),
};

export const CreateSessionBody = Type.Union([Type.Null(), Type.Object({
  subjectId: Type.Optional(SubjectId),
  /** Test mode only: a fixed action sequence (refused otherwise). */
  testActions: Type.Optional(Type.Array(Action, { minItems: 1, maxItems: 3 })),
}, { additionalProperties: false })]);

export const createSessionResponse = {
  201: Type.Object({ id: Type.String(), nonce: Type.String(), actions: Type.Array(Action), expiresAt: Type.String() }),
  ...problemResponses(400, 401, 403, 423, 503),
};

export const SessionParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export const FramesBody = Type.Object({
  nonce: Type.String({ minLength: 16, maxLength: 128 }),
  frames: Type.Array(Type.Object({ image: Image(FRAME_B64_MAX), capturedAt: Type.Number() }, { additionalProperties: false }), { minItems: 1, maxItems: MAX_FRAMES }),
}, { additionalProperties: false });

const Check = Type.Object({ name: Type.String(), passed: Type.Boolean(), score: Num, threshold: Num, reason: Type.String() });

const SessionView = Type.Object({
  id: Type.String(),
  state: Type.Enum(['pending', 'processing', 'passed', 'failed', 'expired']),
  actions: Type.Array(Action),
  subject: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.String(),
  attempts: Type.Integer(),
  result: Type.Union([Type.Null(), Type.Object({
    passed: Type.Boolean(),
    reasons: Type.Array(Type.String()),
    checks: Type.Array(Check),
    frames: Type.Integer(),
    passive: Type.Union([Type.Null(), Type.Object({ live: Type.Boolean(), score: Num, threshold: Type.Number() })]),
    model: Type.String(),
    evaluatedAt: Type.String(),
  })]),
});

export const framesResponse = { 200: SessionView, ...problemResponses(400, 403, 404, 409, 410, 413, 423, 503) };
export const getSessionResponse = { 200: SessionView, ...problemResponses(400, 401, 403, 404, 503) };
