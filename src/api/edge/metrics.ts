/**
 * Per-route request metrics and `GET /metrics` on the main listener. The route label is the route's
 * pattern (`/pki/certificates/:serial`), so label values are as many as the routes, whatever the URLs.
 * `/metrics` needs the `metrics:read` scope here; the credential-free alternative is a separate
 * listener on a private address (`KEXIN_METRICS_PORT`, src/observability/metricsListener.ts).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { metricsRegistry, observeHttpRequest } from '../../observability/metrics.ts';
import { requireScope } from '../auth/requireScope.ts';
import { problemResponses } from '../schemas.ts';

export function registerMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    observeHttpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.get('/metrics', {
    onRequest: requireScope('metrics:read'),
    schema: {
      tags: ['service'], summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'],
      response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }), ...problemResponses(401, 403) },
    },
  }, async (_request, reply) => reply.type(metricsRegistry.contentType).header('cache-control', 'no-store').send(await metricsRegistry.metrics()));
}
