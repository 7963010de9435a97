import { describe, expect, it } from 'vitest';
import { canonicalSerial } from '../../src/ca/caErrors.ts';
import { parseReason, transition } from '../../src/ca/revocation.ts';
import { KexinError } from '../../src/errors.ts';

describe('revocation state machine', () => {
  it('revokes, holds and releases per RFC 5280 reasons', () => {
    expect(transition('s', 'valid', 'keyCompromise')).toEqual({ status: 'revoked', reason: 'keyCompromise', action: 'ca.certificate.revoke' });
    expect(transition('s', 'valid', 'certificateHold')).toEqual({ status: 'hold', reason: 'certificateHold', action: 'ca.certificate.hold' });
    expect(transition('s', 'hold', 'removeFromCRL')).toEqual({ status: 'valid', reason: null, action: 'ca.certificate.release' });
    expect(transition('s', 'hold', 'superseded').status).toBe('revoked');
  });
  it('refuses what cannot happen', () => {
    const code = (f: () => unknown) => { try { f(); } catch (e) { return (e as KexinError).code; } return 'none'; };
    expect(code(() => transition('s', 'revoked', 'certificateHold'))).toBe('CA_CERTIFICATE_ALREADY_REVOKED');
    expect(code(() => transition('s', 'valid', 'removeFromCRL'))).toBe('CA_CERTIFICATE_NOT_ON_HOLD');
    expect(code(() => transition('s', 'hold', 'certificateHold'))).toBe('CA_CERTIFICATE_ALREADY_ON_HOLD');
    expect(code(() => parseReason('stolen'))).toBe('CA_REVOCATION_REASON_INVALID');
  });
  it('reads reasons case-insensitively and canonicalises serials', () => {
    expect(parseReason('KEYCOMPROMISE')).toBe('keyCompromise');
    expect(canonicalSerial('0x0A:bc')).toBe('0abc'.padStart(40, '0'));
    expect(() => canonicalSerial('xyz')).toThrow(KexinError);
    expect(() => canonicalSerial('1'.repeat(41))).toThrow(KexinError);
  });
});
