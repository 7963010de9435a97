/**
 * Kexin's OAuth 2 authorization server: panva's oidc-provider (OpenID-certified), configured for
 * system clients. What it does now: the client credentials grant; client authentication by
 * `private_key_jwt`, RFC 8705 `tls_client_auth` and `client_secret_basic`; DPoP (RFC 9449) and
 * certificate-bound (RFC 8705 §3) tokens; RFC 9068 JWT access tokens for Kexin's own APIs (the one
 * resource, RFC 8707), signed through Kexin's key store; introspection (RFC 7662), revocation
 * (RFC 7009) and discovery. Citizen-facing flows (authorization code, ID tokens) come later.
 *
 * The provider is rebuilt whenever the signing key set changes (rotation): its key set is fixed at
 * construction, all its state lives in PostgreSQL, so swapping instances loses nothing.
 */
import { timingSafeEqual } from 'node:crypto';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type pg from 'pg';
import type { Clock } from '../../clock.ts';
import type { DataKey } from '../../crypto/dataKeys.ts';
import type { KeyStore } from '../../crypto/keyStore.ts';
import { subjectMatches } from '../clients/certificateSubject.ts';
import { CLIENT_JWS_ALGS, TLS_SUBJECT_FIELDS, type TlsSubjectField } from '../clients/clientMetadata.ts';
import type { ClientRegistry } from '../clients/clientRegistry.ts';
import { hashClientSecret } from '../clients/clientSecret.ts';
import { DPOP_ALGS } from '../tokens/dpopProof.ts';
import { ACCESS_TOKEN_TTL_SECONDS, CLOCK_SKEW_SECONDS, TOKEN_SIGNING_ALG, type SigningKeySet } from '../tokens/signingKeys.ts';
import { KeyStoreSigningKey } from './keyStoreSigningKey.ts';
import { createPostgresAdapter } from './postgresAdapter.ts';
import { OAUTH_ROUTES, providerMetadata, type TokenIssue } from './providerContract.ts';
import { providerRequestContext } from './requestContext.ts';

/** The experiment oidc-provider names for signing through an external key (its `ExternalSigningKey`). */
const EXTERNAL_SIGNING_EXPERIMENT = 'experimental-01';

export interface ProviderDeps {
  readonly issuer: string;
  /** Kexin's resource indicator (RFC 8707): the one audience its access tokens carry. */
  readonly resource: string;
  readonly keys: SigningKeySet;
  readonly keyStore: KeyStore;
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly clients: ClientRegistry;
  readonly secretKey: DataKey;
  /** Records a token before it is signed; a failure refuses the token. */
  readonly recordIssue: (token: TokenIssue) => Promise<void>;
  /** Records the revocation of a token (RFC 7009). */
  readonly revokeToken: (token: { jti: string; clientId: string; exp: number }) => Promise<void>;
  /** RFC 8705 §5 aliases: the token, introspection and revocation endpoints on the TLS listener. */
  readonly mtlsBaseUrl?: string | undefined;
}

const clientCertificate = () => providerRequestContext.getStore()?.clientCertificate;

