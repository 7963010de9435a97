/** Unsigned OCSPResponses that carry only a responseStatus (RFC 6960 §4.2.1, §2.3). */

export const OCSP_RESPONSE_STATUS = Object.freeze({
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
});
export type OcspResponseStatus = keyof typeof OCSP_RESPONSE_STATUS;
export type OcspErrorStatus = Exclude<OcspResponseStatus, 'successful'>;

/** DER `OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED }` without responseBytes. */
export function ocspErrorResponse(status: OcspErrorStatus): Uint8Array {
  return Uint8Array.of(0x30, 0x03, 0x0a, 0x01, OCSP_RESPONSE_STATUS[status]);
}
