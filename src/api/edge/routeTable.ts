/**
 * Every route the app registers, as Fastify saw it (`onRoute`): what the 405 answers, the OpenAPI
 * document and the route-walking tests enumerate, so none of them can miss a route a module adds.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** Routes in registration order (HEAD twins of GET routes included). */
    kexinRoutes: readonly RouteOptions[];
  }
  interface FastifyContextConfig {
    /** Set on the synthetic routes that answer 405 for a path's other methods. */
    methodNotAllowed?: boolean;
  }
}

/** Starts recording; call before any route is registered. */
export function recordRoutes(app: FastifyInstance): void {
  const routes: RouteOptions[] = [];
  app.decorate('kexinRoutes', routes);
  app.addHook('onRoute', (route) => { routes.push(route); });
}

/** `route.method` as a list. */
export function methodsOf(route: RouteOptions): string[] {
  return (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
}
