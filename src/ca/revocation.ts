/**
 * The revocation state machine (RFC 5280 §5.3.1 reasons). certificateHold suspends (the e-card needs
 * suspension); `removeFromCRL` releases a hold — the certificate simply leaves the next full CRL.
 * A revoked certificate stays revoked.
 */
import type { CertificateStatus } from './caStore.ts';
import { caErrors } from './caErrors.ts';
import { KexinError } from '../errors.ts';
import { REASON_CODES, type ReasonName } from './revocationReasons.ts';

export type RevocationReason = ReasonName;
export const REVOCATION_REASONS = Object.freeze(Object.keys(REASON_CODES) as RevocationReason[]);

export function parseReason(input: string): RevocationReason {
  const found = REVOCATION_REASONS.find((r) => r.toLowerCase() === input.trim().toLowerCase());
  if (!found) throw new KexinError('CA_REVOCATION_REASON_INVALID', `unknown revocation reason "${input}"; one of ${REVOCATION_REASONS.join(', ')}`, 400);
  return found;
}

export interface Transition {
  readonly status: CertificateStatus;
  readonly reason: RevocationReason | null;
  /** The audit action for this change. */
  readonly action: 'ca.certificate.revoke' | 'ca.certificate.hold' | 'ca.certificate.release';
}

export function transition(serial: string, current: CertificateStatus, reason: RevocationReason): Transition {
  if (current === 'revoked') throw caErrors.alreadyRevoked(serial);
  if (reason === 'removeFromCRL') {
    if (current !== 'hold') throw caErrors.notOnHold(serial);
    return { status: 'valid', reason: null, action: 'ca.certificate.release' };
  }
  if (reason === 'certificateHold') {
    if (current === 'hold') throw new KexinError('CA_CERTIFICATE_ALREADY_ON_HOLD', `certificate ${serial} is already on hold`, 409);
    return { status: 'hold', reason, action: 'ca.certificate.hold' };
  }
  return { status: 'revoked', reason, action: 'ca.certificate.revoke' };
}
