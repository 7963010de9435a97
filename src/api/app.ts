/**
 * The Fastify application: shared plumbing (logging, problem documents, authentication, body and time
 * limits, 405s, OpenAPI, metrics) and one route plugin per module, each of which only authorises,
 * validates and calls its module.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../config.ts';
import { KexinError } from '../errors.ts';
import type { Authenticator } from './auth/authenticator.ts';
import { registerAuthenticators } from './auth/requireScope.ts';
import { useBoundedJsonParser } from './edge/boundedJson.ts';
import { registerMetrics } from './edge/metrics.ts';
import { addMethodNotAllowedRoutes } from './edge/methodNotAllowed.ts';
import { registerOpenApi } from './edge/openapi.ts';
import { recordRoutes } from './edge/routeTable.ts';
import { clientErrorHandler, frameworkErrorHandler, registerProblemHandlers, sendError } from './problem.ts';
import type { KexinPlugin, KexinTypeProvider } from './typeProvider.ts';

export interface AppDeps {
  readonly logger: Logger;
  /** Tried in order by `requireScope`; the first that recognises the credentials decides. */
  readonly authenticators: readonly Authenticator[];
  /** Whether migrations ran and keys are loaded (GET /healthz). */
  readonly isReady: () => boolean;
  /** Module route plugins, registered in order. */
  readonly routes: readonly RoutePlugin[];
  /** Server time limits (default `DEFAULT_HTTP_LIMITS`). */
  readonly http?: HttpLimits;
}

/** A module's routes. Schemas are TypeBox: the schema is also the handler's type. */
export interface RoutePlugin {
  readonly name: string;
  readonly prefix?: string;
  readonly plugin: KexinPlugin;
}

/** Default JSON body limit; binary protocol routes (OCSP, TSA, images, PDFs) set their own. */
export const JSON_BODY_LIMIT = 256 * 1024;

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = deps.http ?? DEFAULT_HTTP_LIMITS;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT,
    trustProxy: false,
    // Each request's id is a UUID: it is the problem document's `instance` and on every log line.
    genReqId: () => randomUUID(),
    // Slow clients are cut off (slowloris on headers or body), idle sockets closed.
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.checkIntervalMs },
    // Bad percent-encoding / invalid UTF-8 in the path, and Node's own request errors, as problems.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // Ajv: reject unknown properties instead of silently dropping them, never coerce types of bodies.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<KexinTypeProvider>();
  recordRoutes(app);
  registerProblemHandlers(app);
  registerAuthenticators(app, deps.authenticators);
  useBoundedJsonParser(app);
  await registerOpenApi(app, VERSION);
  registerMetrics(app);

  app.get('/healthz', {
    schema: { tags: ['service'], summary: 'Liveness: migrations ran and keys are loaded', response: { 200: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] } } },
  }, async (request, reply) => {
    if (!deps.isReady()) return sendError(request, reply, new KexinError('NOT_READY', 'the service is still starting', 503));
    return { status: 'ok' as const };
  });

  for (const r of deps.routes) {
    await app.register(r.plugin, { prefix: r.prefix ?? '' });
  }
  addMethodNotAllowedRoutes(app);
  return app;
}
