/**
 * The break-glass operator token (`Authorization: Bearer <token>`): every scope, for ceremonies and
 * emergencies. Each use is recorded (`recordUse`, an audit row) before the route runs, so a stolen or
 * overused token shows up in the audit log even on read-only routes.
 */
import type { FastifyRequest } from 'fastify';
import { KexinError } from '../../errors.ts';
import type { BreakGlassUse } from '../../identity/breakGlass.ts';
import type { OperatorTokenRegistry } from '../../identity/operatorTokens.ts';
import { authorizationCredentials, type Authenticator } from './authenticator.ts';
import type { Principal } from './principal.ts';

const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,512}$/;

/** A JWS compact serialisation (three base64url parts): an OAuth access token, not an operator token. */
export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

export function operatorTokenAuthenticator(registry: OperatorTokenRegistry, recordUse: (use: BreakGlassUse) => Promise<void>): Authenticator {
  return {
    name: 'operator-token',
    async authenticate(request: FastifyRequest): Promise<Principal | undefined> {
      const token = authorizationCredentials(request, 'Bearer');
      if (token === undefined || looksLikeJwt(token)) return undefined;
      if (!TOKEN_SHAPE.test(token)) throw new KexinError('AUTH_INVALID', 'the bearer token is not valid', 401);
      const operator = registry.authenticate(token);
      if (!operator) throw new KexinError('AUTH_INVALID', 'the bearer token is not valid', 401);
      await recordUse({ operator, method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0]! });
      return Object.freeze({
        clientId: `operator:${operator.id}`, kind: 'operator' as const, scopes: new Set<string>(), allScopes: true, method: 'operator_token' as const,
      });
    },
  };
}
