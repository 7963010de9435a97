/**
 * The identity module's start-up: the client registry, the signing keys (the first one made and
 * certified on first start), the revocation set, the authorization server and Kexin's resource-server
 * check; then the background work — the key rotation schedule, pruning of expired state, and (on a
 * shared PostgreSQL) the LISTEN that keeps every process's caches true.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { DataKeys } from '../crypto/dataKeys.ts';
import type { KeyStore } from '../crypto/keyStore.ts';
import { listen, type Listener } from '../db/notifications.ts';
import { createClientRegistry } from './clients/clientRegistry.ts';
import { CLIENT_SECRET_KEY_PURPOSE } from './clients/clientSecret.ts';
import { createIdentityService, type ClientCertificateCheck, type IdentityService } from './identityService.ts';
import { IDENTITY_CHANNEL, parseIdentityEvent } from './identityEvents.ts';
import { identityErrors } from './identityErrors.ts';
import { pruneOidcModels } from './provider/postgresAdapter.ts';
import { providerMetadata } from './provider/providerContract.ts';
import { createRateLimiter } from './rateLimiter.ts';
import { createDpopProofStore } from './tokens/dpopProofStore.ts';
import { createResourceServer } from './tokens/resourceServer.ts';
import { createRevokedTokens } from './tokens/revokedTokens.ts';
import { createSigningKeys, type TokenSignerCertifier } from './tokens/signingKeys.ts';
import { createTokenIssuanceLog } from './tokenIssuanceLog.ts';

/** How often the key schedule is stepped and other processes' key changes are picked up. */
const KEY_CHECK_INTERVAL_MS = 60_000;
/** How often expired revocations, DPoP proofs and provider records are deleted. */
const PRUNE_INTERVAL_MS = 5 * 60_000;

export interface IdentityModuleDeps {
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly keyStore: KeyStore;
  readonly dataKeys: DataKeys;
  /** KEXIN_PUBLIC_URL: the issuer. */
  readonly publicUrl: string;
  /** The TLS listener's public base URL (RFC 8705 endpoint aliases), when there is one. */
  readonly tlsPublicUrl: string | undefined;
  readonly databaseUrl: string | undefined;
  readonly certify: TokenSignerCertifier;
  readonly checkCertificate: ClientCertificateCheck;
  /** Another process changed the operator tokens. */
  readonly onOperatorsChanged?: () => void;
}

export interface StartedIdentity {
  readonly service: IdentityService;
  stop(): Promise<void>;
}

/** Kexin's resource indicator (RFC 8707): its APIs as one resource server, under the public URL. */
export const resourceIndicatorFor = (publicUrl: string) => `${publicUrl}/`;

export async function startIdentity(deps: IdentityModuleDeps): Promise<StartedIdentity> {
  const { pool, clock, logger } = deps;
  const secretKey = await deps.dataKeys.get(CLIENT_SECRET_KEY_PURPOSE);
  let validateWithProvider: ((metadata: Record<string, unknown>) => Promise<void>) | undefined;
  const clients = createClientRegistry({
    pool, clock, secretKey,
    async validate(clientId, settings, secretHash) {
      await validateWithProvider?.(providerMetadata({ clientId, settings, secretHash }));
    },
  });
  const signingKeys = createSigningKeys({ pool, clock, keyStore: deps.keyStore, certify: deps.certify, logger });
  const initialKeys = await signingKeys.load();
  const revoked = await createRevokedTokens({ pool, clock });
  const proofs = createDpopProofStore({ pool, clock });
  const limiter = createRateLimiter();
  const issuer = deps.publicUrl;
  const resource = resourceIndicatorFor(deps.publicUrl);
  let service: IdentityService | undefined;
  const resourceServer = createResourceServer({
    keys: () => service!.keys(), issuer, audience: resource, clock, revoked, clients, limiter, seenProof: proofs.seen, logger,
  });
  service = createIdentityService({
    pool, clock, logger, keyStore: deps.keyStore, secretKey, issuer, resource, mtlsBaseUrl: deps.tlsPublicUrl,
    clients, signingKeys, initialKeys, revoked, limiter, resourceServer,
    recordIssue: createTokenIssuanceLog({ pool, clock }), checkCertificate: deps.checkCertificate,
  });
  // The provider's own client schema is the last word on metadata (e.g. a JWK it cannot use).
  validateWithProvider = async (metadata) => {
    try {
      await service!.validateClientMetadata(metadata);
    } catch (err) {
      const e = err as { error?: string; error_description?: string };
      if (e.error === 'invalid_client_metadata') throw identityErrors.clientMetadataInvalid(e.error_description ?? 'invalid client metadata');
      throw err;
    }
  };

  const keyTimer = setInterval(() => {
    service!.rotateSigningKeys().then(() => service!.reloadKeys()).catch((err: unknown) => logger.error({ err }, 'token signing key schedule failed'));
  }, KEY_CHECK_INTERVAL_MS);
  keyTimer.unref();
  const pruneTimer = setInterval(() => {
    Promise.all([revoked.prune(), proofs.prune(), pruneOidcModels(pool, clock)]).catch((err: unknown) => logger.error({ err }, 'identity pruning failed'));
  }, PRUNE_INTERVAL_MS);
  pruneTimer.unref();

  let listener: Listener | undefined;
  if (deps.databaseUrl) {
    listener = await listen(deps.databaseUrl, IDENTITY_CHANNEL, {
      onMessage(payload) {
        const e = parseIdentityEvent(payload);
        if (!e) return;
        if ('client' in e) clients.invalidate(e.client);
        else if ('revoked' in e) revoked.learn(e.revoked, e.exp);
        else if ('keys' in e) service!.reloadKeys().catch((err: unknown) => logger.error({ err }, 'reloading token signing keys failed'));
        else if ('operators' in e) deps.onOperatorsChanged?.();
      },
      onGap() {
        clients.invalidate();
        deps.onOperatorsChanged?.();
        revoked.reload().catch((err: unknown) => logger.error({ err }, 'reloading revoked tokens failed'));
        service!.reloadKeys().catch((err: unknown) => logger.error({ err }, 'reloading token signing keys failed'));
      },
    }, logger);
  }

  return {
    service,
    async stop() {
      clearInterval(keyTimer);
      clearInterval(pruneTimer);
      await service!.drain();
      await listener?.close();
    },
  };
}
