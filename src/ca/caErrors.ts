import { KexinError } from '../errors.ts';

export const caErrors = {
  unknownCa: (id: string) => new KexinError('CA_NOT_FOUND', `no certificate authority "${id}"`, 404),
  caNotIssuing: (id: string) => new KexinError('CA_NOT_ISSUING', `CA "${id}" is not an active issuing CA`, 409),
  unknownCertificate: (serial: string) => new KexinError('CA_CERTIFICATE_NOT_FOUND', `no certificate with serial ${serial}`, 404),
  alreadyRevoked: (serial: string) => new KexinError('CA_CERTIFICATE_ALREADY_REVOKED', `certificate ${serial} is already revoked`, 409),
  notOnHold: (serial: string) => new KexinError('CA_CERTIFICATE_NOT_ON_HOLD', `certificate ${serial} is not on hold, so there is nothing to release`, 409),
  serialInvalid: () => new KexinError('CA_SERIAL_INVALID', 'a serial is 1 to 40 hexadecimal digits', 400),
  noCrl: (id: string) => new KexinError('CA_CRL_NOT_FOUND', `CA "${id}" publishes no CRL`, 404),
  notPending: (id: string) => new KexinError('CA_NOT_PENDING', `CA "${id}" is not waiting for an external certificate`, 409),
} as const;

/** Serials are stored as 40 lowercase hex digits (20 bytes); input may omit leading zeros. */
export function canonicalSerial(input: string): string {
  const s = input.trim().toLowerCase().replace(/^0x/, '').replaceAll(':', '');
  if (!/^[0-9a-f]{1,40}$/.test(s)) throw caErrors.serialInvalid();
  return s.padStart(40, '0');
}
