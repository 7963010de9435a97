/**
 * The card token: the short issuer-signed part of the dynamic QR code. A CWT (RFC 8392) in a
 * COSE_Sign1, holding only what an offline verifier needs to trust the holder's fresh signature:
 *
 *   protected  { 1 alg, 4 kid }                       kid = 8 bytes naming the issuer certificate
 *   payload    { 2 sub:  pseudonymous card reference (not the card number),
 *                4 exp, 6 iat,
 *                8 cnf:  { 1 COSE_Key { 1 kty: 2 (EC2), -1 crv: 1 (P-256), -2 x, -3 y-sign (bool) } }  RFC 8747, RFC 9053 §7.1.1
 *                65535 status: { "status_list": { "idx", "uri" } } }                                  Token Status List §6.3
 *
 * The point is compressed (y as its sign bit) to keep the QR code small.
 */
import { ECDH } from 'node:crypto';
import { decodeCbor, encodeCbor } from './cose.ts';

export const CWT = Object.freeze({ sub: 2, exp: 4, iat: 6, cnf: 8, status: 65535 });
const COSE_KEY = Object.freeze({ kty: 1, crv: -1, x: -2, y: -3 });

export interface CardTokenClaims {
  readonly cardRef: string;
  readonly iat: number;
  readonly exp: number;
  /** The holder's P-256 public key as a JWK (x, y base64url). */
  readonly holderJwk: { readonly kty: 'EC'; readonly crv: 'P-256'; readonly x: string; readonly y: string };
  readonly status: { readonly idx: number; readonly uri: string };
}

export function encodeCardTokenPayload(c: CardTokenClaims): Uint8Array {
  const x = Buffer.from(c.holderJwk.x, 'base64url');
  const y = Buffer.from(c.holderJwk.y, 'base64url');
  const coseKey = new Map<number, unknown>([[COSE_KEY.kty, 2], [COSE_KEY.crv, 1], [COSE_KEY.x, new Uint8Array(x)], [COSE_KEY.y, (y[31]! & 1) === 1]]);
  return encodeCbor(new Map<number, unknown>([
    [CWT.sub, c.cardRef], [CWT.exp, c.exp], [CWT.iat, c.iat], [CWT.cnf, new Map([[1, coseKey]])],
    [CWT.status, new Map([['status_list', new Map<string, unknown>([['idx', c.status.idx], ['uri', c.status.uri]])]])],
  ]));
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Reads a signed (and already verified) card token payload; undefined when malformed. */
export function decodeCardTokenPayload(bytes: Uint8Array): CardTokenClaims | undefined {
  const m = decodeCbor(bytes);
  if (!(m instanceof Map)) return undefined;
  const cardRef = m.get(CWT.sub), exp = m.get(CWT.exp), iat = m.get(CWT.iat), cnf = m.get(CWT.cnf), status = m.get(CWT.status);
  if (typeof cardRef !== 'string' || cardRef.length > 64 || !isInt(exp) || !isInt(iat) || !(cnf instanceof Map) || !(status instanceof Map)) return undefined;
  const key = cnf.get(1);
  const sl = status.get('status_list');
  if (!(key instanceof Map) || !(sl instanceof Map)) return undefined;
  const x = key.get(COSE_KEY.x), ySign = key.get(COSE_KEY.y), idx = sl.get('idx'), uri = sl.get('uri');
  if (key.get(COSE_KEY.kty) !== 2 || key.get(COSE_KEY.crv) !== 1 || !(x instanceof Uint8Array) || x.length !== 32 || typeof ySign !== 'boolean') return undefined;
  if (!isInt(idx) || typeof uri !== 'string' || uri.length > 512) return undefined;
  let point: Buffer;
  try {
    point = ECDH.convertKey(Buffer.concat([Uint8Array.of(ySign ? 3 : 2), x]), 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
  } catch {
    return undefined; // x is not on the curve
  }
  return Object.freeze({
    cardRef, iat, exp, status: Object.freeze({ idx, uri }),
    holderJwk: Object.freeze({ kty: 'EC' as const, crv: 'P-256' as const, x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }),
  });
}
