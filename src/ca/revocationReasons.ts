/** RFC 5280 §5.3.1 CRLReason names ↔ codes (7 is unused). */
import { KexinError } from '../errors.ts';

export const REASON_CODES = Object.freeze({
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
});
export type ReasonName = keyof typeof REASON_CODES;

export function reasonCode(name: ReasonName): number {
  const c = REASON_CODES[name];
  if (c === undefined) throw new KexinError('CA_REVOCATION_REASON_INVALID', `unknown revocation reason "${String(name)}"`, 400);
  return c;
}

export function reasonName(code: number): ReasonName | undefined {
  return (Object.keys(REASON_CODES) as ReasonName[]).find((n) => REASON_CODES[n] === code);
}
