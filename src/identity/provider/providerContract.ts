/**
 * What the rest of Kexin needs to know about the authorization server without loading it (oidc-provider
 * is imported only when the provider is first used, so CLI commands that never serve OAuth stay quick):
 * where its endpoints are, what a token looks like when it is recorded, how a client looks to it.
 */
import type { ActiveClient } from '../clients/clientRegistry.ts';

/** Where the provider's endpoints live under the service root. */
export const OAUTH_ROUTES = Object.freeze({
  token: '/oauth/token',
  introspection: '/oauth/introspect',
  revocation: '/oauth/revoke',
  jwks: '/oauth/jwks',
  // Not mounted yet (citizen login brings them); named so discovery never points at another module's path.
  authorization: '/oauth/authorize',
  userinfo: '/oauth/userinfo',
  end_session: '/oauth/logout',
  code_verification: '/oauth/device',
  device_authorization: '/oauth/device/auth',
  pushed_authorization_request: '/oauth/par',
  backchannel_authentication: '/oauth/backchannel',
  registration: '/oauth/register',
  challenge: '/oauth/challenge',
} as const);

/** A token about to be signed: recorded (audited) before the signature exists. */
export interface TokenIssue {
  readonly jti: string;
  readonly clientId: string;
  readonly scope: string;
  readonly audience: string;
  readonly exp: number;
  readonly binding: 'dpop' | 'mtls' | 'bearer';
}

/**
 * The provider's view of a registered client (RFC 7591 metadata; the secret as its keyed hash). Its
 * scopes are left out: the provider only knows a fixed list, and `seal:apply:<id>` cannot be listed —
 * which scopes a client may ask for is decided in one place, `getResourceServerInfo`, from the registry.
 */
export function providerMetadata(client: ActiveClient): Record<string, unknown> {
  const s = client.settings;
  return {
    client_id: client.clientId,
    client_name: s.name,
    token_endpoint_auth_method: s.authMethod,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    ...(s.jwks ? { jwks: { keys: s.jwks.keys.map((k) => ({ ...k })) } } : {}),
    ...(s.signingAlg ? { token_endpoint_auth_signing_alg: s.signingAlg } : {}),
    ...(s.tlsSubject ? { [s.tlsSubject.field]: s.tlsSubject.value } : {}),
    tls_client_certificate_bound_access_tokens: s.certificateBound,
    dpop_bound_access_tokens: s.dpopBound,
    ...(client.secretHash ? { client_secret: client.secretHash.toString('base64url') } : {}),
  };
}

