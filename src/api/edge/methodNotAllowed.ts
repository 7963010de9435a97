/**
 * RFC 9110 §15.5.6: a path that exists but not for this method is a 405 with `Allow`, not a 404.
 * Fastify's router knows no such thing, so after every module registered its routes, each path gets
 * one more route for its other methods, answering 405 in `onRequest` (before any body is read).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KexinError } from '../../errors.ts';
import { sendError } from '../problem.ts';
import { methodsOf } from './routeTable.ts';

/** The methods Kexin answers at all; others never reach a route (Node's parser knows them, Fastify 404s). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export function addMethodNotAllowedRoutes(app: FastifyInstance): void {
  const allowedByUrl = new Map<string, Set<string>>();
  for (const route of app.kexinRoutes) {
    const set = allowedByUrl.get(route.url) ?? new Set<string>();
    for (const m of methodsOf(route)) set.add(m);
    allowedByUrl.set(route.url, set);
  }
  for (const [url, allowed] of allowedByUrl) {
    const others = METHODS.filter((m) => !allowed.has(m));
    if (others.length === 0) continue;
    const allow = METHODS.filter((m) => allowed.has(m)).join(', ');
    app.route({
      method: others,
      url,
      exposeHeadRoute: false,
      config: { methodNotAllowed: true },
      schema: { hide: true },
      onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
        reply.header('allow', allow);
        return sendError(request, reply, new KexinError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; allowed: ${allow}`, 405));
      },
      handler: async () => { throw new TypeError('unreachable: the onRequest hook answered'); },
    });
  }
}
