/** JSON schemas of the face routes: bodies (closed, size-limited) and a response per status. */
import { MAX_FRAMES } from '../../liveness/sessions.ts';

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

const image = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;
/** Subject ids: opaque ids or GB 11643 ID numbers. */
const subjectId = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' } as const;
const actions = { type: 'array', items: { type: 'string', enum: ['blink', 'open_mouth', 'turn_left', 'turn_right', 'nod'] } } as const;
const num = { type: ['number', 'null'] } as const;

export const problem = {
  type: 'object',
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' }, instance: { type: 'string' } },
  required: ['type', 'title', 'status', 'code'],
  additionalProperties: true,
} as const;
const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, problem]));

const quality = {
  type: ['object', 'null'],
  properties: {
    passed: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, value: num, threshold: num }, required: ['code'] } },
  },
  required: ['passed', 'reasons'],
} as const;

export const verifyBody = {
  type: 'object',
  additionalProperties: false,
  properties: { probe: image(IMAGE_B64_MAX), reference: image(IMAGE_B64_MAX), subjectId },
  required: ['probe'],
  oneOf: [{ required: ['reference'] }, { required: ['subjectId'] }],
} as const;

export const verifyResponse = {
  200: {
    type: 'object',
    properties: {
      match: { type: 'boolean' }, score: num, threshold: { type: 'number' },
      quality: { type: 'object', properties: { probe: quality, reference: quality }, required: ['probe', 'reference'] },
      reasons: { type: 'array', items: { type: 'object', properties: { image: { type: 'string' }, code: { type: 'string' }, value: num, threshold: num }, required: ['image', 'code'] } },
    },
    required: ['match', 'score', 'threshold', 'quality', 'reasons'],
  },
  ...problems(400, 401, 404, 413, 422, 503),
} as const;

export const templateBody = {
  type: 'object', additionalProperties: false,
  properties: { subjectId, image: image(IMAGE_B64_MAX) },
  required: ['subjectId', 'image'],
} as const;

export const templateResponse = {
  201: {
    type: 'object',
    properties: { subjectId: { type: 'string' }, enrolled: { type: 'boolean' }, replaced: { type: 'boolean' }, quality },
    required: ['subjectId', 'enrolled', 'replaced', 'quality'],
  },
  ...problems(400, 401, 413, 422, 503),
} as const;

export const livenessBody = {
  type: 'object', additionalProperties: false,
  properties: { image: image(IMAGE_B64_MAX) },
  required: ['image'],
} as const;

export const livenessResponse = {
  200: {
    type: 'object',
    properties: {
      live: { type: 'boolean' }, score: num, threshold: { type: 'number' },
      reasons: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, value: num, threshold: num }, required: ['code'] } },
    },
    required: ['live', 'score', 'threshold', 'reasons'],
  },
  ...problems(400, 401, 413, 422, 503),
} as const;

export const createSessionBody = {
  type: ['object', 'null'], additionalProperties: false,
  properties: {
    subjectId,
    /** Test mode only: a fixed action sequence (refused otherwise). */
    testActions: { ...actions, minItems: 1, maxItems: 3 },
  },
} as const;

export const createSessionResponse = {
  201: {
    type: 'object',
    properties: { id: { type: 'string' }, nonce: { type: 'string' }, actions, expiresAt: { type: 'string' } },
    required: ['id', 'nonce', 'actions', 'expiresAt'],
  },
  ...problems(400, 401, 403, 423, 503),
} as const;

export const sessionParams = {
  type: 'object', additionalProperties: false,
  properties: { id: { type: 'string', format: 'uuid' } },
  required: ['id'],
} as const;

export const framesBody = {
  type: 'object', additionalProperties: false,
  properties: {
    nonce: { type: 'string', minLength: 16, maxLength: 128 },
    frames: {
      type: 'array', minItems: 1, maxItems: MAX_FRAMES,
      items: {
        type: 'object', additionalProperties: false,
        properties: { image: image(FRAME_B64_MAX), capturedAt: { type: 'number' } },
        required: ['image', 'capturedAt'],
      },
    },
  },
  required: ['nonce', 'frames'],
} as const;

const check = {
  type: 'object',
  properties: { name: { type: 'string' }, passed: { type: 'boolean' }, score: num, threshold: num, reason: { type: 'string' } },
  required: ['name', 'passed', 'score', 'threshold', 'reason'],
} as const;

const sessionView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'processing', 'passed', 'failed', 'expired'] },
    actions,
    subject: { type: ['string', 'null'] },
    expiresAt: { type: 'string' },
    attempts: { type: 'integer' },
    result: {
      type: ['object', 'null'],
      properties: {
        passed: { type: 'boolean' },
        reasons: { type: 'array', items: { type: 'string' } },
        checks: { type: 'array', items: check },
        frames: { type: 'integer' },
        passive: { type: ['object', 'null'], properties: { live: { type: 'boolean' }, score: num, threshold: { type: 'number' } } },
        model: { type: 'string' },
        evaluatedAt: { type: 'string' },
      },
    },
  },
  required: ['id', 'state', 'actions', 'subject', 'expiresAt', 'attempts', 'result'],
} as const;

export const framesResponse = { 200: sessionView, ...problems(400, 403, 404, 409, 410, 413, 423, 503) } as const;
export const getSessionResponse = { 200: sessionView, ...problems(400, 401, 403, 404, 503) } as const;
