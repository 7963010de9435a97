/**
 * The one place errors become responses: RFC 9457 `application/problem+json` with a stable `type`.
 *
 * - Domain errors (KexinError) carry their code; Fastify's request errors map to edge codes; anything
 *   else is `INTERNAL`. Every code has one status and title (src/problems.ts).
 * - A 500 leaks nothing: the client sees `INTERNAL` and the occurrence id, the log line (same id) holds
 *   the real code, message and stack. Other 5xx (503) show their code and title, never their message.
 * - `instance` is `urn:uuid:<request id>`: every log line of the request carries the same id (`reqId`),
 *   so a citizen's screenshot of an error leads straight to the log.
 * - `details` add members but cannot replace the standard ones.
 * - Routes configured with `config: { errorFormat: 'oauth' }` answer RFC 6749 §5.2 `{error,
 *   error_description}` instead (for the OAuth endpoints of the identity work).
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KexinError, problemType } from '../errors.ts';
import { problemDefinition } from '../problems.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How this route's errors are written: RFC 9457 problem documents (default) or OAuth 2 error JSON. */
    errorFormat?: 'problem' | 'oauth';
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  [extra: string]: unknown;
}

/** RFC 9457 §3.1 members (and Kexin's `code`): `details` never overwrite these. */
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'code']);

/** Fastify's own request errors, by Fastify code → the Kexin error they are. */
const FASTIFY_ERRORS: Readonly<Record<string, (e: Partial<FastifyError>) => KexinError>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new KexinError('REQUEST_TOO_LARGE', 'request body exceeds the size limit for this route', 413),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (e) => new KexinError('UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported content type', 415),
  FST_ERR_CTP_INVALID_TYPE: () => new KexinError('UNSUPPORTED_MEDIA_TYPE', 'the content type is not a string', 415),
  FST_ERR_CTP_EMPTY_TYPE: () => new KexinError('UNSUPPORTED_MEDIA_TYPE', 'the content type is empty', 415),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new KexinError('REQUEST_INVALID', 'Content-Length does not match the body', 400),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new KexinError('REQUEST_INVALID', 'empty JSON body', 400),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new KexinError('REQUEST_INVALID', 'body is not valid JSON', 400),
  FST_ERR_VALIDATION: (e) => new KexinError('REQUEST_INVALID', e.message ?? 'request does not match the schema', 400),
  FST_ERR_BAD_URL: () => new KexinError('REQUEST_URL_INVALID', 'the URL path is not valid percent-encoded UTF-8', 400),
  FST_ERR_MAX_PARAM_LENGTH: () => new KexinError('REQUEST_URL_TOO_LONG', 'a path parameter is longer than any this service accepts', 414),
};

/** Other client errors raised by Fastify or its plugins, by status (their messages are not shown). */
const CLIENT_ERRORS_BY_STATUS: Readonly<Record<number, () => KexinError>> = {
  404: () => new KexinError('NOT_FOUND', 'no such resource', 404),
  405: () => new KexinError('METHOD_NOT_ALLOWED', 'method not allowed', 405),
  413: () => new KexinError('REQUEST_TOO_LARGE', 'request body exceeds the size limit for this route', 413),
  414: () => new KexinError('REQUEST_URL_TOO_LONG', 'request URL is too long', 414),
  415: () => new KexinError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content type', 415),
};

/** Any thrown value as a KexinError: domain errors as they are, Fastify's mapped, the rest `INTERNAL`. */
export function asKexinError(err: unknown): KexinError {
  if (err instanceof KexinError) return err;
  const fe = (typeof err === 'object' && err !== null ? err : {}) as Partial<FastifyError> & { validation?: unknown };
  const mapped = (fe.code !== undefined ? FASTIFY_ERRORS[fe.code] : undefined) ?? (fe.validation ? FASTIFY_ERRORS.FST_ERR_VALIDATION : undefined);
  if (mapped) return mapped(fe);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return (CLIENT_ERRORS_BY_STATUS[fe.statusCode] ?? (() => new KexinError('REQUEST_INVALID', 'the request was refused', 400)))();
  }
  return new KexinError('INTERNAL', 'internal error', 500, undefined, { cause: err });
}

