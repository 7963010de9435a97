/**
 * Route authorisation: `onRequest: requireScope('ca:issue')` (or a function of the request, e.g.
 * `seal:apply:<id>` from the route's params). It runs before the body is read: who is calling is
 * settled before a byte of what they sent is parsed (STYLE: "who you are before what you sent").
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { KexinError } from '../../errors.ts';
import type { Authenticator } from './authenticator.ts';
import { actorOfPrincipal, hasScope, hasScopeOrNarrower, type Principal } from './principal.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The authenticator chain, tried in order (see `registerAuthenticators`). */
    kexinAuthenticators: readonly Authenticator[];
  }
  interface FastifyRequest {
    /** Set once the request's credentials were verified. */
    principal?: Principal;
  }
}

export function registerAuthenticators(app: FastifyInstance, authenticators: readonly Authenticator[]): void {
  app.decorate('kexinAuthenticators', Object.freeze([...authenticators]));
  app.decorateRequest('principal', undefined);
}

const authRequired = () => new KexinError('AUTH_REQUIRED', 'this route needs credentials (an access token, or the operator token)', 401);

/** The request's principal, authenticating it on first use; 401 when no authenticator accepts it. */
export async function authenticateRequest(request: FastifyRequest): Promise<Principal> {
  if (request.principal) return request.principal;
  for (const a of request.server.kexinAuthenticators) {
    const p = await a.authenticate(request);
    if (p) {
      request.principal = p;
      return p;
    }
  }
  throw authRequired();
}

const scopeMissing = (scope: string) => new KexinError('AUTH_SCOPE_MISSING', `the credentials do not grant the scope ${scope}`, 403, { requiredScope: scope });

type ScopeOf = string | ((request: FastifyRequest) => string);

/**
 * What a scope hook demands, readable from the route (the OpenAPI document's security requirements):
 * `scopes` are alternatives, any one of which is enough.
 */
export interface ScopeRequirement {
  readonly scopes: readonly string[];
}

const SCOPE_REQUIREMENT = Symbol('kexin.scopeRequirement');

function withRequirement(hook: onRequestHookHandler, requirement: ScopeRequirement): onRequestHookHandler {
  return Object.assign(hook, { [SCOPE_REQUIREMENT]: Object.freeze(requirement) });
}

/** The scope requirement `hook` was made with (`requireScope`, `requireScopeFamily`, `describeScopeHook`), if any. */
export function scopeRequirementOf(hook: unknown): ScopeRequirement | undefined {
  return typeof hook === 'function' ? (hook as { [SCOPE_REQUIREMENT]?: ScopeRequirement })[SCOPE_REQUIREMENT] : undefined;
}

/** Documents a hand-written onRequest hook's scopes (alternatives), for routes with their own authorisation logic. */
export function describeScopeHook(hook: onRequestHookHandler, ...scopes: string[]): onRequestHookHandler {
  return withRequirement(hook, { scopes });
}

/** Authenticates the request and checks it holds `scope` exactly; 401/403 otherwise. */
export async function ensureScope(request: FastifyRequest, scope: string): Promise<Principal> {
  const principal = await authenticateRequest(request);
  if (!hasScope(principal, scope)) throw scopeMissing(scope);
  return principal;
}

/**
 * onRequest hook: the caller must hold `scope` exactly. A scope computed from the request (e.g.
 * `seal:apply:<id>`) is documented as `documented` (e.g. `seal:apply:{id}`).
 */
export function requireScope(scope: ScopeOf, documented?: string): onRequestHookHandler {
  const hook = async function scopeCheck(request: FastifyRequest, _reply: FastifyReply) {
    await ensureScope(request, typeof scope === 'function' ? scope(request) : scope);
  };
  return withRequirement(hook, { scopes: [typeof scope === 'string' ? scope : documented ?? '{computed from the request}'] });
}

/**
 * onRequest hook for routes whose exact scope depends on the body (e.g. `ca:issue:<profile>`): the
 * caller must hold `scope` or a narrower one now; the handler checks the exact one with `assertScope`.
 * `documentedNarrower` names the narrower form in the API description (e.g. `ca:issue:{profile}`).
 */
export function requireScopeFamily(scope: string, documentedNarrower = `${scope}:{…}`): onRequestHookHandler {
  const hook = async function scopeFamilyCheck(request: FastifyRequest, _reply: FastifyReply) {
    const principal = await authenticateRequest(request);
    if (!hasScopeOrNarrower(principal, scope)) throw scopeMissing(scope);
  };
  return withRequirement(hook, { scopes: [scope, documentedNarrower] });
}

/** In a handler: the authenticated caller must hold one of `scopes`. */
export function assertScope(request: FastifyRequest, ...scopes: string[]): Principal {
  const principal = request.principal;
  if (!principal) throw new TypeError('assertScope before authentication: add requireScope/requireScopeFamily to the route');
  if (!scopes.some((s) => hasScope(principal, s))) throw scopeMissing(scopes[0]!);
  return principal;
}

/** The audit actor of an authenticated request (`operator:<id>` / `client:<id>`), else `anonymous`. */
export function actorOf(request: FastifyRequest): string {
  return request.principal ? actorOfPrincipal(request.principal) : 'anonymous';
}
