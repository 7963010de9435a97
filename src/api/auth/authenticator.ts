/** The authenticator port: one per kind of credential, tried in order by `authenticateRequest`. */
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal.ts';

export interface Authenticator {
  /** For logs and metrics, e.g. `operator-token`. */
  readonly name: string;
  /**
   * The principal the request's credentials prove; `undefined` when the request carries no credential
   * of this kind (the next authenticator is tried). A credential of this kind that does not verify
   * throws a 401 `KexinError` — a wrong token never falls through to a weaker check.
   */
  authenticate(request: FastifyRequest): Promise<Principal | undefined>;
}

/** `Authorization: <scheme> <credentials>` with the scheme compared case-insensitively (RFC 9110 §11.1). */
export function authorizationCredentials(request: FastifyRequest, scheme: string): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const space = header.indexOf(' ');
  if (space <= 0 || header.slice(0, space).toLowerCase() !== scheme.toLowerCase()) return undefined;
  return header.slice(space + 1).trim();
}
