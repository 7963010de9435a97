/**
 * Cross-process invalidation for the identity module's in-memory caches (clients, operator tokens,
 * signing keys, revoked tokens) when several Kexin processes share one PostgreSQL: the transaction
 * that changes one NOTIFYs, and every process (this one included) drops what became stale.
 */
import { notify } from '../db/notifications.ts';
import type { Tx } from '../db/transaction.ts';

export const IDENTITY_CHANNEL = 'kexin_identity';

export type IdentityEvent =
  | { readonly client: string }
  | { readonly operators: true }
  | { readonly keys: true }
  | { readonly revoked: string; readonly exp: number };

/** In `tx`: delivered once it commits. */
export async function announce(tx: Tx, event: IdentityEvent): Promise<void> {
  await notify(tx, IDENTITY_CHANNEL, JSON.stringify(event));
}

/** A payload from the channel, or undefined when it is not one of ours. */
export function parseIdentityEvent(payload: string): IdentityEvent | undefined {
  try {
    const e = JSON.parse(payload) as Record<string, unknown>;
    if (typeof e.client === 'string') return { client: e.client };
    if (e.operators === true) return { operators: true };
    if (e.keys === true) return { keys: true };
    if (typeof e.revoked === 'string' && typeof e.exp === 'number') return { revoked: e.revoked, exp: e.exp };
  } catch { /* not JSON */ }
  return undefined;
}
