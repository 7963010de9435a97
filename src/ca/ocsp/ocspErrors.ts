import { KexinError } from '../../errors.ts';

/** Thrown by `parseOcspRequest`; the responder turns it into a `malformedRequest` OCSPResponse. */
export function ocspMalformed(why: string, cause?: unknown): KexinError {
  return new KexinError('OCSP_MALFORMED_REQUEST', `malformed OCSP request: ${why}`, 400, undefined, cause === undefined ? undefined : { cause });
}
