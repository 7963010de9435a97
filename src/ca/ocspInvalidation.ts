/**
 * Keeping every process's pre-signed OCSP answers true when several Kexin processes share one
 * PostgreSQL: the transaction that issues, revokes, holds or releases a certificate (or adds a
 * responder) also NOTIFYs, and each process's listener drops what that commit made stale.
 */
import type { Logger } from 'pino';
import { notify } from '../db/notifications.ts';
import type { Tx } from '../db/transaction.ts';
import type { OcspService } from './ocspService.ts';

export const OCSP_CHANNEL = 'kexin_ocsp';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; a longer change invalidates everything. */
const MAX_PAYLOAD = 7000;

type Message = { readonly certs: readonly (readonly [caId: string, serial: string])[] } | { readonly all: true } | { readonly responders: true };

/** In `tx`: these certificates' cached answers are stale once `tx` commits. */
export async function announceCertificateChanges(tx: Tx, certs: readonly (readonly [caId: string, serial: string])[]): Promise<void> {
  const text = JSON.stringify({ certs } satisfies Message);
  await notify(tx, OCSP_CHANNEL, text.length < MAX_PAYLOAD ? text : JSON.stringify({ all: true } satisfies Message));
}

/** In `tx`: the set of responders changed (an issuing CA was imported). */
export async function announceResponderChange(tx: Tx): Promise<void> {
  await notify(tx, OCSP_CHANNEL, JSON.stringify({ responders: true } satisfies Message));
}

/**
 * Applies a message from another process (or this one: invalidating twice is harmless). A responder
 * change returns the reload under way, so whoever closes the service can wait for it.
 */
export function applyOcspMessage(payload: string, ocsp: OcspService, logger: Logger): Promise<void> | undefined {
  let m: Partial<{ certs: unknown; all: unknown; responders: unknown }>;
  try {
    m = JSON.parse(payload) as typeof m;
  } catch {
    m = { all: true }; // unreadable: assume the worst
  }
  if (m.responders === true) {
    return ocsp.reload().catch((err: unknown) => logger.error({ err }, 'OCSP responder reload failed'));
  }
  if (Array.isArray(m.certs) && m.certs.every((c) => Array.isArray(c) && c.length === 2 && c.every((x) => typeof x === 'string'))) {
    for (const [caId, serial] of m.certs as [string, string][]) ocsp.invalidate(caId, serial);
  } else {
    ocsp.clear();
  }
  return undefined;
}