/** The problem document for `err`; `occurrence` (a UUID) becomes its `instance`. */
export function problemFor(err: KexinError, occurrence: string): Problem {
  const instance = `urn:uuid:${occurrence}`;
  const code = err.status === 500 ? 'INTERNAL' : err.code;
  const title = problemDefinition(code)?.title ?? STATUS_CODES[err.status] ?? 'Error';
  const problem: Problem = { type: problemType(code), title, status: err.status, code };
  if (err.expose) {
    problem.detail = err.message;
    for (const [k, v] of Object.entries(err.details ?? {})) if (!STANDARD_MEMBERS.has(k)) problem[k] = v;
  }
  problem.instance = instance;
  return problem;
}

/** RFC 6749 §5.2 / RFC 6750 §3.1 error code for a problem, when a route answers OAuth-style. */
export function oauthErrorCode(code: string, status: number): string {
  const registered = problemDefinition(code)?.oauthError;
  if (registered) return registered;
  if (status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  if (status === 401) return 'invalid_client';
  if (status === 403) return 'access_denied';
  return 'invalid_request';
}

/** Writes `err` as this route's error format and logs it once: one line, with the stack only for 5xx. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const kexinError = asKexinError(err);
  const problem = problemFor(kexinError, request.id);
  if (problem.status >= 500) {
    // The one place a 5xx is logged: the real code and cause, under the id the client was given.
    request.log.error({ err: kexinError.cause ?? kexinError, code: kexinError.code, instance: problem.instance }, 'request failed');
  } else {
    request.log.info({ code: problem.code, instance: problem.instance }, 'request refused');
  }
  reply.code(problem.status);
  // RFC 9110 §10.2.3 / RFC 6585 §4: when to try again after a 429 or 503 that says so.
  const retryAfter = kexinError.details?.retryAfter;
  if ((problem.status === 429 || problem.status === 503) && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  if (request.routeOptions.config?.errorFormat === 'oauth') {
    const body: Record<string, string> = { error: oauthErrorCode(problem.code, problem.status) };
    if (problem.detail !== undefined) body.error_description = problem.detail;
    return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(body));
  }
  return reply.type('application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}

/** The problem document written straight to a socket, for errors Node raises before Fastify has a request. */
function socketProblem(err: NodeJS.ErrnoException): { problem: Problem; statusLine: string } {
  const kexinError = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? new KexinError('REQUEST_TIMEOUT', 'the request was not received in time', 408)
    : err.code === 'HPE_HEADER_OVERFLOW' ? new KexinError('REQUEST_HEADERS_TOO_LARGE', 'request headers are too large', 431)
    : new KexinError('REQUEST_MALFORMED', 'the request is not well-formed HTTP/1.1', 400);
  const problem = problemFor(kexinError, randomUUID());
  return { problem, statusLine: `${problem.status} ${STATUS_CODES[problem.status]}` };
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new KexinError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, 404)));
}

/** Fastify `frameworkErrors`: a URL the router cannot decode (or a too-long parameter) as a problem. */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(request, reply, err);
}

/**
 * Fastify `clientErrorHandler`: Node's errors before a request exists (slow or malformed requests,
 * header overflow) answered as problem documents, then the connection is closed.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { problem, statusLine } = socketProblem(err);
  this.log.info({ code: problem.code, instance: problem.instance, reason: err.code }, 'connection refused');
  // Node's own rule (lib/_http_server.js): write only if nothing of a response went out yet.
  const responding = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !responding?.headersSent) {
    const body = JSON.stringify(problem);
    socket.write(`HTTP/1.1 ${statusLine}\r\nConnection: close\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy();
}
