/**
 * Kexin as a resource server: who is calling, from an access token presented on a Kexin API call.
 * One ordered list of checks, each failing closed:
 *
 *   1. the JWT verifies (signature, ES256, issuer, type, lifetime)       → 401
 *   2. it is meant for Kexin (audience = Kexin's resource indicator)      → 403
 *   3. it was not revoked, and its client is still active                  → 401
 *   4. its binding holds: DPoP proof for `cnf.jkt`, TLS certificate for
 *      `cnf.x5t#S256`, and the client's registration still allows it     → 401
 *   5. the client is within its API rate                                   → 429
 *
 * The caller's scopes are the token's, narrowed to what the client is registered for now: a scope
 * taken away from a client stops working at once, not when its tokens expire.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { ClientRegistry } from '../clients/clientRegistry.ts';
import { identityErrors } from '../identityErrors.ts';
import type { RateLimiter } from '../rateLimiter.ts';
import { verifyDpopProof, type ProofReplayCheck } from './dpopProof.ts';
import type { RevokedTokens } from './revokedTokens.ts';
import type { SigningKeySet } from './signingKeys.ts';
import { certificateThumbprint, verifyAccessToken } from './verifyAccessToken.ts';

export interface PresentedToken {
  /** `Authorization: Bearer` or `Authorization: DPoP` (RFC 9449 §7.1). */
  readonly scheme: 'bearer' | 'dpop';
  readonly token: string;
  /** Every `DPoP` header value of the request. */
  readonly dpopProofs: readonly string[];
  readonly method: string;
  /** The request URL as the client addressed it. */
  readonly url: string;
  /** DER of the TLS client certificate of this connection, if any. */
  readonly peerCertificate?: Uint8Array | undefined;
}

export interface Caller {
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  readonly method: 'access_token' | 'dpop' | 'mtls';
  readonly certThumbprint?: string | undefined;
  readonly clientClass: string;
}

export interface ResourceServerDeps {
  readonly keys: () => SigningKeySet;
  readonly issuer: string;
  /** Kexin's resource indicator: the audience its tokens carry. */
  readonly audience: string;
  readonly clock: Clock;
  readonly revoked: RevokedTokens;
  readonly clients: ClientRegistry;
  readonly limiter: RateLimiter;
  readonly seenProof: ProofReplayCheck;
  readonly logger: Logger;
}

export interface ResourceServer {
  /** Throws a 401/403/429 `KexinError` when the token does not let its bearer in. */
  authenticate(presented: PresentedToken): Promise<Caller>;
}

export function createResourceServer(deps: ResourceServerDeps): ResourceServer {
  const refuse = (why: string, clientId?: string) => {
    deps.logger.info({ why, clientId }, 'access token refused');
    return identityErrors.tokenInvalid();
  };
  return {
    async authenticate(p) {
      const verified = await verifyAccessToken(p.token, { keys: deps.keys(), issuer: deps.issuer, clock: deps.clock });
      if (!verified.ok) throw refuse(verified.reason);
      const t = verified.claims;
      if (!t.audiences.includes(deps.audience)) {
        deps.logger.info({ clientId: t.clientId }, 'access token for another audience');
        throw identityErrors.audienceMismatch();
      }
      if (deps.revoked.isRevoked(t.jti)) throw refuse('revoked', t.clientId);
      const client = await deps.clients.active(t.clientId);
      if (!client) throw refuse('client not active', t.clientId);

      let method: Caller['method'] = 'access_token';
      let certThumbprint: string | undefined;
      if (t.jkt) {
        if (p.scheme !== 'dpop') throw refuse('DPoP-bound token presented as a bearer token', t.clientId);
        const proof = await verifyDpopProof({ proofs: p.dpopProofs, method: p.method, url: p.url, accessToken: p.token, jkt: t.jkt, clock: deps.clock, seen: deps.seenProof });
        if (!proof.ok) {
          deps.logger.info({ why: proof.reason, clientId: t.clientId }, 'DPoP proof refused');
          throw identityErrors.proofInvalid();
        }
        method = 'dpop';
      } else if (p.scheme === 'dpop') {
        throw refuse('unbound token presented with the DPoP scheme', t.clientId);
      } else if (client.settings.dpopBound) {
        throw refuse('client is registered for DPoP, token is not bound', t.clientId);
      }
      if (t.x5tS256) {
        if (!p.peerCertificate || certificateThumbprint(p.peerCertificate) !== t.x5tS256) {
          deps.logger.info({ clientId: t.clientId, presented: p.peerCertificate !== undefined }, 'certificate-bound token without its certificate');
          throw identityErrors.certificateRequired();
        }
        method = 'mtls';
        certThumbprint = t.x5tS256;
      } else if (client.settings.certificateBound) {
        throw refuse('client is registered for certificate-bound tokens, token is not bound', t.clientId);
      }

      const rate = client.settings.apiRatePerSecond;
      const decision = deps.limiter.take(`api:${t.clientId}`, rate, rate * 2);
      if (!decision.ok) throw identityErrors.rateLimited(decision.retryAfterSeconds);

      const allowed = new Set(client.settings.scopes);
      return Object.freeze({
        clientId: t.clientId,
        scopes: new Set([...t.scopes].filter((s) => allowed.has(s))),
        method,
        certThumbprint,
        clientClass: client.settings.clientClass,
      });
    },
  };
}
