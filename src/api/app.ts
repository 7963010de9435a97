/**
 * The Fastify application: shared plumbing (logging, problem documents, authentication, body limits)
 * and one route plugin per module, each of which only authorises, validates and calls its module.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/authenticator.ts';
import { registerAuthenticators } from './auth/requireScope.ts';
import { registerProblemHandlers } from './problem.ts';
import type { KexinPlugin, KexinTypeProvider } from './typeProvider.ts';

export interface AppDeps {
  readonly logger: Logger;
  /** Tried in order by `requireScope`; the first that recognises the credentials decides. */
  readonly authenticators: readonly Authenticator[];
  /** Whether migrations ran and keys are loaded (GET /healthz). */
  readonly isReady: () => boolean;
  /** Module route plugins, registered in order. */
  readonly routes: readonly RoutePlugin[];
}

/** A module's routes. Schemas are TypeBox: the schema is also the handler's type. */
export interface RoutePlugin {
  readonly name: string;
  readonly prefix?: string;
  readonly plugin: KexinPlugin;
}

/** Default JSON body limit; binary protocol routes (OCSP, TSA, images, PDFs) set their own. */
export const JSON_BODY_LIMIT = 256 * 1024;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT,
    trustProxy: false,
    // Ajv: reject unknown properties instead of silently dropping them, never coerce types of bodies.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<KexinTypeProvider>();
  registerProblemHandlers(app);
  registerAuthenticators(app, deps.authenticators);

  app.get('/healthz', {
    schema: { response: { 200: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] }, 503: { type: 'object', additionalProperties: true } } },
  }, async (_req, reply) => {
    if (!deps.isReady()) return reply.code(503).type('application/problem+json').send({ type: 'urn:kexin:problem:not-ready', title: 'Service Unavailable', status: 503, code: 'NOT_READY' });
    return { status: 'ok' as const };
  });

  for (const r of deps.routes) {
    await app.register(r.plugin, { prefix: r.prefix ?? '' });
  }
  return app;
}
