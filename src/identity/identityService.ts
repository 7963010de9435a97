/**
 * The identity module's service: the client registry, the authorization server (oidc-provider,
 * rebuilt when the signing keys rotate), Kexin's resource-server check of access tokens, and the
 * admission (per-client rate) of token requests. What routes, authenticators, the CLI and other
 * modules (the e-card's channel directory) call.
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { DataKey } from '../crypto/dataKeys.ts';
import type { KeyStore } from '../crypto/keyStore.ts';
import { certificateSubject } from './clients/certificateSubject.ts';
import type { ClientRegistry } from './clients/clientRegistry.ts';
import type { TokenIssue } from './provider/providerContract.ts';
import type { CheckedClientCertificate } from './provider/requestContext.ts';
import type { RateLimiter } from './rateLimiter.ts';
import type { ResourceServer } from './tokens/resourceServer.ts';
import type { RevokedTokens } from './tokens/revokedTokens.ts';
import type { SigningKeys, SigningKeySet } from './tokens/signingKeys.ts';
import { verifyAccessToken } from './tokens/verifyAccessToken.ts';

/** Failed token requests per (claimed client, address) before 429: a burst, then one a second. */
const FAILED_TOKEN_REQUESTS_BURST = 20;
const FAILED_TOKEN_REQUESTS_PER_SECOND = 1;

/** Whether a certificate chains to one of Kexin's roots and is not revoked (the CA, as a port). */
export type ClientCertificateCheck = (der: Uint8Array) => Promise<boolean>;

/** RFC 5280 §4.2.1.12 purposes a certificate must carry to authenticate a TLS client here. */
const TLS_EKUS = new Set(['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.1']);

export type Admission =
  | { readonly ok: true; settle(succeeded: boolean): void }
  | { readonly ok: false; readonly retryAfterSeconds: number };

export interface IdentityService {
  readonly clients: ClientRegistry;
  readonly resourceServer: ResourceServer;
  readonly issuer: string;
  /** Kexin's resource indicator (the audience of its access tokens). */
  readonly resource: string;
  /** The authorization server's request handler (current keys). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The current signing keys. */
  keys(): SigningKeySet;
  /**
   * A token request claims to come from `clientId` (unverified yet): admit it within the client's
   * token rate and the failure budget of that (claim, address); `settle` once the answer is known.
   */
  admitTokenRequest(claimedClientId: string | undefined, address: string): Promise<Admission>;
  /**
   * For introspection and revocation: the oidc-provider payload of a JWT access token Kexin issued
   * that is still good (signature, issuer, lifetime, not revoked, client active), else undefined.
   */
  tokenForLookup(token: string): Promise<Record<string, unknown> | undefined>;
  /** Checks a TLS client certificate against Kexin's CAs (for client authentication at the provider). */
  checkClientCertificate(der: Uint8Array): Promise<CheckedClientCertificate>;
  /** One step of the signing-key schedule (or a forced rotation); reloads the provider when keys changed. */
  rotateSigningKeys(opts?: { force?: boolean }): Promise<boolean>;
  /** Re-reads the signing keys and rebuilds the provider if they changed. */
  reloadKeys(): Promise<void>;
  /** The provider's own client schema check (throws its `invalid_client_metadata` error). */
  validateClientMetadata(metadata: Record<string, unknown>): Promise<void>;
  /** Resolves when the requests the provider is answering are done (Fastify does not track them). */
  drain(): Promise<void>;
}

export interface IdentityServiceDeps {
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly keyStore: KeyStore;
  readonly secretKey: DataKey;
  readonly issuer: string;
  readonly resource: string;
  readonly mtlsBaseUrl: string | undefined;
  readonly clients: ClientRegistry;
  readonly signingKeys: SigningKeys;
  readonly initialKeys: SigningKeySet;
  readonly revoked: RevokedTokens;
  readonly limiter: RateLimiter;
  readonly resourceServer: ResourceServer;
  readonly recordIssue: (token: TokenIssue) => Promise<void>;
  readonly checkCertificate: ClientCertificateCheck;
}

