/**
 * The Fastify application: shared plumbing (logging, problem documents, auth, body limits) and one
 * plugin per module, each of which only authorises, validates and calls its module's service.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { requireOperator } from './auth.ts';
import type { OperatorTokenRegistry } from './operatorTokens.ts';
import { registerProblemHandlers } from './problem.ts';

export interface AppDeps {
  readonly logger: Logger;
  readonly operators: OperatorTokenRegistry;
  /** Whether migrations ran and keys are loaded (GET /healthz). */
  readonly isReady: () => boolean;
  /** Module route plugins, registered in order. */
  readonly modules: readonly ModulePlugin[];
}

export interface ModulePlugin {
  readonly name: string;
  readonly prefix?: string;
  readonly plugin: FastifyPluginAsync<ModuleOptions>;
}

export interface ModuleOptions {
  /** onRequest hook that requires an operator bearer token (before the body is parsed or validated). */
  readonly operatorOnly: ReturnType<typeof requireOperator>;
}

/** Default JSON body limit; binary protocol routes (OCSP, TSA, images) set their own. */
export const JSON_BODY_LIMIT = 256 * 1024;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT,
    trustProxy: false,
    // Ajv: reject unknown properties instead of silently dropping them, never coerce types of bodies.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  registerProblemHandlers(app);
  const operatorOnly = requireOperator(deps.operators);

  app.get('/healthz', {
    schema: { response: { 200: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] }, 503: { type: 'object', additionalProperties: true } } },
  }, async (_req, reply) => {
    if (!deps.isReady()) return reply.code(503).type('application/problem+json').send({ type: 'urn:kexin:problem:not-ready', title: 'Service Unavailable', status: 503, code: 'NOT_READY' });
    return { status: 'ok' as const };
  });

  for (const m of deps.modules) {
    await app.register(m.plugin, { prefix: m.prefix ?? '', operatorOnly });
  }
  return app;
}
