/**
 * oidc-provider's storage port (its `Adapter` interface) over Kexin's PostgreSQL pool: one table,
 * `oidc_models`, keyed by (model, id), with the TTL, grantId, userCode and uid lookups the interface
 * needs. Two models are answered from elsewhere:
 *
 * - `Client`: from Kexin's client registry (only active clients exist for the provider);
 * - `ClientCredentials` / `AccessToken`: Kexin's JWT access tokens are never stored (RFC 9068 tokens
 *   are verified offline). For introspection and revocation, Kexin's route verifies a presented JWT
 *   and hands the provider its `jti`; `find` answers with the verified claims, and `destroy` records
 *   the revocation.
 */
import type pg from 'pg';
import type { Clock } from '../../clock.ts';

type Payload = Record<string, unknown>;

export interface AdapterHooks {
  /** Provider metadata of an active client, or undefined. */
  client(clientId: string): Promise<Payload | undefined>;
  /** The claims of the access token `jti` this request presented and Kexin verified, if any. */
  verifiedToken(jti: string): Payload | undefined;
  /** Records the revocation of a token `verifiedToken` returned. */
  revokeToken(token: Payload): Promise<void>;
}

/** Models whose records Kexin answers from the verified token instead of storage. */
const TOKEN_MODELS = new Set(['ClientCredentials', 'AccessToken']);

export function createPostgresAdapter(pool: pg.Pool, clock: Clock, hooks: AdapterHooks) {
  return class PostgresAdapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      if (this.model === 'Client') throw new TypeError('clients are registered through Kexin\'s client registry');
      const expiresAt = expiresIn ? new Date(clock.now().getTime() + expiresIn * 1000) : null;
      await pool.query(
        `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
           user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
        [this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt],
      );
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.model === 'Client') return hooks.client(id);
      if (TOKEN_MODELS.has(this.model)) {
        const token = hooks.verifiedToken(id);
        return token?.kind === this.model ? token : undefined;
      }
      return this.#findBy('id', id);
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return this.#findBy('user_code', userCode);
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return this.#findBy('uid', uid);
    }

    async consume(id: string): Promise<void> {
      await pool.query('UPDATE oidc_models SET consumed_at = $3 WHERE model = $1 AND id = $2', [this.model, id, clock.now()]);
    }

    async destroy(id: string): Promise<void> {
      if (TOKEN_MODELS.has(this.model)) {
        const token = hooks.verifiedToken(id);
        if (token) await hooks.revokeToken(token);
        return;
      }
      await pool.query('DELETE FROM oidc_models WHERE model = $1 AND id = $2', [this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await pool.query('DELETE FROM oidc_models WHERE grant_id = $1', [grantId]);
    }

    async #findBy(column: 'id' | 'user_code' | 'uid', value: string): Promise<Payload | undefined> {
      const r = (await pool.query<{ payload: Payload; consumed_at: Date | null }>(
        `SELECT payload, consumed_at FROM oidc_models WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > $3)`,
        [this.model, value, clock.now()],
      )).rows[0];
      if (!r) return undefined;
      return r.consumed_at ? { ...r.payload, consumed: Math.floor(r.consumed_at.getTime() / 1000) } : r.payload;
    }
  };
}

/** Deletes expired rows (oidc-provider leaves expiry to its adapter). */
export async function pruneOidcModels(pool: pg.Pool, clock: Clock): Promise<void> {
  await pool.query('DELETE FROM oidc_models WHERE expires_at < $1', [clock.now()]);
}
