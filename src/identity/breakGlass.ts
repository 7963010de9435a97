/**
 * Break-glass accounting: every request authenticated by an operator token leaves an audit row
 * (`operator.token.use`: which token, which route) before the route runs. Rows from concurrent
 * requests share a transaction (group commit), so auditing every use costs little.
 */
import type pg from 'pg';
import { appendAuditEntries } from '../audit/auditLog.ts';
import type { Clock } from '../clock.ts';
import { createGroupCommit } from '../db/groupCommit.ts';
import type { Operator } from './operatorTokens.ts';

export interface BreakGlassUse {
  readonly operator: Operator;
  readonly method: string;
  readonly route: string;
}

export function createBreakGlassRecorder(deps: { pool: pg.Pool; clock: Clock }): { record(use: BreakGlassUse): Promise<void> } {
  const commits = createGroupCommit<BreakGlassUse>(deps.pool, async (tx, uses) => {
    await appendAuditEntries(tx, uses.map((u) => ({
      actor: `operator:${u.operator.id}`, action: 'operator.token.use', subject: u.operator.id,
      details: { breakGlass: true, operator: u.operator.name, method: u.method, route: u.route },
    })), deps.clock);
  }, { name: 'break-glass' });
  return { record: (use) => commits.submit(use) };
}
