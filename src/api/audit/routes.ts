import type { FastifyPluginAsync } from 'fastify';
import type pg from 'pg';
import { verifyAuditChain } from '../../audit/auditLog.ts';
import type { ModuleOptions } from '../app.ts';

/** GET /audit/verify (operator): recompute the hash chain and report the first broken link. */
export function auditRoutes(pool: pg.Pool): FastifyPluginAsync<ModuleOptions> {
  return async (app, opts) => {
    app.get('/audit/verify', {
      onRequest: opts.operatorOnly,
      schema: {
        response: {
          200: {
            type: 'object', required: ['ok', 'rows'],
            properties: { ok: { type: 'boolean' }, rows: { type: 'integer' }, firstBroken: { type: 'object', properties: { seq: { type: 'integer' }, reason: { type: 'string' } } } },
          },
        },
      },
    }, async () => verifyAuditChain(pool));
  };
}
