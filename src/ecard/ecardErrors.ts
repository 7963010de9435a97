/** The e-card module's errors: stable codes (never reused), statuses, client-safe messages. */
import { KexinError } from '../errors.ts';

export const ecardErrors = {
  holderNotFound: () => new KexinError('ECARD_HOLDER_NOT_FOUND', 'no such card holder', 404),
  holderExists: () => new KexinError('ECARD_HOLDER_EXISTS', 'this person already holds a card', 409),
  cardNotFound: () => new KexinError('ECARD_CARD_NOT_FOUND', 'no such card', 404),
  cardNumberTaken: () => new KexinError('ECARD_CARD_NUMBER_TAKEN', 'this card number is already issued', 409),
  cardNumberInvalid: () => new KexinError('ECARD_CARD_NUMBER_INVALID', 'cardNumber must be 9 to 20 upper-case letters or digits', 400),
  validityInvalid: () => new KexinError('ECARD_VALIDITY_INVALID', 'validUntil must be a date in the future', 400),
  cardNotActive: (state: string) => new KexinError('ECARD_CARD_NOT_ACTIVE', `the card is ${state}`, 409, { state }),
  transitionRefused: (from: string, action: string) => new KexinError('ECARD_TRANSITION_REFUSED', `a ${from} card cannot be ${action}`, 409, { state: from }),
  channelUnknown: () => new KexinError('ECARD_CHANNEL_UNKNOWN', 'the channel is not a registered system client', 422),
  channelMismatch: () => new KexinError('ECARD_CHANNEL_MISMATCH', 'a channel may only claim into itself', 403),
  channelNotHeld: () => new KexinError('ECARD_CHANNEL_NOT_HELD', 'this channel holds no live credential of the holder', 404),
  deviceKeyInvalid: (why: string) => new KexinError('ECARD_DEVICE_KEY_INVALID', `deviceJwk: ${why}`, 400),
  proofInvalid: (why: string) => new KexinError('ECARD_PROOF_INVALID', `proof: ${why}`, 400),
  nonceInvalid: () => new KexinError('ECARD_NONCE_INVALID', 'the claim nonce is unknown, used or expired; fetch a new one', 400),
  evidenceRequired: () => new KexinError('ECARD_EVIDENCE_REQUIRED', 'a passed face session of the holder is required', 403),
  familyNotManaged: () => new KexinError('ECARD_FAMILY_NOT_MANAGED', 'the manager does not manage this holder (no consent on record)', 403),
  statusListNotFound: () => new KexinError('ECARD_STATUS_LIST_NOT_FOUND', 'no such status list', 404),
} as const;
