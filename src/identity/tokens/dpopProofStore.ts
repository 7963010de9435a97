/**
 * Used DPoP proofs, in PostgreSQL so that a proof replayed to another Kexin process is caught too
 * (RFC 9449 §11.1). Rows live only as long as the proof could still be accepted.
 */
import type pg from 'pg';
import type { Clock } from '../../clock.ts';
import type { ProofReplayCheck } from './dpopProof.ts';

export function createDpopProofStore(deps: { pool: pg.Pool; clock: Clock }): { seen: ProofReplayCheck; prune(): Promise<void> } {
  return {
    async seen(proofId, expiresAt) {
      const r = await deps.pool.query('INSERT INTO dpop_proofs (proof_hash, expires_at) VALUES ($1, $2) ON CONFLICT (proof_hash) DO NOTHING', [proofId, expiresAt]);
      return r.rowCount === 1;
    },
    async prune() {
      await deps.pool.query('DELETE FROM dpop_proofs WHERE expires_at < $1', [deps.clock.now()]);
    },
  };
}
