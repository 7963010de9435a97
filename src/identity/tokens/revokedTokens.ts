/**
 * Access tokens revoked before they expired (RFC 7009). JWT access tokens are checked offline, so
 * every process keeps the set of revoked, unexpired token ids in memory: loaded at start, added to by
 * this process's revocations and (through NOTIFY) every other process's, pruned as tokens expire.
 */
import type pg from 'pg';
import { appendAudit } from '../../audit/auditLog.ts';
import type { Clock } from '../../clock.ts';
import { withTransaction } from '../../db/transaction.ts';
import { announce } from '../identityEvents.ts';

export interface RevokedTokens {
  isRevoked(jti: string): boolean;
  /** Records the revocation (and its audit row) in one transaction; idempotent. */
  revoke(token: { jti: string; clientId: string; exp: number }, actor: string): Promise<void>;
  /** Another process revoked `jti` (NOTIFY). */
  learn(jti: string, exp: number): void;
  /** Re-reads the set (after a lost notification connection). */
  reload(): Promise<void>;
  /** Drops expired entries from memory and the table. */
  prune(): Promise<void>;
}

export async function createRevokedTokens(deps: { pool: pg.Pool; clock: Clock }): Promise<RevokedTokens> {
  const { pool, clock } = deps;
  let revoked = new Map<string, number>();
  const reload = async () => {
    const rows = (await pool.query<{ jti: string; expires_at: Date }>('SELECT jti, expires_at FROM revoked_access_tokens WHERE expires_at > $1', [clock.now()])).rows;
    revoked = new Map(rows.map((r) => [r.jti, Math.floor(r.expires_at.getTime() / 1000)]));
  };
  await reload();
  return {
    isRevoked: (jti) => revoked.has(jti),
    async revoke(token, actor) {
      const inserted = await withTransaction(pool, async (tx) => {
        const r = await tx.query(
          'INSERT INTO revoked_access_tokens (jti, client_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) ON CONFLICT (jti) DO NOTHING',
          [token.jti, token.clientId, new Date(token.exp * 1000), clock.now()],
        );
        if (!r.rowCount) return false;
        await appendAudit(tx, { actor, action: 'identity.token.revoke', subject: token.jti, details: { clientId: token.clientId, exp: token.exp } }, clock);
        await announce(tx, { revoked: token.jti, exp: token.exp });
        return true;
      });
      if (inserted) revoked.set(token.jti, token.exp);
    },
    learn(jti, exp) {
      revoked.set(jti, exp);
    },
    reload,
    async prune() {
      const now = clock.now();
      const nowSeconds = Math.floor(now.getTime() / 1000);
      for (const [jti, exp] of revoked) if (exp < nowSeconds) revoked.delete(jti);
      await pool.query('DELETE FROM revoked_access_tokens WHERE expires_at < $1', [now]);
    },
  };
}