export function createIdentityService(deps: IdentityServiceDeps): IdentityService {
  const { clients, limiter, clock } = deps;
  let keys = deps.initialKeys;

  // oidc-provider is loaded and built on first use (a CLI command that never serves OAuth skips it),
  // and rebuilt lazily when the keys change.
  const build = async (set: SigningKeySet) => {
    const { createProvider } = await import('./provider/createProvider.ts');
    const provider: Provider = createProvider({
      issuer: deps.issuer, resource: deps.resource, keys: set, keyStore: deps.keyStore, pool: deps.pool, clock,
      clients, secretKey: deps.secretKey, recordIssue: deps.recordIssue, mtlsBaseUrl: deps.mtlsBaseUrl,
      revokeToken: (t) => deps.revoked.revoke(t, `client:${t.clientId}`),
    });
    provider.on('server_error', (_ctx, err) => deps.logger.error({ err }, 'authorization server error'));
    return { provider, callback: provider.callback() };
  };
  let current: ReturnType<typeof build> | undefined;
  const provider = () => {
    if (!current) {
      const building = build(keys);
      current = building;
      building.catch(() => { if (current === building) current = undefined; });
    }
    return current;
  };
  const inFlight = new Set<Promise<void>>();

  const reloadKeys = async () => {
    const next = await deps.signingKeys.load();
    if (next.version === keys.version) return;
    keys = next;
    current = undefined;
    deps.logger.info({ keys: next.version }, 'token signing keys changed');
  };

  return {
    clients,
    resourceServer: deps.resourceServer,
    issuer: deps.issuer,
    resource: deps.resource,
    handle(req, res) {
      const p = provider().then((c) => c.callback(req, res) as Promise<void>).finally(() => inFlight.delete(p));
      inFlight.add(p);
      return p;
    },
    async drain() {
      await Promise.allSettled([...inFlight]);
    },
    keys: () => keys,

    async admitTokenRequest(claimedClientId, address) {
      const claimed = claimedClientId && claimedClientId.length <= 64 ? claimedClientId : '-';
      // Failures are charged once known, per (claim, address): someone guessing in a client's name
      // slows down only themselves, and never uses up the tokens of the client they pretend to be.
      const failKey = `token-fail:${claimed}:${address}`;
      const failures = limiter.check(failKey, FAILED_TOKEN_REQUESTS_PER_SECOND, FAILED_TOKEN_REQUESTS_BURST);
      if (!failures.ok) return failures;
      const client = claimed !== '-' ? await clients.active(claimed) : undefined;
      let tokenKey: string | undefined;
      let burst = 0;
      if (client) {
        const perMinute = client.settings.tokenRatePerMinute;
        // Ten seconds' worth at once, at least one.
        burst = Math.max(1, Math.ceil(perMinute / 6));
        tokenKey = `token:${claimed}`;
        const d = limiter.take(tokenKey, perMinute / 60, burst);
        if (!d.ok) return d;
      }
      return {
        ok: true,
        settle(succeeded) {
          if (succeeded) return;
          limiter.charge(failKey, FAILED_TOKEN_REQUESTS_PER_SECOND, FAILED_TOKEN_REQUESTS_BURST);
          if (tokenKey) limiter.refund(tokenKey, burst);
        },
      };
    },

    async tokenForLookup(token) {
      const v = await verifyAccessToken(token, { keys, issuer: deps.issuer, clock });
      if (!v.ok || deps.revoked.isRevoked(v.claims.jti)) return undefined;
      const c = v.claims;
      if (!(await clients.active(c.clientId))) return undefined;
      return {
        kind: 'ClientCredentials', jti: c.jti, clientId: c.clientId, iat: c.iat, exp: c.exp,
        scope: [...c.scopes].join(' ') || undefined, aud: c.audiences.length === 1 ? c.audiences[0] : [...c.audiences],
        ...(c.jkt ? { jkt: c.jkt } : {}), ...(c.x5tS256 ? { 'x5t#S256': c.x5tS256 } : {}),
      };
    },

    async checkClientCertificate(der) {
      const cert = new X509Certificate(der);
      const pem = cert.toString();
      let trusted = false;
      try {
        // Kexin's `device` (clientAuth) and `server` (serverAuth) certificates, nothing that signs documents.
        trusted = (cert.keyUsage ?? []).some((eku) => TLS_EKUS.has(eku)) && await deps.checkCertificate(der);
      } catch (err) {
        deps.logger.info({ err }, 'client certificate could not be checked');
      }
      return Object.freeze({ der, pem, trusted, subject: certificateSubject(der) });
    },

    async rotateSigningKeys(opts) {
      const changed = await deps.signingKeys.rotate(opts);
      if (changed) await reloadKeys();
      return changed;
    },
    reloadKeys,
    async validateClientMetadata(metadata) {
      await ((await provider()).provider.Client as unknown as { validate(m: Record<string, unknown>): Promise<void> }).validate(metadata);
    },
  };
}
