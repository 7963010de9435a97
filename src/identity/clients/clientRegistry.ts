/**
 * The registry of system clients: register, read, replace, disable, delete, rotate a secret — each
 * change in one transaction with its audit row — and the cached view authentication paths read on
 * every token request and API call. A change is seen at once by this process and, through NOTIFY, by
 * every other process sharing the database; the cache's lifetime bounds staleness if a message is lost.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { appendAudit } from '../../audit/auditLog.ts';
import type { Clock } from '../../clock.ts';
import type { DataKey } from '../../crypto/dataKeys.ts';
import { withTransaction } from '../../db/transaction.ts';
import { ASSURANCE_LEVELS, CLIENT_CLASSES, type AssuranceLevel, type ClientClass } from '../clientClasses.ts';
import { announce } from '../identityEvents.ts';
import { identityErrors } from '../identityErrors.ts';
import { metadataOf, parseClientMetadata, type ClientSettings } from './clientMetadata.ts';
import { generateClientSecret, hashClientSecret } from './clientSecret.ts';
import * as store from './clientStore.ts';

/** How long a cached client answers without re-reading (bounds staleness if a NOTIFY is lost). */
export const CLIENT_CACHE_TTL_MS = 5_000;
/** Most clients cached at once (the least recently used goes first). */
const CLIENT_CACHE_MAX = 10_000;

/** Who registers or changes a client: an operator (may grant any grantable scope) or a client. */
export interface Registrar {
  /** Audit actor, `operator:<id>` or `client:<id>`. */
  readonly actor: string;
  /** Scopes the registrar holds; `all` for the break-glass operator. */
  readonly scopes: ReadonlySet<string> | 'all';
}

/** A registered client as the admin API shows it: RFC 7591 metadata plus registration facts. */
export interface ClientView {
  readonly client_id: string;
  readonly client_id_issued_at: number;
  readonly kexin_status: 'active' | 'disabled' | 'deleted';
  readonly kexin_client_class_label: string;
  readonly kexin_max_assurance_level_label: string;
  readonly kexin_created_by: string;
  readonly kexin_updated_at: string;
  readonly [member: string]: unknown;
}

/** What authentication paths need about an active client. */
export interface ActiveClient {
  readonly clientId: string;
  readonly settings: ClientSettings;
  /** Keyed hash of the secret (client_secret_basic), else null. */
  readonly secretHash: Buffer | null;
}

/** The e-card module's channel port: who a client is, for people to read. */
export interface ChannelInfo {
  readonly id: string;
  readonly name: string;
  readonly class: ClientClass;
  readonly classLabel: string;
  readonly status: 'active' | 'disabled' | 'deleted';
}

export interface ClientRegistry {
  /** RFC 7591 registration; `client_secret` is returned here only (client_secret_basic). */
  register(metadata: unknown, by: Registrar): Promise<{ client: ClientView; clientSecret?: string }>;
  get(clientId: string): Promise<ClientView>;
  list(): Promise<ClientView[]>;
  /** RFC 7592 §2.2 replacement of the metadata; a new secret is returned when one becomes needed. */
  replace(clientId: string, metadata: unknown, by: Registrar): Promise<{ client: ClientView; clientSecret?: string }>;
  /** Deletes (the row stays, marked deleted; the id is never reused). Its tokens stop working at once. */
  remove(clientId: string, by: Registrar): Promise<void>;
  rotateSecret(clientId: string, by: Registrar): Promise<{ client: ClientView; clientSecret: string }>;
  /** The active client `clientId` (cached), or undefined when unknown, disabled or deleted. */
  active(clientId: string): Promise<ActiveClient | undefined>;
  /** Channel directory for the e-card module: undefined for unknown ids. */
  channel(clientId: string): Promise<ChannelInfo | undefined>;
  /** Drops a cached client (a NOTIFY from another process said it changed). */
  invalidate(clientId?: string): void;
}

export interface ClientRegistryDeps {
  readonly pool: pg.Pool;
  readonly clock: Clock;
  /** The data key client secrets are hashed under. */
  readonly secretKey: DataKey;
  /** Extra validation by the authorization server (its own client schema), throwing on refusal. */
  readonly validate?: (clientId: string, settings: ClientSettings, secretHash: Buffer | null) => Promise<void>;
}

const newClientId = () => `kx${randomBytes(16).toString('base64url')}`;

function viewOf(row: store.ClientRow): ClientView {
  return Object.freeze({
    client_id: row.clientId,
    client_id_issued_at: Math.floor(row.createdAt.getTime() / 1000),
    ...metadataOf(row.settings),
    ...(row.secretHash ? { client_secret_expires_at: 0 } : {}),
    kexin_status: row.status,
    kexin_client_class_label: CLIENT_CLASSES[row.settings.clientClass],
    kexin_max_assurance_level_label: ASSURANCE_LEVELS[row.settings.maxAssurance as AssuranceLevel],
    kexin_created_by: row.createdBy,
    kexin_updated_at: row.updatedAt.toISOString(),
  });
}

/**
 * A client may hand out only what it holds (no escalation through `clients:admin`), and may change,
 * re-key or delete only clients whose scopes it holds (else re-keying one would be taking it over).
 */
function checkRegistrarHolds(by: Registrar, settings: ClientSettings): void {
  if (by.scopes === 'all') return;
  for (const s of settings.scopes) if (!by.scopes.has(s)) throw identityErrors.scopeNotHeld(s);
}

/** Audit details: what a client is allowed, never its secret or keys. */
const auditDetails = (s: ClientSettings) => ({
  name: s.name, class: s.clientClass, authMethod: s.authMethod, scopes: s.scopes, status: s.status,
  maxAssurance: s.maxAssurance, dpopBound: s.dpopBound, certificateBound: s.certificateBound,
  tokenRatePerMinute: s.tokenRatePerMinute, apiRatePerSecond: s.apiRatePerSecond,
});

