/** /audit routes. */
import { Type } from '@fastify/type-provider-typebox';
import type { AuditService } from '../../audit/auditService.ts';
import type { RoutePlugin } from '../app.ts';
import { requireScope } from '../auth/requireScope.ts';
import { problemResponses } from '../schemas.ts';

const AuditVerification = Type.Object({
  ok: Type.Boolean(),
  rows: Type.Integer(),
  firstBroken: Type.Optional(Type.Object({ seq: Type.Integer(), reason: Type.String() })),
});

export function auditRoutes(audit: AuditService): RoutePlugin {
  return {
    name: 'audit',
    plugin: async (app) => {
      /** Recompute the hash chain and report the first broken link. */
      app.get('/audit/verify', {
        onRequest: requireScope('audit:read'),
        schema: { response: { 200: AuditVerification, ...problemResponses(401, 403) } },
      }, async () => audit.verify());
    },
  };
}
