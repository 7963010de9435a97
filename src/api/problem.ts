/**
 * The one place errors become responses: RFC 9457 `application/problem+json` with a stable `type`.
 * Domain errors (KexinError) show their message when `expose`; Fastify's own request errors map to
 * fixed codes; anything else is a 500 that leaks nothing.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KexinError, problemType } from '../errors.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  instance?: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 410: 'Gone', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  423: 'Locked', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** Fastify's request-level error codes → Kexin codes and statuses. */
const FASTIFY_CODES: Record<string, { code: string; status: number; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'REQUEST_TOO_LARGE', status: 413, detail: 'request body exceeds the size limit for this route' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'REQUEST_INVALID', status: 400 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'REQUEST_INVALID', status: 400, detail: 'empty JSON body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'REQUEST_INVALID', status: 400, detail: 'body is not valid JSON' },
  FST_ERR_VALIDATION: { code: 'REQUEST_INVALID', status: 400 },
};

export function problemFor(err: unknown): Problem {
  if (err instanceof KexinError) {
    const p: Problem = {
      type: problemType(err.code),
      title: TITLES[err.status] ?? 'Error',
      status: err.status,
      code: err.code,
      ...(err.expose ? { detail: err.message, ...(err.details ?? {}) } : {}),
    };
    return p;
  }
  const fe = err as Partial<FastifyError> & { validation?: unknown };
  const mapped = (fe.code && FASTIFY_CODES[fe.code]) || (fe.validation ? FASTIFY_CODES.FST_ERR_VALIDATION : undefined)
    || (fe.statusCode === 400 && fe.message?.includes('JSON') ? FASTIFY_CODES.FST_ERR_CTP_INVALID_JSON_BODY : undefined);
  if (mapped) {
    return { type: problemType(mapped.code), title: TITLES[mapped.status]!, status: mapped.status, code: mapped.code, detail: mapped.detail ?? fe.message };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { type: problemType('REQUEST_INVALID'), title: TITLES[fe.statusCode] ?? 'Bad Request', status: fe.statusCode, code: 'REQUEST_INVALID', detail: fe.message };
  }
  return { type: problemType('INTERNAL'), title: TITLES[500]!, status: 500, code: 'INTERNAL' };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify({ ...problem, instance: request.url.split('?')[0] }));
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const problem = problemFor(err);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: problem.code }, 'request refused');
    // RFC 9110 §10.2.3 / RFC 6585 §4: when to try again after a 429 or 503.
    if ((problem.status === 429 || problem.status === 503) && typeof problem.retryAfter === 'number') reply.header('retry-after', String(problem.retryAfter));
    return sendProblem(reply, request, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, { type: problemType('NOT_FOUND'), title: 'Not Found', status: 404, code: 'NOT_FOUND', detail: `no route ${request.method} ${request.url.split('?')[0]}` }));
}
