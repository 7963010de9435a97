/**
 * Reason codes of e-card verification: stable, never reused. A result is `valid` only when it holds
 * no reason at all; warnings (e.g. a status list older than its TTL) do not invalidate.
 */
export const REASONS = Object.freeze({
  MALFORMED: 'not an e-card QR code or SD-JWT presentation, or over the size budget',
  ISSUER_UNKNOWN: 'signed by an issuer this verifier does not trust',
  ISSUER_SIGNATURE_INVALID: 'the issuer signature does not verify (forged or altered)',
  HOLDER_SIGNATURE_INVALID: 'not signed by the device key the card is bound to',
  HOLDER_BINDING_MISSING: 'no key-binding JWT: the presentation does not prove possession of the device key',
  TOKEN_BINDING_MISMATCH: 'the holder signature covers another card token',
  CREDENTIAL_EXPIRED: 'the credential or card token has expired',
  CREDENTIAL_NOT_YET_VALID: 'the credential or card token is not valid yet',
  QR_EXPIRED: 'the QR code has expired (it lives 60 seconds)',
  QR_NOT_YET_VALID: 'the QR code is dated in the future',
  QR_LIFETIME_TOO_LONG: 'the QR code claims a lifetime longer than 60 seconds',
  NONCE_REPLAYED: 'this QR code was already presented',
  REPLAY_CHECK_UNAVAILABLE: 'the replay cache is full; the QR code could not be checked for reuse',
  PURPOSE_MISMATCH: 'the QR code was made for another purpose',
  DISCLOSURE_TAMPERED: 'a disclosure does not match the issuer-signed digests',
  PRESENTATION_ALTERED: 'the disclosures differ from those the holder signed (sd_hash)',
  KB_AUDIENCE_MISMATCH: 'the key-binding JWT is addressed to another verifier',
  KB_NONCE_MISMATCH: 'the key-binding JWT answers another nonce',
  KB_STALE: 'the key-binding JWT is too old or dated in the future',
  ID_CHECKSUM_INVALID: 'the disclosed ID number fails the GB 11643 checksum',
  CLAIM_NOT_DISCLOSED: 'a claim the verifier requires was not disclosed',
  CARD_SUSPENDED: 'the card is suspended (reported lost)',
  CARD_REVOKED: 'the card or this credential is revoked',
  STATUS_UNAVAILABLE: 'no status list is available for this credential',
  STATUS_LIST_EXPIRED: 'the cached status list has expired',
} as const);

export type ReasonCode = keyof typeof REASONS;
