/** What the audit module offers the API and the CLI. */
import type pg from 'pg';
import { verifyAuditChain, type AuditVerification } from './auditLog.ts';

export interface AuditService {
  /** Recomputes the chain and reports the first broken link. */
  verify(): Promise<AuditVerification>;
}

export function createAuditService(deps: { pool: pg.Pool }): AuditService {
  return { verify: () => verifyAuditChain(deps.pool) };
}
