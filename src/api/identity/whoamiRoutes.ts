/**
 * GET /auth/whoami: how Kexin sees the caller's credentials (client id, kind, granted scopes, how it
 * authenticated, certificate binding, class). For a system's operators to check a token or a
 * registration without guessing from 403s; it needs credentials but no scope.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { RoutePlugin } from '../app.ts';
import { authenticateRequest } from '../auth/requireScope.ts';
import { problemResponses } from '../schemas.ts';

const Whoami = Type.Object({
  clientId: Type.String(),
  kind: Type.Enum(['operator', 'client']),
  scopes: Type.Union([Type.Array(Type.String()), Type.Literal('*')]),
  method: Type.String(),
  certThumbprint: Type.Optional(Type.String()),
  clientClass: Type.Optional(Type.String()),
});

export function whoamiRoutes(): RoutePlugin {
  return {
    name: 'whoami',
    plugin: async (app) => {
      app.get('/auth/whoami', {
        onRequest: async (request) => { await authenticateRequest(request); },
        schema: { response: { 200: Whoami, ...problemResponses(401, 403, 429) } },
      }, async (request, reply) => {
        const p = request.principal!;
        return reply.header('cache-control', 'no-store').send({
          clientId: p.clientId, kind: p.kind, scopes: p.allScopes ? '*' as const : [...p.scopes].sort(), method: p.method,
          ...(p.certThumbprint ? { certThumbprint: p.certThumbprint } : {}), ...(p.clientClass ? { clientClass: p.clientClass } : {}),
        });
      });
    },
  };
}