export function createProvider(deps: ProviderDeps): Provider {
  const { clients, resource } = deps;
  const Adapter = createPostgresAdapter(deps.pool, deps.clock, {
    async client(id) {
      const c = await clients.active(id);
      return c ? providerMetadata(c) : undefined;
    },
    verifiedToken(jti) {
      const token = providerRequestContext.getStore()?.token;
      return token?.jti === jti ? { ...token } : undefined;
    },
    async revokeToken(token) {
      await deps.revokeToken({ jti: String(token.jti), clientId: String(token.clientId), exp: Number(token.exp) });
    },
  });

  const configuration: Configuration = {
    adapter: Adapter,
    jwks: { keys: deps.keys.published.map((k) => new KeyStoreSigningKey(k, deps.keyStore)) },
    clientAuthMethods: ['private_key_jwt', 'tls_client_auth', 'client_secret_basic'],
    enabledJWA: {
      clientAuthSigningAlgValues: [...CLIENT_JWS_ALGS] as never,
      dPoPSigningAlgValues: [...DPOP_ALGS] as never,
      idTokenSigningAlgValues: [TOKEN_SIGNING_ALG],
      userinfoSigningAlgValues: [TOKEN_SIGNING_ALG],
      introspectionSigningAlgValues: [TOKEN_SIGNING_ALG],
      authorizationSigningAlgValues: [TOKEN_SIGNING_ALG],
    },
    clockTolerance: CLOCK_SKEW_SECONDS,
    clientDefaults: { grant_types: ['client_credentials'], response_types: [], id_token_signed_response_alg: TOKEN_SIGNING_ALG, token_endpoint_auth_method: 'private_key_jwt' },
    routes: OAUTH_ROUTES,
    // Scopes are not OpenID scopes here: which one a client may ask for is decided per client, below.
    scopes: [],
    claims: { openid: ['sub'] },
    ttl: {
      ClientCredentials: ACCESS_TOKEN_TTL_SECONDS,
      AccessToken: ACCESS_TOKEN_TTL_SECONDS,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 86400,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      userinfo: { enabled: false },
      introspection: {
        enabled: true,
        // RFC 7662 §2.1: the token's own client, or a resource server registered for introspection.
        async allowedPolicy(_ctx, caller, token) {
          if (token.clientId === caller.clientId) return true;
          const c = await clients.active(caller.clientId);
          return c?.settings.scopes.includes('tokens:introspect') ?? false;
        },
      },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client revokes only its own tokens; anything else is answered as if done.
        async allowedPolicy(_ctx, caller, token) {
          return token.clientId === caller.clientId;
        },
      },
      dPoP: { enabled: true },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: false,
        getCertificate: () => clientCertificate()?.pem,
        certificateAuthorized: () => clientCertificate()?.trusted === true,
        certificateSubjectMatches(_ctx, property, expected) {
          const subject = clientCertificate()?.subject;
          return subject !== undefined && (TLS_SUBJECT_FIELDS as readonly string[]).includes(property)
            && subjectMatches(subject, property as TlsSubjectField, expected);
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        async getResourceServerInfo(ctx: KoaContextWithOIDC, indicator: string, client) {
          if (indicator !== resource) throw new errors.InvalidTarget(`the only resource is ${resource}`);
          const registered = await clients.active(client.clientId);
          if (!registered) throw new errors.InvalidClient('client authentication failed', 'client is not active');
          const requested = ctx.oidc.requestParamScopes;
          // RFC 6749 §3.3: no default scope — a client asks for what it needs, and only for that.
          if (requested.size === 0) throw new errors.InvalidScope('scope is required: ask for the scopes this client needs', '');
          for (const s of requested) if (!registered.settings.scopes.includes(s)) throw new errors.InvalidScope('requested scope is not allowed for this client', s);
          return {
            scope: registered.settings.scopes.join(' '),
            audience: resource,
            accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: TOKEN_SIGNING_ALG, kid: deps.keys.active.kid } },
          };
        },
      },
      externalSigningSupport: { enabled: true, ack: EXTERNAL_SIGNING_EXPERIMENT },
    },
    formats: {
      customizers: {
        // Runs after the claims are final and before the signature: record first, then sign.
        async jwt(_ctx, _token, jwt) {
          const p = jwt.payload as Record<string, unknown> & { cnf?: Record<string, unknown> };
          await deps.recordIssue({
            jti: String(p.jti), clientId: String(p.client_id), scope: String(p.scope ?? ''), audience: String(p.aud), exp: Number(p.exp),
            binding: p.cnf?.jkt ? 'dpop' : p.cnf?.['x5t#S256'] ? 'mtls' : 'bearer',
          });
        },
      },
    },
    discovery: deps.mtlsBaseUrl ? {
      mtls_endpoint_aliases: {
        token_endpoint: `${deps.mtlsBaseUrl}${OAUTH_ROUTES.token}`,
        introspection_endpoint: `${deps.mtlsBaseUrl}${OAUTH_ROUTES.introspection}`,
        revocation_endpoint: `${deps.mtlsBaseUrl}${OAUTH_ROUTES.revocation}`,
      },
    } : {},
  };

  const provider = new Provider(deps.issuer, configuration);
  // Kexin's edge sets X-Forwarded-Proto/Host from its configured public URLs (never the client's).
  provider.proxy = true;
  // The stored "secret" is its keyed hash (clientSecret.ts), so compare hashes, in constant time.
  const secretKey = deps.secretKey;
  Object.defineProperty(provider.Client.prototype, 'compareClientSecret', {
    value(this: { clientSecret?: string }, presented: unknown): boolean {
      if (typeof this.clientSecret !== 'string' || typeof presented !== 'string' || presented.length > 256) return false;
      const stored = Buffer.from(this.clientSecret, 'base64url');
      const given = hashClientSecret(secretKey, presented);
      return stored.length === given.length && timingSafeEqual(stored, given);
    },
  });
  return provider;
}
