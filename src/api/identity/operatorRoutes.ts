/**
 * Operator ceremonies: rotating and disabling the break-glass operator tokens, starting a rotation of
 * the authorization server's signing key. Only an operator may (the break-glass token itself, or the
 * local CLI's process token); no client scope reaches these.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Clock } from '../../clock.ts';
import type { IdentityService } from '../../identity/identityService.ts';
import { identityErrors } from '../../identity/identityErrors.ts';
import { disableOperatorTokens, rotateOperatorTokens, type OperatorTokenRegistry } from '../../identity/operatorTokens.ts';
import type { RoutePlugin } from '../app.ts';
import { actorOf, authenticateRequest } from '../auth/requireScope.ts';
import { problemResponses } from '../schemas.ts';

async function operatorOnly(request: FastifyRequest): Promise<void> {
  if ((await authenticateRequest(request)).kind !== 'operator') throw identityErrors.operatorOnly();
}

export function operatorRoutes(deps: { pool: pg.Pool; clock: Clock; operators: OperatorTokenRegistry; identity: IdentityService }): RoutePlugin {
  return {
    name: 'operator',
    plugin: async (app) => {
      app.post('/admin/operator/rotate', {
        onRequest: operatorOnly,
        schema: { response: { 200: Type.Object({ id: Type.String(), token: Type.String(), revoked: Type.Array(Type.String()) }), ...problemResponses(401, 403) } },
      }, async (req, reply) => {
        const r = await rotateOperatorTokens(deps.pool, { actor: actorOf(req), clock: deps.clock });
        await deps.operators.reload();
        return reply.header('cache-control', 'no-store').send(r);
      });

      // Starts a signing-key rotation now: the next key is published at once and signs an hour later.
      app.post('/admin/oauth/keys/rotate', {
        onRequest: operatorOnly,
        schema: { response: { 200: Type.Object({ keys: Type.Array(Type.Object({ kid: Type.String(), state: Type.String() })) }), ...problemResponses(401, 403) } },
      }, async () => {
        await deps.identity.rotateSigningKeys({ force: true });
        return { keys: deps.identity.keys().published.map((k) => ({ kid: k.kid, state: k.state })) };
      });

      app.post('/admin/operator/disable', {
        onRequest: operatorOnly,
        schema: { response: { 200: Type.Object({ revoked: Type.Array(Type.String()) }), ...problemResponses(401, 403) } },
      }, async (req) => {
        const r = await disableOperatorTokens(deps.pool, { actor: actorOf(req), clock: deps.clock });
        await deps.operators.reload();
        return r;
      });
    },
  };
}
