/**
 * Who is calling: every authenticator (break-glass operator token, OAuth access token, client
 * certificate) turns a request's credentials into one `Principal`, and routes decide on its scopes.
 */

/** How the principal proved who it is. */
export type AuthMethod =
  /** The bootstrap/break-glass operator bearer token (or the local CLI's process token). */
  | 'operator_token'
  /** An OAuth 2 access token (RFC 9068 JWT or introspected), unbound. */
  | 'access_token'
  /** An access token bound to a DPoP key (RFC 9449), with a valid proof. */
  | 'dpop'
  /** An access token bound to a client certificate (RFC 8705), presented over mutual TLS. */
  | 'mtls';

export interface Principal {
  /** `operator:<token id>` for the break-glass token, else the OAuth `client_id`. */
  readonly clientId: string;
  readonly kind: 'operator' | 'client';
  /** Granted scopes (`ca:issue`, `seal:apply:<id>` …). Ignored when `allScopes`. */
  readonly scopes: ReadonlySet<string>;
  /** Break-glass: the operator token may do anything, and every use is audited as such. */
  readonly allScopes: boolean;
  readonly method: AuthMethod;
  /** RFC 8705 `x5t#S256` of the client certificate the token is bound to (mTLS), if any. */
  readonly certThumbprint?: string | undefined;
  /** The registered client's class (人社 / government / bank / payment / medical / kiosk / other). */
  readonly clientClass?: string | undefined;
}

/** Whether `principal` holds `scope` exactly (break-glass holds all). */
export function hasScope(principal: Principal, scope: string): boolean {
  return principal.allScopes || principal.scopes.has(scope);
}

/** Whether `principal` holds `scope` or any narrower `scope:<…>` (e.g. `ca:issue:device` for `ca:issue`). */
export function hasScopeOrNarrower(principal: Principal, scope: string): boolean {
  if (hasScope(principal, scope)) return true;
  const prefix = `${scope}:`;
  for (const s of principal.scopes) if (s.startsWith(prefix)) return true;
  return false;
}

/** The audit log's `actor` for a principal: `operator:<id>` or `client:<client_id>`. */
export function actorOfPrincipal(principal: Principal): string {
  return principal.kind === 'operator' ? principal.clientId : `client:${principal.clientId}`;
}