export function createClientRegistry(deps: ClientRegistryDeps): ClientRegistry {
  const { pool, clock, secretKey } = deps;
  const cache = new Map<string, { readonly row: store.ClientRow | undefined; readonly until: number }>();

  const cached = async (clientId: string): Promise<store.ClientRow | undefined> => {
    const hit = cache.get(clientId);
    if (hit && hit.until > Date.now()) return hit.row;
    const row = await store.getClient(pool, clientId);
    if (cache.size >= CLIENT_CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.delete(clientId);
    cache.set(clientId, { row, until: Date.now() + CLIENT_CACHE_TTL_MS });
    return row;
  };

  const existing = async (q: pg.Pool | pg.PoolClient, clientId: string, forUpdate = false) => {
    const row = await store.getClient(q, clientId, { forUpdate });
    if (!row) throw identityErrors.clientNotFound(clientId);
    if (row.status === 'deleted') throw identityErrors.clientDeleted(clientId);
    return row;
  };

  const secretFor = (settings: ClientSettings, current: store.ClientRow | undefined) => {
    if (settings.authMethod !== 'client_secret_basic') return { secret: undefined, hash: null, keyId: null };
    if (current?.secretHash && current.secretKeyId === secretKey.id) return { secret: undefined, hash: current.secretHash, keyId: current.secretKeyId };
    const secret = generateClientSecret();
    return { secret, hash: hashClientSecret(secretKey, secret), keyId: secretKey.id };
  };

  const registry: ClientRegistry = {
    async register(metadata, by) {
      const settings = parseClientMetadata(metadata);
      checkRegistrarHolds(by, settings);
      const clientId = newClientId();
      const { secret, hash, keyId } = secretFor(settings, undefined);
      await deps.validate?.(clientId, settings, hash);
      const row = await withTransaction(pool, async (tx) => {
        await store.insertClient(tx, { clientId, settings, secretHash: hash, secretKeyId: keyId, createdBy: by.actor, at: clock.now() });
        await appendAudit(tx, { actor: by.actor, action: 'identity.client.register', subject: clientId, details: auditDetails(settings) }, clock);
        return (await store.getClient(tx, clientId))!;
      });
      return secret ? { client: viewOf(row), clientSecret: secret } : { client: viewOf(row) };
    },

    async get(clientId) {
      const row = await store.getClient(pool, clientId);
      if (!row) throw identityErrors.clientNotFound(clientId);
      return viewOf(row);
    },

    async list() {
      return (await store.listClients(pool)).map(viewOf);
    },

    async replace(clientId, metadata, by) {
      const settings = parseClientMetadata(metadata);
      checkRegistrarHolds(by, settings);
      const before = await existing(pool, clientId);
      checkRegistrarHolds(by, before.settings);
      const { secret, hash, keyId } = secretFor(settings, before);
      await deps.validate?.(clientId, settings, hash);
      const row = await withTransaction(pool, async (tx) => {
        await existing(tx, clientId, true);
        await store.updateClient(tx, { clientId, settings, secretHash: hash, secretKeyId: keyId, at: clock.now() });
        await appendAudit(tx, { actor: by.actor, action: 'identity.client.update', subject: clientId, details: { ...auditDetails(settings), newSecret: secret !== undefined } }, clock);
        await announce(tx, { client: clientId });
        return (await store.getClient(tx, clientId))!;
      });
      cache.delete(clientId);
      return secret ? { client: viewOf(row), clientSecret: secret } : { client: viewOf(row) };
    },

    async remove(clientId, by) {
      await withTransaction(pool, async (tx) => {
        checkRegistrarHolds(by, (await existing(tx, clientId, true)).settings);
        await store.markDeleted(tx, clientId, clock.now());
        await appendAudit(tx, { actor: by.actor, action: 'identity.client.delete', subject: clientId }, clock);
        await announce(tx, { client: clientId });
      });
      cache.delete(clientId);
    },

    async rotateSecret(clientId, by) {
      const before = await existing(pool, clientId);
      checkRegistrarHolds(by, before.settings);
      if (before.settings.authMethod !== 'client_secret_basic') throw identityErrors.clientMetadataInvalid('only client_secret_basic clients have a secret');
      const secret = generateClientSecret();
      const row = await withTransaction(pool, async (tx) => {
        await existing(tx, clientId, true);
        await store.updateClient(tx, { clientId, settings: before.settings, secretHash: hashClientSecret(secretKey, secret), secretKeyId: secretKey.id, at: clock.now() });
        await appendAudit(tx, { actor: by.actor, action: 'identity.client.secret.rotate', subject: clientId }, clock);
        await announce(tx, { client: clientId });
        return (await store.getClient(tx, clientId))!;
      });
      cache.delete(clientId);
      return { client: viewOf(row), clientSecret: secret };
    },

    async active(clientId) {
      const row = await cached(clientId);
      if (!row || row.status !== 'active' || row.settings.status !== 'active') return undefined;
      return { clientId: row.clientId, settings: row.settings, secretHash: row.secretHash };
    },

    async channel(clientId) {
      const row = await cached(clientId);
      if (!row) return undefined;
      return Object.freeze({
        id: row.clientId, name: row.settings.name, class: row.settings.clientClass,
        classLabel: CLIENT_CLASSES[row.settings.clientClass], status: row.status === 'deleted' ? 'deleted' as const : row.settings.status,
      });
    },

    invalidate(clientId) {
      if (clientId === undefined) cache.clear();
      else cache.delete(clientId);
    },
  };
  return registry;
}
