/**
 * Every access token is audited before it is signed (`identity.token.issue`: client, scopes, audience,
 * binding, expiry — never the token). Tokens issued at once share a transaction (group commit), so
 * auditing each one costs one write per batch, not one per token.
 */
import type pg from 'pg';
import { appendAuditEntries } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import { createGroupCommit } from '../db/groupCommit.ts';
import type { TokenIssue } from './provider/providerContract.ts';

export function createTokenIssuanceLog(deps: { pool: pg.Pool; clock: Clock }): (token: TokenIssue) => Promise<void> {
  const commits = createGroupCommit<TokenIssue>(deps.pool, async (tx, tokens) => {
    await appendAuditEntries(tx, tokens.map((t) => ({
      actor: `client:${t.clientId}`, action: 'identity.token.issue', subject: t.jti,
      details: { scope: t.scope, audience: t.audience, binding: t.binding, exp: t.exp },
    })), deps.clock);
  }, { maxBatch: 256 });
  return (token) => commits.submit(token);
}
