/** The e-card module's problem codes: one status and title each. (Verification outcomes are reason codes in a 200 result, not problems.) */
import { defineProblems } from '../errors.ts';

export const ECARD_PROBLEMS = defineProblems({
  ECARD_HOLDER_NOT_FOUND: { status: 404, title: 'No such card holder' },
  ECARD_HOLDER_EXISTS: { status: 409, title: 'This person already holds a card' },
  ECARD_CARD_NOT_FOUND: { status: 404, title: 'No such card' },
  ECARD_CARD_NUMBER_TAKEN: { status: 409, title: 'Card number is already issued' },
  ECARD_CARD_NUMBER_INVALID: { status: 400, title: 'Card number is malformed' },
  ECARD_VALIDITY_INVALID: { status: 400, title: 'Card validity end is not in the future' },
  ECARD_CARD_NOT_ACTIVE: { status: 409, title: 'Card is not active' },
  ECARD_TRANSITION_REFUSED: { status: 409, title: 'Card state does not allow this change' },
  ECARD_CHANNEL_UNKNOWN: { status: 422, title: 'Channel is not a registered system client' },
  ECARD_CHANNEL_MISMATCH: { status: 403, title: 'A channel may only claim into itself' },
  ECARD_CHANNEL_NOT_HELD: { status: 404, title: 'Channel holds no live credential of the holder' },
  ECARD_DEVICE_KEY_INVALID: { status: 400, title: 'Device key is not a public P-256 JWK' },
  ECARD_PROOF_INVALID: { status: 400, title: 'Proof of possession of the device key does not verify' },
  ECARD_NONCE_INVALID: { status: 400, title: 'Claim nonce is unknown, used or expired' },
  ECARD_EVIDENCE_REQUIRED: { status: 403, title: 'A passed face session of the holder is required' },
  ECARD_FAMILY_NOT_MANAGED: { status: 403, title: 'No family consent on record for this holder' },
  ECARD_STATUS_LIST_NOT_FOUND: { status: 404, title: 'No such status list' },
});
