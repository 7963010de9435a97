/**
 * The dynamic QR code (verifier side; the holder side is `web/ecard-holder.js`):
 *
 *   text    = "KX1:" base45( CBOR [ 1, cardToken bstr, presentation bstr ] )         RFC 9285 base45
 *   presentation = COSE_Sign1 by the holder's device key, protected { 1 alg: -7 },
 *                  payload { 1 purpose (1 identity, 2 medical, 3 payment), 2 iat, 3 exp (≤ iat + 60),
 *                            4 nonce (bstr 12), 5 first 8 bytes of SHA-256(cardToken) }
 *
 * Why COSE/CBOR and not compact JWS: the two signatures, the holder's public key and the status
 * reference must fit a QR code of version ≤ 15 at error correction M (600 alphanumeric characters).
 * Compact JWS is base64url of JSON: the same content is ~1,000 characters of byte-mode data (412
 * bytes maximum at 15-M) — it does not fit. CBOR with integer labels and raw signatures, in base45,
 * lands near 540 characters in alphanumeric mode. See docs/ecard.md for the measured sizes.
 */
import { decodeCbor } from './cose.ts';
import { base45Decode } from './base45.ts';

export const QR_PREFIX = 'KX1:';
export const QR_VERSION = 1;
/** RFC 9285 text longer than this is refused before decoding (a QR 15-M holds at most 600). */
export const MAX_QR_TEXT = 1200;
export const QR_LIFETIME_S = 60;
export const PURPOSES = Object.freeze({ identity: 1, medical: 2, payment: 3 } as const);
export type Purpose = keyof typeof PURPOSES;
export const purposeName = (n: unknown): Purpose | undefined => (Object.keys(PURPOSES) as Purpose[]).find((k) => PURPOSES[k] === n);
/** Which card token the holder signed over: 8 bytes suffice, the token itself is issuer-signed and key-bound. */
export const TOKEN_DIGEST_BYTES = 8;
export const PRESENTATION = Object.freeze({ purpose: 1, iat: 2, exp: 3, nonce: 4, tokenDigest: 5 });

export interface QrParts {
  readonly cardToken: Uint8Array;
  readonly presentation: Uint8Array;
}

export function parseQrText(text: string): QrParts | undefined {
  if (typeof text !== 'string' || text.length > MAX_QR_TEXT || !text.startsWith(QR_PREFIX)) return undefined;
  const bytes = base45Decode(text.slice(QR_PREFIX.length));
  if (!bytes) return undefined;
  const v = decodeCbor(bytes);
  if (!Array.isArray(v) || v.length !== 3 || v[0] !== QR_VERSION || !(v[1] instanceof Uint8Array) || !(v[2] instanceof Uint8Array)) return undefined;
  return { cardToken: v[1], presentation: v[2] };
}

export interface PresentationClaims {
  readonly purpose: Purpose;
  readonly iat: number;
  readonly exp: number;
  readonly nonce: Uint8Array;
  readonly tokenDigest: Uint8Array;
}

export function decodePresentationPayload(bytes: Uint8Array): PresentationClaims | undefined {
  const m = decodeCbor(bytes);
  if (!(m instanceof Map)) return undefined;
  const purpose = purposeName(m.get(PRESENTATION.purpose));
  const iat = m.get(PRESENTATION.iat), exp = m.get(PRESENTATION.exp), nonce = m.get(PRESENTATION.nonce), tokenDigest = m.get(PRESENTATION.tokenDigest);
  if (!purpose || !Number.isSafeInteger(iat) || !Number.isSafeInteger(exp) || !(nonce instanceof Uint8Array) || nonce.length < 8 || nonce.length > 32
    || !(tokenDigest instanceof Uint8Array) || tokenDigest.length !== TOKEN_DIGEST_BYTES) return undefined;
  return Object.freeze({ purpose, iat: iat as number, exp: exp as number, nonce, tokenDigest });
}
